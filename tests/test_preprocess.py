"""preprocess_digit and naive_resize keep their promises: MNIST-like 28x28, whatever the drawing."""

import gzip
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageDraw

from nn.errors import DataError
from nn.preprocess import EMPTY_MESSAGE, Preprocessed, naive_resize, preprocess_digit

MNIST_TEST = Path(__file__).resolve().parent.parent.parent / "shared" / "mnist" / "mnist_test.csv.gz"
STAGES = ["drawing", "crop", "fit 20x20", "centred 28x28"]

# A "4" and a "7" as pen strokes in a unit box (x right, y down).
FOUR = [[(0.7, 1.0), (0.7, 0.0), (0.08, 0.68), (0.92, 0.68)]]
SEVEN = [[(0.1, 0.0), (0.9, 0.0), (0.4, 1.0)]]


def draw(strokes=SEVEN, canvas=(280, 280), box=(60, 40, 200, 240), width=16, ink=255, paper=0, mode="L"):
    """Pen strokes scaled into `box` (x0, y0, x1, y1) on a canvas, with round joins; a PIL image."""
    img = Image.new(mode, canvas, paper)
    d = ImageDraw.Draw(img)
    x0, y0, x1, y1 = box
    r = width / 2
    for stroke in strokes:
        pts = [(x0 + u * (x1 - x0), y0 + v * (y1 - y0)) for u, v in stroke]
        d.line(pts, fill=ink, width=width)
        for x, y in pts:
            d.ellipse([x - r, y - r, x + r, y + r], fill=ink)
    return img


def centre_of_mass(x):
    m = x.sum()
    return (x.sum(axis=1) @ np.arange(28)) / m, (x.sum(axis=0) @ np.arange(28)) / m


def aligned_diff(a, b):
    """Mean absolute difference, allowing the 1 px by which whole-pixel centring may differ."""
    return min(np.abs(np.roll(a, (dy, dx), axis=(0, 1)) - b).mean() for dy in (-1, 0, 1) for dx in (-1, 0, 1))


def check_valid(p):
    assert isinstance(p, Preprocessed)
    assert p.x.shape == (28, 28) and p.x.dtype == np.float32
    assert 0.0 <= p.x.min() and p.x.max() <= 1.0
    assert [name for name, _ in p.stages] == STAGES
    for _, stage in p.stages:
        assert stage.ndim == 2 and stage.dtype == np.float32
        assert 0.0 <= stage.min() and stage.max() <= 1.0
    if p.empty:
        assert not p.x.any() and p.message == EMPTY_MESSAGE
    else:
        assert p.x.max() == pytest.approx(1.0) and p.message == ""


def test_output_is_mnist_like():
    p = preprocess_digit(np.asarray(draw()))
    check_valid(p)
    assert not p.empty
    cy, cx = centre_of_mass(p.x)
    assert abs(cy - 14) <= 1 and abs(cx - 14) <= 1
    rows, cols = np.flatnonzero(p.x.any(axis=1)), np.flatnonzero(p.x.any(axis=0))
    assert max(rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1) in (20, 21)  # fitted into 20 px (+ rounding)


def test_stages_show_the_steps():
    img = np.asarray(draw())
    stages = dict(preprocess_digit(img).stages)
    assert stages["drawing"].shape == (280, 280)
    h, w = stages["crop"].shape  # the ink's box: 200 px tall plus the pen (16 px), 0.8 x 140 px wide plus the pen
    assert abs(h - 217) <= 2 and abs(w - 129) <= 2
    assert stages["crop"].max() == pytest.approx(1.0)
    assert stages["fit 20x20"].shape == (20, 20)
    assert stages["centred 28x28"].shape == (28, 28)


def test_polarity_does_not_matter():
    white_on_black = preprocess_digit(draw(ink=255, paper=0)).x
    black_on_white = preprocess_digit(draw(ink=0, paper=255)).x
    blue_on_cream = preprocess_digit(draw(ink=(20, 30, 120), paper=(250, 245, 220), mode="RGB")).x
    assert np.abs(white_on_black - black_on_white).max() < 1e-5
    assert np.abs(white_on_black - blue_on_cream).mean() < 0.02


@pytest.mark.parametrize("strokes", [SEVEN, FOUR])
def test_scale_does_not_matter(strokes):
    small = preprocess_digit(draw(strokes, canvas=(100, 100), box=(30, 20, 65, 70), width=5)).x
    large = preprocess_digit(draw(strokes, canvas=(1000, 1000), box=(300, 200, 650, 700), width=50)).x
    assert aligned_diff(small, large) < 0.035


def test_digit_in_a_corner_gets_centred():
    middle = preprocess_digit(draw(canvas=(600, 600), box=(250, 200, 320, 300), width=12)).x
    corner = preprocess_digit(draw(canvas=(600, 600), box=(8, 492, 78, 592), width=12)).x
    cy, cx = centre_of_mass(corner)
    assert abs(cy - 14) <= 1 and abs(cx - 14) <= 1
    assert aligned_diff(middle, corner) < 0.02


def test_thin_thick_tiny_and_huge_digits():
    cases = [
        draw(canvas=(800, 800), box=(100, 100, 600, 700), width=2),  # hairline
        draw(canvas=(300, 300), box=(80, 60, 200, 240), width=45),  # marker
        draw(canvas=(300, 300), box=(140, 150, 143, 155), width=1),  # 5 px tall
        draw(canvas=(2000, 2000), box=(300, 200, 1500, 1800), width=120),  # huge
    ]
    for img in cases:
        p = preprocess_digit(img)
        check_valid(p)
        assert not p.empty
        cy, cx = centre_of_mass(p.x)
        assert abs(cy - 14) <= 1 and abs(cx - 14) <= 1


def test_every_image_mode_agrees():
    base = draw(ink=0, paper=255)  # black on white paper
    ref = preprocess_digit(base).x
    rgba_transparent = Image.new("RGBA", base.size, (0, 0, 0, 0))  # black ink on transparent
    rgba_transparent.putalpha(Image.eval(base, lambda v: 255 - v))
    white_ink_on_transparent = Image.new("RGBA", base.size, (255, 255, 255, 0))
    white_ink_on_transparent.putalpha(Image.eval(base, lambda v: 255 - v))
    variants = {
        "L": base,
        "RGB": base.convert("RGB"),
        "RGBA opaque": base.convert("RGBA"),
        "RGBA black ink, transparent paper": rgba_transparent,
        "RGBA white ink, transparent paper": white_ink_on_transparent,
        "P": base.convert("RGB").convert("P"),
        "1": base.convert("1"),
        "I;16": Image.fromarray((np.asarray(base).astype(np.uint16) * 257)),
        "F": Image.fromarray(np.asarray(base).astype(np.float32)),
        "array uint8": np.asarray(base),
        "array float 0-1": np.asarray(base) / 255.0,
        "array float 0-255": np.asarray(base).astype(np.float64),
        "array bool": np.asarray(base) < 128,
        "array RGB": np.asarray(base.convert("RGB")),
        "array RGBA": np.asarray(rgba_transparent),
        "array (H, W, 1)": np.asarray(base)[:, :, None],
    }
    for name, image in variants.items():
        p = preprocess_digit(image)
        check_valid(p)
        tolerance = 0.03 if name in ("1", "array bool") else 0.01  # binarised edges differ a little
        assert np.abs(p.x - ref).mean() < tolerance, name


@pytest.mark.parametrize("image", [
    np.zeros((280, 280), np.uint8),
    np.full((280, 280), 255, np.uint8),
    np.full((50, 80, 3), 0.5),
    np.zeros((1, 1)),
    Image.new("RGBA", (100, 100), (0, 0, 0, 0)),
], ids=["black", "white", "gray RGB", "one pixel", "transparent"])
def test_empty_image(image):
    p = preprocess_digit(image)
    check_valid(p)
    assert p.empty and p.message == "Nothing to recognise: the image is empty."


def test_nearly_empty_image():
    a = np.zeros((280, 280), np.uint8)
    a[100, 100] = a[150, 200] = 255  # two stray pixels
    assert preprocess_digit(a).empty
    rng = np.random.default_rng(0)
    faint = rng.integers(0, 12, (280, 280)).astype(np.uint8)  # sensor noise, no ink
    assert preprocess_digit(faint).empty


def test_noise_around_a_digit_is_ignored():
    clean = np.asarray(draw(), dtype=np.float32)
    noisy = clean + np.random.default_rng(1).uniform(0, 20, clean.shape).astype(np.float32)
    a, b = preprocess_digit(np.clip(noisy, 0, 255).astype(np.uint8)).x, preprocess_digit(clean.astype(np.uint8)).x
    assert np.abs(a - b).mean() < 0.01


@pytest.mark.parametrize("bad, words", [
    (np.zeros(10), "shape"),
    (np.zeros((2, 3, 4, 5)), "shape"),
    (np.zeros((10, 10, 5)), "shape"),
    (np.zeros((0, 28)), "no pixels"),
    (np.full((28, 28), np.nan), "NaN"),
    (np.full((28, 28), np.inf), "NaN or infinite"),
    (np.full((28, 28), -3.0), "negative"),
    (np.full((28, 28), 1e6), "0-65535"),
    (np.array([["a", "b"], ["c", "d"]]), "numbers"),
    (np.zeros((28, 28), complex), "numbers"),
    (np.array([[None, 1], [2, 3]], dtype=object), "numbers"),
], ids=["1-D", "4-D", "5 channels", "0 rows", "NaN", "inf", "negative", "too large", "strings",
        "complex", "objects"])
def test_bad_input_raises_data_error(bad, words):
    with pytest.raises(DataError, match=words):
        preprocess_digit(bad)
    with pytest.raises(DataError):
        naive_resize(bad)


def test_naive_resize_is_a_plain_resize():
    img = draw(canvas=(280, 280))
    x = naive_resize(img)
    assert x.shape == (28, 28) and x.dtype == np.float32 and 0 <= x.min() and x.max() <= 1
    inverted = naive_resize(Image.eval(img, lambda v: 255 - v))
    assert np.abs(x - inverted).max() < 1e-5
    # a 280 px pad shrinks 10x with area averaging: the mean ink stays the same
    assert x.mean() == pytest.approx(np.asarray(img).mean() / 255, rel=1e-3)


@pytest.mark.skipif(not MNIST_TEST.exists(), reason=f"{MNIST_TEST} not found")
def test_mnist_digits_are_nearly_unchanged():
    """MNIST digits are already preprocessed this way: preprocessing them again changes little."""
    with gzip.open(MNIST_TEST, "rt") as f:
        next(f)
        rows = np.array([next(f).split(",") for _ in range(100)], dtype=np.uint8)
    x = rows[:, 1:].reshape(-1, 28, 28) / 255.0
    again = np.stack([preprocess_digit(v).x for v in x])
    assert np.abs(again - x).mean() < 0.03
    enlarged = np.stack([preprocess_digit(Image.fromarray(rows[i, 1:].reshape(28, 28)).resize((140, 140),
                                                                                             Image.BICUBIC)).x
                         for i in range(20)])
    assert np.abs(enlarged - x[:20]).mean() < 0.04


_dtypes = st.sampled_from([np.uint8, np.uint16, np.int32, np.int64, np.float32, np.float64, np.bool_])


@st.composite
def arrays(draw_):
    dtype = draw_(_dtypes)
    shape = draw_(st.one_of(
        st.tuples(st.integers(0, 40), st.integers(0, 40)),
        st.tuples(st.integers(0, 30), st.integers(0, 30), st.sampled_from([1, 2, 3, 4, 5])),
        st.lists(st.integers(0, 5), min_size=0, max_size=4).map(tuple),
    ))
    rng = np.random.default_rng(draw_(st.integers(0, 2**32 - 1)))
    kind = draw_(st.sampled_from(["uniform", "sparse", "constant", "wild"]))
    if kind == "uniform":
        a = rng.uniform(0, 255, shape)
    elif kind == "sparse":
        a = np.where(rng.random(shape) < 0.05, 255.0, 0.0)
    elif kind == "constant":
        a = np.full(shape, draw_(st.sampled_from([0.0, 1.0, 7.0, 255.0])))
    else:
        a = rng.normal(0, 1e5, shape)
        if a.size and draw_(st.booleans()):
            a.flat[0] = draw_(st.sampled_from([np.nan, np.inf, -np.inf]))
    with np.errstate(invalid="ignore", over="ignore"):
        return a.astype(dtype)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(arrays())
def test_any_array_gives_a_result_or_a_data_error(a):
    try:
        p = preprocess_digit(a)
    except DataError as exc:
        assert str(exc)
    else:
        check_valid(p)
        cy, cx = centre_of_mass(p.x) if not p.empty else (14, 14)
        assert 0 <= cy <= 27 and 0 <= cx <= 27
    try:
        x = naive_resize(a)
    except DataError:
        pass
    else:
        assert x.shape == (28, 28) and x.dtype == np.float32 and 0 <= x.min() and x.max() <= 1


@pytest.mark.parametrize("dot", [(15, 15), (265, 140), (140, 272), (260, 262)])
def test_a_stray_speck_far_from_the_digit_is_left_out(dot):
    """An accidental click in a corner or at an edge must not shrink the digit."""
    clean = draw(FOUR, box=(100, 90, 180, 210), width=20)
    specked = clean.copy()
    x, y = dot
    ImageDraw.Draw(specked).ellipse([x - 13, y - 13, x + 13, y + 13], fill=255)  # the pad's default pen
    np.testing.assert_allclose(preprocess_digit(specked).x, preprocess_digit(clean).x, atol=1e-6)


def test_separate_parts_of_a_digit_are_kept():
    """A 5 whose flag is drawn apart, close to the body, is still one digit; so is a big second stroke."""
    five = draw([[(0.3, 0.0), (0.95, 0.0)], [(0.25, 0.25), (0.2, 0.5), (0.8, 0.55), (0.8, 0.95), (0.1, 0.95)]],
                width=16)
    crop = preprocess_digit(five).stages[1][1]
    assert crop.shape[0] > 180  # the flag at the top is inside the crop (the body alone is ~150 px)
    far_half = draw([[(0.0, 0.0), (0.0, 0.3)], [(1.0, 0.7), (1.0, 1.0)]], box=(20, 20, 260, 260))
    assert preprocess_digit(far_half).stages[1][1].shape[1] > 200  # two big strokes: both kept


def test_a_faint_digit_beside_a_dark_speck_is_still_read():
    """Pencil digit, dirt mark: the speck is left out and the digit measured by its own ink."""
    img = np.zeros((200, 200), np.float32)
    img[40:160, 95:105] = 0.45  # a "1" in pencil
    plain = preprocess_digit(img)
    img[20:26, 170:176] = 1.0  # a dark speck far to the right
    specked = preprocess_digit(img)
    assert not specked.empty
    np.testing.assert_allclose(specked.x, plain.x, atol=1e-6)
