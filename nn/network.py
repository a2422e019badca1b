"""A fully connected network with scikit-learn's words: fit, partial_fit, predict, predict_proba, score.

Notation (README): layer l has weights w^l (n_in, n_out) and biases b^l (n_out,); z^l = a^{l-1} w^l + b^l
and a^l = f(z^l); the output layer L uses softmax. In code the layers are indexed from 0, so
`self.w[0]` is the README's w^1. Arrays are batch-first: x and every a are (n, width).

All parameters live in one flat vector `params` (and the gradients in `grads`); `w[l]`, `b[l]`,
`dw[l]` and `db[l]` are views into them, so the optimiser updates everything in one pass.
"""

from __future__ import annotations

import copy
import math
import time
from typing import Callable, Hashable, Iterator, Sequence

import numpy as np

from .activations import get_activation
from .blas import tuner_for
from .data import one_hot
from .errors import ConfigError, DataError, TrainingError
from .losses import canonical_loss_name, get_loss
from .memory import aligned_empty, aligned_zeros
from .optimizers import OPTIMIZERS, make_optimizer, scheduled_lr

N_IN = 784
N_OUT = 10
SCHEDULES = ("constant", "cosine")
DENSE_PIXELS = 720  # from this many pixels in use on, leaving out the rest saves less than it costs
MAX_WIDTH = 8192  # wider layers than this are a typo, and would not fit a laptop's memory anyway
SHIFT_RANGE = 60.0  # logits spread less than this can share one shift before exp (e^-60 is still a normal float32)


_ROW_TYPES: dict[int, np.dtype] = {}


def _row_view(a: np.ndarray) -> np.ndarray:
    """A C-contiguous (r, c) array seen as r opaque items of one row each: gathering or scattering
    whole rows through this view is one memcpy per row, faster than NumPy's 2-D fancy indexing."""
    size = a.shape[1] * a.itemsize
    row = _ROW_TYPES.get(size)
    if row is None:
        row = _ROW_TYPES[size] = np.dtype((np.void, size))
    return a.view(row).reshape(-1)


_ONES: dict[tuple[int, np.dtype], np.ndarray] = {}


def _ones(n: int, dtype) -> np.ndarray:
    """A read-only vector of n ones (kept: made once per size): ones @ a sums a's rows or columns."""
    key = (n, np.dtype(dtype))
    ones = _ONES.get(key)
    if ones is None:
        if len(_ONES) > 8:
            _ONES.clear()
        ones = _ONES[key] = np.ones(n, dtype)
        ones.flags.writeable = False
    return ones


_STARTS: dict[int, np.ndarray] = {}


def _row_starts(n: int) -> np.ndarray:
    """0, 10, 20, ...: where each of n rows of 10 outputs starts in the flat array (kept, read-only)."""
    starts = _STARTS.get(n)
    if starts is None:
        if len(_STARTS) > 8:
            _STARTS.clear()
        starts = _STARTS[n] = np.arange(0, n * N_OUT, N_OUT)
        starts.flags.writeable = False
    return starts


def softmax_rows(z: np.ndarray) -> np.ndarray:
    """Softmax of every row of z (n, k), in place; returns z.

    Subtracting a constant from a row leaves its softmax unchanged and keeps e^z from overflowing.
    When the batch's logits all lie within SHIFT_RANGE of each other, one shift by the batch's
    maximum serves every row (two whole-array reductions instead of n short row maxima, the
    slowest part of this function in NumPy); otherwise each row is shifted by its own maximum.
    """
    if z.size == 0:
        return z
    top = np.maximum.reduce(z, axis=None)  # the ufunc itself: z.max() adds a Python layer per call
    if z.dtype.itemsize >= 4 and top - np.minimum.reduce(z, axis=None) <= SHIFT_RANGE:  # (e^-60 is 0 in float16)
        z -= top
    else:  # also NaN/inf logits, which then give NaN probabilities and a non-finite loss
        z -= z.max(axis=1, keepdims=True)
    np.exp(z, out=z)
    z /= np.matmul(z, _ones(z.shape[1], z.dtype))[:, None]  # row sums: BLAS beats sum(axis=1) on short rows
    return z


def check_layers(layers) -> tuple[int, ...]:
    """Hidden sizes as a tuple of positive ints; raises ConfigError for anything else."""
    if isinstance(layers, (int, np.integer)):
        layers = (int(layers),)
    try:
        sizes = tuple(int(s) for s in layers)
        if any(float(s) != int(s) for s in layers):
            raise ValueError
    except (TypeError, ValueError):
        raise ConfigError(f"Hidden layer sizes must be whole numbers like 256,128 (got {layers!r}).")
    for s in sizes:
        if not 1 <= s <= MAX_WIDTH:
            raise ConfigError(f"Each hidden layer needs 1 to {MAX_WIDTH} neurons (got {s}).")
    if len(sizes) > 10:
        raise ConfigError(f"At most 10 hidden layers are supported (got {len(sizes)}).")
    return sizes


def check_hyperparameters(lr, momentum, weight_decay, batch_size, schedule, optimizer) -> None:
    """Raise ConfigError naming the first out-of-range hyperparameter, its value and the valid range."""
    if not (isinstance(lr, (int, float)) and math.isfinite(lr) and 0 < lr <= 100):
        raise ConfigError(f"Learning rate must be greater than 0 and at most 100 (got {lr}).")
    if not (math.isfinite(momentum) and 0 <= momentum < 1):
        raise ConfigError(f"Momentum must be at least 0 and below 1 (got {momentum}).")
    if not (math.isfinite(weight_decay) and 0 <= weight_decay < 1):
        raise ConfigError(f"Weight decay must be at least 0 and below 1 (got {weight_decay}).")
    if not (isinstance(batch_size, (int, np.integer)) and 1 <= batch_size <= 65536):
        raise ConfigError(f"Batch size must be a whole number from 1 to 65536 (got {batch_size}).")
    if schedule not in SCHEDULES:
        raise ConfigError(f"Unknown schedule {schedule!r}; choose one of: {', '.join(SCHEDULES)}.")
    if str(optimizer).lower() not in OPTIMIZERS:
        raise ConfigError(f"Unknown optimizer {optimizer!r}; choose one of: {', '.join(OPTIMIZERS)}.")


def as_images(x, dtype=np.float32) -> np.ndarray:
    """Images to a float batch (n, 784) in [0, 1]: uint8 is divided by 255, floats are taken as they are.

    x: (784,), (28, 28), (n, 784) or (n, 28, 28). Raises DataError for other shapes.
    """
    x = np.asarray(x)
    if x.shape in ((N_IN,), (28, 28)):
        x = x.reshape(1, N_IN)
    elif x.ndim == 3 and x.shape[1:] == (28, 28):
        x = x.reshape(len(x), N_IN)
    elif not (x.ndim == 2 and x.shape[1] == N_IN):
        raise DataError(f"Expected images of 784 pixels (28x28); got an array of shape {x.shape}.")
    if x.dtype == np.uint8:
        dtype = np.dtype(dtype)
        return np.multiply(x, dtype.type(1 / 255), dtype=dtype)
    if x.dtype.kind not in "fiub":
        raise DataError(f"Images must hold numbers; got dtype {x.dtype}.")
    return x.astype(dtype, copy=False)


def check_labels(labels, n: int) -> np.ndarray:
    """Labels as an int64 vector (n,) of digits 0-9; raises DataError otherwise."""
    labels = np.asarray(labels)
    if labels.ndim != 1 or len(labels) != n:
        raise DataError(f"Expected {n} labels, one per image; got an array of shape {labels.shape}.")
    if labels.dtype.kind not in "iu" or (n and (labels.min() < 0 or labels.max() >= N_OUT)):
        raise DataError("Labels must be whole numbers from 0 to 9.")
    return labels.astype(np.int64, copy=False)


def active_pixels(x_batch: np.ndarray) -> np.ndarray | None:
    """The input pixels that are non-zero in some image of the batch (sorted indices), or None when
    nearly all are.

    A pixel that is 0 in every image adds nothing to z^1 = a^0 w^1 + b^1 and gets a zero row in
    dL/dw^1, so training can leave its row of w^1 out of both products. MNIST digits leave about a
    third of the 784 pixels blank in a whole batch of 128, which makes an epoch about 8 % faster.
    x_batch: (n, 784).
    """
    used = np.maximum.reduce(x_batch, axis=0).nonzero()[0]
    return used if len(used) < DENSE_PIXELS else None


class Network:
    """A 784-...-10 multilayer perceptron: hidden layers with one activation each, softmax output.

    layers: hidden sizes, e.g. (256, 128). activation: a name (relu, sigmoid, tanh) for all hidden
    layers, or a sequence with one name per hidden layer. loss: cross_entropy or mse.
    optimizer: sgd, momentum or adam. Weights start He-initialised for ReLU layers and
    Xavier/Glorot-initialised for sigmoid, tanh and the softmax output, from `seed`.
    Raises ConfigError for invalid settings.
    """

    def __init__(
        self,
        layers: Sequence[int] = (256, 128),
        activation: str | Sequence[str] = "relu",
        loss: str = "cross_entropy",
        optimizer: str = "adam",
        lr: float = 1e-3,
        momentum: float = 0.9,
        weight_decay: float = 0.0,
        batch_size: int = 128,
        schedule: str = "constant",
        seed: int | None = 0,
        dtype=np.float32,
    ):
        hidden = check_layers(layers)
        if isinstance(activation, str):
            activation = (activation,) * len(hidden)
        activation = tuple(get_activation(a).name for a in activation)
        if len(activation) != len(hidden):
            raise ConfigError(
                f"Give one activation for all hidden layers or one per layer "
                f"({len(hidden)} layers, got {len(activation)} activations)."
            )
        check_hyperparameters(lr, momentum, weight_decay, batch_size, schedule, optimizer)
        self.sizes = (N_IN, *hidden, N_OUT)
        self.activations = activation
        self.loss = canonical_loss_name(loss)
        self.optimizer_name = str(optimizer).lower()
        self.lr, self.momentum, self.weight_decay = float(lr), float(momentum), float(weight_decay)
        self.batch_size, self.schedule, self.seed = int(batch_size), schedule, seed
        self.dtype = np.dtype(dtype)
        self._allocate()
        self.rng = np.random.default_rng(seed)
        self._initialise(self.rng)
        self.optimizer = make_optimizer(self.optimizer_name, self.params.size, self.dtype, self.momentum)
        self.step_count = 0
        self.total_steps: int | None = None  # set by fit/Trainer so a cosine schedule knows its length
        self.epochs_trained = 0

    # ----- construction ---------------------------------------------------------------------
    def _allocate(self) -> None:
        """One flat vector for all parameters and one for all gradients; w, b, dw, db are views."""
        shapes = list(zip(self.sizes[:-1], self.sizes[1:]))
        total = sum(i * o + o for i, o in shapes)
        self.params = aligned_zeros(total, self.dtype, slot=0)  # see nn/memory.py: streamed together by the optimiser
        self.grads = aligned_zeros(total, self.dtype, slot=1)
        self.w, self.b, self.dw, self.db = [], [], [], []
        offset = 0
        for n_in, n_out in shapes:
            for flat, dst, shape in ((self.params, self.w, (n_in, n_out)), (self.grads, self.dw, (n_in, n_out))):
                dst.append(flat[offset : offset + n_in * n_out].reshape(shape))
            offset += n_in * n_out
            self.b.append(self.params[offset : offset + n_out])
            self.db.append(self.grads[offset : offset + n_out])
            offset += n_out

    def _initialise(self, rng: np.random.Generator) -> None:
        """He normal (std sqrt(2/n_in)) before ReLU; Glorot uniform (limit sqrt(6/(n_in+n_out))) otherwise."""
        kinds = list(self.activations) + ["softmax"]
        for w, b, kind in zip(self.w, self.b, kinds):
            n_in, n_out = w.shape
            if kind == "relu":
                w[...] = rng.standard_normal((n_in, n_out)) * math.sqrt(2.0 / n_in)
            else:
                limit = math.sqrt(6.0 / (n_in + n_out))
                w[...] = rng.uniform(-limit, limit, (n_in, n_out))
            b[...] = 0

    def hyperparameters(self) -> dict:
        """The settings that rebuild this network (JSON-friendly)."""
        return {
            "layers": list(self.sizes[1:-1]),
            "activation": list(self.activations),
            "loss": self.loss,
            "optimizer": self.optimizer_name,
            "lr": self.lr,
            "momentum": self.momentum,
            "weight_decay": self.weight_decay,
            "batch_size": self.batch_size,
            "schedule": self.schedule,
            "seed": self.seed,
        }

    def copy(self) -> "Network":
        """A writable deep copy: weights, optimiser state and step counters."""
        other = Network(**self.hyperparameters(), dtype=self.dtype)
        other.params[...] = self.params
        if self.optimizer is not None:
            other.optimizer.load_state(self.optimizer.state())
        other.step_count, other.total_steps = self.step_count, self.total_steps
        other.epochs_trained = self.epochs_trained
        if self.rng is not None:  # snapshots have no generator: the copy keeps its seeded one
            other.rng = copy.deepcopy(self.rng)  # same shuffles to come; this network's rng untouched
        return other

    def snapshot(self) -> "Network":
        """A read-only copy of the weights (writeable off) that predicts like this network.

        Cheap (one copy of the flat parameter vector); the trainer hands these to the window.
        """
        snap = object.__new__(Network)
        snap.__dict__.update({k: v for k, v in self.__dict__.items()
                              if k not in ("params", "grads", "w", "b", "dw", "db", "optimizer", "rng", "_bufs", "_scratch", "_lit", "_rows", "_tuner")})
        snap.params = self.params.copy()
        snap.params.flags.writeable = False
        snap.grads = np.zeros(0, dtype=self.dtype)
        snap.w, snap.b, snap.dw, snap.db = [], [], [], []
        offset = 0
        for n_in, n_out in zip(self.sizes[:-1], self.sizes[1:]):
            snap.w.append(snap.params[offset : offset + n_in * n_out].reshape(n_in, n_out))
            offset += n_in * n_out
            snap.b.append(snap.params[offset : offset + n_out])
            offset += n_out
        snap.optimizer = None
        snap.rng = None
        return snap

    def drop_buffers(self) -> "Network":
        """Free the arrays kept between training steps (they come back on the next step); returns self."""
        self.__dict__.pop("_bufs", None)
        self.__dict__.pop("_scratch", None)
        return self

    @property
    def read_only(self) -> bool:
        return not self.params.flags.writeable

    def load_snapshot(self, snap: "Network") -> None:
        """Copy the weights of a network with the same sizes into this one."""
        if tuple(snap.sizes) != tuple(self.sizes):
            raise ConfigError(f"Cannot load weights of a {snap.sizes} network into a {self.sizes} one.")
        self.params[...] = snap.params

    # ----- forward ----------------------------------------------------------------------------
    def _forward(self, x: np.ndarray, out: list[np.ndarray] | None = None, pixels: np.ndarray | None = None,
                 masks: list[np.ndarray] | None = None, side: int = 0) -> list[np.ndarray]:
        """[a^0 = x, a^1, ..., a^L] for x (n, 784) of self.dtype; a^L (n, 10) is the softmax output.

        out: optional preallocated (n, width) arrays, one per layer, that receive z and then a
        (training reuses them every step instead of allocating).
        pixels: when given, x is (n, len(pixels)) and holds only these input pixels, the others
        being 0 in every image; z^1 then needs only the matching rows of w^1 (see active_pixels).
        masks: optional (n, width) arrays of self.dtype, one per hidden layer, that receive z > 0
        (as 0/1) of the ReLU layers, so that the backward pass can reuse f'(z) instead of comparing
        again. Float, not bool: multiplying by a float array is 2.5x faster than by a bool one.
        side: which set of scratch arrays to use (training alternates them; see _scratch_array).
        """
        a = x
        acts = [a]
        last = len(self.w) - 1
        for l, (w, b) in enumerate(zip(self.w, self.b)):
            if l == 0 and pixels is not None:
                rows = self._scratch_array(("w_rows", side), (len(pixels), w.shape[1]))
                self._row_views()[0].take(pixels, mode="clip", out=_row_view(rows))  # "clip": no hidden buffer for out
                w = rows
            z = np.matmul(a, w, out=None if out is None else out[l])  # z^{l+1} = a^l w^{l+1} + b^{l+1} (README indices)
            z += b
            if l < last:
                name = self.activations[l]
                if name == "relu":  # max(z, 0) in place (z is not needed again); faster than np.maximum
                    z *= z > 0 if masks is None else np.greater(z, 0, out=masks[l])
                    a = z
                elif name == "tanh":
                    a = np.tanh(z, out=z)
                else:
                    a = get_activation(name).forward(z)
            else:
                a = softmax_rows(z)
            acts.append(a)
        return acts

    def forward_activations(self, x) -> list[np.ndarray]:
        """Every layer's activations for x (any image shape): [a^0, ..., a^L], each (n, width)."""
        return self._forward(as_images(x, self.dtype))

    def predict_proba(self, x) -> np.ndarray:
        """Class probabilities y_hat (n, 10) for images x (n, 784), (n, 28, 28), (784,) or (28, 28)."""
        return self.forward_activations(x)[-1]

    def predict(self, x) -> np.ndarray:
        """Predicted digits (n,) int64: the argmax of predict_proba."""
        return self.predict_proba(x).argmax(axis=1)

    def score(self, x, labels, batch: int = 10000) -> float:
        """Accuracy in [0, 1] on images x and integer labels (n,)."""
        x = np.asarray(x)
        n = len(x)
        labels = check_labels(labels, n)
        correct = sum(int((self.predict(x[i:i + batch]) == labels[i:i + batch]).sum()) for i in range(0, n, batch))
        return correct / max(n, 1)

    def evaluate(self, x, labels, batch: int = 10000) -> tuple[float, float, np.ndarray]:
        """(loss, accuracy, predictions (n,)) on a whole set, in slices so memory stays flat."""
        x = np.asarray(x)
        n = len(x)
        labels = check_labels(labels, n)
        loss_fn = get_loss(self.loss).value
        total, preds = 0.0, np.empty(n, dtype=np.int64)
        for i in range(0, n, batch):
            y_hat = self.predict_proba(x[i:i + batch])
            preds[i:i + batch] = y_hat.argmax(axis=1)
            total += loss_fn(y_hat, one_hot(labels[i:i + batch], N_OUT, y_hat.dtype)) * len(y_hat)
        return total / max(n, 1), float((preds == labels).mean()) if n else 0.0, preds

    # ----- backward ---------------------------------------------------------------------------
    def _backward(self, acts: list[np.ndarray], delta: np.ndarray, out: list[np.ndarray] | None = None,
                  pixels: np.ndarray | None = None, scale: float = 1.0,
                  masks: list[np.ndarray] | None = None, side: int = 0) -> None:
        """Fill dw, db from the output error delta^L = dL/dz^L (n, 10), layer by layer downwards.

        dL/dw^l = (a^{l-1})^T delta^l, dL/db^l = sum over the batch of delta^l,
        delta^{l-1} = (delta^l (w^l)^T) * f'(z^{l-1}), with f' written from a^{l-1}.
        pixels: as in _forward; the rows of dw^1 for the other pixels are 0 (their a^0 is 0).
        scale: the factor delta already carries (the gradients come out times it; see Adam).
        masks: the z > 0 arrays _forward filled for the ReLU layers (f'(z) of ReLU).
        side: which set of scratch arrays to use (see _scratch_array).
        """
        ones = _ones(len(delta), self.dtype)
        for l in range(len(self.w) - 1, -1, -1):
            if l == 0 and pixels is not None:
                self._clear_unlit_rows(pixels)
                rows = self._scratch_array(("rows", side), (len(pixels), delta.shape[1]))
                np.matmul(acts[0].T, delta, out=rows)
                self._row_views()[1][pixels] = _row_view(rows)
            else:
                np.matmul(acts[l].T, delta, out=self.dw[l])
                if l == 0:
                    self._lit = None  # every row of dw^1 may now be non-zero
            np.matmul(ones, delta, out=self.db[l])  # sum over the batch (BLAS is faster than np.sum)
            if l == 0:
                break  # the input needs no delta
            da = np.matmul(delta, self.w[l].T, out=None if out is None else out[l - 1])
            a = acts[l]
            name = self.activations[l - 1]
            if name == "relu":
                da *= a > 0 if masks is None else masks[l - 1]
            else:
                da *= get_activation(name).derivative_from_a(a)
            delta = da
        if self.weight_decay:
            for w, dw in zip(self.w, self.dw):
                dw += (scale * self.weight_decay) * w  # L2 penalty (lambda/2)|w|^2 on weights, not biases
            self._lit = None

    def _row_views(self) -> tuple[np.ndarray, np.ndarray]:
        """w^1 and dw^1 seen as 784 whole rows each (see _row_view), made once."""
        views = self.__dict__.get("_rows")
        if views is None:
            views = self._rows = (_row_view(self.w[0]), _row_view(self.dw[0]))
        return views

    def _clear_unlit_rows(self, pixels: np.ndarray) -> None:
        """Zero the rows of dw^1 outside `pixels` (the batch's blank pixels have no gradient).

        Only rows that an earlier step may have filled need it: self._lit marks them (None: any).
        """
        used = np.zeros(N_IN, bool)
        used[pixels] = True
        lit = self.__dict__.get("_lit")
        if lit is None:
            self.dw[0][~used] = 0
        else:
            stale = (lit > used).nonzero()[0]  # lit before, blank now
            if len(stale):
                self.dw[0][stale] = 0
        self._lit = used

    def _output_delta(self, y_hat: np.ndarray, labels: np.ndarray, scale: float = 1.0) -> tuple[float, np.ndarray]:
        """(batch-mean loss, delta^L times `scale`) for integer labels; cross-entropy takes a fast path."""
        n = len(y_hat)
        if self.loss == "cross_entropy":
            delta = y_hat if y_hat.flags.c_contiguous else np.ascontiguousarray(y_hat)  # reuse the buffer
            flat = delta.reshape(-1)
            at = _row_starts(n) + labels  # flat positions of y_hat[i, labels[i]]
            loss = -float(np.add.reduce(np.log(np.maximum(flat.take(at), 1e-12)))) / n
            delta *= scale / n
            flat[at] -= scale / n  # (y_hat - y) scale / n
            return loss, delta
        y = one_hot(labels, N_OUT, y_hat.dtype)
        fn = get_loss(self.loss)
        delta = fn.delta(y_hat, y)
        if scale != 1.0:
            delta *= scale
        return fn.value(y_hat, y), delta

    def gradients(self, x, y) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """(dw list, db list): gradients of the batch-mean loss at x (n, 784) for targets y.

        y: one-hot (n, 10) or integer labels (n,). Leaves the weights unchanged; for tests.
        """
        x = as_images(x, self.dtype)
        y = np.asarray(y)
        acts = self._forward(x)
        if y.ndim == 2:
            delta = get_loss(self.loss).delta(acts[-1], y.astype(self.dtype))
        else:
            delta = self._output_delta(acts[-1], check_labels(y, len(x)))[1]
        self._backward(acts, delta)
        return [d.copy() for d in self.dw], [d.copy() for d in self.db]

    # ----- training ---------------------------------------------------------------------------
    def train_step(self, x_batch: np.ndarray, labels_batch: np.ndarray, pixels: np.ndarray | None = None) -> float:
        """One gradient step on a batch x (n, 784) float in [0, 1], labels (n,); returns the loss.

        pixels: optional sorted pixel indices (k,) from active_pixels; x_batch is then (n, k), the
        batch's images restricted to those pixels (all others must be 0 in every image).
        """
        if self.read_only:
            raise ConfigError("This network is a read-only snapshot; train a copy() instead.")
        labels_batch = np.asarray(labels_batch)
        if (labels_batch.dtype.kind not in "iu" or labels_batch.shape != (len(x_batch),) or (len(labels_batch) and (
                np.minimum.reduce(labels_batch) < 0 or np.maximum.reduce(labels_batch) >= N_OUT))):
            labels_batch = check_labels(labels_batch, len(x_batch))  # raises DataError saying what is wrong
        side = self.step_count & 1  # which of the two sets of scratch arrays: see _scratch_array
        z_bufs, da_bufs, masks = self._buffers(len(x_batch))
        acts = self._forward(x_batch, z_bufs, pixels, masks, side)
        scale = self.optimizer.grad_scale  # the optimiser wants kappa g; delta is linear in g, so scale it
        loss, delta = self._output_delta(acts[-1], labels_batch, scale)
        self._backward(acts, delta, da_bufs, pixels, scale, masks, side)
        lr = scheduled_lr(self.lr, self.schedule, self.step_count, self.total_steps)
        self.optimizer.step(self.params, self.grads, lr)
        self.step_count += 1
        return loss

    def _buffers(self, n: int) -> tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray]]:
        """Reusable per-layer arrays for a batch of n: z/a of every layer, da of every hidden layer,
        and z > 0 as 0/1 of every hidden layer (used by ReLU layers)."""
        cache = self.__dict__.setdefault("_bufs", {})
        if n not in cache:
            if len(cache) > 2:  # full batches and the last, shorter one; anything else is rare
                cache.clear()
            hidden = self.sizes[1:-1]
            cache[n] = ([aligned_empty((n, o), self.dtype, slot=l) for l, o in enumerate(self.sizes[1:])],
                        [aligned_empty((n, h), self.dtype, slot=l + 3) for l, h in enumerate(hidden)],
                        [aligned_empty((n, h), self.dtype, slot=l + 6) for l, h in enumerate(hidden)])
        return cache[n]

    def _scratch_array(self, name: Hashable, shape: tuple[int, ...]) -> np.ndarray:
        """A C-contiguous array of `shape` in a buffer kept for reuse under `name`.

        Training needs a few large arrays whose size changes from batch to batch (the lit pixels);
        allocating them afresh costs page faults that can double a step on these machines.
        The rows of w^1 and dw^1 come in two sets (names ("w_rows", side) and ("rows", side), side =
        the step's parity) used on alternate steps: the other core's BLAS thread reads or writes
        them during the products, and rewriting the same cache lines in the very next step waits
        for that core to let go of them. Measured: 2 % faster per step when the machine is busy,
        the same when it is quiet.
        """
        scratch = self.__dict__.setdefault("_scratch", {})
        size = math.prod(shape)
        buf = scratch.get(name)
        if buf is None or buf.size < size:
            buf = scratch[name] = aligned_empty(max(size, 1), self.dtype, slot=len(scratch))
        return buf[:size].reshape(shape)

    def iter_batches(self, x, labels, augment: Callable | None = None,
                     tune_threads: bool | None = None) -> Iterator[tuple[int, int, float]]:
        """Train one epoch, yielding (batch index, batches, loss) after every step.

        x: (n, 784) uint8 0-255 (converted per batch, so the set stays small) or float in [0, 1].
        augment: optional f(x_batch, rng) applied to each batch as stored (uint8 or float) that
        returns the float batch (n, 784) in [0, 1], or a pair (values (n, k), pixels (k,)) as
        augment_batch(..., pixels=True) does (see train_step).
        tune_threads: let nn/blas.py run the BLAS on 1 thread while that is faster than all of them
        (a busy machine). None: only when called from the main thread with no other Python threads
        running; True: also otherwise, for a caller that knows no other thread multiplies matrices
        meanwhile; False: never. All threads are back when the epoch ends (or this generator is
        closed: one left half-consumed keeps the count it was at).
        Raises TrainingError when the loss stops being finite.
        """
        x = np.asarray(x)
        if x.ndim == 3:
            x = x.reshape(len(x), -1)
        n = len(x)
        if x.ndim != 2 or x.shape[1] != N_IN or n == 0:
            raise DataError(f"Expected a non-empty set of 784-pixel images; got shape {x.shape}.")
        labels = check_labels(labels, n)
        order = self.rng.permutation(n)
        plain = augment is None and x.dtype == np.uint8
        batch = np.empty((self.batch_size, N_IN), np.uint8) if plain else None  # the plain path's gather target
        tuner = tuner_for(self, tune_threads, key=(self.batch_size, augment is None))
        if tuner is None:
            yield from self._epoch(x, labels, augment, order, plain, batch)
            return
        tuner.start()
        try:
            yield from self._epoch(x, labels, augment, order, plain, batch, tuner)
        finally:
            tuner.stop()

    def _epoch(self, x, labels, augment, order, plain, batch, tuner=None) -> Iterator[tuple[int, int, float]]:
        """iter_batches' loop (its arguments checked and prepared)."""
        bs = self.batch_size
        batches = -(-len(x) // bs)
        scale = self.dtype.type(1 / 255)
        clock = time.perf_counter
        for i in range(batches):
            started = clock()
            idx = order[i * bs:(i + 1) * bs]
            # Gathering per batch beats shuffling a copy of the whole set.
            xb = x.take(idx, axis=0, mode="clip", out=batch[:len(idx)]) if plain else x[idx]
            pixels = None
            if augment is not None:
                xb = augment(xb, self.rng)
                if isinstance(xb, tuple):
                    xb, pixels = xb
                xb = xb.astype(self.dtype, copy=False)
            elif xb.dtype == np.uint8:
                pixels = active_pixels(xb)
                if pixels is not None:
                    xb = xb[:, pixels]
                # A fresh array, not a reused one: in a reused buffer the writes meet cache lines the
                # other core's BLAS thread has just read, which made this 2-5x slower on these machines.
                xb = xb.astype(self.dtype)
                xb *= scale
            else:
                xb = xb.astype(self.dtype, copy=False)
            loss = self.train_step(xb, labels[idx], pixels)
            if tuner is not None:
                tuner.step(clock() - started)
            if not math.isfinite(loss):
                raise TrainingError(
                    f"The loss became {loss} at batch {i + 1} of epoch {self.epochs_trained + 1}: "
                    f"training diverged. Lower the learning rate (now {self.lr:g}) and start again."
                )
            yield i, batches, loss
        self.epochs_trained += 1

    def partial_fit(self, x, labels, augment: Callable | None = None, tune_threads: bool | None = None) -> "Network":
        """Train one epoch over x (n, 784) with integer labels (n,) (see iter_batches)."""
        for _ in self.iter_batches(x, labels, augment, tune_threads):
            pass
        return self

    def fit(self, x, labels, epochs: int = 10, augment: Callable | None = None,
            tune_threads: bool | None = None) -> "Network":
        """Train `epochs` epochs; a cosine schedule decays over exactly these epochs."""
        if not (isinstance(epochs, (int, np.integer)) and 1 <= epochs <= 10000):
            raise ConfigError(f"Epochs must be a whole number from 1 to 10000 (got {epochs}).")
        self.total_steps = self.step_count + epochs * -(-len(x) // self.batch_size)
        for _ in range(epochs):
            self.partial_fit(x, labels, augment, tune_threads)
        return self

