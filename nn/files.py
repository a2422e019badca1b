"""Checks shared by every place that reads a file the user named: is it a regular file at all,
and how to name it in a one-line message.

A FIFO, a device or a socket can block `open()` forever or never end, so nothing is read from a
path that is not a regular file. Each caller raises its own error type (DataError, ModelFileError,
...) with the message these functions give.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path


def shown(path) -> str:
    """A path for a one-line message: control characters (a newline in a file name) escaped."""
    text = str(path)
    if any(ord(c) < 32 or ord(c) == 127 for c in text):
        text = text.encode("unicode_escape").decode("ascii")
    return text


def file_problem(path, what: str = "file") -> str | None:
    """Why `path` cannot be read as a regular file (a one-line sentence), or None when it can.

    what: how the message names it, e.g. "training set", "image", "model file".
    """
    path = Path(path)
    try:
        st = os.stat(path)  # follows symlinks; a loop raises ELOOP
    except FileNotFoundError:
        if os.path.lexists(path):
            return f"{shown(path)} is a symbolic link to nothing (its target does not exist)."
        return f"{shown(path)} does not exist."
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return f"{shown(path)} is a loop of symbolic links, not a {what}."
        return f"Cannot read {shown(path)}: {exc.strerror or exc}."
    if stat.S_ISDIR(st.st_mode):
        return f"{shown(path)} is a folder, not a {what}."
    if not stat.S_ISREG(st.st_mode):
        return f"{shown(path)} is not a regular file (a pipe or a device), so not a {what}."
    return None
