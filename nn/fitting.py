"""Training a Network: the epoch loop, the optimiser and its state, the learning-rate schedule,
the gradient arrays, the BLAS thread count. The network itself is only the model.

Two paths compute the same step (tests/test_kernel.py proves it): `reference_step`, which is the
README's maths through Network.forward / backward and optimizers.py, and nn/kernel.py's FastStep,
which training uses unless `Fitter.fast` is False (`python main.py train --reference`).
"""

from __future__ import annotations

import copy
import math
import time
from typing import Callable, Iterator

import numpy as np

from .blas import tuner_for
from .config import N_IN, N_OUT, check_epochs, check_labels
from .errors import DataError, TrainingError
from .kernel import FAST_OPTIMIZERS, FastStep, active_pixels
from .losses import get_loss, one_hot
from .optimizers import OPTIMIZERS, make_optimizer, scheduled_lr


def reference_step(net, optimizer, grads, dw, db, x, y, lr: float, n_reported: int | None = None) -> float:
    """One step of gradient descent, as the README writes it; returns the batch loss L.

    x (n, 784) float in [0, 1]; y (n, 10) targets: one-hot for a digit (uniform, 1/10 each, for a
    non-digit: outlier exposure). dw, db: views of the flat `grads` (P,), which the optimiser reads.
    The optimiser changes net.params in place. The loss returned is that of the first n_reported
    rows (the digits; all rows by default).
    """
    zs, acts = net.forward(x)  # z = a W + b, a = f(z), softmax at the output
    loss_fn = get_loss(net.loss)
    loss = loss_fn.value(acts[-1][:n_reported], y[:n_reported])
    delta = loss_fn.delta(acts[-1], y)  # delta^L: (y_hat - y) / n for cross-entropy
    dw_l, db_l = net.backward(zs, acts, delta)
    for l, w in enumerate(net.w):
        dw[l][...] = dw_l[l] + net.weight_decay * w  # L2: the penalty (lambda/2)|W|^2 adds lambda W
        db[l][...] = db_l[l]
    optimizer.step(net.params, grads, lr)  # w <- w - lr g (or momentum, Adam)
    return loss


def targets(labels: np.ndarray, n_outliers: int = 0, dtype=np.float32) -> np.ndarray:
    """y (n + n_outliers, 10): one-hot rows for the digits' labels, then rows of 1/10 for the
    non-digit images that follow them (outlier exposure: "none of these" is the uniform answer)."""
    y = one_hot(labels, N_OUT, dtype)
    if n_outliers:
        y = np.vstack([y, np.full((n_outliers, N_OUT), 1 / N_OUT, dtype)])
    return y


class Fitter:
    """Trains `network` in place with mini-batch gradient descent; Network.fit uses one.

    Reads the network's training settings (optimizer_name, lr, momentum, weight_decay, batch_size,
    schedule) and owns what training needs beside the model: the optimiser, the step counters,
    the shuffling generator `rng`, the gradients, the fast step and the BLAS thread tuner.
    fast: use nn/kernel.py (the default) or reference_step.
    """

    def __init__(self, network, rng: np.random.Generator, fast: bool = True):
        self.net, self.rng = network, rng
        self.grads = np.zeros_like(network.params)
        self.dw, self.db = network.layer_views(self.grads)
        self.fast = fast
        self.optimizer = self.new_optimizer(network.optimizer_name)
        self.kernel = FastStep(network, self.grads, self.dw, self.db)
        self.step_count = 0
        self.total_steps: int | None = None  # set by fit/Trainer so a cosine schedule knows its length
        self.tuner = None
        self.nondigits, self.per_batch = None, 0  # see expose()

    def new_optimizer(self, name: str):
        """A fresh optimiser `name` for this network, of the kind the chosen path uses."""
        registry = FAST_OPTIMIZERS if self.fast else OPTIMIZERS
        return make_optimizer(name, self.net.params.size, self.net.dtype, self.net.momentum, registry)

    def set_fast(self, fast: bool) -> None:
        """Switch between the fast and the reference path; the optimiser's state carries over."""
        if fast != self.fast:
            state = self.optimizer.state()
            self.fast = fast
            self.optimizer = self.new_optimizer(self.optimizer.name)
            self.optimizer.load_state(state)

    def new_run(self, restart_optimizer: bool = False, total_steps: int | None = None) -> None:
        """Start a run of `total_steps` steps (for the schedule) from step 0; a fresh optimiser of the
        network's optimizer_name when asked (its settings changed), else the state goes on."""
        if restart_optimizer:
            self.optimizer = self.new_optimizer(self.net.optimizer_name)
        self.step_count, self.total_steps = 0, total_steps

    def copy_for(self, network) -> "Fitter":
        """This fitter's state (optimiser, counters, generator) for a copy of its network."""
        other = Fitter(network, copy.deepcopy(self.rng), self.fast)
        other.optimizer.load_state(self.optimizer.state())
        other.step_count, other.total_steps = self.step_count, self.total_steps
        return other

    def step(self, x_batch: np.ndarray, labels_batch, pixels: np.ndarray | None = None, outliers: int = 0) -> float:
        """One gradient step on x (n, 784) float in [0, 1] and labels (n - outliers,); returns the loss
        of the digits.

        pixels: optional sorted pixel indices (k,) from kernel.active_pixels; x_batch is then (n, k),
        the images restricted to those pixels (all others must be 0 in every image).
        outliers: how many of the last rows of x_batch are non-digit images (target: uniform).
        """
        labels_batch = check_labels(labels_batch, len(x_batch) - outliers)
        y = targets(labels_batch, outliers, self.net.dtype)
        lr = scheduled_lr(self.net.lr, self.net.schedule, self.step_count, self.total_steps)
        if self.fast:
            loss = self.kernel(x_batch, y, pixels, self.optimizer, lr, len(labels_batch))
        else:
            if pixels is not None:  # the readable path takes whole images
                full = np.zeros((len(x_batch), N_IN), self.net.dtype)
                full[:, pixels] = x_batch
                x_batch = full
            loss = reference_step(self.net, self.optimizer, self.grads, self.dw, self.db, x_batch, y, lr,
                                  len(labels_batch))
        self.step_count += 1
        return loss

    def expose(self, nondigits: np.ndarray | None, per_batch: int = 0) -> None:
        """Outlier exposure (Hendrycks et al., 2019): add `per_batch` images drawn from `nondigits`
        ((m, 784), stored like the training set) to every batch, with the uniform target, so that
        the network learns to answer "none of these" with low confidence. None turns it off."""
        self.nondigits, self.per_batch = (None, 0) if nondigits is None or not per_batch else (nondigits, per_batch)

    def iter_batches(self, x, labels, augment: Callable | None = None,
                     tune_threads: bool | None = None) -> Iterator[tuple[int, int, float]]:
        """Train one epoch, yielding (batch index, batches, loss) after every step.

        x: (n, 784) uint8 0-255 (converted per batch, so the set stays small) or float in [0, 1].
        augment: optional f(x_batch, rng) applied to each batch as stored (uint8 or float) that
        returns the float batch (n, 784) in [0, 1], or a pair (values (n, k), pixels (k,)) as
        augment_batch(..., pixels=True) does (see step).
        tune_threads: let nn/blas.py run the BLAS on 1 thread while that is faster than all of them
        (a busy machine). None: only when called from the main thread with no other Python threads
        running; True: also otherwise, for a caller that knows no other thread multiplies matrices
        meanwhile; False: never. All threads are back when the epoch ends (or this generator is
        closed). Raises TrainingError when the loss stops being finite.
        """
        x = np.asarray(x)
        if x.ndim == 3:
            x = x.reshape(len(x), -1)
        if x.ndim != 2 or x.shape[1] != N_IN or len(x) == 0:
            raise DataError(f"Expected a non-empty set of 784-pixel images; got shape {x.shape}.")
        labels = check_labels(labels, len(x))
        order = self.rng.permutation(len(x))
        tuner = tuner_for(self.tuner, tune_threads, key=(self.net.batch_size, augment is None))
        if tuner is None:  # this epoch untuned; what the last tuner learnt is kept for the next one
            yield from self._epoch(x, labels, augment, order)
            return
        self.tuner = tuner
        tuner.start()
        try:
            yield from self._epoch(x, labels, augment, order, tuner)
        finally:
            tuner.stop()

    def _batch(self, x, idx, augment):
        """(float batch, pixels or None, outliers) for the images x[idx] (and the non-digits of
        expose(), after them), as step() takes them."""
        xb = x[idx]  # gathering per batch beats shuffling a copy of the whole set
        outliers = 0
        if self.nondigits is not None:
            outliers = self.per_batch
            xb = np.concatenate([xb, self.nondigits[self.rng.integers(len(self.nondigits), size=outliers)]])
        if augment is not None:
            xb = augment(xb, self.rng)
            xb, pixels = xb if isinstance(xb, tuple) else (xb, None)
            return xb.astype(self.net.dtype, copy=False), pixels, outliers
        if xb.dtype != np.uint8:
            return xb.astype(self.net.dtype, copy=False), None, outliers
        pixels = active_pixels(xb) if self.fast else None
        if pixels is not None:
            xb = xb[:, pixels]
        xb = xb.astype(self.net.dtype)
        xb *= self.net.dtype.type(1 / 255)
        return xb, pixels, outliers

    def _epoch(self, x, labels, augment, order, tuner=None) -> Iterator[tuple[int, int, float]]:
        bs = self.net.batch_size
        batches = -(-len(x) // bs)
        for i in range(batches):
            started = time.perf_counter()
            idx = order[i * bs:(i + 1) * bs]
            xb, pixels, outliers = self._batch(x, idx, augment)
            loss = self.step(xb, labels[idx], pixels, outliers)
            if tuner is not None:
                tuner.step(time.perf_counter() - started)
            if not math.isfinite(loss):
                raise TrainingError(
                    f"The loss became {loss} at batch {i + 1} of epoch {self.net.epochs_trained + 1}: "
                    f"training diverged. Lower the learning rate (now {self.net.lr:g}) and start again."
                )
            yield i, batches, loss
        self.net.epochs_trained += 1

    def fit(self, x, labels, epochs: int = 10, augment: Callable | None = None,
            tune_threads: bool | None = None) -> None:
        """Train `epochs` epochs; a cosine schedule decays over exactly these epochs."""
        epochs = check_epochs(epochs)
        self.total_steps = self.step_count + epochs * -(-len(x) // self.net.batch_size)
        for _ in range(epochs):
            for _ in self.iter_batches(x, labels, augment, tune_threads):
                pass
