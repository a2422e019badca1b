"""Reading a .gz file that stops at the end of its last member.

Python's gzip module skips NUL padding after a member one byte at a time (1 GB of it took 172 s) and
reads any other trailing bytes as the start of a new member. Here zlib decodes each member (checking
its CRC and length); after the last one, up to `MAX_PADDING` NUL bytes are allowed, as gzip allows
padding, and anything else is refused as `TrailingDataError` before it is read.
"""

from __future__ import annotations

import os
import zlib

MAX_PADDING = 4096  # bytes of NULs tolerated after the last member (tape/block padding)
_MAGIC = b"\x1f\x8b"
_IN_BLOCK = 1 << 17  # compressed bytes read at a time


class TrailingDataError(OSError):
    """A .gz file goes on after its last member with bytes that are neither a member nor short padding."""


class GzipMembers:
    """Binary reader of the decompressed bytes of an open .gz file `raw` (regular, seekable).

    `read(n)`, `readinto(b)`, `seek(0)` (only rewinding), `close()`; a context manager. Raises EOFError
    when a member ends early, zlib.error for corrupt data, TrailingDataError for junk after the end.
    """

    def __init__(self, raw):
        self._raw = raw
        self._start()

    def _start(self) -> None:
        self._z = zlib.decompressobj(wbits=31)  # 31: a gzip header and trailer
        self._input = b""  # compressed bytes not yet given to zlib
        self._done = False

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self._raw.close()

    def size_hint(self) -> int:
        """The decompressed size the last member's trailer records (modulo 4 GiB), or 0 when unknown."""
        size = os.fstat(self._raw.fileno()).st_size
        if size < 18:  # a gzip header and trailer alone take 18 bytes
            return 0
        return int.from_bytes(os.pread(self._raw.fileno(), 4, size - 4), "little")

    def seekable(self) -> bool:
        return True

    def seek(self, pos: int, whence: int = 0) -> int:
        if (pos, whence) != (0, 0):
            raise OSError("a gzip stream can only be rewound to its start")
        self._raw.seek(0)
        self._start()
        return 0

    def read(self, n: int = -1) -> bytes:
        if n is None or n < 0:
            parts = []
            while piece := self.read(1 << 20):
                parts.append(piece)
            return b"".join(parts)
        parts, got = [], 0
        while got < n and not self._done:
            piece = self._decompress(n - got)
            parts.append(piece)
            got += len(piece)
        return b"".join(parts)

    def readinto(self, b) -> int:
        data = self.read(min(len(b), 1 << 20))  # a part at a time: no second copy of a whole file
        memoryview(b).cast("B")[:len(data)] = data
        return len(data)

    def _decompress(self, limit: int) -> bytes:
        """Up to `limit` decompressed bytes (possibly none), moving on to the next member or the end."""
        if self._z.eof:
            self._input = self._z.unused_data + self._input
            self._next_member()
            return b""
        if not self._input:
            self._input = self._raw.read(_IN_BLOCK)
            if not self._input:
                raise EOFError("Compressed file ended before the end-of-stream marker was reached")
        out = self._z.decompress(self._input, limit)  # bounded: a small input can expand 1000-fold
        self._input = self._z.unconsumed_tail
        return out

    def _next_member(self) -> None:
        """After a member: start the next one, or end (nothing, or short NUL padding), or refuse."""
        if len(self._input) < 2:
            self._input += self._raw.read(_IN_BLOCK)
        if not self._input:
            self._done = True
            return
        if self._input.startswith(_MAGIC):
            rest = self._input
            self._z = zlib.decompressobj(wbits=31)
            self._input = rest
            return
        left = len(self._input) + os.fstat(self._raw.fileno()).st_size - self._raw.tell()
        if left <= MAX_PADDING:
            tail = self._input + self._raw.read(MAX_PADDING + 1)
            if not tail.strip(b"\0"):
                self._done = True
                return
        raise TrailingDataError(f"{left:,} bytes after the end of the compressed data are not gzip data "
                                f"(at most {MAX_PADDING:,} bytes of padding are allowed)")
