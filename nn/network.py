"""The network: a 784-...-10 multilayer perceptron with scikit-learn's words
(fit, partial_fit, predict, predict_proba, score) and the README's maths in `forward` and `backward`.

Notation (README): layer l has weights W^l (n_in, n_out) and biases b^l (n_out,);
z^l = a^{l-1} W^l + b^l and a^l = f(z^l); the output layer L uses softmax. The code counts layers
from 0, so `self.w[0]` is the README's W^1 and, in every loop below, code index l is layer l + 1.
Arrays are batch-first: x and every a are (n, width), one row per image.

All parameters live in one flat vector `params`; `w[l]` and `b[l]` are views into it, so an
optimiser updates every layer in one pass. Training (the epoch loop, the optimiser's state, the
fast step of nn/kernel.py, BLAS threads) lives beside the model, in nn/fitting.py.
"""

from __future__ import annotations

import math
from typing import Callable, Iterator, Sequence

import numpy as np

from .activations import get_activation, softmax
from .calibration import Calibration
from .config import N_IN, N_OUT, as_images, check_activations, check_hyperparameters, check_labels, check_layers
from .errors import ConfigError
from .losses import canonical_loss_name, get_loss, one_hot
from .optimizers import check_optimizer


class Network:
    """A 784-...-10 multilayer perceptron: hidden layers with one activation each, softmax output.

    layers: hidden sizes, e.g. (256, 128). activation: a name (relu, sigmoid, tanh) for all hidden
    layers, or one name per hidden layer. loss: cross_entropy or mse. The training settings
    (optimizer sgd/momentum/adam, lr, momentum, weight_decay, batch_size, schedule) are kept for
    fit(), as scikit-learn's estimators keep theirs. Weights start He-initialised before ReLU and
    Glorot-initialised before sigmoid, tanh and the softmax output, from `seed`.
    Raises ConfigError for invalid settings.
    """

    def __init__(self, layers: Sequence[int] = (256, 128), activation: str | Sequence[str] = "relu",
                 loss: str = "cross_entropy", optimizer: str = "adam", lr: float = 1e-3, momentum: float = 0.9,
                 weight_decay: float = 0.0, batch_size: int = 128, schedule: str = "constant",
                 seed: int | None = 0, dtype=np.float32):
        hidden = check_layers(layers)
        self.activations = check_activations(activation, len(hidden))
        check_hyperparameters(lr, momentum, weight_decay, batch_size, schedule, optimizer)
        self.sizes = (N_IN, *hidden, N_OUT)
        self.loss = canonical_loss_name(loss)
        self.optimizer_name = check_optimizer(optimizer)
        self.lr, self.momentum, self.weight_decay = float(lr), float(momentum), float(weight_decay)
        self.batch_size, self.schedule, self.seed = int(batch_size), schedule, seed
        self.dtype = np.dtype(dtype)
        self.params = np.zeros(sum(i * o + o for i, o in self._shapes()), self.dtype)
        self.w, self.b = self.layer_views(self.params)
        rng = np.random.default_rng(seed)
        self._initialise(rng)
        self.epochs_trained = 0
        self.calibration = Calibration()  # what the user is shown: nn/calibration.py
        from .fitting import Fitter  # fitting works on networks; imported here to keep the modules apart

        self.fitter: Fitter | None = Fitter(self, rng)  # None for a read-only snapshot

    def _shapes(self) -> list[tuple[int, int]]:
        return list(zip(self.sizes[:-1], self.sizes[1:]))

    def layer_views(self, flat: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Per-layer (n_in, n_out) and (n_out,) views into a flat vector laid out as w1, b1, w2, b2, ..."""
        w, b, offset = [], [], 0
        for n_in, n_out in self._shapes():
            w.append(flat[offset:offset + n_in * n_out].reshape(n_in, n_out))
            offset += n_in * n_out
            b.append(flat[offset:offset + n_out])
            offset += n_out
        return w, b

    def _initialise(self, rng: np.random.Generator) -> None:
        """He normal (std sqrt(2/n_in)) before ReLU; Glorot uniform (limit sqrt(6/(n_in+n_out))) otherwise."""
        for w, b, kind in zip(self.w, self.b, (*self.activations, "softmax")):
            n_in, n_out = w.shape
            if kind == "relu":
                w[...] = rng.standard_normal((n_in, n_out)) * math.sqrt(2.0 / n_in)
            else:
                limit = math.sqrt(6.0 / (n_in + n_out))
                w[...] = rng.uniform(-limit, limit, (n_in, n_out))
            b[...] = 0

    def hyperparameters(self) -> dict:
        """The settings that rebuild this network (JSON-friendly)."""
        return {"layers": list(self.sizes[1:-1]), "activation": list(self.activations), "loss": self.loss,
                "optimizer": self.optimizer_name, "lr": self.lr, "momentum": self.momentum,
                "weight_decay": self.weight_decay, "batch_size": self.batch_size, "schedule": self.schedule,
                "seed": self.seed}

    # ----- copies ---------------------------------------------------------------------------------
    def copy(self) -> "Network":
        """A writable deep copy: weights, optimiser state, step counters and the shuffling generator."""
        other = Network(**self.hyperparameters(), dtype=self.dtype)
        other.params[...] = self.params
        other.epochs_trained = self.epochs_trained
        other.calibration = self.calibration  # frozen, so shared safely
        if self.fitter is not None:  # a snapshot's copy starts training afresh, from its own seed
            other.fitter = self.fitter.copy_for(other)
        return other

    def snapshot(self) -> "Network":
        """A read-only copy of the weights (writeable off) that predicts like this network and cannot
        train. Cheap: one copy of the flat parameter vector; the trainer hands these to the window."""
        snap = object.__new__(Network)
        snap.__dict__.update(self.__dict__)
        snap.params = self.params.copy()
        snap.params.flags.writeable = False
        snap.w, snap.b = snap.layer_views(snap.params)
        snap.fitter = None
        return snap

    @property
    def read_only(self) -> bool:
        return not self.params.flags.writeable

    @property
    def optimizer(self):
        """The optimiser fit() uses (its state: t, m, v or velocity); None for a snapshot."""
        return None if self.fitter is None else self.fitter.optimizer

    def load_snapshot(self, snap: "Network") -> None:
        """Copy the weights of a network with the same sizes into this one."""
        if tuple(snap.sizes) != tuple(self.sizes):
            raise ConfigError(f"Cannot load weights of a {snap.sizes} network into a {self.sizes} one.")
        self.params[...] = snap.params

    # ----- the README's maths ---------------------------------------------------------------------
    def forward(self, x: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """The forward pass: z^l = a^{l-1} W^l + b^l and a^l = f(z^l), softmax at the output.

        x: (n, 784) of self.dtype. Returns (zs, acts): zs = [z^1, ..., z^L] and
        acts = [a^0 = x, a^1, ..., a^L], each (n, width of its layer); a^L = y_hat is (n, 10).
        """
        zs, acts = [], [x]
        for l, (w, b) in enumerate(zip(self.w, self.b)):
            z = acts[-1] @ w + b
            a = softmax(z) if l == len(self.w) - 1 else get_activation(self.activations[l]).forward(z)
            zs.append(z)
            acts.append(a)
        return zs, acts

    def backward(self, zs: list[np.ndarray], acts: list[np.ndarray], delta: np.ndarray):
        """The backward pass from the output error delta^L = dL/dz^L (n, 10), layer by layer down:

        dL/dW^l = (a^{l-1})^T delta^l,  dL/db^l = 1^T delta^l (the sum over the batch),
        delta^{l-1} = (delta^l (W^l)^T) * f'(z^{l-1}).
        zs, acts: from forward(). Returns (dw, db), lists shaped like w and b.
        """
        dw, db = [None] * len(self.w), [None] * len(self.w)
        for l in range(len(self.w) - 1, -1, -1):
            dw[l] = acts[l].T @ delta
            db[l] = delta.sum(axis=0)
            if l > 0:  # the input layer needs no delta
                f_prime = get_activation(self.activations[l - 1]).derivative
                delta = (delta @ self.w[l].T) * f_prime(zs[l - 1])
        return dw, db

    def gradients(self, x, y) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """(dw, db): the gradient of the batch objective L + (weight_decay / 2) sum |W|^2 at x (n, 784).

        y: one-hot targets (n, 10) or integer labels (n,). Leaves the weights unchanged.
        The output error delta^L comes from the loss (nn/losses.py: cross_entropy_delta, mse_delta).
        """
        x = as_images(x, self.dtype)
        y = np.asarray(y)
        y = y.astype(self.dtype) if y.ndim == 2 else one_hot(check_labels(y, len(x)), N_OUT, self.dtype)
        zs, acts = self.forward(x)
        dw, db = self.backward(zs, acts, get_loss(self.loss).delta(acts[-1], y))
        if self.weight_decay:  # the L2 penalty's gradient lambda W; biases are not decayed
            dw = [d + self.weight_decay * w for d, w in zip(dw, self.w)]
        return dw, db

    # ----- predictions ----------------------------------------------------------------------------
    def forward_activations(self, x) -> list[np.ndarray]:
        """Every layer's activations for x (any image shape): [a^0, ..., a^L], each (n, width)."""
        return self.forward(as_images(x, self.dtype))[1]

    def predict_proba(self, x) -> np.ndarray:
        """Class probabilities y_hat (n, 10) for images x (n, 784), (n, 28, 28), (784,) or (28, 28)."""
        return self.forward_activations(x)[-1]

    def predict(self, x) -> np.ndarray:
        """Predicted digits (n,) int64: the argmax of predict_proba."""
        return self.predict_proba(x).argmax(axis=1)

    def score(self, x, labels, batch: int = 10000) -> float:
        """Accuracy in [0, 1] on images x and integer labels (n,)."""
        return self.evaluate(x, labels, batch)[1]

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

    # ----- training (nn/fitting.py does it) --------------------------------------------------------
    def _fitter(self):
        if self.fitter is None:
            raise ConfigError("This network is a read-only snapshot; train a copy() instead.")
        return self.fitter

    def train_step(self, x_batch, labels_batch, pixels: np.ndarray | None = None) -> float:
        """One gradient step on a batch x (n, 784) float in [0, 1] with labels (n,); returns the loss.
        pixels: see Fitter.step."""
        return self._fitter().step(x_batch, labels_batch, pixels)

    def iter_batches(self, x, labels, augment: Callable | None = None,
                     tune_threads: bool | None = None) -> Iterator[tuple[int, int, float]]:
        """Train one epoch, yielding (batch index, batches, loss) after every step (Fitter.iter_batches)."""
        return self._fitter().iter_batches(x, labels, augment, tune_threads)

    def partial_fit(self, x, labels, augment: Callable | None = None, tune_threads: bool | None = None) -> "Network":
        """Train one epoch over x (n, 784) with integer labels (n,)."""
        for _ in self.iter_batches(x, labels, augment, tune_threads):
            pass
        return self

    def fit(self, x, labels, epochs: int = 10, augment: Callable | None = None,
            tune_threads: bool | None = None) -> "Network":
        """Train `epochs` epochs; a cosine schedule decays over exactly these epochs."""
        self._fitter().fit(x, labels, epochs, augment, tune_threads)
        return self
