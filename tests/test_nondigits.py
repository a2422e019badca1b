"""The non-digit generator (nn/nondigits.py) and the bundled glyph array."""

import numpy as np
import pytest

from nn.errors import DataError
from nn.nondigits import EXCLUDED_CHARS, GLYPHS_PATH, KINDS, make_nondigits


def test_deterministic_for_a_seed():
    a, ka = make_nondigits(70, np.random.default_rng(3))
    b, kb = make_nondigits(70, np.random.default_rng(3))
    assert np.array_equal(a, b) and list(ka) == list(kb)
    c, _ = make_nondigits(70, np.random.default_rng(4))
    assert not np.array_equal(a, c)


def test_shape_dtype_ink_and_every_kind():
    x, kinds = make_nondigits(140, np.random.default_rng(0))
    assert x.shape == (140, 784) and x.dtype == np.uint8
    assert set(kinds) == set(KINDS)
    assert (x.max(axis=1) == 255).all()  # each image has ink, scaled like MNIST's
    assert ((x > 0).sum(axis=1) >= 4).all()


def test_one_kind_and_bad_kind():
    _, kinds = make_nondigits(10, np.random.default_rng(0), kinds=["line"])
    assert set(kinds) == {"line"}
    with pytest.raises(DataError, match="choose from"):
        make_nondigits(5, np.random.default_rng(0), kinds=["digit"])


def test_bundled_glyphs_have_no_digits_nor_look_alikes():
    with np.load(GLYPHS_PATH, allow_pickle=False) as f:
        images, chars, fonts = f["images"], f["chars"], f["fonts"]
    assert images.dtype == np.uint8 and images.shape == (len(chars), 784) and len(fonts) == len(chars)
    assert not set("".join(chars)) & set(EXCLUDED_CHARS)
    assert not any(name.startswith(("Nimbus", "Noto", "URW", "C059", "P052")) for name in fonts)  # eval fonts


def test_lines_are_never_upright():
    # A cheap "not a digit" check we can justify: a vertical stroke is a 1, so a generated line's
    # ink must lean at least 35 degrees off vertical: width >= tan(35 deg) = 0.70 of its height,
    # 0.5 allowing for the round pen ends.
    x, _ = make_nondigits(50, np.random.default_rng(1), kinds=["line"])
    for img in x.reshape(-1, 28, 28):
        rows, cols = np.nonzero(img > 64)
        assert np.ptp(cols) >= 0.5 * np.ptp(rows)
