"""Finite-difference checks of every formula: each activation's derivative, and the whole
network's gradients for every activation x loss pair (central differences in float64)."""

import numpy as np
import pytest

from nn import activations as A
from nn.losses import cross_entropy, cross_entropy_delta, mse, mse_delta, one_hot
from nn.network import Network

EPS = 1e-5


@pytest.mark.parametrize("name", ["relu", "sigmoid", "tanh"])
def test_activation_derivative_matches_finite_difference(name):
    act = A.get_activation(name)
    z = np.random.default_rng(1).uniform(-3, 3, 200)
    z = z[np.abs(z) > 1e-3]  # ReLU has no derivative at 0
    numeric = (act.forward(z + EPS) - act.forward(z - EPS)) / (2 * EPS)
    assert np.allclose(act.derivative(z), numeric, rtol=1e-6, atol=1e-9)
    assert np.allclose(act.derivative_from_a(act.forward(z)), numeric, rtol=1e-6, atol=1e-9)


def test_softmax_jacobian_matches_finite_difference():
    z = np.random.default_rng(2).normal(size=(3, 5))
    a = A.softmax(z)
    jac = A.softmax_jacobian(a)
    for j in range(5):
        dz = np.zeros(5)
        dz[j] = EPS
        numeric = (A.softmax(z + dz) - A.softmax(z - dz)) / (2 * EPS)  # column j: da/dz_j
        assert np.allclose(jac[:, :, j], numeric, atol=1e-9)


def test_softmax_rows_sum_to_one_and_survive_large_inputs():
    a = A.softmax(np.array([[1000.0, 1000.0, -1000.0], [0.0, 0.0, 0.0]]))
    assert np.allclose(a.sum(axis=1), 1)
    assert np.allclose(a[0], [0.5, 0.5, 0.0])


def test_sigmoid_is_stable_for_large_inputs():
    with np.errstate(over="raise"):
        a = A.sigmoid(np.array([-1000.0, 0.0, 1000.0]))
    assert np.allclose(a, [0.0, 0.5, 1.0])


@pytest.mark.parametrize("loss, value, delta", [("cross_entropy", cross_entropy, cross_entropy_delta),
                                                ("mse", mse, mse_delta)])
def test_loss_delta_is_derivative_through_softmax(loss, value, delta):
    rng = np.random.default_rng(3)
    z = rng.normal(size=(4, 10))
    y = one_hot(rng.integers(0, 10, 4), 10, np.float64)
    numeric = np.zeros_like(z)
    for i in range(4):
        for k in range(10):
            dz = np.zeros_like(z)
            dz[i, k] = EPS
            numeric[i, k] = (value(A.softmax(z + dz), y) - value(A.softmax(z - dz), y)) / (2 * EPS)
    assert np.allclose(delta(A.softmax(z), y), numeric, rtol=1e-6, atol=1e-10)


STEP = 1e-4  # the network check's step: see _numeric_gradients


def _numeric_gradients(net, x, y, loss_fn):
    """dL/dparam for every weight and bias by the five-point central difference
    (-L(p+2h) + 8 L(p+h) - 8 L(p-h) + L(p-2h)) / 12h, whose error is O(h^4).

    The plain two-point rule needs a tiny h to be accurate, and then the rounding of L (~1e-17)
    divided by h is ~1e-12: as large as 1e-6 of the smallest gradients here, so the check would
    pass or fail with the last bits of the forward pass. Five points at h = 1e-4 stay ~100x below.
    """
    def loss_at():
        return loss_fn(net.predict_proba(x), y)

    grads = []
    for p in net.w + net.b:
        g = np.zeros_like(p)
        flat, gflat = p.reshape(-1), g.reshape(-1)
        for i in range(flat.size):
            old = flat[i]
            values = []
            for k in (2, 1, -1, -2):
                flat[i] = old + k * STEP
                values.append(loss_at())
            flat[i] = old
            gflat[i] = (8 * (values[1] - values[2]) - (values[0] - values[3])) / (12 * STEP)  # differences first: 0 stays 0
        grads.append(g)
    return grads


@pytest.mark.parametrize("activation", ["relu", "sigmoid", "tanh"])
@pytest.mark.parametrize("loss", ["cross_entropy", "mse"])
def test_network_gradients_match_finite_differences(activation, loss):
    rng = np.random.default_rng(4)
    net = Network((5, 4), activation, loss, dtype=np.float64, seed=5)
    # A tiny input keeps the check fast: only 6 pixels are non-zero, yet every weight of the
    # upper layers and every bias is checked, and the first layer's weights for those pixels.
    x = np.zeros((3, 784))
    x[:, :6] = rng.uniform(0.1, 1, (3, 6))
    for b in net.b:  # non-zero biases, so that dL/db is not trivially tied to w
        b[...] = rng.normal(0, 0.3, b.shape)
    labels = rng.integers(0, 10, 3)
    y = one_hot(labels, 10, np.float64)
    loss_fn = cross_entropy if loss == "cross_entropy" else mse
    dw, db = net.gradients(x, labels)
    dw_y, _ = net.gradients(x, y)  # one-hot targets take the same path
    numeric = _numeric_gradients(net, x, y, loss_fn)
    analytic = dw + db
    for l, (a, n) in enumerate(zip(analytic, numeric)):
        if l == 0:
            a, n = a[:6], n[:6]  # rows of pixels that are 0 have zero gradient both ways
        scale = np.maximum(np.abs(a) + np.abs(n), 1e-8)
        rel = np.abs(a - n) / scale
        assert rel.max() < 1e-6, f"layer {l}: relative error {rel.max():.2e}"
    for a, b in zip(dw, dw_y):
        assert np.allclose(a, b)
