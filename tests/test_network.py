"""The network's API, shapes, hand-worked arithmetic, and that it actually learns."""

import numpy as np
import pytest

from nn import activations as A
from nn.errors import ConfigError, DataError, TrainingError
from nn.kernel import active_pixels, softmax_rows
from nn.losses import one_hot
from nn.network import Network


def test_hand_worked_forward_backward():
    # One sample, one hidden ReLU neuron; only pixel 0 is on (x0 = 1).
    # z1 = 1 * w[0,0] + b1 = 0.5 + 0.5 = 1.0 -> a1 = relu(1.0) = 1.0
    # z2 = a1 * w2 + b2 = [1, 0, ..., 0] * 1.0 + 0 -> a2 = softmax: e/(e + 9) = 0.2319..., others 1/(e + 9)
    # Cross-entropy with y = digit 0: delta2 = a2 - y; dw2 = a1 * delta2 = delta2; db2 = delta2
    # delta1 = (delta2 . w2[0]) * relu'(z1) = delta2[0] * 1 * 1 = a2[0] - 1
    net = Network((1,), "relu", dtype=np.float64)
    net.w[0][...] = 0
    net.w[0][0, 0] = 0.5
    net.b[0][...] = 0.5
    net.w[1][...] = 0
    net.w[1][0, 0] = 1.0
    net.b[1][...] = 0
    x = np.zeros((1, 784))
    x[0, 0] = 1.0
    e = np.e
    a2 = np.array([e] + [1.0] * 9) / (e + 9)
    assert np.allclose(net.predict_proba(x)[0], a2)
    dw, db = net.gradients(x, np.array([0]))
    delta2 = a2 - np.eye(10)[0]
    assert np.allclose(db[1], delta2)
    assert np.allclose(dw[1][0], delta2)
    assert np.isclose(db[0][0], a2[0] - 1)
    assert np.isclose(dw[0][0, 0], a2[0] - 1)
    assert np.allclose(dw[0][1:], 0)


def test_shapes_and_single_image_inputs():
    net = Network((16, 8))
    assert net.sizes == (784, 16, 8, 10)
    assert [w.shape for w in net.w] == [(784, 16), (16, 8), (8, 10)]
    assert net.w[0].dtype == np.float32
    img = np.random.default_rng(0).integers(0, 256, (28, 28), dtype=np.uint8)
    p = net.predict_proba(img)
    assert p.shape == (1, 10) and np.isclose(p.sum(), 1, atol=1e-5)
    assert np.allclose(net.predict_proba(img.reshape(784)), p)
    assert np.allclose(net.predict_proba(img.reshape(1, 28, 28)), p)
    assert np.allclose(net.predict_proba(img.astype(np.float32) / 255), p, atol=1e-6)
    acts = net.forward_activations(img)
    assert [a.shape for a in acts] == [(1, 784), (1, 16), (1, 8), (1, 10)]
    with pytest.raises(DataError, match="784 pixels"):
        net.predict_proba(np.zeros((3, 5)))


def test_initialisation_he_and_glorot():
    relu = Network((512,), "relu", seed=0)
    assert abs(relu.w[0].std() - np.sqrt(2 / 784)) < 0.003
    tanh = Network((512,), "tanh", seed=0)
    limit = np.sqrt(6 / (784 + 512))
    assert tanh.w[0].max() <= limit and tanh.w[0].min() >= -limit
    assert abs(tanh.w[0].std() - limit / np.sqrt(3)) < 0.003
    assert np.array_equal(Network(seed=3).params, Network(seed=3).params)
    assert not np.array_equal(Network(seed=3).params, Network(seed=4).params)


def test_weights_are_views_of_the_flat_vector():
    net = Network((4,))
    net.params[...] = 0
    assert all((w == 0).all() for w in net.w)
    net.w[1][0, 0] = 7
    assert 7 in net.params


@pytest.mark.parametrize("kwargs, match", [
    ({"lr": -0.1}, "Learning rate must be greater than 0"),
    ({"lr": float("nan")}, "Learning rate"),
    ({"layers": (0,)}, "1 to"),
    ({"layers": "abc"}, "whole numbers"),
    ({"activation": "swish"}, "relu, sigmoid, tanh"),
    ({"loss": "hinge"}, "cross_entropy, mse"),
    ({"optimizer": "lbfgs"}, "sgd, momentum, adam"),
    ({"batch_size": 0}, "Batch size"),
    ({"momentum": 1.5}, "Momentum"),
    ({"activation": ("relu",), "layers": (3, 3)}, "one per layer"),
])
def test_bad_settings_are_refused_clearly(kwargs, match):
    with pytest.raises(ConfigError, match=match):
        Network(**kwargs)


def _blobs(n=600, seed=0):
    """Ten easy classes: digit d lights up its own band of 40 pixels, plus noise."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, n)
    x = rng.uniform(0, 0.3, (n, 784)).astype(np.float32)
    for d in range(10):
        x[labels == d, d * 40:(d + 1) * 40] += 0.7
    return np.clip(x, 0, 1), labels


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adam"])
@pytest.mark.parametrize("activation", ["relu", "sigmoid", "tanh"])
def test_fit_learns_an_easy_problem(optimizer, activation):
    x, labels = _blobs()
    lr = {"sgd": 0.5, "momentum": 0.05, "adam": 0.003}[optimizer]
    net = Network((32,), activation, optimizer=optimizer, lr=lr, batch_size=32)
    before = net.score(x, labels)
    net.fit(x, labels, epochs=5)
    assert net.score(x, labels) > 0.95 > before
    assert net.epochs_trained == 5


def test_mse_and_cosine_and_weight_decay_learn_too():
    x, labels = _blobs()
    net = Network((32,), loss="mse", schedule="cosine", weight_decay=1e-4, lr=0.01, batch_size=32)
    net.fit(x, labels, epochs=6)
    assert net.score(x, labels) > 0.9
    assert net.fitter.step_count == net.fitter.total_steps


def test_uint8_input_trains_like_float():
    x, labels = _blobs()
    u8 = np.round(x * 255).astype(np.uint8)
    a = Network((16,), seed=1).fit(u8, labels, epochs=1)
    b = Network((16,), seed=1).fit(u8.astype(np.float32) / 255, labels, epochs=1)
    assert np.allclose(a.params, b.params, atol=1e-5)


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adam"])
def test_steps_on_only_the_lit_pixels_equal_full_steps(optimizer):
    """Training leaves out the pixels that are blank in a whole batch; the weights must come out the same."""
    rng = np.random.default_rng(4)
    x = np.zeros((64, 28, 28))
    x[:, 6:22, 8:20] = rng.random((64, 16, 12)) * (rng.random((64, 16, 12)) < 0.4)  # ink in the middle only
    x = x.reshape(64, 784)
    labels = rng.integers(0, 10, 64)
    pixels = active_pixels(x)
    assert pixels is not None and 150 < len(pixels) <= 16 * 12
    full = Network((12, 8), optimizer=optimizer, weight_decay=1e-3, lr=0.01, seed=3, dtype=np.float64)
    lit = full.copy()
    for _ in range(3):
        loss_full = full.train_step(x, labels)
        loss_lit = lit.train_step(x[:, pixels], labels, pixels)
        assert loss_lit == pytest.approx(loss_full, rel=1e-12)
        np.testing.assert_allclose(lit.params, full.params, rtol=1e-10, atol=1e-13)
    assert active_pixels(np.ones((2, 784))) is None  # nothing to leave out: the plain product


@pytest.mark.parametrize("weight_decay", [0.0, 1e-3])
def test_lit_pixel_steps_stay_exact_when_the_lit_pixels_move(weight_decay):
    """Each batch lights other pixels, and a step now and then uses them all; the rows of dw^1
    left from an earlier batch must never leak into a later step."""
    rng = np.random.default_rng(9)
    full = Network((12, 8), weight_decay=weight_decay, lr=0.01, seed=3, dtype=np.float64)
    lit = full.copy()
    boxes = [(2, 12, 3, 14), (10, 26, 12, 25), (6, 20, 6, 20), (0, 28, 0, 28), (14, 22, 2, 9), (3, 9, 18, 27)]
    plain_steps = 0
    for top, bottom, left, right in boxes:
        x = np.zeros((16, 28, 28))
        x[:, top:bottom, left:right] = rng.random((16, bottom - top, right - left)) * (rng.random((16, bottom - top, right - left)) < 0.5)
        x = x.reshape(16, 784)
        labels = rng.integers(0, 10, 16)
        pixels = active_pixels(x)
        plain_steps += pixels is None
        loss_full = full.train_step(x, labels)
        loss_lit = lit.train_step(x if pixels is None else x[:, pixels], labels, pixels)
        assert loss_lit == pytest.approx(loss_full, rel=1e-12)
        np.testing.assert_allclose(lit.fitter.grads, full.fitter.grads, rtol=1e-10, atol=1e-15)
        np.testing.assert_allclose(lit.params, full.params, rtol=1e-10, atol=1e-13)
    assert plain_steps == 1  # the full-frame box went through the plain product


def test_softmax_rows_matches_the_textbook_softmax():
    """One shift for the whole batch when the logits are close, one per row when they are not."""
    rng = np.random.default_rng(2)
    for spread in (1.0, 20.0, 500.0):  # within SHIFT_RANGE (one shift), and far beyond it (per row)
        z = rng.normal(0, 1, (50, 10)) + rng.uniform(-spread, spread, (50, 1))
        for dtype in (np.float32, np.float64):
            z_in = z.astype(dtype)
            got = softmax_rows(z_in.copy())
            assert got.dtype == dtype and np.isfinite(got).all()
            # A shared shift costs at most SHIFT_RANGE * 2^-24 ~ 4e-6 of relative precision in float32.
            want = A.softmax(z_in.astype(np.float64))
            np.testing.assert_allclose(got, want, rtol=1e-5 if dtype == np.float32 else 1e-12, atol=1e-30)
            np.testing.assert_allclose(got.sum(axis=1), 1, rtol=1e-5)
    huge = softmax_rows(np.array([[1000.0, 0.0], [-1000.0, -999.0]], np.float32))  # no overflow, no 0/0
    np.testing.assert_allclose(huge, [[1, 0], [1 / (1 + np.e), np.e / (1 + np.e)]], rtol=1e-6)
    half = softmax_rows(np.array([[0, 1, 2], [-30, -31, -29]], np.float16))  # e^-30 is 0 in float16
    np.testing.assert_allclose(half, A.softmax(np.array([[0, 1, 2], [-30, -31, -29]], np.float64)), rtol=2e-3)
    assert softmax_rows(np.zeros((0, 10), np.float32)).shape == (0, 10)
    assert Network((8,)).predict_proba(np.zeros((0, 784))).shape == (0, 10)


def test_train_step_refuses_labels_outside_0_to_9():
    """A label of 10 must not slip into the next row's class 0 through the flat indexing."""
    net = Network((8,))
    before = net.params.copy()
    x = np.random.default_rng(0).random((4, 784)).astype(np.float32)
    for bad in ([3, 10, 2, 1], [3, -1, 2, 1], [0.5, 1, 2, 3], [1, 2, 3]):
        with pytest.raises(DataError, match="0 to 9|one per image"):
            net.train_step(x, np.array(bad))
    assert np.array_equal(net.params, before)
    assert np.isfinite(net.train_step(x, np.array([3, 9, 0, 1], np.uint8)))


def test_adam_train_steps_follow_the_textbook_with_weight_decay():
    """Training's Adam (the kernel's ScaledAdam, handed its gradient pre-multiplied) takes Adam's steps,
    weight decay included."""
    rng = np.random.default_rng(5)
    x, labels = rng.random((32, 784)), rng.integers(0, 10, 32)
    net = Network((10,), optimizer="adam", weight_decay=0.01, lr=0.003, seed=2, dtype=np.float64)
    ref = net.copy()
    m = np.zeros_like(ref.params)
    v = np.zeros_like(ref.params)
    for t in range(1, 81):  # past the points where Adam rescales its moments
        dw, db = ref.gradients(x, labels)  # these include the L2 term 0.01 w
        g = np.concatenate([np.concatenate([d.ravel(), e]) for d, e in zip(dw, db)])
        m = 0.9 * m + 0.1 * g
        v = 0.999 * v + 0.001 * g * g
        ref.params -= 0.003 * (m / (1 - 0.9**t)) / (np.sqrt(v / (1 - 0.999**t)) + 1e-8)
        net.train_step(x, labels)
    np.testing.assert_allclose(net.params, ref.params, rtol=1e-9, atol=1e-12)


def test_divergence_is_reported_with_a_hint():
    x, labels = _blobs(200)
    net = Network((16,), "relu", optimizer="sgd", lr=50)
    net.w[0][...] = 1e37  # what a run that blew up looks like: z overflows to inf, the loss to nan
    with pytest.raises(TrainingError, match="Lower the learning rate .now 50"):
        with np.errstate(all="ignore"):
            net.fit(x, labels, epochs=3)


def test_snapshot_is_read_only_and_independent():
    x, labels = _blobs(200)
    net = Network((16,))
    snap = net.snapshot()
    seen = net.predict_proba(x[:5])
    assert snap.read_only and not snap.w[0].flags.writeable
    with pytest.raises(ValueError):
        snap.w[0][0, 0] = 1
    net.partial_fit(x, labels)
    assert not np.allclose(snap.params, net.params)
    assert np.array_equal(snap.predict_proba(x[:5]), seen)  # the snapshot kept the weights it was taken of
    assert not np.allclose(net.predict_proba(x[:5]), seen)
    copy = snap.copy()
    assert not copy.read_only
    copy.partial_fit(x, labels)
    fresh = Network((16,))
    fresh.load_snapshot(net.snapshot())
    assert np.array_equal(fresh.params, net.params)


def test_score_and_labels_checks():
    x, labels = _blobs(50)
    net = Network((8,))
    assert 0 <= net.score(x, labels) <= 1
    with pytest.raises(DataError):
        net.score(x, labels[:-1])
    with pytest.raises(DataError):
        net.fit(x, labels + 10, epochs=1)


def test_one_hot():
    y = one_hot(np.array([3, 0, 9], dtype=np.uint8))
    assert y.dtype == np.float32 and y.shape == (3, 10)
    np.testing.assert_array_equal(y.argmax(axis=1), [3, 0, 9])
    np.testing.assert_array_equal(y.sum(axis=1), [1, 1, 1])
    assert one_hot(np.array([1, 0]), k=2).tolist() == [[0, 1], [1, 0]]
    with pytest.raises(DataError, match="Label 10 is outside 0-9"):
        one_hot([1, 10])
    with pytest.raises(DataError):
        one_hot([0.5])
