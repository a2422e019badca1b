"""The fast training step (nn/kernel.py) computes what the readable path (nn/fitting.py:
reference_step, i.e. Network.forward / backward and nn/optimizers.py) computes."""

import itertools

import numpy as np
import pytest

from nn.fitting import targets
from nn.kernel import FastStep, active_pixels
from nn.losses import get_loss, one_hot
from nn.network import Network

# Both paths do the same arithmetic in another order (in-place buffers, fused cross-entropy, the lit
# pixels, Adam in nine passes): in float64 they agree to rounding, far below this.
RTOL, ATOL = 1e-9, 1e-12


def _batch(seed=0, n=16, blank=300):
    """n images (float64) whose first `blank` pixels are 0 in all of them, as MNIST's corners are."""
    rng = np.random.default_rng(seed)
    x = rng.random((n, 784))
    x[:, :blank] = 0
    return x, rng.integers(0, 10, n)


def _pair(activation, loss, optimizer, weight_decay):
    kw = dict(layers=(12, 7), activation=activation, loss=loss, optimizer=optimizer, weight_decay=weight_decay,
              lr=0.05 if optimizer != "adam" else 0.01, dtype=np.float64, seed=3)
    fast, plain = Network(**kw), Network(**kw)
    plain.fitter.set_fast(False)
    assert fast.fitter.fast and not plain.fitter.fast
    return fast, plain


@pytest.mark.parametrize("activation, loss, optimizer, weight_decay", list(itertools.product(
    ("relu", "sigmoid", "tanh"), ("cross_entropy", "mse"), ("sgd", "momentum", "adam"), (0.0, 0.01))))
def test_one_step_of_the_kernel_equals_one_step_of_the_reference(activation, loss, optimizer, weight_decay):
    fast, plain = _pair(activation, loss, optimizer, weight_decay)
    x, labels = _batch()
    loss_fast = fast.train_step(x, labels)
    loss_plain = plain.train_step(x, labels)
    assert loss_fast == pytest.approx(loss_plain, rel=RTOL)
    np.testing.assert_allclose(fast.params, plain.params, rtol=RTOL, atol=ATOL)
    # and on: later steps use the optimiser's state (velocity, m, v), and the lit pixels move
    for seed in range(1, 6):
        x, labels = _batch(seed, blank=100 * seed)
        pixels = active_pixels(x)
        fast.train_step(x[:, pixels] if pixels is not None else x, labels, pixels)
        plain.train_step(x, labels)
    np.testing.assert_allclose(fast.params, plain.params, rtol=RTOL, atol=ATOL)
    state_fast, state_plain = fast.optimizer.state(), plain.optimizer.state()
    for key in state_plain:
        np.testing.assert_allclose(state_fast[key], state_plain[key], rtol=RTOL, atol=ATOL)


def test_a_whole_epoch_on_either_path_gives_the_same_network():
    rng = np.random.default_rng(7)
    x = (rng.random((300, 784)) * 255).astype(np.uint8)
    x[:, :200] = 0
    labels = rng.integers(0, 10, 300)
    fast, plain = _pair("relu", "cross_entropy", "adam", 0.001)
    fast.fit(x, labels, epochs=2)
    plain.fit(x, labels, epochs=2)
    np.testing.assert_allclose(fast.params, plain.params, rtol=1e-7, atol=1e-10)


def test_switching_paths_keeps_the_optimiser_state():
    fast, plain = _pair("tanh", "cross_entropy", "adam", 0.0)
    x, labels = _batch()
    for _ in range(3):
        fast.train_step(x, labels)
        plain.train_step(x, labels)
    fast.fitter.set_fast(False)  # the kernel's Adam hands its m, v, t to the textbook one
    plain.fitter.set_fast(True)
    fast.train_step(x, labels)
    plain.train_step(x, labels)
    np.testing.assert_allclose(fast.params, plain.params, rtol=RTOL, atol=ATOL)


def _objective(net, x, y):
    """The batch loss plus the L2 penalty, through the readable forward pass."""
    y_hat = net.forward(x)[1][-1]
    return get_loss(net.loss).value(y_hat, y) + 0.5 * net.weight_decay * sum((w * w).sum() for w in net.w)


def _numeric_slope(net, x, y, i, h=1e-5):
    """dObjective/dparams[i] by central differences; the parameter is put back."""
    params, keep = net.params, net.params[i]
    params[i] = keep + h
    up = _objective(net, x, y)
    params[i] = keep - h
    down = _objective(net, x, y)
    params[i] = keep
    return (up - down) / (2 * h)


@pytest.mark.parametrize("activation, loss, weight_decay", list(itertools.product(
    ("relu", "sigmoid", "tanh"), ("cross_entropy", "mse"), (0.0, 0.05))))
def test_kernel_gradients_match_finite_differences(activation, loss, weight_decay):
    """The kernel's own gradient (what it hands the optimiser, lit pixels and all) against central
    differences of the objective, in float64 with a step of 1e-5."""
    net = Network((6, 5), activation, loss, optimizer="sgd", lr=1e-3, weight_decay=weight_decay,
                  dtype=np.float64, seed=1)
    rng = np.random.default_rng(2)
    for b in net.b:
        b[...] = rng.normal(scale=0.1, size=b.shape)
    x, labels = _batch(4, n=5, blank=400)
    y = one_hot(labels, 10, np.float64)
    pixels = active_pixels(x)
    fitter = net.fitter
    kernel = FastStep(net, fitter.grads, fitter.dw, fitter.db)

    class Record:  # an optimiser that only keeps the gradient it is handed
        grad_scale = 1.0

        def step(self, params, grads, lr):
            self.g = grads.copy()

    rec = Record()
    kernel(x[:, pixels].copy(), y, pixels, rec, 0.0)
    params = net.params
    chosen = np.concatenate([rng.choice(params.size, 60, replace=False), [0, 500, 784 * 6 + 2]])
    for i in chosen:
        assert rec.g[i] == pytest.approx(_numeric_slope(net, x, y, i), rel=1e-5, abs=1e-9), f"parameter {i}"


def test_the_reference_path_trains():
    rng = np.random.default_rng(0)
    centres = rng.random((10, 784))
    labels = rng.integers(0, 10, 400)
    x = np.clip(centres[labels] + rng.normal(scale=0.1, size=(400, 784)), 0, 1).astype(np.float32)
    net = Network((32,), lr=0.003, batch_size=32)
    net.fitter.set_fast(False)
    before = net.score(x, labels)
    net.fit(x, labels, epochs=3)
    assert net.score(x, labels) > 0.95 > before


@pytest.mark.parametrize("loss", ["cross_entropy", "mse"])
def test_outlier_exposure_rows_take_the_same_step_on_both_paths(loss):
    """Non-digit rows (target 1/10 each) after the digits: the two paths agree, and the loss they
    report is the digits' alone."""
    fast, plain = _pair("relu", loss, "adam", 0.001)
    x, labels = _batch(n=12)
    for seed in range(3):
        x, labels = _batch(seed, n=12)
        loss_fast = fast.fitter.step(x, labels[:8], outliers=4)
        loss_plain = plain.fitter.step(x, labels[:8], outliers=4)
        assert loss_fast == pytest.approx(loss_plain, rel=RTOL)
    np.testing.assert_allclose(fast.params, plain.params, rtol=RTOL, atol=ATOL)
    y_hat = plain.forward(x)[1][-1]
    assert loss_plain != pytest.approx(get_loss(loss).value(y_hat, targets(labels[:8], 4, np.float64)), rel=1e-3)


def test_outlier_exposure_gradient_matches_finite_differences():
    """The gradient of the mean cross-entropy over digits (one-hot) and non-digits (uniform target):
    delta^L = (y_hat - y) / n holds for any target that sums to 1."""
    net = Network((6,), "tanh", "cross_entropy", optimizer="sgd", dtype=np.float64, seed=5)
    x, labels = _batch(8, n=6, blank=400)
    y = targets(labels[:4], 2, np.float64)
    dw, db = net.gradients(x, y)
    g = np.concatenate([np.concatenate([d.ravel(), e]) for d, e in zip(dw, db)])
    params = net.params
    rng = np.random.default_rng(0)
    for i in rng.choice(params.size, 40, replace=False):
        assert g[i] == pytest.approx(_numeric_slope(net, x, y, i), rel=1e-5, abs=1e-9)


def test_exposure_teaches_a_low_confidence_for_non_digits():
    rng = np.random.default_rng(0)
    centres = rng.random((10, 784)) * (rng.random((10, 784)) < 0.3)
    labels = rng.integers(0, 10, 600)
    x = np.clip(centres[labels] + rng.normal(scale=0.05, size=(600, 784)), 0, 1).astype(np.float32)
    # not digits, but made of their strokes: half of a digit's pixels, boosted (a plain network is sure of them)
    odd = np.clip(2.5 * centres[rng.integers(0, 10, 300)] * (rng.random((300, 784)) < 0.5), 0, 1).astype(np.float32)
    plain = Network((32,), lr=0.003, batch_size=32, seed=1)
    exposed = Network((32,), lr=0.003, batch_size=32, seed=1)
    exposed.fitter.expose(odd[:200], per_batch=8)
    plain.fit(x, labels, epochs=4)
    exposed.fit(x, labels, epochs=4)
    assert exposed.score(x, labels) > 0.95
    held_out = odd[200:]
    assert exposed.predict_proba(held_out).max(axis=1).mean() < 0.7 < 0.9 < plain.predict_proba(held_out).max(axis=1).mean()
