"""One daemon per data directory: an flock on <data_dir>/scheduler.lock, held for the daemon's life."""
from __future__ import annotations

import fcntl
import os
import time
from pathlib import Path

from pipeline.errors import DaemonRunning

LOCK_FILE = "scheduler.lock"


class DaemonLock:
    """An exclusive flock on <data_dir>/scheduler.lock for the daemon's life; the OS drops it if the process dies."""

    def __init__(self, data_dir: str | Path):
        self.data_dir = Path(data_dir)
        self.path = self.data_dir / LOCK_FILE
        self._fd: int | None = None

    def acquire(self, wait_seconds: float = 1.0) -> "DaemonLock":
        # The short wait covers `jobtrends status` probing the lock at the same instant.
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        deadline = time.monotonic() + wait_seconds
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    holder = _read_pid(fd)
                    os.close(fd)
                    who = f" (pid {holder})" if holder else ""
                    raise DaemonRunning(
                        f"another `jobtrends schedule`{who} is already running on {self.data_dir}; "
                        f"stop it first (lock: {self.path})"
                    ) from None
                time.sleep(0.05)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._fd = fd
        return self

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> "DaemonLock":
        return self.acquire() if self._fd is None else self

    def __exit__(self, *exc: object) -> None:
        self.release()


def running_daemon_pid(data_dir: str | Path) -> int | None:
    """The pid of the daemon holding the data directory's lock (0 if unreadable), None when none runs."""
    path = Path(data_dir) / LOCK_FILE
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return _read_pid(fd) or 0
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)


def _read_pid(fd: int) -> int | None:
    text = os.pread(fd, 32, 0).decode("ascii", errors="replace").strip()
    return int(text) if text.isdigit() else None
