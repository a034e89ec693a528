"""lingyuan-site: a static news-archive generator for Chinese regional newspapers."""

__version__ = "0.1.0"
