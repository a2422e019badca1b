"""Writing a file so that it is never seen half-written."""

from __future__ import annotations

import os
from pathlib import Path


def write_atomically(path, write) -> None:
    """Call write(file) on a new temporary file beside `path`, flush it to disk, then move it over `path`.

    Readers see the old file or the new one, never half of one, and a failed write leaves no
    temporary file behind. open(..., "xb") rather than mkstemp, so the file gets the usual
    permissions (umask) instead of owner-only ones. Exceptions from `write` and OSError pass through.
    """
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}-{os.urandom(4).hex()}.tmp")
    try:
        with open(tmp, "xb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
