"""Writing a file so that it is never seen half-written."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path


def write_atomically(path, write) -> None:
    """Call write(file) on a new temporary file beside `path`, flush it to disk, then move it over `path`.

    Readers see the old file or the new one, never half of one, and a failed write leaves no
    temporary file behind. open(..., "xb") rather than mkstemp, so the file gets the usual
    permissions (umask) instead of owner-only ones. A symlink is followed: its target is replaced
    and the link stays. Raises OSError(EINVAL, "not a regular file") without touching anything when
    `path` exists but is not a regular file (a device, a FIFO, a folder): replacing one of those
    with a file is never what the user meant. Exceptions from `write` and OSError pass through.
    """
    target = Path(os.path.realpath(path))  # the temporary file must sit beside the real file
    try:
        mode = os.stat(target).st_mode
    except FileNotFoundError:
        pass  # a new file (or a missing folder, which open() below reports)
    else:
        if not stat.S_ISREG(mode):
            raise OSError(errno.EINVAL, "not a regular file", str(path))
    tmp = target.with_name(f".{target.name}.{os.getpid()}-{os.urandom(4).hex()}.tmp")
    try:
        with open(tmp, "xb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
