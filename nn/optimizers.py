"""Optimisers that update all parameters at once, held in one flat vector.

The network keeps every w and b as a view into one flat array (and the gradients likewise), so
an update is a handful of whole-vector NumPy operations instead of a loop over tensors.
`step(params, grads, lr)` updates `params` in place; params and grads have shape (P,), and grads
must be the gradient times the optimiser's `grad_scale` (1 except for Adam, which saves a pass with it).
"""

from __future__ import annotations

import math

import numpy as np

from .errors import ConfigError
from .memory import aligned_empty, aligned_zeros


class SGD:
    """Plain gradient descent: w <- w - lr * g."""

    name = "sgd"
    grad_scale = 1.0  # step() takes grads = grad_scale * g; only Adam uses another factor

    def __init__(self, size: int, dtype=np.float32):
        self.t = 0

    def step(self, params, grads, lr: float) -> None:
        """Update params (P,) in place from grads (P,)."""
        self.t += 1
        params -= lr * grads

    def state(self) -> dict:
        """Arrays that let a saved run resume exactly (t only, for SGD)."""
        return {"t": np.asarray(self.t, dtype=np.int64)}

    def load_state(self, state: dict) -> None:
        self.t = int(state["t"])


class Momentum(SGD):
    """Classical momentum: v <- mu v - lr g; w <- w + v  (mu = `momentum`, 0.9 by default)."""

    name = "momentum"

    def __init__(self, size: int, dtype=np.float32, momentum: float = 0.9):
        super().__init__(size, dtype)
        self.momentum = momentum
        self.velocity = aligned_zeros(size, dtype, slot=2)  # see nn/memory.py

    def step(self, params, grads, lr: float) -> None:
        self.t += 1
        self.velocity *= self.momentum
        self.velocity -= lr * grads
        params += self.velocity

    def state(self) -> dict:
        return {"t": np.asarray(self.t, dtype=np.int64), "velocity": self.velocity.copy()}

    def load_state(self, state: dict) -> None:
        self.t = int(state["t"])
        self.velocity[...] = state["velocity"]


class Adam(SGD):
    """Adam (Kingma & Ba, 2015).

    m <- beta1 m + (1 - beta1) g;  v <- beta2 v + (1 - beta2) g^2
    m_hat = m / (1 - beta1^t);  v_hat = v / (1 - beta2^t)
    w <- w - lr * m_hat / (sqrt(v_hat) + eps)

    Why the code looks different: it makes nine passes over the parameter vector per step instead
    of the dozen the formulas suggest (the update is memory-bound, so passes are what it costs).
    It keeps M = kappa m / (1 - beta1) and V = kappa^2 v / (1 - beta2) for a number kappa that
    grows by 1/beta1 every step, and takes the gradient already multiplied by kappa: `grad_scale`,
    which the network folds into its output error delta^L for free. Then m's update is the single
    addition M <- M + kappa g, v's is V <- (beta2 / beta1^2) V + (kappa g)^2, and the step is
    w <- w - C M / (sqrt(V) + e), where the numbers C and e absorb kappa, the bias corrections
    and lr. Every few dozen steps kappa returns to 1 (one more pass that step) so that V cannot
    overflow. The result is the textbook update; state() and load_state() use the textbook m and v.
    """

    name = "adam"
    _KAPPA_LIMIT = 64.0  # return kappa to 1 beyond this: V holds kappa^2 v, which must stay finite

    def __init__(self, size: int, dtype=np.float32, beta1=0.9, beta2=0.999, eps=1e-8):
        super().__init__(size, dtype)
        self.beta1, self.beta2, self.eps = beta1, beta2, eps
        self._M = aligned_zeros(size, dtype, slot=2)  # see nn/memory.py: streamed with params and grads
        self._V = aligned_zeros(size, dtype, slot=3)
        self._tmp = aligned_empty(size, dtype, slot=4)
        self._kappa = 1.0  # the scale of the stored M and V

    @property
    def grad_scale(self) -> float:
        """The factor kappa the next step's gradient must already carry (grads = kappa g)."""
        return 1.0 if self._kappa >= self._KAPPA_LIMIT else self._kappa / self.beta1

    def step(self, params, grads, lr: float) -> None:
        """Update params (P,) in place from grads (P,) = grad_scale * g (see the class notes)."""
        self.t += 1
        b1, b2, tmp, M, V = self.beta1, self.beta2, self._tmp, self._M, self._V
        kappa = self.grad_scale
        if self._kappa >= self._KAPPA_LIMIT:
            np.multiply(M, b1 * kappa / self._kappa, out=M)  # M to the new, smaller scale
        np.add(M, grads, out=M)  # M_t = (b1 kappa_t / kappa_{t-1}) M_{t-1} + kappa_t g, the factor being 1
        np.multiply(grads, grads, out=tmp)
        np.multiply(V, b2 * (kappa / self._kappa) ** 2, out=V)
        np.add(V, tmp, out=V)
        self._kappa = kappa
        # lr m_hat / (sqrt(v_hat) + eps) = C M / (sqrt(V) + e), with c = sqrt((1 - b2) / (1 - b2^t)):
        c = math.sqrt((1 - b2) / (1 - b2**self.t))
        C = lr * (1 - b1) / ((1 - b1**self.t) * c)
        np.sqrt(V, out=tmp)
        np.add(tmp, self.eps * kappa / c, out=tmp)
        np.divide(M, tmp, out=tmp)
        np.multiply(tmp, C, out=tmp)
        np.subtract(params, tmp, out=params)

    @property
    def m(self) -> np.ndarray:
        """The textbook first moment m (a copy)."""
        return self._M * ((1 - self.beta1) / self._kappa)

    @property
    def v(self) -> np.ndarray:
        """The textbook second moment v (a copy)."""
        return self._V * ((1 - self.beta2) / self._kappa**2)

    def state(self) -> dict:
        return {"t": np.asarray(self.t, dtype=np.int64), "m": self.m, "v": self.v}

    def load_state(self, state: dict) -> None:
        self.t = int(state["t"])
        self._kappa = 1.0
        self._M[...] = state["m"] / (1 - self.beta1)
        self._V[...] = state["v"] / (1 - self.beta2)


OPTIMIZERS = {"sgd": SGD, "momentum": Momentum, "adam": Adam}


def make_optimizer(name: str, size: int, dtype=np.float32, momentum: float = 0.9):
    """Build an optimiser by name for P = `size` parameters; ConfigError lists the valid names."""
    key = str(name).strip().lower()
    if key not in OPTIMIZERS:
        raise ConfigError(f"Unknown optimizer {name!r}; choose one of: {', '.join(OPTIMIZERS)}.")
    if key == "momentum":
        return Momentum(size, dtype, momentum=momentum)
    return OPTIMIZERS[key](size, dtype)


def scheduled_lr(lr: float, schedule: str, step: int, total_steps: int | None) -> float:
    """Learning rate for 0-based `step`: constant, or cosine lr * (1 + cos(pi step / total)) / 2."""
    if schedule == "cosine" and total_steps:
        return lr * 0.5 * (1 + math.cos(math.pi * min(step, total_steps) / total_steps))
    return lr
