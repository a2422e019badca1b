"""Loss functions for a softmax output layer: batch-mean value and the output error delta = dL/dz.

y_hat: (n, k) softmax outputs a^L; y: (n, k) one-hot targets (`one_hot(labels)`). Both functions of a pair agree:
delta is the derivative of the batch-mean loss with respect to the output layer's z^L, so it
already carries the 1/n of the mean.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from .errors import ConfigError, DataError


def one_hot(labels, k: int = 10, dtype=np.float32) -> np.ndarray:
    """Targets y (n, k) of `dtype` (float32) with y[i, labels[i]] = 1 and zeros elsewhere.

    `labels` (n,) integers in [0, k). Raises DataError for other values or shapes.
    """
    labels = np.asarray(labels)
    if labels.ndim != 1 or not np.issubdtype(labels.dtype, np.integer):
        raise DataError(f"Labels must be a 1-D array of integers (got {labels.dtype} with shape {labels.shape}).")
    if labels.size and (labels.min() < 0 or labels.max() >= k):
        bad = labels[(labels < 0) | (labels >= k)][0]
        raise DataError(f"Label {bad} is outside 0-{k - 1}.")
    y = np.zeros((labels.size, k), dtype=dtype)
    y[np.arange(labels.size), labels] = 1
    return y


# log(0) guard: softmax can round a probability to exactly 0 in float32.
_TINY = 1e-12


def cross_entropy(y_hat, y):
    """Cross-entropy L = (1/n) sum_i ( -sum_k y_ik log y_hat_ik ). Returns a float."""
    y_hat = np.asarray(y_hat)
    return float(-(y * np.log(np.maximum(y_hat, _TINY))).sum() / y_hat.shape[0])


def cross_entropy_delta(y_hat, y):
    """Output error of softmax + cross-entropy: delta = (y_hat - y) / n, shape (n, k).

    The softmax Jacobian J_ij = a_i(delta_ij - a_j) times dl/da = -y/a collapses to a - y
    because the targets of one sample sum to 1 (see the README's derivation).
    """
    y_hat = np.asarray(y_hat)
    return (y_hat - y) / y_hat.shape[0]


def mse(y_hat, y):
    """Mean squared error L = (1/n) sum_i 1/2 sum_k (y_hat_ik - y_ik)^2. Returns a float."""
    y_hat = np.asarray(y_hat)
    d = y_hat - y
    return float(0.5 * (d * d).sum() / y_hat.shape[0])


def mse_delta(y_hat, y):
    """Output error of softmax + MSE, through the full softmax Jacobian, shape (n, k).

    With g = dL/da = (y_hat - y) / n: delta_j = sum_i g_i a_i (delta_ij - a_j)
    = a_j (g_j - sum_i g_i a_i), i.e. delta = a * (g - (g . a)), computed without building J.
    """
    a = np.asarray(y_hat)
    g = (a - y) / a.shape[0]
    return a * (g - (g * a).sum(axis=1, keepdims=True))


@dataclass(frozen=True)
class Loss:
    """A loss paired with the softmax output layer: value(y_hat, y) and delta(y_hat, y)."""

    name: str
    value: Callable
    delta: Callable


LOSSES = {
    "cross_entropy": Loss("cross_entropy", cross_entropy, cross_entropy_delta),
    "mse": Loss("mse", mse, mse_delta),
}


def canonical_loss_name(name: str) -> str:
    """Accept 'cross-entropy', 'Cross_Entropy', 'ce', 'mse'; return the registry key."""
    key = str(name).strip().lower().replace("-", "_")
    if key == "ce":
        key = "cross_entropy"
    if key not in LOSSES:
        raise ConfigError(f"Unknown loss {name!r}; choose one of: cross_entropy, mse.")
    return key


def get_loss(name: str) -> Loss:
    """Look up a loss by name; raises ConfigError listing the valid names."""
    return LOSSES[canonical_loss_name(name)]
