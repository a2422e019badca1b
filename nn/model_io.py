"""Model files: a plain .npz of weights, biases and metadata, saved atomically and loaded strictly.

Layout (format "digit-recognizer-model", version 1), every entry a plain NumPy array (no pickles):
    format          0-d str      "digit-recognizer-model"
    format_version  0-d int64    1
    sizes           (L+1,) int64 layer widths, e.g. [784, 256, 128, 10]
    activations     (L-1,) str   hidden activations, e.g. ["relu", "relu"]
    loss            0-d str      "cross_entropy" or "mse"
    w1 .. wL        (n_in, n_out) float32  weights, layer 1 first
    b1 .. bL        (n_out,) float32       biases
    metadata        0-d str      JSON: preprocessing version, training settings, epochs, history,
                                 test accuracy, creation time, ... (free-form, readable by anyone)
    opt_*           optional optimiser state (opt_name, opt_t, opt_m, opt_v or opt_velocity)
    calibration     optional 0-d str JSON: temperature, sure, not_digit_below, close_ratio, fitted_on
                    (nn/calibration.py). Old readers ignore it, so the version stays 1. Missing or
                    invalid (any field) means the default Calibration(); it never refuses the file.
"""

from __future__ import annotations

import json
import math
import stat
import zipfile
import zlib
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from .activations import HIDDEN_ACTIVATIONS
from .atomic import write_atomically
from .calibration import Calibration
from .errors import ModelFileError, NNError
from .losses import LOSSES
from .network import N_IN, N_OUT, Network, check_layers

FORMAT_NAME = "digit-recognizer-model"
FORMAT_VERSION = 1
PREPROCESSING_VERSION = 1
MAX_FILE_BYTES = 2 * 1024**3


def save_model(path, network: Network, metadata: dict | None = None, include_optimizer: bool = True) -> Path:
    """Write `network` to `path` (.npz) atomically: a temporary file in the same folder, then replace.

    An existing file is never left half-written. Returns the path. Raises ModelFileError.
    """
    path = Path(path)
    meta = {
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "preprocessing_version": PREPROCESSING_VERSION,
        "hyperparameters": network.hyperparameters(),
        "epochs_trained": int(getattr(network, "epochs_trained", 0)),
    }
    meta.update(metadata or {})
    try:
        meta_json = json.dumps(meta, default=_json_default, allow_nan=True)
    except (TypeError, ValueError) as exc:
        raise ModelFileError(f"Cannot save {path.name}: metadata is not JSON-friendly ({exc}).") from None
    arrays = {
        "format": np.array(FORMAT_NAME),
        "format_version": np.array(FORMAT_VERSION, dtype=np.int64),
        "sizes": np.array(network.sizes, dtype=np.int64),
        "activations": np.array(network.activations, dtype=str),
        "loss": np.array(network.loss),
        "metadata": np.array(meta_json),
        "calibration": np.array(json.dumps(getattr(network, "calibration", Calibration()).as_dict())),
    }
    for l, (w, b) in enumerate(zip(network.w, network.b), start=1):
        arrays[f"w{l}"] = np.asarray(w, dtype=np.float32)
        arrays[f"b{l}"] = np.asarray(b, dtype=np.float32)
    opt = getattr(network, "optimizer", None)
    if include_optimizer and opt is not None and opt.t > 0:  # a fresh optimiser has nothing to keep
        arrays["opt_name"] = np.array(opt.name)
        for key, value in opt.state().items():
            arrays[f"opt_{key}"] = value
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(path, lambda f: np.savez(f, **arrays))
    except OSError as exc:
        raise ModelFileError(f"Cannot save {path}: {exc.strerror or exc}.") from None
    return path


def load_model(path) -> tuple[Network, dict]:
    """Read and validate a model file; returns (network, metadata). Raises ModelFileError, one line.

    Everything is checked before a Network is built, so a failed load changes nothing. Only the
    entries the format uses are read (others are ignored), each after its uncompressed size has been
    checked against what the layer sizes allow, so a small hostile file cannot use gigabytes.
    The metadata is informational, so an invalid value in it never refuses the file: it is left out
    of the returned metadata (see clean_metadata), and the rest loads.
    """
    path = Path(path)
    name = path.name
    try:
        if path.is_dir():
            raise ModelFileError(f"{path} is a folder, not a model file.")
        st = path.stat()
        if not stat.S_ISREG(st.st_mode):  # a FIFO or a device could block or never end
            raise ModelFileError(f"{path} is not a regular file, so not a model file.")
        with open(path, "rb") as f:
            head = f.read(8)
    except FileNotFoundError:
        raise ModelFileError(f"{path} does not exist.") from None
    except OSError as exc:
        raise ModelFileError(f"Cannot read {path}: {exc.strerror or exc}.") from None
    if st.st_size > MAX_FILE_BYTES:
        raise ModelFileError(f"{name} is {st.st_size / 1e9:.1f} GB, too large to be a model of this program.")
    if not head.startswith((b"PK\x03\x04", b"PK\x05\x06")):  # what np.load takes for a zip (.npz)
        raise ModelFileError(_not_a_zip(name, head))
    try:
        with zipfile.ZipFile(path) as zf:
            return _read_model(zf, name)
    except ModelFileError:
        raise
    except (zipfile.BadZipFile, EOFError, zlib.error) as exc:
        raise ModelFileError(f"{name} is damaged or truncated ({_one_line(exc)}).") from None
    except OSError as exc:
        raise ModelFileError(f"Cannot read {path}: {exc.strerror or _one_line(exc)}.") from None
    except ValueError as exc:  # numpy's header checks, a short array, ...
        if "allow_pickle" in str(exc):  # a backstop: _member refuses object arrays before reading them
            raise ModelFileError(_pickled(name)) from None
        raise ModelFileError(f"{name} is not a valid model file: {_one_line(exc)}.") from None
    except Exception as exc:  # a safety net: a hostile file must never show a traceback
        raise ModelFileError(f"{name} is damaged ({type(exc).__name__}: {_one_line(exc)}).") from None


def _not_a_zip(name: str, head: bytes) -> str:
    if not head:
        return f"{name} is empty, not a model file."
    if head.startswith(b"\x93NUMPY"):
        return f"{name} is a single NumPy array, not a model (.npz) file."
    if head[:1] == b"\x80" and head[1:2] in (b"\x02", b"\x03", b"\x04", b"\x05"):  # pickle protocols 2-5
        return _pickled(name)
    return f"{name} is not a model file (not an .npz archive)."


def _pickled(name: str) -> str:
    return f"{name} contains pickled Python objects, which are never loaded (unsafe)."


def _one_line(exc) -> str:
    return " ".join(str(exc).split())[:300]


# Upper bounds on an entry's uncompressed size (its .npy header included). Weights and optimiser
# arrays get 8 bytes a value (float64 at most) plus room for the header.
_SMALL_ENTRY = 64 * 1024  # format, format_version, sizes, activations, loss, opt_name, opt_t
_METADATA_LIMIT = 16 * 1024**2 + 4096
_HEADER_ROOM = 4096


def _member(zf: zipfile.ZipFile, key: str, limit: int, name: str, bound: str = "a model file allows"):
    """The array stored as `key`.npy, or None when there is none.

    Before anything is decompressed, the entry's uncompressed size must be at most `limit` bytes,
    and the shape in its .npy header must fit in that size (else numpy would allocate what the
    header claims). Raises ModelFileError for either, and for object (pickled) arrays.
    """
    try:
        info = zf.getinfo(key + ".npy")
    except KeyError:
        return None
    if info.file_size > limit:
        raise ModelFileError(f"{name}: {key} is larger than {bound}; the file is damaged.")
    with zf.open(info) as f:
        version = np.lib.format.read_magic(f)
        if version == (1, 0):
            shape, _, dtype = np.lib.format.read_array_header_1_0(f)
        elif version == (2, 0):
            shape, _, dtype = np.lib.format.read_array_header_2_0(f)
        else:  # 3.0 is only for structured dtypes with non-Latin-1 field names, never in a model
            raise ModelFileError(f"{name}: {key} uses .npy version {version}, which model files never use.")
        if dtype.hasobject:
            raise ModelFileError(_pickled(name))
        if min(shape, default=0) < 0 or math.prod(shape) * dtype.itemsize > info.file_size - f.tell():
            raise ModelFileError(f"{name}: {key} holds less data than its header says; the file is damaged.")
        f.seek(0)
        return np.lib.format.read_array(f, allow_pickle=False)


def _str(value: np.ndarray, key: str, name: str) -> str:
    if value.dtype.kind != "U" or value.ndim != 0:
        raise ModelFileError(f"{name}: '{key}' should be a text value.")
    return str(value)


def _read_model(zf: zipfile.ZipFile, name: str) -> tuple[Network, dict]:
    """Validate the entries in order (each size bound follows from `sizes`), then build the Network."""
    fmt = _member(zf, "format", _SMALL_ENTRY, name)
    if fmt is None or fmt.dtype.kind != "U" or fmt.ndim != 0 or str(fmt) != FORMAT_NAME:
        raise ModelFileError(f"{name} is an .npz file, but not a model saved by this program.")
    entries = set(zf.namelist())
    required = ("format_version", "sizes", "activations", "loss", "metadata")
    missing = [k for k in required if k + ".npy" not in entries]
    if missing:
        raise ModelFileError(f"{name} is missing {', '.join(missing)}; the file is incomplete.")
    version = _member(zf, "format_version", _SMALL_ENTRY, name)
    if version.dtype.kind not in "iu" or version.ndim != 0:
        raise ModelFileError(f"{name}: format_version should be a whole number.")
    if int(version) > FORMAT_VERSION:
        raise ModelFileError(
            f"{name} uses model format version {int(version)}; this program reads up to version "
            f"{FORMAT_VERSION}. Update the program to open it."
        )
    if int(version) < 1:
        raise ModelFileError(f"{name}: format_version is {int(version)}, but versions start at 1; the file is damaged.")
    sizes = _member(zf, "sizes", _SMALL_ENTRY, name)
    if sizes.dtype.kind not in "iu" or sizes.ndim != 1 or len(sizes) < 2:
        raise ModelFileError(f"{name}: 'sizes' should list the layer widths, e.g. [784, 256, 128, 10].")
    sizes = tuple(int(s) for s in sizes)
    if sizes[0] != N_IN or sizes[-1] != N_OUT or min(sizes) < 1:
        raise ModelFileError(f"{name}: a {'-'.join(map(str, sizes))} network; this program needs 784 inputs and 10 outputs.")
    try:
        hidden = check_layers(sizes[1:-1])  # before any weights are read: their size bounds follow from these
    except NNError as exc:
        raise ModelFileError(f"{name}: {exc}") from None
    acts = _member(zf, "activations", _SMALL_ENTRY, name)
    if acts.dtype.kind != "U" or acts.ndim != 1 or len(acts) != len(hidden):
        raise ModelFileError(f"{name}: 'activations' should name one activation per hidden layer.")
    acts = tuple(str(a) for a in acts)
    bad = [a for a in acts if a not in HIDDEN_ACTIVATIONS]
    if bad:
        raise ModelFileError(f"{name}: unknown activation {bad[0]!r} (known: {', '.join(HIDDEN_ACTIVATIONS)}).")
    loss = _str(_member(zf, "loss", _SMALL_ENTRY, name), "loss", name)
    if loss not in LOSSES:
        raise ModelFileError(f"{name}: unknown loss {loss!r} (known: {', '.join(LOSSES)}).")
    meta_text = _str(_member(zf, "metadata", _METADATA_LIMIT, name), "metadata", name)
    try:
        meta = json.loads(meta_text)
    except (ValueError, RecursionError):  # RecursionError: JSON nested thousands deep
        meta = None
    if not isinstance(meta, dict):
        raise ModelFileError(f"{name}: the metadata is not a JSON object; the file is damaged.")
    meta = clean_metadata(meta)
    weights = {}
    for l, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:]), start=1):
        for key, shape in ((f"w{l}", (n_in, n_out)), (f"b{l}", (n_out,))):
            arr = _member(zf, key, math.prod(shape) * 8 + _HEADER_ROOM, name, "its layer sizes allow")
            if arr is None:
                raise ModelFileError(f"{name} is missing {key}; the file is incomplete.")
            if arr.dtype.kind != "f":
                raise ModelFileError(f"{name}: {key} holds {arr.dtype} values; floating-point numbers expected.")
            if arr.shape != shape:
                raise ModelFileError(f"{name}: {key} has shape {arr.shape}; {shape} expected for these layer sizes.")
            if not np.isfinite(arr).all():
                raise ModelFileError(f"{name}: {key} contains NaN or infinite values; the model is broken.")
            weights[key] = arr
    net = _build_network(hidden, acts, loss, meta, name)
    for l in range(1, len(sizes)):
        net.w[l - 1][...] = weights[f"w{l}"]
        net.b[l - 1][...] = weights[f"b{l}"]
    with np.errstate(all="ignore"):  # finite weights can still be so large that every output overflows
        probe = net.predict_proba(np.stack([np.zeros(784, np.float32), np.ones(784, np.float32)]))
    if not np.isfinite(probe).all():
        raise ModelFileError(f"{name}: its weights are so large that the network's output is not a number; "
                             "the file is damaged.")
    net.epochs_trained = meta.get("epochs_trained", 0)
    net.calibration = _load_calibration(zf, name)
    _load_optimizer_state(net, zf, name)
    return net, meta


def _build_network(hidden: tuple, acts: tuple, loss: str, meta: dict, name: str) -> Network:
    """The Network with the saved hyperparameters; unusable ones fall back to the defaults."""
    hyper = meta.get("hyperparameters")
    try:
        return Network(hidden, acts, loss, **_safe_hyper(hyper if isinstance(hyper, dict) else {}))
    except (NNError, TypeError, ValueError, OverflowError):
        pass
    try:
        return Network(hidden, acts, loss)
    except NNError as exc:
        raise ModelFileError(f"{name}: {exc}") from None


def _safe_hyper(hyper: dict) -> dict:
    """The saved hyperparameters of the right JSON type (numbers finite, names text); others dropped."""
    kinds = {"optimizer": "name", "schedule": "name", "lr": "number", "momentum": "number",
             "weight_decay": "number", "batch_size": "count", "seed": "seed"}
    out = {}
    for key, kind in kinds.items():
        value = hyper.get(key)
        if key not in hyper or isinstance(value, bool):
            continue  # bool is an int to Python, never a setting here
        if kind == "name":
            ok = isinstance(value, str)
        elif kind == "number":
            ok = isinstance(value, (int, float)) and _finite(value)
        elif kind == "count":
            ok = isinstance(value, int)
        else:
            ok = value is None or (isinstance(value, int) and value >= 0)
        if ok:
            out[key] = value
    return out


def _finite(value) -> bool:
    try:
        return math.isfinite(value)
    except OverflowError:  # an int beyond float range, e.g. 1 followed by 400 zeros
        return False


# ----- metadata: informational, so an invalid value is dropped, never the whole file -----------

MAX_COUNT = 10**9  # epochs, versions, ...: whole numbers from 0 up to this
MAX_TEXT = 10_000  # characters of a text value (a path, a command line, a date)
MAX_DEPTH = 16  # nesting of lists and objects below a top-level key
MAX_HISTORY = 100_000  # epochs in a history (the trainer allows far fewer)


def _number(value, lo: float = -math.inf, hi: float = math.inf) -> bool:
    """A JSON number (not a bool) that is finite (an int beyond float range is not) and in [lo, hi]."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and _finite(value) and lo <= value <= hi


def _whole(value, lo: int = 0, hi: int = MAX_COUNT) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and lo <= value <= hi


def _text(value) -> bool:
    return isinstance(value, str) and len(value) <= MAX_TEXT


def _plain(value, depth: int = 0) -> bool:
    """JSON of at most MAX_DEPTH levels whose numbers are all finite and texts at most MAX_TEXT long."""
    if depth > MAX_DEPTH:
        return False
    if isinstance(value, dict):
        return all(_plain(v, depth + 1) for v in value.values())
    if isinstance(value, list):
        return all(_plain(v, depth + 1) for v in value)
    if isinstance(value, str):
        return len(value) <= MAX_TEXT
    return value is None or isinstance(value, bool) or _number(value)


def _fraction(v) -> bool:
    return _number(v, 0.0, 1.0)


def _loss(v) -> bool:
    return _number(v, 0.0)


def _seconds(v) -> bool:
    return _number(v, 0.0)


def _name_or_names(v) -> bool:
    return _text(v) or (isinstance(v, list) and len(v) <= 1000 and all(_text(a) for a in v))


def _layers(v) -> bool:
    return isinstance(v, list) and len(v) <= 1000 and all(_whole(n, 1) for n in v)


# What each key the programs read must be (README, "Model files"). Other keys are kept when _plain.
_HYPER = {"layers": _layers, "activation": _name_or_names, "loss": _text, "optimizer": _text,
          "schedule": _text, "lr": lambda v: _number(v, 0.0) and v > 0, "momentum": lambda v: _number(v, 0.0, 1.0),
          "weight_decay": lambda v: _number(v, 0.0), "batch_size": lambda v: _whole(v, 1),
          "seed": lambda v: v is None or _whole(v, 0, 2**63 - 1), "epochs": lambda v: _whole(v, 1),
          "augment": lambda v: isinstance(v, bool), "train_limit": lambda v: v is None or _whole(v, 1)}
_EPOCH = {"epoch": lambda v: _whole(v, 1), "train_loss": _loss, "val_loss": _loss, "test_loss": _loss,
          "val_accuracy": _fraction, "test_accuracy": _fraction, "accuracy": _fraction, "seconds": _seconds}
_TOP = {"created": _text, "command": _text, "train_data": _text, "test_data": _text, "source": _text,
        "preprocessing_version": _whole, "epochs_trained": _whole, "epochs": _whole,
        "test_accuracy": _fraction, "accuracy": _fraction, "val_accuracy": _fraction,
        "test_loss": _loss, "val_loss": _loss, "train_loss": _loss, "seconds": _seconds,
        "stopped": lambda v: isinstance(v, bool)}


def _checked(obj: dict, rules: dict, depth: int) -> dict:
    """A new dict of the entries of `obj` (at `depth`) that pass their rule, or _plain without one."""
    return {k: v for k, v in obj.items() if (rules[k](v) if k in rules else _plain(v, depth + 1))}


def clean_metadata(meta: dict) -> dict:
    """The metadata with every invalid value left out; a new dict, `meta` is not changed.

    Rule: metadata is informational, so an invalid value is dropped and the rest of the file loads.
    Valid means: every number finite (JSON's 1e400 reads as inf; an integer like 10^400 is beyond
    float range); accuracies in [0, 1], losses and seconds >= 0, counts whole numbers in
    [0, MAX_COUNT] (an epoch from 1); texts at most MAX_TEXT characters; `hyperparameters` and
    `training` objects, `history` a list (at most MAX_HISTORY) of objects, each checked key by key
    (an entry that is not an object is dropped); nothing nested deeper than MAX_DEPTH.
    """
    out = {}
    for key, value in meta.items():
        if key in ("hyperparameters", "training"):
            if isinstance(value, dict):
                out[key] = _checked(value, _HYPER, 1)
        elif key == "history":
            if isinstance(value, list) and len(value) <= MAX_HISTORY:
                out[key] = [_checked(h, _EPOCH, 2) for h in value if isinstance(h, dict)]
        elif _TOP[key](value) if key in _TOP else _plain(value):
            out[key] = value
    return out


def _load_calibration(zf: zipfile.ZipFile, name: str) -> Calibration:
    """The stored calibration, or the default Calibration() when it is missing or anything in it is
    invalid (oversized, not a JSON object of known fields, a value out of range): the fields were
    fitted together, so one bad field drops them all, and the rest of the file still loads."""
    try:
        value = _member(zf, "calibration", _SMALL_ENTRY, name)
        if value is None or value.dtype.kind != "U" or value.ndim != 0:
            return Calibration()
        fields = json.loads(str(value))
        if not isinstance(fields, dict):
            return Calibration()
        known = Calibration().as_dict()
        return Calibration(**{k: v for k, v in fields.items() if k in known})
    except (NNError, ValueError, TypeError, RecursionError, OverflowError):
        return Calibration()


def _load_optimizer_state(net: Network, zf: zipfile.ZipFile, name: str) -> None:
    """Restore optimiser state when all of it matches; anything odd just means a fresh optimiser.

    Only the entries this optimiser uses are read: t, then velocity (momentum) or m and v (adam),
    each (P,) floating-point, finite, and v non-negative. Oversized entries raise ModelFileError.
    """
    opt = net.optimizer
    opt_name = _member(zf, "opt_name", _SMALL_ENTRY, name)
    if opt_name is None or opt_name.dtype.kind != "U" or opt_name.ndim != 0 or str(opt_name) != opt.name:
        return
    state = {}
    for key in opt.state():
        limit = _SMALL_ENTRY if key == "t" else net.params.size * 8 + _HEADER_ROOM
        value = _member(zf, f"opt_{key}", limit, name, "its layer sizes allow")
        if value is None:
            return
        state[key] = value
    t = state["t"]
    if t.dtype.kind not in "iu" or t.ndim != 0 or int(t) < 0:
        return
    for key, value in state.items():
        if key != "t" and not (value.dtype.kind == "f" and value.shape == net.params.shape
                               and np.isfinite(value).all() and (key != "v" or (value >= 0).all())):
            return
    opt.load_state(state)



def _json_default(obj):
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, (tuple, set)):
        return list(obj)
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"{type(obj).__name__} is not JSON serialisable")
