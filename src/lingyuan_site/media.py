"""Photos and page scans: every image a page names is checked, then made into the few sizes a
reader's screen needs.

A photo (``![说明](path)`` in a story) or a scan (front matter ``scan:``) is a JPEG, PNG or WebP file
beside its page, named relative to the page file and inside content/. Anything else — another
format, a missing file, a path leaving content/, an unreadable or truncated image, one over
MAX_PIXELS — is one error naming the page and the line.

Derivatives (Pillow): the EXIF orientation applied, then each width of WIDTHS (SCAN_WIDTHS for a
scan) up to the image's own, never enlarged, as WebP and as a JPEG fallback, without metadata
(a camera's GPS position is never published). They are named by a hash of the source's bytes and
of how they are made (FORMAT), so they can be cached forever by browsers and CDNs, and kept in the
build cache by that hash: a rebuild encodes only images it has not seen, and the new ones are made
on two worker processes (Media.prepare), like the pages are read.
"""
from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from .errors import SiteError

WIDTHS = (480, 720, 1080, 1600)
SCAN_WIDTHS = (800, 1600, 2400)
MAX_PIXELS = 50_000_000
WEBP_MAX = 16383  # pixels a side (libwebp's limit)
FORMATS = {"JPEG": "JPEG", "PNG": "PNG", "WEBP": "WebP"}
FORMAT = "media 3: webp q72 m2, jpeg q78 progressive, lanczos chained"  # how derivatives are made: part of their names
JPEG_QUALITY = 78
WEBP_QUALITY = 72


@dataclass
class Size:
    width: int
    height: int
    webp: str  # site-relative path, e.g. media/3fa1…-960.webp
    jpeg: str
    webp_bytes: int = 0
    jpeg_bytes: int = 0


@dataclass
class Image:
    """A checked image and its derivatives, smallest first."""

    source: str  # as named on the page
    digest: str  # sha256 of the source's bytes
    width: int  # after the EXIF orientation
    height: int
    sizes: list = field(default_factory=list)  # Size
    key: str = ""  # where the build cache keeps the derivatives (cache/key[:2]/key/)

    @property
    def largest(self) -> Size:
        return self.sizes[-1]

    def files(self) -> list[str]:
        return [p for s in self.sizes for p in (s.webp, s.jpeg)]


def resolve(page_file: str, src: str, content: Path, where: tuple) -> Path:
    """The file a page names (relative to the page file), which must be inside content/."""
    display, line, what = where
    if src.startswith(("/", "\\")) or "://" in src or ":" in src.split("/")[0]:
        raise SiteError(display, f"{what} '{src}' must be a path relative to the page, inside content/", line)
    root = Path(content).resolve()
    target = (Path(page_file).resolve().parent / src)
    try:
        real = target.resolve()
        real.relative_to(root)
    except (ValueError, OSError, RuntimeError):
        raise SiteError(display, f"{what} '{src}' is outside the content folder; put the file beside the page in content/", line) from None
    if not real.is_file():
        raise SiteError(display, f"{what} '{src}' not found (looked for {real})", line)
    return real


@dataclass
class Job:
    """One image a page names, to check and size."""

    path: Path  # the file
    name: str  # as the page names it
    widths: tuple
    where: tuple  # (page, line, "photo" | "scan"), for errors
    digest: str = ""
    key: str = ""


class Media:
    """The media stage: every image the pages name, checked and sized, the new ones on the build's
    worker processes. A memo of each source file's size, mtime and digest (in the cache folder)
    spares reading and hashing a photo that has not changed."""

    def __init__(self, content: Path, cache: Path, db=None):
        self.content, self.cache = Path(content), Path(cache)
        self.cache.mkdir(parents=True, exist_ok=True)
        self.db = db  # the build store, which keeps each source's size, mtime and digest (table media)
        self.memo: dict = {}  # path in content/ → [size, mtime_ns, sha256] as read by this build
        self._root: Optional[Path] = None
        self.encoded: list[str] = []  # sources encoded by this build, by name (the rest came from the cache)
        self.images = 0  # distinct images the pages name

    def prepare(self, pages: list, failures: Optional[list] = None, workers: int = 2) -> list:
        """Fill every page's Photo.image, scan_image and story_areas. A page with a bad image is
        an error; with `failures`, it is recorded there and left out. Returns the pages kept."""
        jobs: dict[str, Job] = {}
        plans = []
        bad: dict[int, SiteError] = {}
        for n, page in enumerate(pages):
            if page.draft:
                continue
            try:
                plan = [(photo, self._job(page, photo.src, WIDTHS, photo.line, "photo")) for s in page.stories for photo in s.photos]
                if page.scan:
                    plan.append((page, self._job(page, page.scan, SCAN_WIDTHS, page.meta_lines.get("scan"), "scan")))
            except SiteError as exc:
                bad[n] = exc
                continue
            for _, job in plan:
                jobs.setdefault(job.key, job)
            plans.append((n, plan))
        made = {}
        for key, job in jobs.items():
            img = self._cached(job)
            if img is not None:
                made[key] = img
        todo = [j for k, j in jobs.items() if k not in made]
        for job, result in zip(todo, self._run(todo, workers)):
            made[job.key] = result
        self.images += len(jobs)
        self.encoded += [j.name for j in todo if not isinstance(made[j.key], SiteError)]
        for n, plan in plans:
            page = pages[n]
            try:
                for target, job in plan:
                    result = made[job.key]
                    if isinstance(result, SiteError):
                        raise SiteError(job.where[0], result.message, job.where[1])
                    img = Image(job.name, result.digest, result.width, result.height, result.sizes, result.key)
                    if target is page:
                        page.scan_image = img
                    else:
                        target.image = img
                if page.scan:
                    page.story_areas = story_areas(page)
            except SiteError as exc:
                bad[n] = exc
        self._save_memo()
        if bad:
            if failures is None:
                raise bad[min(bad)]
            failures.extend(bad[n] for n in sorted(bad))
            return [p for n, p in enumerate(pages) if n not in bad]
        return pages

    def _job(self, page, src: str, widths: tuple, line, what: str) -> Job:
        path = resolve(page.path, src, self.content, (page.path, line, what))
        rel = self._rel(path)
        st = path.stat()  # (before the bytes are read: a save after it changes the mtime the next scan sees)
        known = self.memo.get(rel)
        if known is None and self.db is not None:
            row = self.db.execute("SELECT size, mtime_ns, digest FROM media WHERE path=?", (rel,)).fetchone()
            known = list(row) if row else None
        if known and known[0] == st.st_size and known[1] == st.st_mtime_ns:
            digest = known[2]
        else:
            digest = hashlib.sha256(read(Job(path, src, widths, (page.path, line, what)))).hexdigest()
        self.memo[rel] = [st.st_size, st.st_mtime_ns, digest]
        return Job(path, src, widths, (page.path, line, what), digest, cache_key(digest, widths))

    def _rel(self, path: Path) -> str:
        """How the store names an image: its path in content/ (resolve() keeps it inside), so a site
        folder moved or checked out elsewhere keeps what it knows of its photos."""
        if self._root is None:
            self._root = self.content.resolve()
        return Path(path).relative_to(self._root).as_posix()

    def sources_of(self, page) -> list:
        """[[path in content/, size, mtime_ns, cache key], …] of the images a prepared page shows,
        with the size and mtime stated before their bytes were read: a rebuild reads the page again
        when one of them changed."""
        out = []
        for img, path in _paths(page):
            rel = self._rel(path)
            known = self.memo.get(rel)
            out.append([rel, known[0], known[1], img.key] if known else [rel, -1, -1, img.key])
        return out

    def _cached(self, job: Job) -> Optional[Image]:
        folder = self.cache / job.key[:2] / job.key
        try:
            info = json.loads((folder / "info.json").read_text(encoding="utf-8"))
            img = Image(job.name, job.digest, info["width"], info["height"], [Size(**s) for s in info["sizes"]], job.key)
        except (OSError, ValueError, KeyError, TypeError):
            return None  # not made yet, or damaged: make it again
        return img if all((folder / Path(p).name).is_file() for p in img.files()) else None

    def _run(self, todo: list, workers: int) -> list:
        if len(todo) > 1 and workers > 1:
            import multiprocessing
            import threading
            from concurrent.futures import ProcessPoolExecutor

            # beside other threads (serve's watcher) a forked worker could wait on a lock one of them held
            context = multiprocessing.get_context("fork" if threading.active_count() == 1 else "spawn")
            with ProcessPoolExecutor(max_workers=min(workers, len(todo)), mp_context=context) as pool:
                return list(pool.map(_encode, todo, [self.cache] * len(todo), chunksize=1))
        return [_encode(job, self.cache) for job in todo]

    def _save_memo(self) -> None:
        if self.db is not None:
            self.db.executemany("INSERT OR REPLACE INTO media VALUES (?, ?, ?, ?)", [(p, *v) for p, v in self.memo.items()])


def cache_key(digest: str, widths: tuple) -> str:
    """Where the cache keeps an image's derivatives, and (its first 16 digits) their names."""
    return hashlib.sha256(f"{digest}\0{FORMAT}\0{widths}".encode()).hexdigest()


def _encode(job: Job, cache: Path):
    """Make and keep a job's derivatives (in a worker process): its Image, or the SiteError."""
    try:
        made, files = derive(read(job), job.name, job.widths, job.key[:16], job.where)
    except SiteError as exc:
        return exc
    made.key = job.key
    keep(made, files, cache)
    return made


def read(job: Job) -> bytes:
    try:
        return job.path.read_bytes()
    except OSError as exc:
        raise SiteError(job.where[0], f"{job.where[2]} '{job.name}' cannot be read ({exc.strerror})", job.where[1]) from None


def images_of(pages) -> list:
    """Every image the pages show: their photos and scans."""
    found = []
    for page in pages:
        found.extend(p.image for s in page.stories for p in s.photos if p.image is not None)
        if page.scan_image is not None:
            found.append(page.scan_image)
    return found


def check_sources(images: list, root: Path, db) -> Optional[bool]:
    """Whether a page's images (Media.sources_of, as the store keeps them) are as they were read:
    True as they were, False changed (the page is read again), None as they were with a new mtime
    (a checkout): their bytes hashed and found equal, `images` and the media table then carry the
    new mtimes. Trusts content, not clocks."""
    touched = False
    for img in images:
        rel, size, mtime = img[0], img[1], img[2]
        try:
            st = os.stat(os.path.join(root, rel))
        except OSError:
            return False
        if st.st_size != size:
            return False
        if st.st_mtime_ns == mtime:
            continue
        row = db.execute("SELECT digest FROM media WHERE path=?", (rel,)).fetchone()
        try:
            same = row is not None and hashlib.sha256(Path(root, rel).read_bytes()).hexdigest() == row[0]
        except OSError:
            return False
        if not same:
            return False
        db.execute("UPDATE media SET size=?, mtime_ns=? WHERE path=?", (st.st_size, st.st_mtime_ns, rel))
        img[2] = st.st_mtime_ns
        touched = True
    return None if touched else True


def _paths(page):
    for s in page.stories:
        for p in s.photos:
            if p.image is not None:
                yield p.image, _resolved(page, p.src)
    if page.scan_image is not None:
        yield page.scan_image, _resolved(page, page.scan)


def _resolved(page, src: str) -> Path:
    return (Path(page.path).resolve().parent / src).resolve()


def story_areas(page) -> dict[int, list]:
    """Front matter `areas` as story index → rectangles: each key names one story (its title, or a
    prefix of one title only), each rectangle lies on the scan."""
    line = page.meta_lines.get("areas")
    titles = [s.title or "" for s in page.stories]
    scan = page.scan_image
    found: dict[int, list] = {}
    for key, rects in page.areas.items():
        matches = [i for i, t in enumerate(titles) if t == key] or [i for i, t in enumerate(titles) if t.startswith(key)]
        if not matches:
            raise SiteError(page.path, f"areas: no story on this page is titled '{key}' (or begins so)", line)
        if len(matches) > 1:
            raise SiteError(page.path, f"areas: '{key}' begins the titles of {len(matches)} stories; give more of the title", line)
        for x, y, w, h in rects:
            if x + w > scan.width or y + h > scan.height:
                raise SiteError(page.path, f"areas: '{key}' has [{x}, {y}, {w}, {h}] outside the scan ({scan.width} × {scan.height} pixels)", line)
        found.setdefault(matches[0], []).extend(rects)
    return found


def prune(cache: Path, keys: set) -> None:
    """Remove the derivatives of `keys` (images no page shows any more)."""
    for key in keys:
        shutil.rmtree(Path(cache) / key[:2] / key, ignore_errors=True)


def keep(made: Image, files: dict, cache: Path) -> None:
    """Put an image's derivatives and their description into the cache, whole or not at all."""
    folder = Path(cache) / made.key[:2] / made.key
    tmp = folder.with_name(f"{folder.name}.{os.getpid()}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    for rel, blob in files.items():
        (tmp / Path(rel).name).write_bytes(blob)
    (tmp / "info.json").write_text(json.dumps({"width": made.width, "height": made.height,
                                               "sizes": [s.__dict__ for s in made.sizes]}), encoding="utf-8")
    shutil.rmtree(folder, ignore_errors=True)
    try:
        os.replace(tmp, folder)
    except OSError:  # another process made it meanwhile
        shutil.rmtree(tmp, ignore_errors=True)


def derive(data: bytes, name: str, widths: tuple, stem: str, where: tuple) -> tuple[Image, dict]:
    """Check an image's bytes and encode its derivatives: (Image, {site path: bytes})."""
    from PIL import Image as PILImage, ImageOps, UnidentifiedImageError

    display, line, what = where
    try:
        with PILImage.open(io.BytesIO(data)) as probe:
            fmt = probe.format
            w, h = probe.size
    except UnidentifiedImageError:
        raise SiteError(display, f"{what} '{name}' is not a JPEG, PNG or WebP image", line) from None
    except (OSError, ValueError, PILImage.DecompressionBombError) as exc:
        raise SiteError(display, f"{what} '{name}' cannot be read ({exc})", line) from None
    if fmt not in FORMATS:
        raise SiteError(display, f"{what} '{name}' is a {fmt} image; use JPEG, PNG or WebP", line)
    if w * h > MAX_PIXELS:
        raise SiteError(display, f"{what} '{name}' has {w} × {h} = {w * h / 1e6:.0f} megapixels; at most {MAX_PIXELS // 1_000_000} are read", line)
    width, height = _oriented(data, w, h)
    widest = min(width, WEBP_MAX * width // height)  # (a WebP image has at most WEBP_MAX pixels a side)
    if widest < 1:
        raise SiteError(display, f"{what} '{name}' is {width} × {height} pixels: too narrow to show "
                                 f"(at most {WEBP_MAX:,} times as tall as wide); crop or split it", line)
    try:
        img = PILImage.open(io.BytesIO(data))
        if fmt == "JPEG":  # decode a large JPEG at a reduced scale (1/2, 1/4, 1/8 of its size): much faster
            wide = min(widths[-1], width)
            tall = max(1, round(height * wide / width))
            img.draft("RGB", (tall, wide) if (width, height) != (w, h) else (wide, tall))
        img.load()
        img = ImageOps.exif_transpose(img)
    except (OSError, ValueError, SyntaxError) as exc:
        raise SiteError(display, f"{what} '{name}' cannot be read ({exc}); is the file complete?", line) from None
    has_alpha = img.mode in ("RGBA", "LA") or (img.mode == "P" and "transparency" in img.info)
    img = img.convert("RGBA" if has_alpha else "RGB")
    if has_alpha:
        flat = PILImage.new("RGB", img.size, (255, 255, 255))
        flat.paste(img, mask=img.getchannel("A"))
    else:
        flat = img
    targets = sorted(set([x for x in widths if x < widest] + [min(widest, widths[-1])]))
    sizes, files = [], {}
    # largest first, each made from the one before it: a resize costs what its source weighs
    for target in reversed(targets):
        th = max(1, round(height * target / width))
        if (target, th) != img.size:
            img = img.resize((target, th), PILImage.LANCZOS)
            flat = flat.resize((target, th), PILImage.LANCZOS) if has_alpha else img
        webp, jpeg = io.BytesIO(), io.BytesIO()
        img.save(webp, "WEBP", quality=WEBP_QUALITY, method=2)
        flat.save(jpeg, "JPEG", quality=JPEG_QUALITY, progressive=True, optimize=True)
        size = Size(target, th, f"media/{stem}-{target}.webp", f"media/{stem}-{target}.jpg", webp.tell(), jpeg.tell())
        files[size.webp], files[size.jpeg] = webp.getvalue(), jpeg.getvalue()
        sizes.insert(0, size)
    return Image(name, hashlib.sha256(data).hexdigest(), width, height, sizes), files


def _oriented(data: bytes, w: int, h: int) -> tuple[int, int]:
    """The image's size once its EXIF orientation is applied (5 to 8 swap the sides)."""
    from PIL import Image as PILImage

    try:
        with PILImage.open(io.BytesIO(data)) as probe:
            orientation = probe.getexif().get(0x0112, 1)
    except Exception:
        orientation = 1
    return (h, w) if orientation in (5, 6, 7, 8) else (w, h)
