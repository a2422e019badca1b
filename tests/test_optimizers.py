"""One step of each optimiser against its written update rule."""

import math

import numpy as np
import pytest

from nn.errors import ConfigError
from nn.optimizers import Adam, Momentum, SGD, make_optimizer, scheduled_lr


def _pg(seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=50), rng.normal(size=50)


def test_sgd_step():
    p, g = _pg()
    expected = p - 0.1 * g
    SGD(50, np.float64).step(p, g, 0.1)
    assert np.allclose(p, expected)


def test_momentum_two_steps():
    p, g = _pg()
    opt = Momentum(50, np.float64, momentum=0.9)
    v = -0.1 * g
    expected = p + v
    opt.step(p, g, 0.1)
    assert np.allclose(p, expected)
    v = 0.9 * v - 0.1 * g
    expected = p + v
    opt.step(p, g, 0.1)
    assert np.allclose(p, expected)


def test_adam_three_steps_follow_the_paper():
    p, _ = _pg()
    rng = np.random.default_rng(1)
    opt = Adam(50, np.float64)
    m = np.zeros(50)
    v = np.zeros(50)
    b1, b2, eps, lr = 0.9, 0.999, 1e-8, 0.01
    for t in range(1, 4):
        g = rng.normal(size=50)
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        m_hat = m / (1 - b1**t)
        v_hat = v / (1 - b2**t)
        expected = p - lr * m_hat / (np.sqrt(v_hat) + eps)
        opt.step(p, g, lr)
        assert np.allclose(p, expected, rtol=1e-12, atol=1e-12)
    assert np.allclose(opt.m, m) and np.allclose(opt.v, v)


def test_adam_state_round_trip_continues_identically():
    p, g = _pg()
    a = Adam(50, np.float64)
    a.step(p, g, 0.01)
    b = Adam(50, np.float64)
    b.load_state(a.state())
    q = p.copy()
    a.step(p, g, 0.01)
    b.step(q, g, 0.01)
    assert np.allclose(p, q, rtol=1e-12)


def test_cosine_schedule():
    assert scheduled_lr(0.1, "constant", 50, 100) == 0.1
    assert scheduled_lr(0.1, "cosine", 0, 100) == pytest.approx(0.1)
    assert scheduled_lr(0.1, "cosine", 50, 100) == pytest.approx(0.05)
    assert scheduled_lr(0.1, "cosine", 100, 100) == pytest.approx(0.0)
    assert scheduled_lr(0.1, "cosine", 25, 100) == pytest.approx(0.05 * (1 + math.cos(math.pi / 4)))


def test_unknown_optimizer():
    with pytest.raises(ConfigError, match="sgd, momentum, adam"):
        make_optimizer("rmsprop", 3)
