"""augment_batch: per-sample affine distortions that keep digits digits."""

import numpy as np
import pytest

from nn.augment import affine_maps, augment_batch, inverse_maps, warp_batch
from nn.errors import ConfigError, DataError


def digits(n=64, seed=0):
    """Blobby strokes in the middle of 28x28, like MNIST: (n, 784) float32 in [0, 1], 0 at the edges."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:28, 0:28]
    x = np.zeros((n, 28, 28), np.float32)
    for i in range(n):
        for _ in range(3):  # three short thick segments per digit
            (y0, x0), (y1, x1) = rng.uniform(7, 21, (2, 2))
            t = np.clip(((yy - y0) * (y1 - y0) + (xx - x0) * (x1 - x0)) / ((y1 - y0) ** 2 + (x1 - x0) ** 2 + 1e-9), 0, 1)
            d = np.hypot(yy - (y0 + t * (y1 - y0)), xx - (x0 + t * (x1 - x0)))
            x[i] = np.maximum(x[i], np.clip(2.0 - d, 0, 1))
    return x.reshape(n, 784)


def test_shape_dtype_and_range():
    x = digits()
    out = augment_batch(x, np.random.default_rng(1))
    assert out.shape == x.shape and out.dtype == np.float32
    assert out.min() >= 0 and out.max() <= 1
    assert not np.shares_memory(out, x)
    images = augment_batch(x.reshape(-1, 28, 28), np.random.default_rng(1))
    assert images.shape == (64, 28, 28)
    np.testing.assert_array_equal(images.reshape(-1, 784), out)


def test_float64_and_uint8_like_inputs_are_accepted():
    x = digits(8)
    a = augment_batch(x.astype(np.float64), np.random.default_rng(2))
    b = augment_batch(x, np.random.default_rng(2))
    assert a.dtype == np.float32
    np.testing.assert_allclose(a, b, atol=1e-6)


def test_uint8_pixels_are_scaled():
    x = digits(8)
    as_uint8 = np.round(x * 255).astype(np.uint8)
    out = augment_batch(as_uint8, np.random.default_rng(2), max_shift=0, max_rotate=0, scale=(1, 1))
    np.testing.assert_allclose(out, as_uint8 / 255, atol=1e-6)


def test_large_batches_are_warped_in_pieces_with_the_same_result():
    x = np.tile(digits(10), (150, 1))  # 1500 > CHUNK
    out = augment_batch(x, np.random.default_rng(6), group=1)
    maps = inverse_maps(1500, np.random.default_rng(6))
    np.testing.assert_array_equal(out[-10:], warp_batch(x[-10:], maps[-10:]))


def test_groups_share_a_transform_and_a_last_short_group_gets_its_own():
    x = np.tile(digits(1), (21, 1))  # groups of 8, 8 and 5 of the same digit
    out = augment_batch(x, np.random.default_rng(6), group=8)
    maps = inverse_maps(3, np.random.default_rng(6))
    for g, rows in enumerate((slice(0, 8), slice(8, 16), slice(16, 21))):
        expected = warp_batch(x[:1], maps[g:g + 1])
        np.testing.assert_array_equal(out[rows], np.repeat(expected, len(x[rows]), axis=0))
    assert len({row.tobytes() for row in out}) == 3
    # across chunks too: 1030 digits = 1024 (128 groups) + one group of 6
    big = augment_batch(np.tile(digits(1), (1030, 1)), np.random.default_rng(6), group=8)
    assert len({row.tobytes() for row in big}) == 129


def test_no_distortion_is_the_identity():
    x = digits()
    out = augment_batch(x, np.random.default_rng(3), max_shift=0, max_rotate=0, scale=(1, 1))
    np.testing.assert_array_equal(out, x)


def test_same_seed_same_result_other_seed_other_result():
    x = digits()
    a = augment_batch(x, np.random.default_rng(7))
    b = augment_batch(x, np.random.default_rng(7))
    c = augment_batch(x, np.random.default_rng(8))
    np.testing.assert_array_equal(a, b)
    assert np.abs(a - c).mean() > 0.01


def test_each_sample_gets_its_own_transform_with_group_1():
    x = np.repeat(digits(1), 32, axis=0)
    out = augment_batch(x, np.random.default_rng(4), group=1)
    assert len({row.tobytes() for row in out}) == 32
    with pytest.raises(ConfigError, match="group"):
        augment_batch(x, np.random.default_rng(4), group=0)


def test_ink_mass_is_roughly_kept():
    x = digits()
    rigid = augment_batch(x, np.random.default_rng(5), scale=(1, 1))  # shifts and rotations only
    np.testing.assert_allclose(rigid.sum(axis=1), x.sum(axis=1), rtol=0.06)  # nearest neighbour: +-3 % seen
    zoomed = augment_batch(x, np.random.default_rng(5))  # area scales with s**2, s in (0.9, 1.1)
    ratio = zoomed.sum(axis=1) / x.sum(axis=1)
    assert 0.7 < ratio.min() and ratio.max() < 1.3  # 0.74-1.25 seen


def test_whole_pixel_shift_moves_pixels_exactly():
    x = digits(4)
    zeros = np.zeros(4)
    out = warp_batch(x, affine_maps(zeros, np.ones(4), zeros, np.full(4, 2.0), np.full(4, -1.0)))
    expected = np.zeros((4, 28, 28), np.float32)
    expected[:, :-1, 2:] = x.reshape(4, 28, 28)[:, 1:, :-2]  # right by 2, up by 1
    np.testing.assert_array_equal(out.reshape(4, 28, 28), expected)


def test_sub_pixel_shifts_take_the_nearest_pixel():
    x = digits(2)
    zeros = np.zeros(2)
    img = x.reshape(2, 28, 28)
    near = warp_batch(x, affine_maps(zeros, np.ones(2), zeros, np.full(2, 0.4), zeros)).reshape(2, 28, 28)
    np.testing.assert_array_equal(near, img)
    far = warp_batch(x, affine_maps(zeros, np.ones(2), zeros, np.full(2, 0.6), zeros)).reshape(2, 28, 28)
    np.testing.assert_array_equal(far[:, :, 1:], img[:, :, :-1])


def test_compact_output_holds_every_lit_pixel():
    x = np.round(digits(128) * 255).astype(np.uint8)
    values, pixels = augment_batch(x, np.random.default_rng(9), pixels=True)
    full = augment_batch(x, np.random.default_rng(9))
    assert values.dtype == np.float32 and values.shape == (128, len(pixels))
    assert np.all(np.diff(pixels) > 0) and len(pixels) < 784  # sorted; the corners stay dark
    np.testing.assert_array_equal(values, full[:, pixels])
    others = np.ones(784, bool)
    others[pixels] = False
    assert not full[:, others].any()
    assert full.max() > 0.99 and np.isin(np.round(full * 255), np.arange(256)).all()  # uint8 steps kept


def test_quarter_turn_is_rot90():
    x = digits(3)
    theta = np.full(3, np.pi / 2)
    out = warp_batch(x, affine_maps(theta, np.ones(3), np.zeros(3), np.zeros(3), np.zeros(3)))
    # +90 degrees turns +x towards +y: clockwise on screen, as np.rot90(k=-1)
    expected = np.rot90(x.reshape(3, 28, 28), k=-1, axes=(1, 2))
    np.testing.assert_allclose(out.reshape(3, 28, 28), expected, atol=1e-4)


def test_batches_of_other_sizes():
    for n in (0, 1, 5, 128, 300):
        out = augment_batch(digits(n) if n else np.zeros((0, 784), np.float32), np.random.default_rng(n))
        assert out.shape == (n, 784)


def test_bad_input():
    rng = np.random.default_rng(0)
    with pytest.raises(DataError, match="784"):
        augment_batch(np.zeros((4, 100), np.float32), rng)
    with pytest.raises(DataError):
        augment_batch(np.zeros(784, np.float32), rng)
    with pytest.raises(ConfigError):
        augment_batch(digits(2), rng, max_shift=-1)
    with pytest.raises(ConfigError):
        augment_batch(digits(2), rng, scale=(1.2, 0.8))
    with pytest.raises(ConfigError):
        augment_batch(digits(2), rng, scale="big")
