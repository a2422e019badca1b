"""MNIST files to arrays: CSV (.csv/.csv.gz) and IDX readers, a disk cache, default paths, splits.

Pixels stay uint8 0-255 here, `x` (n, 784) row-major 28x28, `labels` (n,) uint8 0-9; the network scales
them to float32 [0, 1] per batch. Every problem with a file reaches the caller as a one-line `DataError`
naming the file, the 1-based line (or item) and what was wrong.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .atomic import write_atomically
from .errors import ConfigError, DataError

N_PIXELS = 784
N_FIELDS = N_PIXELS + 1
CSV_HEADER = "label," + ",".join(f"{r}x{c}" for r in range(1, 29) for c in range(1, 29))
ASSETS = Path(__file__).resolve().parent.parent / "assets"
SAMPLE_TRAIN = ASSETS / "mnist_sample_train.csv.gz"
SAMPLE_TEST = ASSETS / "mnist_sample_test.csv.gz"
SAMPLE_SIZES = (6000, 1000)  # rows in the two sample files; tools/make_sample.py writes them
CACHE_VERSION = 1  # bump when the parser's output could change, so old caches are not trusted

_PAD = 4  # bytes of b"\n" kept before each block: the parser looks back up to 3 bytes from a separator
_CHUNK = 1 << 18  # bytes parsed per step: 256 KB keeps the scratch arrays in the CPU caches
_MAX_LINE = 1 << 16  # a valid row is at most ~3,200 bytes; longer lines are reported, not buffered
_MIN_ROW_BYTES = 2 * N_FIELDS  # "0,0,...,0\n": the shortest valid row, for sizing the output
_CACHE_MIN_BYTES = 1 << 20  # smaller files parse in milliseconds; caching them only litters the cache
_MAX_IDX_ITEMS = 10_000_000  # MNIST has 70,000; EMNIST ~800,000
_COMMA, _NL, _ZERO = 44, 10, 48


# ----------------------------------------------------------------------------------------------
# Public API


@dataclass(frozen=True)
class DataPaths:
    """Where the training and test files are; `is_sample` is True for the bundled 7,000-digit sample."""

    train: Path
    test: Path
    is_sample: bool
    note: str


def load_mnist(path, cache: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Read an MNIST file into `x` uint8 (n, 784) and `labels` uint8 (n,).

    Accepts the CSV layout (label then 784 pixels 0-255, optional header line, .csv or .csv.gz,
    \\n or \\r\\n) and IDX images files (`*-images-idx3-ubyte[.gz]`, labels file found beside it; a labels
    file may be given instead). With `cache`, parsed arrays are kept in `cache_dir()` keyed by path,
    size and modification time, so a second load of the same file is a quick `np.load`.
    Raises DataError naming the file, the line and the problem.
    """
    path = Path(path)
    kind = _sniff(path)
    sources = _idx_pair(path, kind) if kind != "csv" else (path,)
    key = _cache_key(sources) if cache else None
    if key is not None:
        cached = _cache_read(key)
        if cached is not None:
            return cached
    if kind == "csv":
        try:
            with _open(path) as f:
                x, labels = read_csv(f, path.name)
        except (OSError, EOFError, zlib.error) as exc:
            raise DataError(f"{path.name}: cannot be read ({_reason(exc)}).") from None
    else:
        x, labels = _read_idx_pair(*sources)
    if key is not None:
        _cache_write(key, x, labels)
    return x, labels


def default_paths(root=".") -> DataPaths:
    """Return MNIST/mnist_train.csv and MNIST/mnist_test.csv (or .csv.gz) under `root`, else the sample.

    The bundled sample lives in assets/ beside the `nn` package; `note` says which set is used and,
    for the sample, how to get the full one. Never raises.
    """
    folder = Path(root) / "MNIST"
    train = _first_file(folder, "mnist_train")
    test = _first_file(folder, "mnist_test")
    if train and test:
        return DataPaths(train, test, False, f"Using the full MNIST set in {folder}.")
    missing = "MNIST/" if not folder.is_dir() else ("MNIST/mnist_train.csv" if not train else "MNIST/mnist_test.csv")
    n_train, n_test = SAMPLE_SIZES
    note = (f"{missing} not found: using the bundled sample ({n_train:,} training, {n_test:,} test digits). "
            "Run `python main.py download` for the full set.")
    return DataPaths(SAMPLE_TRAIN, SAMPLE_TEST, True, note)


def one_hot(labels, k: int = 10, dtype=np.float32) -> np.ndarray:
    """Targets y (n, k) of `dtype` (float32) with y[i, labels[i]] = 1 and zeros elsewhere.

    `labels` (n,) integers in [0, k). Raises DataError for other values or shapes.
    """
    labels = np.asarray(labels)
    if labels.ndim != 1 or not np.issubdtype(labels.dtype, np.integer):
        raise DataError(f"Labels must be a 1-D array of integers (got {labels.dtype} with shape {labels.shape}).")
    if labels.size and (labels.min() < 0 or labels.max() >= k):
        bad = labels[(labels < 0) | (labels >= k)][0]
        raise DataError(f"Label {bad} is outside 0-{k - 1}.")
    y = np.zeros((labels.size, k), dtype=dtype)
    y[np.arange(labels.size), labels] = 1
    return y


def train_val_split(n: int, val_fraction: float, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Seeded random split of range(n) into (train_idx, val_idx), int64 arrays, each sorted.

    The validation part has round(n * val_fraction) items, at least 1 when val_fraction > 0 and n >= 2,
    and the training part keeps at least 1. Raises ConfigError unless 0 <= val_fraction < 1 and n >= 0.
    """
    if not 0.0 <= val_fraction < 1.0:
        raise ConfigError(f"Validation fraction must be at least 0 and below 1 (got {val_fraction}).")
    if n < 0:
        raise ConfigError(f"Number of samples must be at least 0 (got {n}).")
    n_val = int(round(n * val_fraction))
    if val_fraction > 0 and n >= 2:
        n_val = min(max(n_val, 1), n - 1)
    order = np.random.default_rng(seed).permutation(n)
    # Sorted indices make x[idx] gathers walk memory forwards; the trainer shuffles per epoch anyway.
    return np.sort(order[n_val:]), np.sort(order[:n_val])


def cache_dir() -> Path:
    """The parsed-array cache folder: env DIGITS_CACHE_DIR, else ~/.cache/digit-recognizer."""
    env = os.environ.get("DIGITS_CACHE_DIR")
    return Path(env) if env else Path.home() / ".cache" / "digit-recognizer"


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
# CSV reader


def read_csv(f, name: str, chunk_size: int = _CHUNK) -> tuple[np.ndarray, np.ndarray]:
    """Parse an open binary MNIST CSV stream into `x` uint8 (n, 784) and `labels` uint8 (n,).

    Works on ~`chunk_size` bytes of whole lines at a time, all vectorised; `name` is used in messages.
    Raises DataError (OSError/EOFError/zlib.error from the stream pass through).
    """
    cap = _PAD + chunk_size + _MAX_LINE
    store = bytearray(cap + 1)  # +1: room for the newline added after a last line without one
    buf = np.frombuffer(store, dtype=np.uint8)
    view = memoryview(store)
    buf[:_PAD] = _NL
    rows = _Rows(_estimate_rows(f))
    ws = _Workspace(cap - _PAD)
    fill, eof, first, line_base, header = _PAD, False, True, 0, 0
    while not eof:
        while fill < cap:
            got = f.readinto(view[fill:cap])
            if not got:
                eof = True
                break
            fill += got
        start = _PAD
        if first:
            first = False
            if fill == _PAD:
                raise DataError(f"{name}: the file is empty; expected MNIST rows (a label then 784 pixel values).")
            start, header = _skip_header(store, fill)
            line_base = header
        if eof:
            if fill > start and store[fill - 1] != _NL:
                store[fill] = _NL
                fill += 1
            end = fill
        else:
            end = store.rfind(b"\n", start, fill) + 1
            if end == 0:
                raise DataError(f"{name}, line {line_base + 1}: longer than {_MAX_LINE:,} characters; "
                                "an MNIST row is a label and 784 comma-separated pixel values.")
        if end > start:
            rest = _RestOfStream(store, end, fill, f)
            lines = _parse_region(buf, store, start, end, rows, ws, name, line_base, rest)
            if lines is None:  # only blank lines were left
                break
            line_base += lines
        # Move the incomplete last line to the front; numpy copes with the overlap.
        carry = fill - end
        buf[_PAD:_PAD + carry] = buf[end:fill]
        fill = _PAD + carry
    x, labels = rows.finish()
    if labels.size == 0:
        only = "a header line" if header else "blank lines"
        raise DataError(f"{name}: no digit rows, only {only}; expected rows of a label and 784 pixel values.")
    return x, labels


def _skip_header(store: bytearray, fill: int) -> tuple[int, int]:
    """Start of the data in the first block and the number of lines skipped (0 or 1).

    A first line that does not start with a digit is the header. The byte before the returned start
    is always a newline, which the block parser relies on.
    """
    start = _PAD
    if store[_PAD:_PAD + 3] == b"\xef\xbb\xbf":  # UTF-8 byte-order mark, as some editors write
        start = _PAD + 3
        store[start - 1] = _NL
    if start < fill and not (48 <= store[start] <= 57 or store[start] in b"\r\n"):
        nl = store.find(b"\n", start, fill)
        return (fill if nl < 0 else nl + 1), 1
    return start, 0


class _RestOfStream:
    """Whether all that follows a block (the carried partial line and the unread stream) is blank."""

    def __init__(self, store, end, fill, f):
        self.store, self.end, self.fill, self.f = store, end, fill, f

    def is_blank(self) -> bool:
        if self.store[self.end:self.fill].strip():
            return False
        while piece := self.f.read(1 << 16):
            if piece.strip():
                return False
        return True


def _parse_region(buf, store, start, end, rows, ws, name, line_base, rest) -> int | None:
    """Parse the whole lines store[start:end] into `rows`; return how many lines they were.

    None means the data ended in blank lines (nothing but whitespace follows). The fast path checks
    everything at once; only when it refuses do we look for the first bad line, to name it.
    """
    block = buf
    if store.find(b"\r", start, end) >= 0:
        # \r\n files: dropping each \r before \n keeps the line count, so line numbers stay right.
        text = bytes(store[start:end]).replace(b"\r\n", b"\n")
        block = np.frombuffer(b"\n" * _PAD + text, dtype=np.uint8)
        start, end = _PAD, block.size
    values = _parse_block(block, start, end, ws)
    if values is None:
        return _parse_slowly(block, start, end, rows, ws, name, line_base, rest)
    rows.append(values)
    return values.shape[0]


class _Workspace:
    """Scratch arrays for `_parse_block`, reused for every block of a file.

    Fresh temporaries per block cost more than the arithmetic: the allocator returns them to the OS
    and every block page-faults them back in. With `out=` into these, a block allocates nothing.
    """

    def __init__(self, size: int):
        self.d = np.empty(size + _PAD, dtype=np.uint8)
        self.is_digit = np.empty(size + _PAD, dtype=bool)
        self.is_sep = np.empty(size + _PAD, dtype=bool)
        self.mask = np.empty(size, dtype=bool)
        self.h = np.empty(size, dtype=np.uint8)
        self.v = np.empty(size, dtype=np.uint8)
        self.positions = np.arange(size, dtype=np.int32)  # int32: compress/take run faster than intp
        self.sep = np.empty(size // 2 + 1, dtype=np.int32)  # a field is at least 2 bytes
        self.values = np.empty(size // 2 + 1, dtype=np.uint8)


def _parse_block(w: np.ndarray, start: int, end: int, ws: _Workspace):
    """Field values (m, 785) uint8 of the whole lines w[start:end], or None if anything is off.

    w[start - 1] must not be a digit, and start >= 4. Each field is 1-3 digits, so its value comes
    from the 3 bytes before the separator p that ends it: units at p-1, tens at p-2, hundreds at p-3
    (only when p-1 and p-2 are digits too). All bytes must be digits, commas or newlines, and every
    line has 785 fields. The result is a view of `ws`, valid until its next use.
    """
    n = end - start
    w = w[start - _PAD:end]
    a = w[_PAD:]
    d = np.subtract(w, _ZERO, out=ws.d[:n + _PAD])  # digit values; other bytes wrap round to >= 10
    is_digit = np.less(d, 10, out=ws.is_digit[:n + _PAD])
    is_sep = np.less(w, _ZERO, out=ws.is_sep[:n + _PAD])  # exactly the commas and newlines, once checked
    mask = ws.mask[:n]
    n_nl = np.count_nonzero(np.equal(a, _NL, out=mask))
    n_comma = np.count_nonzero(np.equal(a, _COMMA, out=mask))
    bad_bytes = np.count_nonzero(is_digit[_PAD:]) + n_nl + n_comma != n
    if bad_bytes or n_nl == 0 or n_comma != N_PIXELS * n_nl:
        return None
    sep = np.compress(is_sep[_PAD:], ws.positions[:n], out=ws.sep[:N_FIELDS * n_nl])
    if not (a[sep[N_PIXELS::N_FIELDS]] == _NL).all():  # every line's 785th separator ends it
        return None
    if np.logical_and(is_sep[_PAD:], is_sep[_PAD - 1:-1], out=mask).any():  # an empty field
        return None
    np.logical_and(is_digit[_PAD:], is_digit[_PAD - 1:-1], out=mask)
    mask &= is_digit[_PAD - 2:-2]
    mask &= is_digit[_PAD - 3:-3]
    if mask.any():  # a field of more than 3 digits
        return None
    d *= is_digit.view(np.uint8)  # non-digits count as 0, so short fields need no special case
    # For the field ending before each byte p (read only at separators): 100 h + v, v = 10 t + u.
    three = np.logical_and(is_digit[_PAD - 1:-1], is_digit[_PAD - 2:-2], out=mask)
    h = np.multiply(d[_PAD - 3:-3], three.view(np.uint8), out=ws.h[:n])
    v = np.multiply(d[_PAD - 2:-2], 10, out=ws.v[:n])
    v += d[_PAD - 1:-1]
    # uint8 would wrap above 255, so test first: with h <= 2 and v <= 99, 78 h + v > 211 exactly
    # when 100 h + v > 255, and 78 h + v itself stays below 256.
    if h.max() > 2:
        return None
    check = np.multiply(h, 78, out=ws.d[:n])
    check += v
    if check.max() > 211:
        return None
    h *= 100
    v += h
    values = np.take(v, sep, out=ws.values[:sep.size]).reshape(n_nl, N_FIELDS)
    if values[:, 0].max() > 9:
        return None
    return values


def _parse_slowly(block, start, end, rows, ws, name, line_base, rest) -> None:
    """Find the first bad line of block[start:end], which the fast path refused, and raise its DataError.

    The lines before it go into `rows`. If it and all after it is blank, the file merely ends in blank
    lines: return None. Bisection finds it with ~2x the work of one fast pass, and since a line's
    verdict depends on that line alone, the first line refused on its own is the culprit.
    """
    data = block[start:end].tobytes()
    starts = np.concatenate(([0], np.flatnonzero(block[start:end] == _NL) + 1)) + start  # last = end
    lo, hi = 0, starts.size - 1  # invariant: lines [0, lo) parse, and the first bad line is < hi
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if _parse_block(block, int(starts[lo]), int(starts[mid]), ws) is None:
            hi = mid
        else:
            lo = mid
    if lo > 0:
        rows.append(_parse_block(block, start, int(starts[lo]), ws))
    line = data[starts[lo] - start:starts[lo + 1] - start - 1]
    if not data[starts[lo] - start:].strip() and rest.is_blank():
        return None
    problem = _line_problem(line) or "not a valid MNIST row"
    raise DataError(f"{name}, line {line_base + lo + 1}: {problem}.")


def _line_problem(line: bytes) -> str | None:
    """What is wrong with one CSV line (without its newline), in words; None when it is a valid row."""
    if not line.strip():
        return "empty line; expected a label and 784 pixel values"
    fields = line.split(b",")
    if len(fields) != N_FIELDS:
        return f"{len(fields) - 1} pixel values; {N_PIXELS} expected"
    for col, field in enumerate(fields):
        what = "label" if col == 0 else f"pixel {col}"
        shown = repr(field.decode("latin-1"))
        if not (field.isdigit() and len(field) <= 3):
            limit = "0 to 9" if col == 0 else "0 to 255"
            many = " of at most 3 digits" if field.isdigit() else ""
            return f"{what} {shown} is not a whole number{many} from {limit}"
        value = int(field)
        if col == 0 and value > 9:
            return f"label {value} is outside 0-9"
        if value > 255:
            return f"{what} is {value}; pixel values must be 0-255"
    return None


class _Rows:
    """Growing uint8 output (x, labels); resized in place, so growing or trimming needs no second copy."""

    def __init__(self, capacity: int):
        self.n = 0
        self.x = np.empty((max(capacity, 16), N_PIXELS), dtype=np.uint8)
        self.labels = np.empty(max(capacity, 16), dtype=np.uint8)

    def append(self, values: np.ndarray) -> None:
        m = values.shape[0]
        if self.n + m > self.labels.size:
            size = max(2 * self.labels.size, self.n + m)
            self.x.resize((size, N_PIXELS), refcheck=False)  # no views of x exist while reading
            self.labels.resize(size, refcheck=False)
        self.x[self.n:self.n + m] = values[:, 1:]
        self.labels[self.n:self.n + m] = values[:, 0]
        self.n += m

    def finish(self) -> tuple[np.ndarray, np.ndarray]:
        self.x.resize((self.n, N_PIXELS), refcheck=False)
        self.labels.resize(self.n, refcheck=False)
        return self.x, self.labels


def _estimate_rows(f) -> int:
    """An upper bound on the rows in `f` from its size (no row is shorter than 1,570 bytes)."""
    try:
        if isinstance(f, gzip.GzipFile):
            raw = f.fileobj
            here = raw.tell()
            raw.seek(-4, io.SEEK_END)
            size = int.from_bytes(raw.read(4), "little")  # ISIZE: uncompressed size mod 2**32
            raw.seek(here)
        else:
            size = os.fstat(f.fileno()).st_size
    except (OSError, AttributeError, ValueError):  # e.g. a BytesIO: guess, and grow if needed
        return 1024
    return size // _MIN_ROW_BYTES + 1


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


# ----------------------------------------------------------------------------------------------
# Files: opening, sniffing, IDX


def _open(path: Path):
    """Open `path` for binary reading, through gzip when it starts with the gzip magic bytes."""
    raw = open(path, "rb", buffering=0)
    try:
        magic = raw.read(2)
        raw.seek(0)
    except OSError:
        raw.close()
        raise
    if magic == b"\x1f\x8b":  # by content, not name: some downloads are gzipped without .gz
        raw.close()
        return gzip.open(path, "rb")
    return raw


def _sniff(path: Path) -> str:
    """ "csv", "idx3" (images) or "idx1" (labels), from the first bytes. Raises DataError."""
    try:
        with _open(path) as f:
            head = f.read(4)
    except FileNotFoundError:
        raise DataError(f"{path}: file not found.") from None
    except IsADirectoryError:
        raise DataError(f"{path}: is a folder; expected an MNIST .csv, .csv.gz or IDX file.") from None
    except (OSError, EOFError, zlib.error) as exc:
        raise DataError(f"{path.name}: cannot be read ({_reason(exc)}).") from None
    if not head:
        raise DataError(f"{path.name}: the file is empty; expected MNIST rows (a label then 784 pixel values).")
    if head[:3] == b"\x00\x00\x08" and len(head) == 4 and head[3] in (1, 3):
        return "idx3" if head[3] == 3 else "idx1"
    if head[:2] == b"\x00\x00":
        raise DataError(f"{path.name}: an IDX file of an unsupported kind (type {head[2]:#04x}, "
                        f"{head[3] if len(head) > 3 else '?'} dimensions); expected MNIST images or labels.")
    return "csv"


def _idx_pair(path: Path, kind: str) -> tuple[Path, Path]:
    """(images, labels) paths for an IDX file, finding the partner beside it. Raises DataError."""
    name = path.name
    if kind == "idx3":
        other = name.replace("images", "labels").replace("idx3", "idx1")
    else:
        other = name.replace("labels", "images").replace("idx1", "idx3")
    stem = other[:-3] if other.endswith(".gz") else other
    candidates = [path.with_name(stem), path.with_name(stem + ".gz")]
    found = next((c for c in candidates if c != path and c.is_file()), None)
    if found is None:
        want = "labels" if kind == "idx3" else "images"
        raise DataError(f"{name}: the matching {want} file was not found beside it "
                        f"(looked for {candidates[0].name} and {candidates[1].name}).")
    return (path, found) if kind == "idx3" else (found, path)


def _read_idx_pair(images: Path, labels_path: Path) -> tuple[np.ndarray, np.ndarray]:
    x = _read_idx(images, 3).reshape(-1, N_PIXELS)
    labels = _read_idx(labels_path, 1)
    if labels.size != x.shape[0]:
        raise DataError(f"{labels_path.name}: {labels.size:,} labels for {x.shape[0]:,} images in {images.name}.")
    bad = np.flatnonzero(labels > 9)
    if bad.size:
        raise DataError(f"{labels_path.name}, item {bad[0] + 1}: label {labels[bad[0]]} is outside 0-9.")
    return x, labels


def _read_idx(path: Path, ndim: int) -> np.ndarray:
    """The uint8 array of an IDX file with `ndim` dimensions (images must be 28x28). Raises DataError."""
    try:
        with _open(path) as f:
            head = f.read(4 + 4 * ndim)
            if len(head) < 4 + 4 * ndim or head[:4] != bytes((0, 0, 8, ndim)):
                raise DataError(f"{path.name}: not an MNIST IDX {'images' if ndim == 3 else 'labels'} file "
                                f"(header {head[:4].hex()}; expected {bytes((0, 0, 8, ndim)).hex()}).")
            shape = tuple(int(s) for s in np.frombuffer(head[4:], dtype=">u4"))
            if ndim == 3 and shape[1:] != (28, 28):
                raise DataError(f"{path.name}: images are {shape[1]}x{shape[2]} pixels; 28x28 expected.")
            if shape[0] > _MAX_IDX_ITEMS:  # a damaged header must not ask for terabytes
                raise DataError(f"{path.name}: its header claims {shape[0]:,} items; not an MNIST file.")
            out = np.empty(shape, dtype=np.uint8)
            view = memoryview(out).cast("B")
            got = 0
            while got < out.size:
                step = f.readinto(view[got:])
                if not step:
                    raise DataError(f"{path.name}: truncated: {got:,} of {out.size:,} data bytes.")
                got += step
            if f.read(1):
                raise DataError(f"{path.name}: longer than its header says ({out.size:,} data bytes).")
    except (OSError, EOFError, zlib.error) as exc:
        raise DataError(f"{path.name}: cannot be read ({_reason(exc)}).") from None
    return out


def _first_file(folder: Path, stem: str) -> Path | None:
    for name in (f"{stem}.csv", f"{stem}.csv.gz"):
        if (folder / name).is_file():
            return folder / name
    return None


def _reason(exc: BaseException) -> str:
    if isinstance(exc, EOFError):
        return "the compressed data ends too early"
    if isinstance(exc, (gzip.BadGzipFile, zlib.error)):
        return f"corrupt gzip data: {exc}"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc)


# ----------------------------------------------------------------------------------------------
# Cache: arrays as an .npy pair named after the source path, size and mtime


def _cache_key(sources) -> tuple[Path, str] | None:
    """(folder, file stem) for the cached arrays of `sources`, or None for files too small to bother.

    The stem starts with a hash of the path, so a changed file's old entry can be found and dropped.
    """
    parts, total = [f"v{CACHE_VERSION}"], 0
    for p in sources:
        try:
            st = p.stat()
            parts.append(f"{p.resolve()}|{st.st_size}|{st.st_mtime_ns}")
        except OSError:  # vanished since we looked: reading it will say so
            return None
        total += st.st_size
    if total < _CACHE_MIN_BYTES:
        return None
    path_hash = hashlib.sha256(str(sources[0].resolve()).encode()).hexdigest()[:16]
    version_hash = hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]
    return cache_dir(), f"{path_hash}-{version_hash}"


def _cache_read(key):
    folder, stem = key
    try:
        x = np.load(folder / f"{stem}.x.npy", allow_pickle=False)
        labels = np.load(folder / f"{stem}.labels.npy", allow_pickle=False)
    except Exception:  # a cache must never be why a load fails: anything odd means "rebuild"
        return None
    ok = (x.dtype == np.uint8 and labels.dtype == np.uint8 and x.ndim == 2 and x.shape[1] == N_PIXELS
          and labels.shape == (x.shape[0],) and x.shape[0] > 0 and labels.max() <= 9)
    return (x, labels) if ok else None


def _cache_write(key, x, labels) -> None:
    """Save both arrays atomically and drop older versions of the same source; skip silently on failure."""
    folder, stem = key
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for suffix, arr in ((".labels.npy", labels), (".x.npy", x)):
            write_atomically(folder / f"{stem}{suffix}", lambda f, arr=arr: np.save(f, arr, allow_pickle=False))
        prefix = stem.split("-")[0] + "-"
        for old in folder.glob(prefix + "*.npy"):
            if not old.name.startswith(stem + "."):
                _remove(old)
    except OSError:
        pass


def _remove(path) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass
