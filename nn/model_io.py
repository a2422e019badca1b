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
"""

from __future__ import annotations

import json
import zipfile
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from .activations import HIDDEN_ACTIVATIONS
from .atomic import write_atomically
from .errors import ModelFileError, NNError
from .losses import LOSSES
from .network import N_IN, N_OUT, Network

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

    Everything is checked before a Network is built, so a failed load changes nothing.
    """
    path = Path(path)
    name = path.name
    try:
        if path.is_dir():
            raise ModelFileError(f"{path} is a folder, not a model file.")
        size = path.stat().st_size
    except FileNotFoundError:
        raise ModelFileError(f"{path} does not exist.") from None
    except OSError as exc:
        raise ModelFileError(f"Cannot read {path}: {exc.strerror or exc}.") from None
    if size > MAX_FILE_BYTES:
        raise ModelFileError(f"{name} is {size / 1e9:.1f} GB, too large to be a model of this program.")
    try:
        npz = np.load(path, allow_pickle=False)
        if not isinstance(npz, np.lib.npyio.NpzFile):
            raise ModelFileError(f"{name} is a single NumPy array, not a model (.npz) file.")
        with npz:
            data = {key: npz[key] for key in npz.files}
    except ModelFileError:
        raise
    except ValueError as exc:
        if "pickle" in str(exc).lower():
            raise ModelFileError(f"{name} contains pickled Python objects, which are never loaded (unsafe).") from None
        raise ModelFileError(f"{name} is not a valid model file: {exc}.") from None
    except (zipfile.BadZipFile, EOFError) as exc:
        raise ModelFileError(f"{name} is damaged or truncated ({exc}).") from None
    except OSError as exc:
        raise ModelFileError(f"{name} is not a model file (not an .npz archive): {exc.strerror or exc}.") from None
    except Exception as exc:  # zlib.error, struct.error, ...: a damaged archive in any way
        raise ModelFileError(f"{name} is damaged ({type(exc).__name__}: {exc}).") from None
    return _network_from_arrays(data, name)


def _str(data: dict, key: str, name: str) -> str:
    value = data[key]
    if value.dtype.kind != "U" or value.ndim != 0:
        raise ModelFileError(f"{name}: '{key}' should be a text value.")
    return str(value)


def _network_from_arrays(data: dict, name: str) -> tuple[Network, dict]:
    if "format" not in data or data["format"].dtype.kind != "U" or str(data["format"]) != FORMAT_NAME:
        raise ModelFileError(f"{name} is an .npz file, but not a model saved by this program.")
    missing = [k for k in ("format_version", "sizes", "activations", "loss", "metadata") if k not in data]
    if missing:
        raise ModelFileError(f"{name} is missing {', '.join(missing)}; the file is incomplete.")
    version = data["format_version"]
    if version.dtype.kind not in "iu" or version.ndim != 0:
        raise ModelFileError(f"{name}: format_version should be a whole number.")
    if int(version) > FORMAT_VERSION:
        raise ModelFileError(
            f"{name} uses model format version {int(version)}; this program reads up to version "
            f"{FORMAT_VERSION}. Update the program to open it."
        )
    sizes = data["sizes"]
    if sizes.dtype.kind not in "iu" or sizes.ndim != 1 or len(sizes) < 2:
        raise ModelFileError(f"{name}: 'sizes' should list the layer widths, e.g. [784, 256, 128, 10].")
    sizes = tuple(int(s) for s in sizes)
    if sizes[0] != N_IN or sizes[-1] != N_OUT or min(sizes) < 1:
        raise ModelFileError(f"{name}: a {'-'.join(map(str, sizes))} network; this program needs 784 inputs and 10 outputs.")
    acts = data["activations"]
    if acts.dtype.kind != "U" or acts.ndim != 1 or len(acts) != len(sizes) - 2:
        raise ModelFileError(f"{name}: 'activations' should name one activation per hidden layer.")
    acts = tuple(str(a) for a in acts)
    bad = [a for a in acts if a not in HIDDEN_ACTIVATIONS]
    if bad:
        raise ModelFileError(f"{name}: unknown activation {bad[0]!r} (known: {', '.join(HIDDEN_ACTIVATIONS)}).")
    loss = _str(data, "loss", name)
    if loss not in LOSSES:
        raise ModelFileError(f"{name}: unknown loss {loss!r} (known: {', '.join(LOSSES)}).")
    try:
        meta = json.loads(_str(data, "metadata", name))
        if not isinstance(meta, dict):
            raise ValueError
    except ValueError:
        raise ModelFileError(f"{name}: the metadata is not a JSON object; the file is damaged.") from None
    for l, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:]), start=1):
        for key, shape in ((f"w{l}", (n_in, n_out)), (f"b{l}", (n_out,))):
            if key not in data:
                raise ModelFileError(f"{name} is missing {key}; the file is incomplete.")
            arr = data[key]
            if arr.dtype.kind != "f":
                raise ModelFileError(f"{name}: {key} holds {arr.dtype} values; floating-point numbers expected.")
            if arr.shape != shape:
                raise ModelFileError(f"{name}: {key} has shape {arr.shape}; {shape} expected for these layer sizes.")
            if not np.isfinite(arr).all():
                raise ModelFileError(f"{name}: {key} contains NaN or infinite values; the model is broken.")
    hyper = meta.get("hyperparameters") if isinstance(meta.get("hyperparameters"), dict) else {}
    try:
        net = Network(sizes[1:-1], acts, loss, **_safe_hyper(hyper))
    except NNError:
        net = Network(sizes[1:-1], acts, loss)
    for l in range(1, len(sizes)):
        net.w[l - 1][...] = data[f"w{l}"]
        net.b[l - 1][...] = data[f"b{l}"]
    net.epochs_trained = int(meta.get("epochs_trained", 0) or 0)
    _load_optimizer_state(net, data)
    return net, meta


def _safe_hyper(hyper: dict) -> dict:
    keys = ("optimizer", "lr", "momentum", "weight_decay", "batch_size", "schedule", "seed")
    return {k: hyper[k] for k in keys if k in hyper}


def _load_optimizer_state(net: Network, data: dict) -> None:
    """Restore optimiser state when it matches; anything odd just means a fresh optimiser."""
    if "opt_name" not in data or str(data["opt_name"]) != net.optimizer.name:
        return
    state = {k[4:]: data[k] for k in data if k.startswith("opt_") and k != "opt_name"}
    try:
        for key, value in state.items():
            if value.ndim == 1 and value.shape != net.params.shape:
                return
            if not np.isfinite(value).all():
                return
        net.optimizer.load_state(state)
    except (KeyError, ValueError, TypeError):
        pass


def read_metadata(path) -> dict:
    """Only the metadata of a model file (validates the whole file like load_model)."""
    return load_model(path)[1]


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
