"""Built campaign feeds on disk, shared by every worker process on this host. No Flask here.

- Bounded: at most ``max_files`` files and ``max_bytes`` bytes; the oldest go first. A
  small index (``index.json``, changed under ``index.lock``) keeps the count, so no build
  scans the folder (the folder is scanned once only, when the index is missing or broken,
  which also clears files left by older versions).
- Never in the way: a disk that is full or read-only makes writing fail quietly (the feed
  is then served from memory); nothing else in the app depends on this folder.
- One build at a time: :meth:`FeedStore.building` holds a lock file (``flock``) for the
  build's key, which threads and processes alike respect, and one of a few build slots, so
  builds never take more than ``slots`` workers at once. Where no lock file can be made
  (read-only folder), threads of this process still wait for each other.
"""

import contextlib
import fcntl
import json
import logging
import os
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path

KEY = re.compile(r"[0-9a-f]{32}")
#: Lock files for build keys, by hash: unrelated keys rarely share one.
KEY_LOCKS = 64
POLL_SECONDS = 0.05

logger = logging.getLogger(__name__)

_process_locks: dict[str, threading.Lock] = {}
_process_locks_guard = threading.Lock()


def _process_lock(path: Path) -> threading.Lock:
    with _process_locks_guard:
        return _process_locks.setdefault(str(path), threading.Lock())


@contextlib.contextmanager
def exclusive(path: Path, wait: float) -> Iterator[bool]:
    """Hold ``path`` as an exclusive lock, waiting at most ``wait`` seconds; yields whether
    it was had. Falls back to a lock of this process when the file cannot be opened."""
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError:
        lock = _process_lock(path)
        got = lock.acquire(timeout=wait) if wait > 0 else lock.acquire(blocking=False)
        try:
            yield got
        finally:
            if got:
                lock.release()
        return
    try:
        yield _flock(fd, time.monotonic() + wait)
    finally:
        os.close(fd)  # closing the file lets go of its lock


def _flock(fd: int, deadline: float) -> bool:
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if time.monotonic() >= deadline:
                return False
            time.sleep(POLL_SECONDS)


class FeedStore:
    def __init__(self, folder: Path, *, max_files: int, max_bytes: int, slots: int = 2):
        self.folder = Path(folder)
        self.max_files = max_files
        self.max_bytes = max_bytes
        self.slots = max(1, slots)

    def _path(self, key: str) -> Path:
        if not KEY.fullmatch(key):
            raise ValueError(f"not a feed key: {key!r}")
        return self.folder / f"{key}.feed"

    # --- reading and writing ------------------------------------------------------------

    def read(self, key: str) -> bytes | None:
        try:
            return self._path(key).read_bytes()
        except OSError:
            return None

    def write(self, key: str, data: bytes) -> bool:
        """Keep ``data`` under ``key``, evicting the oldest files to stay in bounds. False
        (and a warning in the log) when it cannot: the caller serves from memory."""
        if len(data) > self.max_bytes:
            return False
        path = self._path(key)
        try:
            self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            with exclusive(self.folder / "index.lock", wait=10) as got:
                if not got:
                    return False
                entries = [e for e in self._index() if e[0] != key]
                while entries and (
                    len(entries) + 1 > self.max_files
                    or sum(size for _, size in entries) + len(data) > self.max_bytes
                ):
                    oldest, _ = entries.pop(0)
                    self._path(oldest).unlink(missing_ok=True)
                self._save_index(entries)  # the evictions count even if the write fails
                self._write_atomically(path, data)
                try:
                    self._save_index([*entries, [key, len(data)]])
                except OSError:
                    path.unlink(missing_ok=True)  # not counted, so not kept
                    raise
            return True
        except OSError as error:
            logger.warning("feed cache not written (%s): serving from memory", error)
            return False

    def _write_atomically(self, path: Path, data: bytes) -> None:
        temporary = path.with_name(f"tmp-{os.getpid()}-{threading.get_ident()}")
        try:
            fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(temporary, path)  # a reader sees the whole file or none
        except OSError:
            temporary.unlink(missing_ok=True)
            raise

    # --- the index ---------------------------------------------------------------------

    def _index(self) -> list[list]:
        """[key, size] of every kept file, oldest first. Rebuilt from the folder (once)
        when missing or unreadable; anything else found there then goes."""
        try:
            entries = json.loads((self.folder / "index.json").read_text())
            if isinstance(entries, list) and all(
                isinstance(e, list) and len(e) == 2 and KEY.fullmatch(str(e[0])) for e in entries
            ):
                return entries
        except (OSError, ValueError):
            pass
        found = []
        for child in self.folder.iterdir():
            if child.suffix == ".lock":
                continue
            with contextlib.suppress(OSError):
                if child.suffix == ".feed" and KEY.fullmatch(child.stem):
                    stat = child.stat()
                    found.append((stat.st_mtime, child.stem, stat.st_size))
                else:
                    child.unlink()  # earlier versions' files, temporaries of a crash
        return [[key, size] for _, key, size in sorted(found)]

    def _save_index(self, entries: list[list]) -> None:
        self._write_atomically(self.folder / "index.json", json.dumps(entries).encode())

    # --- one build at a time -------------------------------------------------------------

    @contextlib.contextmanager
    def building(self, key: str, wait: float) -> Iterator[bool]:
        """Yields True when this caller may build ``key``: no one else builds it, and a
        build slot is free. Waits at most ``wait`` seconds for both; on False the caller
        looks again for the feed (someone else may have built it) or answers "busy"."""
        deadline = time.monotonic() + wait
        with contextlib.suppress(OSError):
            self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        key_lock = self.folder / f"build-{int(key, 16) % KEY_LOCKS:02d}.lock"
        with exclusive(key_lock, wait) as own_key:
            if not own_key:
                yield False
                return
            with self._slot(deadline) as slot:
                yield slot

    @contextlib.contextmanager
    def _slot(self, deadline: float) -> Iterator[bool]:
        while True:
            for n in range(self.slots):
                with exclusive(self.folder / f"slot-{n}.lock", 0) as got:
                    if got:
                        yield True
                        return
            if time.monotonic() >= deadline:
                yield False
                return
            time.sleep(POLL_SECONDS)
