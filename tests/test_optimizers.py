"""One step of each optimiser against its written update rule."""

import math

import numpy as np
import pytest

from nn.errors import ConfigError
from nn.kernel import ScaledAdam
from nn.optimizers import SGD, Adam, Momentum, make_optimizer, scheduled_lr

BOTH_ADAMS = pytest.mark.parametrize("adam_class", [Adam, ScaledAdam])  # the readable one and the kernel's


def _scale(opt) -> float:
    """The factor an optimiser wants its gradient multiplied by: 1, except for the kernel's Adam."""
    return getattr(opt, "grad_scale", 1.0)


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


@BOTH_ADAMS
def test_adam_three_steps_follow_the_paper(adam_class):
    p, _ = _pg()
    rng = np.random.default_rng(1)
    opt = adam_class(50, np.float64)
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
        opt.step(p, _scale(opt) * g, lr)  # the kernel's Adam takes the gradient times its grad_scale
        assert np.allclose(p, expected, rtol=1e-12, atol=1e-12)
    assert np.allclose(opt.m, m) and np.allclose(opt.v, v)


@pytest.mark.parametrize("first, second", [(Adam, Adam), (ScaledAdam, ScaledAdam), (Adam, ScaledAdam),
                                           (ScaledAdam, Adam)])
def test_adam_state_round_trip_continues_identically(first, second):
    """Either Adam's state goes on in either: model files do not depend on which one trained."""
    p, g = _pg()
    a = first(50, np.float64)
    for _ in range(3):
        a.step(p, _scale(a) * g, 0.01)
    b = second(50, np.float64)
    b.load_state(a.state())
    q = p.copy()
    a.step(p, _scale(a) * g, 0.01)
    b.step(q, _scale(b) * g, 0.01)
    assert np.allclose(p, q, rtol=1e-12)


@BOTH_ADAMS
def test_adam_matches_the_paper_over_many_steps_and_rescalings(adam_class):
    """200 steps cross the points where ScaledAdam's internal scale kappa returns to 1 several times."""
    rng = np.random.default_rng(2)
    p = rng.normal(size=50)
    opt = adam_class(50, np.float64)
    m, v = np.zeros(50), np.zeros(50)
    b1, b2, eps, lr = 0.9, 0.999, 1e-8, 0.01
    for t in range(1, 201):
        g = rng.normal(size=50) * 10.0 ** rng.uniform(-4, 2)  # gradients of very different sizes
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        expected = p - lr * (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + eps)
        opt.step(p, _scale(opt) * g, lr)
        assert np.allclose(p, expected, rtol=1e-10, atol=1e-12), t
    assert np.allclose(opt.m, m, rtol=1e-10) and np.allclose(opt.v, v, rtol=1e-10)


@BOTH_ADAMS
def test_adam_in_float32_stays_close_to_float64(adam_class):
    rng = np.random.default_rng(3)
    p64 = rng.normal(size=1000)
    p32 = p64.astype(np.float32)
    a64, a32 = Adam(1000, np.float64), adam_class(1000, np.float32)
    for _ in range(300):
        g = rng.normal(size=1000) * 1e-3
        a64.step(p64, g, 1e-3)
        a32.step(p32, np.float32(_scale(a32)) * g.astype(np.float32), 1e-3)
    assert np.abs(p32 - p64).max() < 1e-4


def test_cosine_schedule():
    assert scheduled_lr(0.1, "constant", 50, 100) == 0.1
    assert scheduled_lr(0.1, "cosine", 0, 100) == pytest.approx(0.1)
    assert scheduled_lr(0.1, "cosine", 50, 100) == pytest.approx(0.05)
    assert scheduled_lr(0.1, "cosine", 100, 100) == pytest.approx(0.0)
    assert scheduled_lr(0.1, "cosine", 25, 100) == pytest.approx(0.05 * (1 + math.cos(math.pi / 4)))


def test_unknown_optimizer():
    with pytest.raises(ConfigError, match="sgd, momentum, adam"):
        make_optimizer("rmsprop", 3)
