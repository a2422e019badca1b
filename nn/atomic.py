"""Writing a file so that it is never seen half-written, cleaning up after writes that were killed,
and the folder where a file goes when its own folder cannot take it."""

from __future__ import annotations

import errno
import os
import re
import stat
import sys
import time
from pathlib import Path

APP_NAME = "digit-recognizer"
#: The temporary files write_atomically makes: ".<name>.<pid>-<8 hex digits>.tmp", beside the target.
TEMP_NAME = re.compile(r"^\..+\.\d+-[0-9a-f]{8}\.tmp$")
#: A temporary file older than this (seconds since its last write) belongs to a killed writer.
STALE_AFTER_S = 600.0


def _temp_name(target: Path) -> Path:
    return target.with_name(f".{target.name}.{os.getpid()}-{os.urandom(4).hex()}.tmp")


def write_atomically(path, write) -> None:
    """Call write(file) on a new temporary file beside `path`, flush it to disk, then move it over `path`.

    Readers see the old file or the new one, never half of one, and a failed write leaves no
    temporary file behind. open(..., "xb") rather than mkstemp, so a new file gets the usual
    permissions (umask) instead of owner-only ones; a replaced file keeps its permission bits.
    A symlink is followed: its target is replaced and the link stays. Raises OSError(EINVAL, "not a
    regular file") without touching anything when `path` exists but is not a regular file (a
    device, a FIFO, a folder): replacing one of those with a file is never what the user meant.
    Before writing, stale temporary files of killed writers in that folder are removed
    (remove_stale_temps). Exceptions from `write` and OSError pass through.
    """
    target = Path(os.path.realpath(path))  # the temporary file must sit beside the real file
    try:
        mode = os.stat(target).st_mode
    except FileNotFoundError:
        mode = None  # a new file (or a missing folder, which open() below reports)
    else:
        if not stat.S_ISREG(mode):
            raise OSError(errno.EINVAL, "not a regular file", str(path))
    remove_stale_temps(target.parent)
    tmp = _temp_name(target)
    try:
        with open(tmp, "xb") as f:
            write(f)
            f.flush()
            if mode is not None:  # `chmod 600 model.npz` must survive a retrain
                os.fchmod(f.fileno(), stat.S_IMODE(mode))
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def remove_stale_temps(folder, older_than: float = STALE_AFTER_S) -> list[Path]:
    """Delete write_atomically's own temporary files (TEMP_NAME) in `folder` not written to for
    `older_than` seconds: a writer killed with `kill -9` cannot clean up after itself.

    Only regular files matching TEMP_NAME are touched (never symlinks, folders or other names), and
    a live write keeps its file's modification time fresh. Returns the files removed; never raises
    (an unreadable folder or a file that vanished meanwhile is skipped).
    """
    removed = []
    now = time.time()
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        if not TEMP_NAME.match(entry.name):
            continue
        try:
            st = entry.stat(follow_symlinks=False)
            if stat.S_ISREG(st.st_mode) and now - st.st_mtime > older_than:
                os.unlink(entry.path)
                removed.append(Path(entry.path))
        except OSError:
            continue
    return removed


def fallback_dir() -> Path:
    """The per-user data folder for files that could not be saved where asked (it is not created).

    `$XDG_DATA_HOME/digit-recognizer` when XDG_DATA_HOME is set to an absolute path (the XDG spec
    ignores relative ones), else `~/.local/share/digit-recognizer` on Linux and other Unixes;
    `~/Library/Application Support/digit-recognizer` on macOS; `%LOCALAPPDATA%\\digit-recognizer`
    (or %APPDATA%) on Windows. Used by the command line when `train --out` cannot be written, and
    meant for the window's autosave likewise.
    """
    xdg = os.environ.get("XDG_DATA_HOME", "")
    if xdg and os.path.isabs(xdg):
        return Path(xdg) / APP_NAME
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or os.environ.get("APPDATA")
        if base:
            return Path(base) / APP_NAME
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support" / APP_NAME
    return Path.home() / ".local" / "share" / APP_NAME


def fallback_path(name) -> Path:
    """Where a file called `name` goes in fallback_dir(): that name, or, when a file of that name is
    already there (an earlier rescue), the name with the date and time added, so nothing there is
    overwritten. The folder is not created."""
    folder = fallback_dir()
    name = Path(name).name or "model.npz"
    path = folder / name
    if os.path.lexists(path):
        stem, suffix = Path(name).stem, Path(name).suffix
        stamp = time.strftime("%Y%m%d-%H%M%S")
        path = folder / f"{stem}-{stamp}{suffix}"
        n = 2
        while os.path.lexists(path):
            path = folder / f"{stem}-{stamp}-{n}{suffix}"
            n += 1
    return path
