"""Optimisers, each update written as its paper writes it: `step(params, grads, lr)`.

params and grads are flat vectors (P,): the network keeps every w and b as a view into one flat
array, so one update covers all layers. step() changes params in place. state() / load_state()
give the arrays a saved run needs to go on exactly (t, and velocity or m and v).

This is the readable path. nn/kernel.py has a faster Adam for the default training path, proved
equal to this one by tests/test_kernel.py.
"""

from __future__ import annotations

import math

import numpy as np

from .errors import ConfigError


class SGD:
    """Gradient descent: w <- w - lr g."""

    name = "sgd"

    def __init__(self, size: int, dtype=np.float32):
        self.t = 0  # steps taken

    def step(self, params: np.ndarray, grads: np.ndarray, lr: float) -> None:
        """Update params (P,) in place from the gradient grads (P,)."""
        self.t += 1
        params -= lr * grads

    def state(self) -> dict:
        return {"t": np.asarray(self.t, dtype=np.int64)}

    def load_state(self, state: dict) -> None:
        self.t = int(state["t"])


class Momentum(SGD):
    """Classical momentum (Polyak): v <- mu v - lr g;  w <- w + v  (mu = `momentum`, 0.9 by default)."""

    name = "momentum"

    def __init__(self, size: int, dtype=np.float32, momentum: float = 0.9):
        super().__init__(size, dtype)
        self.momentum = momentum
        self.velocity = np.zeros(size, dtype)

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
    """Adam (Kingma & Ba, 2015, Algorithm 1), with g the gradient at step t (1, 2, ...):

    m <- beta1 m + (1 - beta1) g;        v <- beta2 v + (1 - beta2) g^2
    m_hat = m / (1 - beta1^t);           v_hat = v / (1 - beta2^t)
    w <- w - lr m_hat / (sqrt(v_hat) + eps)
    """

    name = "adam"

    def __init__(self, size: int, dtype=np.float32, beta1=0.9, beta2=0.999, eps=1e-8):
        super().__init__(size, dtype)
        self.beta1, self.beta2, self.eps = beta1, beta2, eps
        self.m = np.zeros(size, dtype)  # first moment: a running mean of g
        self.v = np.zeros(size, dtype)  # second moment: a running mean of g^2

    def step(self, params, grads, lr: float) -> None:
        self.t += 1
        b1, b2, g = self.beta1, self.beta2, grads
        self.m = b1 * self.m + (1 - b1) * g
        self.v = b2 * self.v + (1 - b2) * g * g
        m_hat = self.m / (1 - b1**self.t)  # bias correction: m and v start at 0
        v_hat = self.v / (1 - b2**self.t)
        params -= lr * m_hat / (np.sqrt(v_hat) + self.eps)

    def state(self) -> dict:
        return {"t": np.asarray(self.t, dtype=np.int64), "m": self.m.copy(), "v": self.v.copy()}

    def load_state(self, state: dict) -> None:
        self.t = int(state["t"])
        self.m[...] = state["m"]
        self.v[...] = state["v"]


OPTIMIZERS = {"sgd": SGD, "momentum": Momentum, "adam": Adam}


def check_optimizer(name) -> str:
    """The registry key for an optimiser name (any case); ConfigError lists the valid names."""
    key = str(name).strip().lower()
    if key not in OPTIMIZERS:
        raise ConfigError(f"Unknown optimizer {name!r}; choose one of: {', '.join(OPTIMIZERS)}.")
    return key


def make_optimizer(name: str, size: int, dtype=np.float32, momentum: float = 0.9, registry=None):
    """Build an optimiser by name for P = `size` parameters (from `registry`, default OPTIMIZERS)."""
    cls = (registry or OPTIMIZERS)[check_optimizer(name)]
    if cls.name == "momentum":
        return cls(size, dtype, momentum=momentum)
    return cls(size, dtype)


def scheduled_lr(lr: float, schedule: str, step: int, total_steps: int | None) -> float:
    """Learning rate for 0-based `step`: constant, or cosine lr * (1 + cos(pi step / total)) / 2."""
    if schedule == "cosine" and total_steps:
        return lr * 0.5 * (1 + math.cos(math.pi * min(step, total_steps) / total_steps))
    return lr
