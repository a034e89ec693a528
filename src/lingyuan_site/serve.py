"""`serve`: build, then preview the site on 127.0.0.1 (loopback only)."""
from __future__ import annotations

import functools
import http.server
import sys

from .build import BuildOptions, build


def serve(options: BuildOptions, host: str = "127.0.0.1", port: int = 8000) -> int:
    result = build(options)
    print(f"built {len(result.site.stories)} stories; serving {options.out} on http://{host}:{port}/ (Ctrl+C to stop)")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(options.out))
    with http.server.ThreadingHTTPServer((host, port), handler) as httpd:
        try:
            httpd.serve_forever()
        except KeyboardInterrupt:
            print("stopped", file=sys.stderr)
    return 0
