"""`serve`: build, preview on 127.0.0.1 (loopback only), rebuild when content/, templates/ or
static/ change (watchdog), and reload open browsers (Server-Sent Events).

The reload script is added to HTML responses on the fly, never written into the built site. A
rebuild that fails prints its one-line error and keeps serving the previous site (builds are atomic).
"""
from __future__ import annotations

from dataclasses import replace
import functools
import http.server
import posixpath
import sys
import threading
import time
from pathlib import Path
from urllib.parse import quote, unquote, urlparse

from .build import BuildOptions, build
from .config import load_config, normalize_base_url
from .errors import SiteError

RELOAD_JS = b"""(function () {
  var source = new EventSource("/__livereload");
  source.addEventListener("reload", function () { location.reload(); });
})();
"""
INJECT = b'<script src="/__livereload.js"></script>'
DEBOUNCE = 0.3
MAX_PATH = 2048  # longer request paths get 414 (no file of the site has one)
IDLE_TIMEOUT = 30  # seconds an idle connection may hold its thread


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # (the standard library's 5 makes a page with many assets wait)


def clean_path(path: str) -> str:
    """A request path made safe to send back in a Location header: decoded, backslashes as
    slashes, dot segments and repeated slashes resolved, so it can only name this host."""
    clean = posixpath.normpath("/" + unquote(path).replace("\\", "/")).lstrip("/")
    return "/" + quote(clean, safe="/~-._")


class Reloader:
    """Counts successful builds; SSE clients wait for the count to change."""

    def __init__(self):
        self.generation = 0
        self.cond = threading.Condition()

    def bump(self):
        with self.cond:
            self.generation += 1
            self.cond.notify_all()

    def wait(self, seen: int, timeout: float) -> int:
        with self.cond:
            self.cond.wait_for(lambda: self.generation != seen, timeout=timeout)
            return self.generation


def make_handler(out: Path, prefix: str, reloader: Reloader):
    class Handler(http.server.SimpleHTTPRequestHandler):
        timeout = IDLE_TIMEOUT

        def translate_path(self, path):
            path = urlparse(path).path
            if not path.startswith(prefix):
                return str(out / "__missing__")
            return super().translate_path("/" + path[len(prefix):])

        def do_GET(self):
            path = urlparse(self.path).path
            if path == "/__livereload.js":
                return self._send(200, "application/javascript", RELOAD_JS)
            if path == "/__livereload":
                return self._events()
            if len(self.path) > MAX_PATH:
                return self._send(414, "text/plain; charset=utf-8", b"URI too long\n")
            local = Path(self.translate_path(self.path))
            try:
                is_dir = local.is_dir()
            except OSError:  # (a name too long for the file system)
                is_dir = False
            if is_dir:
                if not path.endswith("/"):
                    self.send_response(301)
                    self.send_header("Location", clean_path(path).rstrip("/") + "/")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                local = local / "index.html"
            if local.suffix == ".html" and local.is_file():
                return self._send(200, "text/html; charset=utf-8", local.read_bytes().replace(b"</body>", INJECT + b"</body>", 1))
            try:
                missing = not local.exists()
            except OSError:
                missing = True
            if missing and (out / "404.html").is_file():
                return self._send(404, "text/html; charset=utf-8", (out / "404.html").read_bytes().replace(b"</body>", INJECT + b"</body>", 1))
            return super().do_GET()

        def _send(self, code, ctype, body):
            self.send_response(code)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-cache")
            self.end_headers()
            self.wfile.write(body)

        def _events(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-cache")
            self.end_headers()
            seen = reloader.generation
            try:
                self.wfile.write(b": connected\n\n")
                self.wfile.flush()
                while True:
                    now = reloader.wait(seen, timeout=15)
                    if now != seen:
                        seen = now
                        self.wfile.write(b"event: reload\ndata: %d\n\n" % now)
                    else:
                        self.wfile.write(b": ping\n\n")
                    self.wfile.flush()
            except (BrokenPipeError, ConnectionResetError):
                return

        def log_message(self, *args):
            pass

    return Handler


def watch(options: BuildOptions, reloader: Reloader) -> object:
    from watchdog.events import FileSystemEventHandler
    from watchdog.observers import Observer

    out = options.out.resolve()
    lock = threading.Lock()
    timer: list = [None]
    saved: set = set()  # the paths seen since the last rebuild took them
    saved_lock = threading.Lock()

    def rebuild():
        # the saved page first (the search index put off, so the browser reloads sooner; only the
        # files the watcher saw are looked at), then at once the index for what changed: a second
        # build that reads and renders nothing, and scans every page (a change the watcher missed)
        with lock:
            started = time.perf_counter()
            with saved_lock:
                changed = frozenset(saved)
                saved.clear()
            try:
                result = build(replace(options, defer_search=True, changed=changed))
            except SiteError as exc:
                print(f"error: {exc} (still serving the previous site)", file=sys.stderr, flush=True)
                return
            shown = time.perf_counter() - started
            reloader.bump()
            try:
                build(options)
            except SiteError as exc:
                print(f"error: {exc} (the search index is the previous build's until the next save)", file=sys.stderr, flush=True)
                return
            print(f"rebuilt {result.counts['stories']} stories in {shown:.2f} s, the search index in "
                  f"{time.perf_counter() - started - shown:.2f} s more", flush=True)

    class OnChange(FileSystemEventHandler):
        def on_any_event(self, event):
            # watchdog also reports files being opened and closed: the build's own reads of
            # content/ would trigger the next build, forever
            if event.event_type not in ("created", "modified", "deleted", "moved"):
                return
            path = Path(getattr(event, "dest_path", "") or event.src_path).resolve()
            if event.is_directory or out in path.parents or path.name.startswith(".") or path.name.endswith("~"):
                return
            with saved_lock:
                saved.add(path)
                if event.event_type == "moved":
                    saved.add(Path(event.src_path).resolve())
            if timer[0]:
                timer[0].cancel()
            timer[0] = threading.Timer(DEBOUNCE, rebuild)
            timer[0].daemon = True
            timer[0].start()

    observer = Observer()
    for folder in (options.content, options.templates, options.static):
        if folder is not None and Path(folder).is_dir():
            observer.schedule(OnChange(), str(folder), recursive=True)
    observer.daemon = True
    observer.start()
    return observer


def _warm(options: BuildOptions) -> None:
    """A save reads its page in this process: the segmenter it needs (jieba's dictionary store,
    the themes' keywords taught to it) is made now rather than on the editor's first save."""
    from . import read, themes

    try:
        read.segmenter(read.context(options.content, themes.load_taxonomy(options.content))).tk
    except SiteError:
        pass  # (the save's build reports it)


def serve(options: BuildOptions, host: str = "127.0.0.1", port: int = 8000) -> int:
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise SiteError(None, "serve binds to 127.0.0.1 only; use a web server to publish the site")
    result = build(options)
    _warm(options)
    base = options.base_url or load_config(options.content).base_url
    prefix = urlparse(normalize_base_url(base)).path or "/"
    reloader = Reloader()
    observer = watch(options, reloader)
    handler = functools.partial(make_handler(options.out.resolve(), prefix, reloader), directory=str(options.out))
    with Server((host, port), handler) as httpd:
        print(f"built {result.counts['stories']} stories; serving http://{host}:{httpd.server_address[1]}{prefix} "
              f"(watching content, templates, static; Ctrl+C to stop)", flush=True)
        try:
            httpd.serve_forever()
        except KeyboardInterrupt:
            print("stopped", file=sys.stderr)
        finally:
            observer.stop()
    return 0
