"""The MNIST CSV layout: a header `label,1x1,...,28x28`, then one row per digit of a label 0-9 and
784 pixel values 0-255. `read_csv` parses a stream (np.loadtxt does the parsing; the lines are
checked on their way to it) and `save_csv` writes one. Errors are one-line `DataError`s naming the
file, the 1-based line and what was wrong.
"""

from __future__ import annotations

import gzip
import itertools
import os
import warnings
from pathlib import Path

import numpy as np

from .atomic import write_atomically
from .errors import DataError

N_PIXELS = 784
N_FIELDS = N_PIXELS + 1
CSV_HEADER = "label," + ",".join(f"{r}x{c}" for r in range(1, 29) for c in range(1, 29))
_CHUNK = 1 << 18  # bytes checked per step before loadtxt parses them
_MAX_LINE = 1 << 16  # a valid row is at most ~3,200 bytes; longer lines are reported, not buffered
_NL, _ZERO, _NINE = 10, 48, 57  # the bytes of a newline, "0" and "9"
MAX_DIGITS = 10_000_000  # rows or IDX items: MNIST has 70,000, EMNIST ~800,000; more is not a digit set
_FIRST_MEMORY_CHECK = 1 << 16  # rows; then every time the count grows by a quarter (loadtxt's growth step)


def save_csv(path, x, labels, compresslevel: int = 9) -> Path:
    """Write `x` (n, 784) and `labels` (n,) as MNIST CSV with header; gzip when `path` ends in .gz.

    Written atomically (temporary file in the same folder, then os.replace); the gzip header has no
    timestamp, so the same arrays give the same bytes. Raises DataError for bad arrays, OSError on I/O.
    """
    path = Path(path)
    x = np.asarray(x)
    labels = np.asarray(labels)
    if x.ndim != 2 or x.shape[1] != N_PIXELS or labels.shape != (x.shape[0],):
        raise DataError(f"Cannot write {path.name}: need x (n, 784) and labels (n,), got {x.shape} and {labels.shape}.")
    if x.size and not (np.issubdtype(x.dtype, np.integer) and x.min() >= 0 and x.max() <= 255):
        raise DataError(f"Cannot write {path.name}: pixels must be whole numbers 0-255 "
                        f"(got {x.dtype} from {x.min()} to {x.max()}).")
    if labels.size and not (np.issubdtype(labels.dtype, np.integer) and labels.min() >= 0 and labels.max() <= 9):
        raise DataError(f"Cannot write {path.name}: labels must be whole numbers 0-9 "
                        f"(got {labels.dtype} from {labels.min()} to {labels.max()}).")
    rows = np.empty((x.shape[0], N_FIELDS), dtype=np.uint8)
    rows[:, 0] = labels
    rows[:, 1:] = x

    def write(raw):
        out = gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=compresslevel, mtime=0) \
            if path.suffix == ".gz" else raw
        out.write(CSV_HEADER.encode() + b"\n")
        for start in range(0, rows.shape[0], 4096):
            out.write(_format_rows(rows[start:start + 4096]))
        if out is not raw:
            out.close()

    write_atomically(path, write)
    return path


# ----------------------------------------------------------------------------------------------
# Memory: a file must not ask for more than the machine has


def memory_problem(n_bytes: int) -> str | None:
    """Why `n_bytes` more bytes cannot be allocated now ("needs about 2.4 GB ..."), or None when they fit."""
    available = _available_memory()
    if available is None or n_bytes <= available:
        return None
    return f"needs about {n_bytes / 1e9:.2f} GB of memory and {available / 1e9:.2f} GB is available"


def _available_memory() -> int | None:
    """Bytes this process could still allocate: Linux MemAvailable, lowered by a cgroup v2 limit; None if unknown."""
    found = []
    try:
        with open("/proc/meminfo", "rb") as f:
            found += [int(line.split()[1]) * 1024 for line in f if line.startswith(b"MemAvailable:")]
    except (OSError, ValueError, IndexError):
        try:
            found.append(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
        except (AttributeError, ValueError, OSError):
            pass
    try:
        with open("/sys/fs/cgroup/memory.max", "rb") as f:
            limit = f.read().strip()
        if limit != b"max":
            with open("/sys/fs/cgroup/memory.current", "rb") as f:
                found.append(int(limit) - int(f.read()))
    except (OSError, ValueError):
        pass
    return max(min(found), 0) if found else None


# ----------------------------------------------------------------------------------------------
# CSV reader: np.loadtxt parses; the lines it is given are checked first for what it would let pass


def read_csv(f, name: str, chunk_size: int = _CHUNK) -> tuple[np.ndarray, np.ndarray]:
    """Parse an open binary MNIST CSV stream into `x` uint8 (n, 784) and `labels` uint8 (n,).

    np.loadtxt does the parsing (uint8, so a value above 255 or below 0 is an error, not a wrap-round).
    It also accepts what an MNIST row must not hold (spaces, "+", blank lines, labels above 9), so the
    lines are checked on their way to it, ~`chunk_size` bytes at a time; `name` is used in messages.
    `f` must be seekable when fields carry leading zeros (rare: the lines are then read once more).
    Raises DataError for the first bad line, except that a field padded to 4+ digits ("0012") can lose
    to a later error that loadtxt meets in a later block; OSError/EOFError/zlib.error pass through.
    """
    lines = _CheckedLines(f, name, chunk_size)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "loadtxt: input contained no data")
        try:
            rows = np.loadtxt(lines, delimiter=",", dtype=np.uint8, comments=None, ndmin=2, encoding="latin-1")
        except ValueError:  # loadtxt refused a line of the block it was reading: which one, and why?
            raise lines.first_bad_in_block() from None
        except MemoryError:  # the checks below guess; an allocation that fails anyway is still a clear error
            raise DataError(f"{name}: not enough memory for its rows (ran out after {lines.rows:,} rows of "
                            f"{N_FIELDS} values); MNIST has 70,000 rows.") from None
    x, labels = _split_rows(rows)
    # A field's bytes are its digits unless it has leading zeros; only those can hide 4 or more digits.
    if lines.n_bytes != labels.size * (2 * N_FIELDS) + _extra_digits(x):
        _check_padded_fields(f, name, chunk_size, x)
    if lines.error is not None:
        raise lines.error
    if labels.size == 0:
        only = "a header line" if lines.header else "blank lines"
        raise DataError(f"{name}: no digit rows, only {only}; expected rows of a label and 784 pixel values.")
    return x, labels


class _CheckedLines:
    """The data lines of an MNIST CSV stream, without newlines, for np.loadtxt to parse one by one.

    A block of lines made only of digits, commas and newlines, each line starting with a one-digit label
    and a comma, goes through whole; loadtxt itself refuses empty fields, values above 255 and a field
    count that differs from the first line's (checked here to be 785). Otherwise the lines are looked
    at one by one: iteration stops before the first bad one, which is kept in `error`, unless only
    blank lines follow it. `header` is 1 when the first line was a header; `n_bytes` counts the data
    lines handed over (newlines included), the last of them being line `line_no`.
    """

    def __init__(self, f, name: str, chunk_size: int):
        self.f, self.name, self.chunk_size = f, name, chunk_size
        self.header, self.n_bytes, self.line_no = 0, 0, 0
        self.block, self.block_start = [], 0  # the lines being read, and the line number before them
        self.error: DataError | None = None
        self._carry = b""  # the start of a line whose end is not read yet
        self._next_check = _FIRST_MEMORY_CHECK

    @property
    def rows(self) -> int:
        """Data rows handed over so far."""
        return self.line_no - self.header

    def _too_many(self) -> bool:
        """Whether the rows so far pass MAX_DIGITS, or loadtxt's next growth would not fit in memory; sets `error`."""
        if self.rows > MAX_DIGITS:
            self._fail(f"line {self.header + MAX_DIGITS + 1}: more than {MAX_DIGITS:,} digit rows; "
                       "MNIST has 70,000, so this is not an MNIST file")
            return True
        if self.rows >= self._next_check:
            self._next_check = self.rows + self.rows // 4
            if problem := memory_problem(self.rows * N_FIELDS // 2):  # loadtxt grows its buffer by ~a quarter
                self._fail(f"line {self.line_no}: {self.rows:,} rows so far and its rows {problem}; "
                           "MNIST has 70,000 rows")
                return True
        return False

    def __iter__(self):
        for block, first in self._blocks():
            lines = block.split(b"\n")
            lines.pop()  # the empty piece after the block's final newline
            if first and self._skip_header(lines):
                if self.error:
                    return
                lines.pop(0)
                block = block[block.index(b"\n") + 1:]
            self.block, self.block_start = lines, self.line_no
            if not lines:
                continue
            if self._clean(block, lines):
                self.line_no += len(lines)
                self.n_bytes += len(block)
                yield from lines
                if self._too_many():
                    return
                continue
            for i, line in enumerate(lines):  # the fast verdict was no: find the line
                if (problem := _line_problem(line)) is not None:
                    if not b"\n".join(lines[i:]).strip() and self._rest_is_blank():
                        return  # the file merely ends in blank lines
                    self._fail(f"line {self.line_no + 1}: {problem}")
                    return
                self.line_no += 1
                self.n_bytes += len(line) + 1
                yield line
            if self._too_many():
                return

    def _clean(self, block: bytes, lines: list) -> bool:
        """Whether `lines` hold nothing loadtxt would let pass wrongly (or a first row of the wrong size).

        Bytes other than digits, commas and newlines are caught by counting: every byte below "0" must
        be one of a row's 785 separators (loadtxt holds each row to 785 fields, so none can go missing
        to make room for a stray one). Each row must start with a one-digit label and a comma.
        """
        a = np.frombuffer(block, dtype=np.uint8)
        if a.max() > _NINE or np.count_nonzero(a < _ZERO) != N_FIELDS * len(lines):
            return False
        if self.line_no == self.header and lines[0].count(b",") != N_PIXELS:
            return False
        return all(line[1:2] == b"," for line in lines)

    def _blocks(self):
        """(whole lines ending in \\n, is_first) about `chunk_size` bytes at a time; \\r\\n becomes \\n."""
        first = True
        while True:
            chunk, carry = self.f.read(self.chunk_size), self._carry
            data = carry + chunk if chunk else carry + b"\n" if carry else b""
            end = data.rfind(b"\n") + 1
            if first and not data:
                self._fail("the file is empty; expected MNIST rows (a label then 784 pixel values)", line=False)
                return
            if end == 0 and len(data) > _MAX_LINE:
                self._fail(f"line {self.line_no + 1}: longer than {_MAX_LINE:,} characters; "
                           "an MNIST row is a label and 784 comma-separated pixel values")
                return
            block, self._carry = data[:end], data[end:]
            if block:
                if first and block.startswith(b"\xef\xbb\xbf"):  # UTF-8 byte-order mark, as some editors write
                    block = block[3:]
                yield (block.replace(b"\r\n", b"\n") if b"\r" in block else block), first
                first = False
            if not chunk:
                return

    def _skip_header(self, lines: list) -> bool:
        """Whether lines[0] is not data: a header is 785 names, none of them a number (label,1x1,...).

        A header is known by its shape, never by failing to parse: a first line whose first field is
        not a number but which is not 785 names either (a row with a bad label such as "x") sets
        `error`, naming line 1. Sets `header` when it is one.
        """
        fields = lines[0].split(b",") if lines else [b""]
        if not fields[0].strip() or _is_number(fields[0]):
            return False
        numbers = sum(map(_is_number, fields))
        if len(fields) == N_FIELDS and not numbers:
            self.header = self.line_no = 1
            return True
        shape = f"this line has {len(fields)}" if len(fields) != N_FIELDS else f"{numbers} of its fields are numbers"
        row = _line_problem(lines[0])
        self._fail(f"line 1: neither a header ({N_FIELDS} column names such as label,1x1,...,28x28; {shape}) "
                   f"nor a row of digits" + (f" ({row})" if row and len(fields) == N_FIELDS else ""))
        return True

    def first_bad_in_block(self) -> DataError:
        """The DataError for the first line of the current block that is not a valid row."""
        for i, line in enumerate(self.block):
            if problem := _line_problem(line):
                return DataError(f"{self.name}, line {self.block_start + i + 1}: {problem}.")
        return DataError(f"{self.name}, line {self.block_start + 1}: not a valid MNIST row.")

    def _rest_is_blank(self) -> bool:
        if self._carry.strip():
            return False
        while piece := self.f.read(1 << 16):
            if piece.strip():
                return False
        return True

    def _fail(self, problem: str, line: bool = True) -> None:
        self.error = DataError(f"{self.name}{', ' if line else ': '}{problem}.")


def _is_number(field: bytes) -> bool:
    try:
        float(field)
    except ValueError:
        return False
    return True


def _extra_digits(x: np.ndarray) -> int:
    """How many more digits than one per value the pixels `x` (n, 784) take when written plainly."""
    return sum(np.count_nonzero(part >= 10) + np.count_nonzero(part >= 100) for part in np.array_split(x, 64))


def _check_padded_fields(f, name: str, chunk_size: int, x: np.ndarray) -> None:
    """Raise DataError for the first line with a field of more than 3 digits (leading zeros: "0012").

    Called only when the data lines are longer than their values written plainly, so some have
    leading zeros ("012" is allowed): reads the stream again from the start and looks at those lines.
    """
    f.seek(0)
    canonical = 2 * N_FIELDS + np.count_nonzero(x >= 10, axis=1) + np.count_nonzero(x >= 100, axis=1)
    lines = _CheckedLines(f, name, chunk_size)
    for row, line in enumerate(itertools.islice(lines, x.shape[0])):
        if len(line) + 1 != canonical[row] and (problem := _line_problem(line)):
            raise DataError(f"{name}, line {lines.header + row + 1}: {problem}.")


def _line_problem(line: bytes) -> str | None:
    """What is wrong with one CSV line (without its newline), in words; None when it is a valid row."""
    if not line.strip():
        return "empty line; expected a label and 784 pixel values"
    fields = line.split(b",")
    if len(fields) != N_FIELDS:
        return f"{len(fields) - 1} pixel values; {N_PIXELS} expected"
    if not line.translate(None, b"0123456789,") and 0 < min(map(len, fields)) and max(map(len, fields)) <= 3:
        values = list(map(int, fields))  # all 1-3 digits: only the ranges are left to check
        if values[0] <= 9 and max(values) <= 255:
            return None
    for col, field in enumerate(fields):
        what = "label" if col == 0 else f"pixel {col}"
        if not (field.isdigit() and len(field) <= 3):
            limit = "0 to 9" if col == 0 else "0 to 255"
            many = " of at most 3 digits" if field.isdigit() else ""
            return f"{what} {field.decode('latin-1')!r} is not a whole number{many} from {limit}"
        value = int(field)
        if col == 0 and value > 9:
            return f"label {value} is outside 0-9"
        if value > 255:
            return f"{what} is {value}; pixel values must be 0-255"
    return None


def _split_rows(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """`x` (n, 784) and `labels` (n,) from loadtxt's rows (n, 785), x in rows' own memory.

    Moving the pixels forward in place, a few thousand rows at a time, and trimming the buffer keeps
    the peak at one copy of the data instead of two.
    """
    n = rows.shape[0]
    labels = rows[:, 0].copy()
    if not (rows.flags.owndata and rows.flags.c_contiguous):
        return np.ascontiguousarray(rows[:, 1:]), labels
    flat = rows.reshape(-1)
    for start in range(0, n, 4096):  # each step's source and target overlap; numpy buffers it
        stop = min(start + 4096, n)
        flat[start * N_PIXELS:stop * N_PIXELS].reshape(-1, N_PIXELS)[:] = rows[start:stop, 1:]
    del flat
    rows.resize(n * N_PIXELS, refcheck=False)  # no other view of rows is left
    return rows.reshape(n, N_PIXELS), labels


def _format_rows(rows: np.ndarray) -> bytes:
    """CSV text of `rows` (m, 785) uint8, vectorised: each value's digits come from a 4-byte table."""
    digits, lengths = _DIGITS
    cells = digits[rows]  # (m, 785, 4): the digits, then a comma
    size = lengths[rows]
    cells[:, -1][np.arange(rows.shape[0]), size[:, -1] - 1] = _NL  # each row ends in a newline
    return cells[np.arange(4, dtype=np.uint8) < size[..., None]].tobytes()


def _digit_table() -> tuple[np.ndarray, np.ndarray]:
    """For v in 0..255: its decimal digits and a comma, left-aligned in 4 bytes; and that length."""
    digits = np.zeros((256, 4), dtype=np.uint8)
    lengths = np.zeros(256, dtype=np.uint8)
    for v in range(256):
        text = f"{v},".encode()
        digits[v, :len(text)] = np.frombuffer(text, dtype=np.uint8)
        lengths[v] = len(text)
    return digits, lengths


_DIGITS = _digit_table()
