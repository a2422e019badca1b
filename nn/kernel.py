"""The fast training step: the same step as `fitting.reference_step`, computed with fewer passes.

Training uses this by default (Fitter(fast=True)); tests/test_kernel.py proves that one step of it
gives the same parameters as one step of the readable path, for every activation, loss, optimiser
and weight decay, and checks its gradients by finite differences.

Each trick here stays because it was measured to save at least 3 % of a training step (an epoch
of `benchmarks/train_speed.py` is 469 of them and little else) for its network (784-256-128-10, ReLU, Adam, batch 128, MNIST; the same
process timing 50-step chunks of each variant in turn); the figure is in its docstring. Measured
and left out, each under 3 %: keeping the z/a/delta arrays between steps (1.0 %), cross-entropy's
delta computed in place from the labels (1.2-2.5 %), arrays placed on staggered cache lines (2.4 %),
bias gradients as a product with a vector of ones (1.1 %), whole-row copies of W^1 through void
views (0 %), one softmax shift for the whole batch (0.6 %), ReLU masks kept as floats (0 %).
"""

from __future__ import annotations

import math

import numpy as np

from .activations import get_activation
from .losses import get_loss
from .optimizers import OPTIMIZERS

DENSE_PIXELS = 720  # from this many lit pixels on, leaving out the rest saves less than it costs


def active_pixels(x_batch: np.ndarray) -> np.ndarray | None:
    """The input pixels that are non-zero in some image of the batch (sorted indices), or None when
    nearly all are.

    A pixel that is 0 in every image adds nothing to z^1 = a^0 W^1 + b^1 and gets a zero row in
    dL/dW^1, so the step can leave its row of W^1 out of both products. MNIST digits leave about
    a third of the 784 pixels blank in a whole batch of 128. Measured: a step is 9-16 % faster.
    x_batch: (n, 784).
    """
    used = x_batch.max(axis=0).nonzero()[0]
    return used if len(used) < DENSE_PIXELS else None


def softmax_rows(z: np.ndarray) -> np.ndarray:
    """Softmax of every row of z (n, k), in place; returns z. Shifting a row by its maximum leaves
    its softmax unchanged and keeps e^z from overflowing (activations.softmax, without copies)."""
    if z.size == 0:
        return z
    z -= z.max(axis=1, keepdims=True)
    np.exp(z, out=z)
    z /= z.sum(axis=1, keepdims=True)
    return z


class ScaledAdam:
    """Adam with the same state and the same steps as optimizers.Adam, in nine passes over the
    parameters instead of the dozen of the textbook form: the update is memory-bound, so passes
    are what it costs. Measured: a step with optimizers.Adam takes 1.59x as long; Adam's in-place
    twelve-pass form (the paper's own "more efficient" order) costs 75 us a step more, 7 %.

    It keeps M = kappa m / (1 - beta1) and V = kappa^2 v / (1 - beta2) for a number kappa that
    grows by 1/beta1 every step, and takes the gradient already multiplied by kappa (`grad_scale`),
    which FastStep folds into its output error delta^L for free (everything below delta^L is linear
    in it). Then m's update is the single addition M <- M + kappa g, v's is
    V <- (beta2 / beta1^2) V + (kappa g)^2, and the step is w <- w - C M / (sqrt(V) + e), where the
    numbers C and e absorb kappa, the bias corrections and lr. Every few dozen steps kappa returns
    to 1 (one more pass that step) so that V cannot overflow. state() and load_state() use the
    textbook m and v, so model files do not depend on which Adam trained them.
    """

    name = "adam"
    KAPPA_LIMIT = 64.0  # return kappa to 1 beyond this: V holds kappa^2 v, which must stay finite

    def __init__(self, size: int, dtype=np.float32, beta1=0.9, beta2=0.999, eps=1e-8):
        self.t = 0
        self.beta1, self.beta2, self.eps = beta1, beta2, eps
        self.M = np.zeros(size, dtype)
        self.V = np.zeros(size, dtype)
        self.tmp = np.empty(size, dtype)
        self.kappa = 1.0  # the scale of the stored M and V

    @property
    def grad_scale(self) -> float:
        """The factor kappa the next step's gradient must already carry (grads = kappa g)."""
        return 1.0 if self.kappa >= self.KAPPA_LIMIT else self.kappa / self.beta1

    def step(self, params, grads, lr: float) -> None:
        """Update params (P,) in place from grads (P,) = grad_scale * g."""
        self.t += 1
        b1, b2, tmp, M, V = self.beta1, self.beta2, self.tmp, self.M, self.V
        kappa = self.grad_scale
        if self.kappa >= self.KAPPA_LIMIT:
            M *= b1 * kappa / self.kappa  # M to the new, smaller scale
        M += grads  # M_t = (b1 kappa_t / kappa_{t-1}) M_{t-1} + kappa_t g, the factor being 1
        np.multiply(grads, grads, out=tmp)
        V *= b2 * (kappa / self.kappa) ** 2
        V += tmp
        self.kappa = kappa
        # lr m_hat / (sqrt(v_hat) + eps) = C M / (sqrt(V) + e), with c = sqrt((1 - b2) / (1 - b2^t)):
        c = math.sqrt((1 - b2) / (1 - b2**self.t))
        C = lr * (1 - b1) / ((1 - b1**self.t) * c)
        np.sqrt(V, out=tmp)
        tmp += self.eps * kappa / c
        np.divide(M, tmp, out=tmp)
        tmp *= C
        params -= tmp

    @property
    def m(self) -> np.ndarray:
        """The textbook first moment m (a copy)."""
        return self.M * ((1 - self.beta1) / self.kappa)

    @property
    def v(self) -> np.ndarray:
        """The textbook second moment v (a copy)."""
        return self.V * ((1 - self.beta2) / self.kappa**2)

    def state(self) -> dict:
        return {"t": np.asarray(self.t, dtype=np.int64), "m": self.m, "v": self.v}

    def load_state(self, state: dict) -> None:
        self.t = int(state["t"])
        self.kappa = 1.0
        self.M[...] = state["m"] / (1 - self.beta1)
        self.V[...] = state["v"] / (1 - self.beta2)


#: The optimisers the fast step uses: SGD and momentum are already a pass or two each.
FAST_OPTIMIZERS = {**OPTIMIZERS, "adam": ScaledAdam}


class FastStep:
    """One training step of `network`, writing the gradient into `dw`, `db` (views of `grads`)."""

    def __init__(self, network, grads: np.ndarray, dw: list[np.ndarray], db: list[np.ndarray]):
        self.net, self.grads, self.dw, self.db = network, grads, dw, db

    def __call__(self, x: np.ndarray, y: np.ndarray, pixels: np.ndarray | None, optimizer, lr: float,
                 n_reported: int | None = None) -> float:
        """x (n, 784), or (n, len(pixels)) holding only those input pixels (all others 0 in every
        image); y (n, 10) targets (one-hot, or uniform for a non-digit). Updates the parameters through
        `optimizer`; returns the loss of the first `n_reported` rows (all by default)."""
        net = self.net
        scale = getattr(optimizer, "grad_scale", 1.0)  # ScaledAdam wants kappa g; delta is linear in g
        acts = self.forward(x, pixels)
        loss, delta = self.output_delta(acts[-1], y, scale, n_reported)
        self.backward(acts, delta, pixels)
        if net.weight_decay:
            for w, dw in zip(net.w, self.dw):
                dw += (scale * net.weight_decay) * w  # L2 penalty (lambda/2)|W|^2 on weights, not biases
        optimizer.step(net.params, self.grads, lr)
        return loss

    def forward(self, x: np.ndarray, pixels: np.ndarray | None) -> list[np.ndarray]:
        """[a^0 = x, a^1, ..., a^L] as Network.forward computes them, each z overwritten by its a."""
        net = self.net
        acts = [x]
        last = len(net.w) - 1
        for l, (w, b) in enumerate(zip(net.w, net.b)):
            if l == 0 and pixels is not None:
                w = np.take(w, pixels, axis=0)  # only the rows of W^1 that meet a lit pixel
            z = acts[-1] @ w
            z += b
            if l == last:
                acts.append(softmax_rows(z))
            elif net.activations[l] == "relu":
                acts.append(np.maximum(z, 0, out=z))
            elif net.activations[l] == "tanh":
                acts.append(np.tanh(z, out=z))
            else:
                acts.append(get_activation(net.activations[l]).forward(z))
        return acts

    def output_delta(self, y_hat: np.ndarray, y: np.ndarray, scale: float,
                     n_reported: int | None = None) -> tuple[float, np.ndarray]:
        """(loss of the first n_reported rows, delta^L times `scale`), from nn/losses.py as the
        reference step has them."""
        fn = get_loss(self.net.loss)
        delta = fn.delta(y_hat, y)
        if scale != 1.0:
            delta *= scale
        return fn.value(y_hat[:n_reported], y[:n_reported]), delta

    def backward(self, acts: list[np.ndarray], delta: np.ndarray, pixels: np.ndarray | None) -> None:
        """Network.backward into dw, db; f'(z) is written from a (activations: derivative_from_a)."""
        net, dw, db = self.net, self.dw, self.db
        for l in range(len(net.w) - 1, -1, -1):
            if l == 0 and pixels is not None:
                dw[0][...] = 0  # the blank pixels' rows of dL/dW^1 are 0
                dw[0][pixels] = acts[0].T @ delta
            else:
                np.matmul(acts[l].T, delta, out=dw[l])
            np.sum(delta, axis=0, out=db[l])
            if l == 0:
                break
            da = delta @ net.w[l].T
            name, a = net.activations[l - 1], acts[l]
            if name == "relu":
                da *= a > 0
            else:
                da *= get_activation(name).derivative_from_a(a)
            delta = da
