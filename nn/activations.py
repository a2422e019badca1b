"""Activation functions a = f(z), each beside its derivative f'(z), as the README writes them.

relu, sigmoid and tanh (the hidden layers) work element-wise on arrays of any shape; softmax (the
output layer) works on the last axis, one row per sample: z (n, k) -> a (n, k).

The network's readable backward pass uses f'(z) (`relu_prime`, ...). For these three hidden
activations f'(z) can also be written with a = f(z) alone (ReLU: a > 0, sigmoid: a(1 - a),
tanh: 1 - a^2): `derivative_from_a`, which the fast training step in nn/kernel.py uses so that
it need not keep z.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from .errors import ConfigError


def relu(z):
    """ReLU: a = max(0, z). Shape preserved."""
    return np.maximum(z, 0)


def relu_prime(z):
    """ReLU derivative: f'(z) = 1 where z > 0, else 0 (we take 0 at z = 0)."""
    return (z > 0).astype(np.asarray(z).dtype)


def sigmoid(z):
    """Sigmoid: a = 1 / (1 + e^-z), computed without overflow for large |z|."""
    z = np.asarray(z)
    # exp of a non-positive number never overflows; pick the form per sign.
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e)).astype(z.dtype, copy=False)


def sigmoid_prime(z):
    """Sigmoid derivative: f'(z) = f(z) (1 - f(z))."""
    a = sigmoid(z)
    return a * (1 - a)


def tanh(z):
    """Hyperbolic tangent: a = (e^z - e^-z) / (e^z + e^-z)."""
    return np.tanh(z)


def tanh_prime(z):
    """tanh derivative: f'(z) = 1 - tanh(z)^2."""
    a = np.tanh(z)
    return 1 - a * a


def softmax(z):
    """Softmax over the last axis: a_i = e^{z_i} / sum_j e^{z_j}.

    z: (n, k) or (k,). The row maximum is subtracted first; that leaves a unchanged
    (it cancels in the fraction) and keeps e^z from overflowing.
    """
    z = np.asarray(z)
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def softmax_jacobian(a):
    """Softmax Jacobian from its output: J_ij = da_i/dz_j = a_i (delta_ij - a_j).

    a: (n, k) softmax outputs -> (n, k, k), one symmetric k x k matrix per sample.
    """
    a = np.atleast_2d(a)
    return a[:, :, None] * (np.eye(a.shape[1], dtype=a.dtype)[None] - a[:, None, :])


@dataclass(frozen=True)
class Activation:
    """A hidden-layer activation: forward f, derivative f'(z), and f'(z) written with a = f(z)."""

    name: str
    forward: Callable
    derivative: Callable
    derivative_from_a: Callable


ACTIVATIONS = {
    "relu": Activation("relu", relu, relu_prime, lambda a: (a > 0).astype(a.dtype)),
    "sigmoid": Activation("sigmoid", sigmoid, sigmoid_prime, lambda a: a * (1 - a)),
    "tanh": Activation("tanh", tanh, tanh_prime, lambda a: 1 - a * a),
}

#: Names a user may pick for hidden layers (softmax is only used for the output layer).
HIDDEN_ACTIVATIONS = tuple(ACTIVATIONS)


def get_activation(name: str) -> Activation:
    """Look up a hidden activation by name; raises ConfigError listing the valid names."""
    key = str(name).strip().lower()
    if key not in ACTIVATIONS:
        raise ConfigError(
            f"Unknown activation {name!r}; choose one of: {', '.join(HIDDEN_ACTIVATIONS)}."
        )
    return ACTIVATIONS[key]
