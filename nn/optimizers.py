"""Optimisers that update all parameters at once, held in one flat vector.

The network keeps every w and b as a view into one flat array (and the gradients likewise), so
an update is a handful of whole-vector NumPy operations instead of a loop over tensors.
`step(params, grads, lr)` updates `params` in place; params and grads have shape (P,).
"""

from __future__ import annotations

import math

import numpy as np

from .errors import ConfigError


class SGD:
    """Plain gradient descent: w <- w - lr * g."""

    name = "sgd"

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
        self.velocity = np.zeros(size, dtype=dtype)

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

    Why the code looks different: it keeps m_s = m / (1 - beta1) and v_s = v / (1 - beta2), so the
    moving averages are m_s <- beta1 m_s + g (two passes over the vector instead of three), and
    folds every constant into lr_t and eps_t; the update is the same number. state() and
    load_state() use the textbook m and v.
    """

    name = "adam"

    def __init__(self, size: int, dtype=np.float32, beta1=0.9, beta2=0.999, eps=1e-8):
        super().__init__(size, dtype)
        self.beta1, self.beta2, self.eps = beta1, beta2, eps
        self._m_s = np.zeros(size, dtype=dtype)
        self._v_s = np.zeros(size, dtype=dtype)
        self._tmp = np.empty(size, dtype=dtype)

    def step(self, params, grads, lr: float) -> None:
        self.t += 1
        b1, b2, tmp, m_s, v_s = self.beta1, self.beta2, self._tmp, self._m_s, self._v_s
        np.multiply(m_s, b1, out=m_s)
        np.add(m_s, grads, out=m_s)
        np.multiply(grads, grads, out=tmp)
        np.multiply(v_s, b2, out=v_s)
        np.add(v_s, tmp, out=v_s)
        # sqrt(v_hat) = c sqrt(v_s) with c = sqrt((1 - b2) / (1 - b2^t)); m_hat = (1 - b1) m_s / (1 - b1^t)
        c = math.sqrt((1 - b2) / (1 - b2**self.t))
        lr_t = lr * (1 - b1) / ((1 - b1**self.t) * c)
        np.sqrt(v_s, out=tmp)
        np.add(tmp, self.eps / c, out=tmp)
        np.divide(m_s, tmp, out=tmp)
        np.multiply(tmp, lr_t, out=tmp)
        np.subtract(params, tmp, out=params)

    @property
    def m(self) -> np.ndarray:
        """The textbook first moment m (a copy)."""
        return self._m_s * (1 - self.beta1)

    @property
    def v(self) -> np.ndarray:
        """The textbook second moment v (a copy)."""
        return self._v_s * (1 - self.beta2)

    def state(self) -> dict:
        return {"t": np.asarray(self.t, dtype=np.int64), "m": self.m, "v": self.v}

    def load_state(self, state: dict) -> None:
        self.t = int(state["t"])
        self._m_s[...] = state["m"] / (1 - self.beta1)
        self._v_s[...] = state["v"] / (1 - self.beta2)


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
