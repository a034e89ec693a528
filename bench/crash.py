#!/usr/bin/env python3
"""Crash test (issue 21): kill builds and check that the output folder is always the old site or
the new one, that no process of a killed build survives, and that the next build recovers.

For each round one page of a generated archive is edited, then `build.py build` is started and
killed with SIGKILL: at a random instant (within the last build's duration) or at a named point
(the build kills itself there: LINGYUAN_KILL_AT=read|reduced|rendered|searched|commit). Then:

* the output folder must equal, byte for byte, the site before the edit (old) or the site the
  next, unkilled build publishes (new; test_incremental.py proves that equals a cold build);
* no process started by the killed build may still run (workers die with their parent);
* after the next build no temporary folder of a killed build is left beside the output.

Half the rounds are rebuilds from the store, half cold builds (--no-cache: the folder swap).
A second part damages the store and the compiled templates (truncate, zero, bit flip, text edit,
delete) and checks the next build publishes the same site as a cold build, with no internal error.

    python bench/crash.py [--kills 200] [--pages 60]

Prints the figures; exits 1 if any check failed.
"""
from __future__ import annotations

import argparse
import hashlib
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

POINTS = ["read", "reduced", "rendered", "searched", "commit"]


def digest(folder: Path) -> str:
    h = hashlib.sha256()
    if not folder.is_dir():
        return "missing"
    for p in sorted(folder.rglob("*")):
        if p.is_file():
            h.update(p.relative_to(folder).as_posix().encode() + b"\0" + p.read_bytes() + b"\0")
    return h.hexdigest()


def build_cmd(content: Path, out: Path, cache: Path, cold: bool) -> list:
    cmd = [sys.executable, str(ROOT / "build.py"), "build", "--content", str(content), "--out", str(out)]
    return cmd + (["--no-cache"] if cold else ["--cache-dir", str(cache)])


def survivors(marker: str) -> list:
    """Processes whose command line or environment holds `marker` (the killed build's own)."""
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            env = Path(f"/proc/{pid}/environ").read_bytes()
        except OSError:
            continue
        if marker.encode() in env:
            found.append(int(pid))
    return found


def pending_moves(cache: Path) -> int:
    """Moves a killed rebuild left in the store's journal (the commit it was making)."""
    import sqlite3

    try:
        db = sqlite3.connect(f"file:{cache / 'store.sqlite'}?mode=ro", uri=True)
        try:
            return db.execute("SELECT count(*) FROM journal").fetchone()[0]
        finally:
            db.close()
    except sqlite3.Error:
        return 0


def edit(content: Path, rng: random.Random) -> None:
    page = rng.choice(sorted(content.glob("*.md")))
    text = page.read_text(encoding="utf-8")
    page.write_text(text.replace("。", f"，第{rng.randint(1, 10**6)}次修订。", 1), encoding="utf-8")


def crash_rounds(n: int, content: Path, out: Path, cache: Path, rng: random.Random) -> dict:
    figures = {"kills": 0, "old": 0, "new": 0, "in_commit": 0, "mixed": 0, "survivors": 0, "strays": 0, "recovered": 0, "errors": 0, "wrong": 0}
    subprocess.run(build_cmd(content, out, cache, False), check=True, capture_output=True)
    old = digest(out)
    last = 2.0
    for k in range(n):
        edit(content, rng)
        cold = k % 2 == 1
        marker = f"LINGYUAN_CRASH_ROUND={os.getpid()}-{k}"
        env = dict(os.environ, LINGYUAN_CRASH_ROUND=marker.split("=")[1])
        point = rng.choice(POINTS) if k % 3 == 0 else None
        if point:
            env["LINGYUAN_KILL_AT"] = point
        started = time.monotonic()
        proc = subprocess.Popen(build_cmd(content, out, cache, cold), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if point is None:
            time.sleep(rng.uniform(0, last))
            proc.send_signal(signal.SIGKILL)
        proc.wait()
        if proc.returncode == 0:
            last = max(0.5, time.monotonic() - started)
        figures["kills"] += 1
        time.sleep(0.3)  # (a worker's parent-death signal is delivered at once; give the scheduler a moment)
        left = survivors(marker)
        figures["survivors"] += len(left)
        for pid in left:
            os.kill(pid, signal.SIGKILL)
        after_kill = digest(out)
        journal = pending_moves(cache) if not cold else 0
        done = subprocess.run(build_cmd(content, out, cache, False), capture_output=True, text=True)
        if done.returncode != 0:
            figures["errors"] += 1
            print(f"round {k}: the recovery build failed: {done.stderr.strip()[:300]}")
            continue
        new = digest(out)
        # recovered means exactly what a cold build of the same pages publishes (the recovery
        # build's own success is not enough: it once published a stale search index, see
        # tests/test_publish.py)
        reference = out.parent.parent / "reference"
        shutil.rmtree(reference, ignore_errors=True)
        subprocess.run(build_cmd(content, reference, cache, True), check=True, capture_output=True)
        if digest(reference) != new:
            figures["wrong"] += 1
            print(f"round {k}: after recovery ({'cold' if cold else 'rebuild'}, {point or 'random'}) the site differs from a cold build's")
            old = new
            continue
        figures["recovered"] += 1
        if after_kill == old:
            figures["old"] += 1
        elif after_kill == new:
            figures["new"] += 1
        elif journal:
            figures["in_commit"] += 1  # killed while moving files in: the next build completed the journal
        else:
            figures["mixed"] += 1
            print(f"round {k}: after the kill ({'cold' if cold else 'rebuild'}, {point or 'random'}) the site was neither old nor new")
        strays = [p.name for p in out.parent.iterdir() if p.name.startswith(f".{out.name}.") and not p.name.endswith(".lock")]
        figures["strays"] += len(strays)
        old = new
    return figures


def damage_matrix(content: Path, tmp: Path) -> dict:
    """Every file of the store, the compiled templates and the jieba stores (in $TMPDIR) x
    truncate / zero / bit flip / text edit / delete: the next build must publish exactly a cold
    build's site, without an internal error."""
    base_tmpdir = tmp / "dm-tmpdir"
    base_tmpdir.mkdir()
    env = dict(os.environ, TMPDIR=str(base_tmpdir))
    cold_out = tmp / "cold"
    subprocess.run([sys.executable, str(ROOT / "build.py"), "build", "--content", str(content), "--out", str(cold_out), "--no-cache"],
                   check=True, capture_output=True, env=env)
    expected = digest(cold_out)
    figures = {"cases": 0, "identical": 0, "internal": 0, "failed": 0}
    damages = {
        "truncate": lambda b: b[: len(b) // 2],
        "zero": lambda b: bytes(len(b)),
        "bitflip": lambda b: b[:-7] + bytes([b[-7] ^ 0x10]) + b[-6:] if len(b) > 8 else b"\x01",
        "text-edit": lambda b: b.replace(b"\xe5\x87\x8c", b"\xe5\x87\x8b", 1) if b"\xe5\x87\x8c" in b else b[:-3] + b"xyz",
        "delete": None,
    }
    base_cache, base_out = tmp / "dm-cache", tmp / "dm-out"
    subprocess.run(build_cmd(content, base_out, base_cache, False), check=True, capture_output=True, env=env)
    files = [("cache", p.relative_to(base_cache)) for p in sorted(base_cache.rglob("*")) if p.is_file() and "media" not in p.parts]
    files += [("tmpdir", p.relative_to(base_tmpdir)) for p in sorted(base_tmpdir.glob("lingyuan-*")) if p.is_file()]
    for where, rel in files:
        for name, fn in damages.items():
            cache, out, tmpdir = tmp / "dm-c", tmp / "dm-o", tmp / "dm-t"
            for folder, base in ((cache, base_cache), (out, base_out), (tmpdir, base_tmpdir)):
                shutil.rmtree(folder, ignore_errors=True)
                shutil.copytree(base, folder)
            target = (cache if where == "cache" else tmpdir) / rel
            if fn is None:
                target.unlink()
            else:
                target.write_bytes(fn(target.read_bytes()))
            case_env = dict(os.environ, TMPDIR=str(tmpdir))
            (content / "touched.md").write_text("---\ndate: 2022-04\n---\n## 口袋公园\n\n**本报讯** 城区新建口袋公园3处。\n", encoding="utf-8")
            run = subprocess.run(build_cmd(content, out, cache, False), capture_output=True, text=True, env=case_env)
            (content / "touched.md").unlink()
            again = subprocess.run(build_cmd(content, out, cache, False), capture_output=True, text=True, env=case_env)
            figures["cases"] += 1
            label = f"{where}/{rel} {name}"
            errors = " | ".join(line for line in (run.stderr + again.stderr).splitlines() if line.startswith("error"))
            if "internal error" in errors:
                figures["internal"] += 1
                print(f"{label}: {errors[:300]}")
            elif run.returncode or again.returncode:
                figures["failed"] += 1
                print(f"{label}: exit {run.returncode}, {again.returncode}: {errors[:300]}")
            elif digest(out) == expected:
                figures["identical"] += 1
            else:
                print(f"{label}: the site differs from a cold build's")
    return figures


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--kills", type=int, default=200)
    ap.add_argument("--pages", type=int, default=60)
    ap.add_argument("--seed", type=int, default=21)
    args = ap.parse_args()
    from generate import generate

    tmp = Path(tempfile.mkdtemp(prefix="bench-crash-"))
    try:
        content = tmp / "content"
        generate(args.pages, content)
        rng = random.Random(args.seed)
        t = time.perf_counter()
        f = crash_rounds(args.kills, content, tmp / "site" / "public", tmp / "cache", rng)
        print(f"crash: {f['kills']} kills ({f['kills'] // 2} of rebuilds, {f['kills'] - f['kills'] // 2} of cold builds; "
              f"a third at named points) in {time.perf_counter() - t:.0f} s: {f['old'] + f['new']}/{f['kills']} old-or-new at once "
              f"({f['old']} old, {f['new']} new), {f['in_commit']} killed while moving files in (the journal; the next build "
              f"completed each to the new site), {f['mixed']} neither; {f['survivors']} surviving processes; "
              f"{f['strays']} strays after recovery; {f['recovered']}/{f['kills']} recovered to exactly a cold build's site ({f['wrong']} not, {f['errors']} recovery errors)")
        d = damage_matrix(content, tmp)
        print(f"damage: {d['cases']} cases (every store, compiled-template and jieba-store file x truncate, zero, bit flip, text edit, delete): "
              f"{d['identical']}/{d['cases']} byte-identical to a cold build; {d['internal']} internal errors; {d['failed']} failed builds")
        bad = f["mixed"] or f["survivors"] or f["strays"] or f["errors"] or f["wrong"] or d["internal"] or d["failed"] or d["identical"] != d["cases"]
        return 1 if bad else 0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
