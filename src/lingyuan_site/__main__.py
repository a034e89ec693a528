"""`python -m lingyuan_site …`: the same as the `lingyuan-site` command."""
import sys

from .cli import main

sys.exit(main())
