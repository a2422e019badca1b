"""MNIST files to arrays: CSV (.csv/.csv.gz, nn/mnist_csv.py) and IDX files, a disk cache, default paths, splits.

Pixels stay uint8 0-255 here, `x` (n, 784) row-major 28x28, `labels` (n,) uint8 0-9; the network scales
them to float32 [0, 1] per batch. Every problem with a file reaches the caller as a one-line `DataError`
naming the file, the 1-based line (or item) and what was wrong.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import logging
import os
import threading
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import mnist_csv
from .atomic import write_atomically
from .errors import ConfigError, DataError
from .files import file_problem, shown
from .gzip_reader import GzipMembers, TrailingDataError
from .mnist_csv import CSV_HEADER, N_PIXELS, read_csv, save_csv  # noqa: F401 - save_csv, CSV_HEADER: part of this API

log = logging.getLogger(__name__)

ASSETS = Path(__file__).resolve().parent.parent / "assets"
SAMPLE_TRAIN = ASSETS / "mnist_sample_train.csv.gz"
SAMPLE_TEST = ASSETS / "mnist_sample_test.csv.gz"
SAMPLE_SIZES = (6000, 1000)  # rows in the two sample files; tools/make_sample.py writes them
CACHE_VERSION = 3  # bump when the parser's output could change, so old caches are not trusted

_CACHE_MIN_BYTES = 1 << 20  # smaller files parse in milliseconds; caching them only litters the cache
_MAX_IDX_ITEMS = mnist_csv.MAX_DIGITS  # MNIST has 70,000; EMNIST ~800,000


# ----------------------------------------------------------------------------------------------
# Public API


@dataclass(frozen=True)
class DataPaths:
    """Where the training and test files are; `is_sample` is True for the bundled 7,000-digit sample."""

    train: Path
    test: Path
    is_sample: bool
    note: str


def load_mnist(path, cache: bool = True, notes: list | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Read an MNIST file into `x` uint8 (n, 784) and `labels` uint8 (n,).

    Accepts the CSV layout (label then 784 pixels 0-255, optional header line, .csv or .csv.gz,
    \\n or \\r\\n) and IDX images files (`*-images-idx3-ubyte[.gz]`, labels file found beside it; a labels
    file may be given instead). Only regular files are opened (a FIFO would block forever).
    With `cache`, parsed arrays are kept in `cache_dir()` keyed by path, size and modification time,
    with a CRC-32 of each array and a fingerprint of the source (size, times, a hash of its first and
    last 64 KB) beside them, so a second load of the same file is a quick `np.load`. An entry that no
    longer matches is rebuilt, and that is said once: appended to `notes` when given (for a status
    line), else logged as a warning on the "nn.data" logger (main.py prints warnings to stderr).
    Raises DataError naming the file, the line and the problem.
    """
    path = Path(path)
    kind = _sniff(path)
    sources = _idx_pair(path, kind) if kind != "csv" else (path,)
    key = _cache_key(sources) if cache else None
    if key is not None:
        cached, mismatch = _cache_read(key)
        if cached is not None:
            return cached
        if mismatch:
            message = f"The cached copy of {shown(path.name)} {mismatch}; read the file again and rebuilt the cache."
            if notes is not None:
                notes.append(message)
            else:
                log.warning("%s", message)
    if kind == "csv":
        name = shown(path.name)
        try:
            with _open(path) as f:
                _check_csv_size(f, name)
                x, labels = read_csv(f, name)
        except (OSError, EOFError, zlib.error) as exc:
            raise DataError(f"{name}: cannot be read ({_reason(exc)}).") from None
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


def train_val_split(n: int, val_fraction: float, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Seeded random split of range(n) into (train_idx, val_idx), int64 arrays, each sorted.

    The validation part has round(n * val_fraction) items, at least 1 when val_fraction > 0 and n >= 2,
    and the training part keeps at least 1. Raises ConfigError unless 0 <= val_fraction < 1 and n >= 0.
    """
    if not 0.0 <= val_fraction < 1.0:
        raise ConfigError(f"Validation fraction must be at least 0 and below 1 (got {val_fraction}).")
    if n < 0:
        raise ConfigError(f"Number of samples must be at least 0 (got {n}).")
    n_val = round(n * val_fraction)
    if val_fraction > 0 and n >= 2:
        n_val = min(max(n_val, 1), n - 1)
    order = np.random.default_rng(seed).permutation(n)
    # Sorted indices make x[idx] gathers walk memory forwards; the trainer shuffles per epoch anyway.
    return np.sort(order[n_val:]), np.sort(order[:n_val])


def cache_dir() -> Path:
    """The parsed-array cache folder: env DIGITS_CACHE_DIR, else ~/.cache/digit-recognizer."""
    env = os.environ.get("DIGITS_CACHE_DIR")
    return Path(env) if env else Path.home() / ".cache" / "digit-recognizer"




# ----------------------------------------------------------------------------------------------
# Files: opening, sniffing, IDX


def _open(path: Path, what: str = "data file"):
    """Open a regular file for binary reading, through GzipMembers when it starts with the gzip magic.

    Raises DataError (via file_problem) for anything but a regular file, before opening it.
    """
    if (problem := file_problem(path, what)) is not None:
        raise DataError(problem)
    raw = open(path, "rb", buffering=0)  # noqa: SIM115 -- returned open, for the caller's `with`
    try:
        magic = raw.read(2)
        raw.seek(0)
    except OSError:
        raw.close()
        raise
    if magic == b"\x1f\x8b":  # by content, not name: some downloads are gzipped without .gz
        return GzipMembers(raw)
    return raw


def _check_csv_size(f, name: str) -> None:
    """Refuse a CSV whose rows would not fit in memory, before parsing (a row of 785 values is >= 1,570 bytes).

    The size is the file's, or for gzip the length its last member records (a hint: modulo 4 GiB).
    """
    size = f.size_hint() if isinstance(f, GzipMembers) else os.fstat(f.fileno()).st_size
    if problem := mnist_csv.memory_problem(size // 2):
        raise DataError(f"{name}: its rows {problem}; MNIST has 70,000 rows.")


def _sniff(path: Path) -> str:
    """ "csv", "idx3" (images) or "idx1" (labels), from the first bytes. Raises DataError."""
    name = shown(path.name)
    try:
        with _open(path) as f:
            head = f.read(4)
    except (OSError, EOFError, zlib.error) as exc:
        raise DataError(f"{name}: cannot be read ({_reason(exc)}).") from None
    if not head:
        raise DataError(f"{name}: the file is empty; expected MNIST rows (a label then 784 pixel values).")
    if head[:2] == b"\x00\x00" and len(head) < 4:
        raise DataError(f"{name}: too short ({len(head)} bytes) for an IDX file, whose header alone is 8 or 16 bytes.")
    if head[:3] == b"\x00\x00\x08" and head[3] in (1, 3):
        return "idx3" if head[3] == 3 else "idx1"
    if head[:2] == b"\x00\x00":
        raise DataError(f"{name}: an IDX file of an unsupported kind (type {head[2]:#04x}, "
                        f"{head[3]} dimensions); expected MNIST images or labels.")
    return "csv"


def _idx_pair(path: Path, kind: str) -> tuple[Path, Path]:
    """(images, labels) paths for an IDX file, finding the partner beside it. Raises DataError."""
    name = path.name
    if kind == "idx3":
        other = name.replace("images", "labels").replace("idx3", "idx1")
    else:
        other = name.replace("labels", "images").replace("idx1", "idx3")
    stem = other.removesuffix(".gz")
    candidates = [c for c in (path.with_name(stem), path.with_name(stem + ".gz")) if c != path]
    want = "labels" if kind == "idx3" else "images"
    for c in candidates:
        if os.path.lexists(c):  # there, but perhaps a FIFO or a dangling link: say so, never open it
            if (problem := file_problem(c, f"{want} file")) is not None:
                raise DataError(f"{shown(name)}: its {want} file is unusable: {problem}")
            return (path, c) if kind == "idx3" else (c, path)
    raise DataError(f"{shown(name)}: the matching {want} file was not found beside it "
                    f"(looked for {' and '.join(shown(c.name) for c in candidates)}).")


def _read_idx_pair(images: Path, labels_path: Path) -> tuple[np.ndarray, np.ndarray]:
    x = _read_idx(images, 3).reshape(-1, N_PIXELS)
    labels = _read_idx(labels_path, 1)
    lname = shown(labels_path.name)
    if labels.size != x.shape[0]:
        raise DataError(f"{lname}: {labels.size:,} labels for {x.shape[0]:,} images in {shown(images.name)}.")
    bad = np.flatnonzero(labels > 9)
    if bad.size:
        raise DataError(f"{lname}, item {bad[0] + 1}: label {labels[bad[0]]} is outside 0-9.")
    return x, labels


def _read_idx(path: Path, ndim: int) -> np.ndarray:
    """The uint8 array of an IDX file with `ndim` dimensions (images must be 28x28). Raises DataError.

    The item count is checked against MAX_DIGITS and the free memory before the array is allocated.
    """
    name, what = shown(path.name), "images" if ndim == 3 else "labels"
    try:
        with _open(path, f"{what} file") as f:
            head = f.read(4 + 4 * ndim)
            if len(head) < 4 + 4 * ndim:
                raise DataError(f"{name}: truncated: {len(head)} bytes, shorter than the {4 + 4 * ndim}-byte "
                                f"header of an MNIST IDX {what} file.")
            if head[:4] != bytes((0, 0, 8, ndim)):
                raise DataError(f"{name}: not an MNIST IDX {what} file "
                                f"(header {head[:4].hex()}; expected {bytes((0, 0, 8, ndim)).hex()}).")
            shape = tuple(int(s) for s in np.frombuffer(head[4:], dtype=">u4"))
            if ndim == 3 and shape[1:] != (28, 28):
                raise DataError(f"{name}: images are {shape[1]}x{shape[2]} pixels; 28x28 expected.")
            if shape[0] > _MAX_IDX_ITEMS:  # a damaged header must not ask for terabytes
                raise DataError(f"{name}: its header claims {shape[0]:,} items, more than {_MAX_IDX_ITEMS:,}; "
                                "not an MNIST file (MNIST has 70,000).")
            if problem := mnist_csv.memory_problem(int(np.prod(shape))):
                raise DataError(f"{name}: its {shape[0]:,} items {problem}.")
            out = np.empty(shape, dtype=np.uint8)
            view = memoryview(out).cast("B")
            got = 0
            while got < out.size:
                step = f.readinto(view[got:])
                if not step:
                    raise DataError(f"{name}: truncated: {got:,} of {out.size:,} data bytes.")
                got += step
            if f.read(1):
                raise DataError(f"{name}: longer than its header says ({out.size:,} data bytes).")
    except (OSError, EOFError, zlib.error) as exc:
        raise DataError(f"{name}: cannot be read ({_reason(exc)}).") from None
    except MemoryError:
        raise DataError(f"{name}: not enough memory for its {shape[0]:,} items.") from None
    return out


def _first_file(folder: Path, stem: str) -> Path | None:
    for name in (f"{stem}.csv", f"{stem}.csv.gz"):
        if (folder / name).is_file():
            return folder / name
    return None


def _reason(exc: BaseException) -> str:
    if isinstance(exc, TrailingDataError):
        return str(exc)
    if isinstance(exc, EOFError):
        return "the compressed data ends too early"
    if isinstance(exc, (gzip.BadGzipFile, zlib.error)):
        return f"corrupt gzip data: {exc}"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc)


# ----------------------------------------------------------------------------------------------
# Cache: arrays as an .npy pair named after the source path, size and mtime, with a .meta.json
# beside them holding a CRC-32 of each array and a fingerprint of each source.
#
# CRC-32 (zlib) because the cached load must stay quick: it takes ~12 ms over MNIST's 47 MB against
# ~50 ms for blake2b, and it is there to catch damage and edits, not an attacker who can write the cache.


_FINGERPRINT_BLOCK = 1 << 16  # bytes hashed at each end of a source; a file of up to 1 MB is hashed whole
_WHOLE_FILE_BYTES = 1 << 20


def _cache_key(sources):
    """((folder, file stem), fingerprints) for the cached arrays of `sources`, or None for files too small.

    The stem starts with a hash of the path, so a changed file's old entry can be found and dropped.
    """
    parts, prints, total = [f"v{CACHE_VERSION}"], [], 0
    for p in sources:
        try:
            st = p.stat()
            parts.append(f"{p.resolve()}|{st.st_size}|{st.st_mtime_ns}")
            prints.append(_fingerprint(p, st))
        except OSError:  # vanished since we looked: reading it will say so
            return None
        total += st.st_size
    if total < _CACHE_MIN_BYTES:
        return None
    path_hash = hashlib.sha256(str(sources[0].resolve()).encode()).hexdigest()[:16]
    version_hash = hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]
    return (cache_dir(), f"{path_hash}-{version_hash}"), prints


def _fingerprint(path: Path, st: os.stat_result) -> dict:
    """Size, modification and status-change times, and a blake2b of the first and last 64 KB (or all of a
    file of up to 1 MB). ctime cannot be set back by os.utime, so an edit with its mtime restored shows."""
    h = hashlib.blake2b(digest_size=16)
    with open(path, "rb") as f:  # a regular file: _sniff checked it
        if st.st_size <= _WHOLE_FILE_BYTES:
            h.update(f.read())
        else:
            h.update(f.read(_FINGERPRINT_BLOCK))
            f.seek(-_FINGERPRINT_BLOCK, os.SEEK_END)
            h.update(f.read(_FINGERPRINT_BLOCK))
    return {"size": st.st_size, "mtime_ns": st.st_mtime_ns, "ctime_ns": st.st_ctime_ns, "blocks": h.hexdigest()}


def _crc(a: np.ndarray) -> int:
    """CRC-32 of each half of the array's bytes, as one number. The halves run on two threads (zlib
    lets go of the GIL): 6 ms for MNIST's 47 MB instead of 11 ms, on a cached load of about 8 ms."""
    data = memoryview(np.ascontiguousarray(a)).cast("B")
    half = len(data) // 2
    second: list[int] = []
    worker = threading.Thread(target=lambda: second.append(zlib.crc32(data[half:])))
    worker.start()
    first = zlib.crc32(data[:half])
    worker.join()
    return first << 32 | second[0]


def _cache_read(key):
    """((x, labels), None) from a matching entry; (None, None) when there is none; (None, why) when one
    exists but does not match its checksums or its source. Never opens a file that is not regular."""
    (folder, stem), prints = key
    files = {part: folder / f"{stem}.{part}" for part in ("meta.json", "x.npy", "labels.npy")}
    if file_problem(files["meta.json"]) is not None:
        if os.path.lexists(files["meta.json"]):
            return None, "is not a regular file"
        return None, None  # no entry (or one whose writing was interrupted before its checksums)
    try:
        with open(files["meta.json"], "rb") as f:
            meta = json.loads(f.read(1 << 16))
        sources = meta["sources"]
        crcs = meta["x_crc"], meta["labels_crc"]
        same_blocks = [old["blocks"] for old in sources] == [new["blocks"] for new in prints]
    except Exception:  # noqa: BLE001 -- a cache must never be why a load fails: anything odd means "rebuild"
        return None, "has unreadable checksums"
    if sources != prints:
        if same_blocks:  # only ctime moved: a chmod or a restored backup, or an edit in the middle; no alarm
            log.info("cache entry %s: a source's status-change time moved; reading it again", stem)
            return None, None
        return None, "no longer matches the file (changed with its size and modification time kept)"
    arrays = []
    for part in ("x.npy", "labels.npy"):
        if file_problem(files[part]) is not None:
            return None, f"is damaged ({part.split('.')[0]} is missing or not a regular file)"
        try:
            arrays.append(np.load(files[part], allow_pickle=False))
        except Exception:  # noqa: BLE001 -- as above
            return None, "is damaged (not a readable .npy file)"
    x, labels = arrays
    ok = (x.dtype == np.uint8 and labels.dtype == np.uint8 and x.ndim == 2 and x.shape[1] == N_PIXELS
          and labels.shape == (x.shape[0],) and x.shape[0] > 0)
    if not ok or (_crc(x), _crc(labels)) != tuple(crcs):
        return None, "does not match its checksum (the cached arrays were changed or damaged)"
    return (x, labels), None


def _cache_write(key, x, labels) -> None:
    """Save both arrays, then their checksums, atomically, and drop older versions of the same source;
    skip silently on failure (the checksums come last, so an interrupted write is never trusted)."""
    (folder, stem), prints = key
    meta = json.dumps({"sources": prints, "x_crc": _crc(x), "labels_crc": _crc(labels)}).encode()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for suffix, write in ((".labels.npy", lambda f: np.save(f, labels, allow_pickle=False)),
                              (".x.npy", lambda f: np.save(f, x, allow_pickle=False)),
                              (".meta.json", lambda f: f.write(meta))):
            target = folder / f"{stem}{suffix}"
            if os.path.lexists(target) and file_problem(target) is not None:
                _remove(target)  # a FIFO or a dangling link in our own folder: write_atomically would refuse it
            write_atomically(target, write)
        prefix = stem.split("-")[0] + "-"
        for old in [*folder.glob(prefix + "*.npy"), *folder.glob(prefix + "*.meta.json")]:
            if not old.name.startswith(stem + "."):
                _remove(old)
    except OSError:
        pass


def _remove(path) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass
