"""open_image: only the formats a digit comes in are opened, and any failure is that file's DataError."""

import io
import os
import threading

import numpy as np
import pytest
from PIL import Image, features

from nn.errors import DataError
from nn.preprocess import open_image, preprocess_digit

ACCEPTED = [("PNG", "png", "L"), ("PNG", "png", "RGBA"), ("JPEG", "jpg", "RGB"), ("BMP", "bmp", "RGB"),
            ("GIF", "gif", "P"), ("TIFF", "tif", "L"), ("TIFF", "tif", "I;16"), ("PPM", "ppm", "RGB"),
            ("PPM", "pgm", "L"), ("PPM", "pbm", "1"), ("ICO", "ico", "RGBA")]
if features.check("webp"):
    ACCEPTED.append(("WEBP", "webp", "RGB"))
# Formats Pillow can write but a digit never comes in; their decoders raised RuntimeError and
# NotImplementedError on damaged files. Each is refused whole, damaged or not.
REFUSED = [("DDS", "dds", "RGBA"), ("BLP", "blp", "P"), ("TGA", "tga", "RGB"), ("PCX", "pcx", "RGB"),
           ("SGI", "sgi", "RGB"), ("QOI", "qoi", "RGB"), ("SPIDER", "spi", "F")]
if features.check("avif"):
    REFUSED.append(("AVIF", "avif", "RGB"))


def _digit_bytes(fmt, mode):
    """A small valid image of a drawn stroke, as `fmt` bytes."""
    a = np.zeros((32, 32), np.uint8)
    a[6:26, 14:18] = 255
    im = Image.fromarray(a, "L")
    im = im.convert(mode) if mode != "I;16" else Image.fromarray(a.astype(np.uint16) * 257)
    buf = io.BytesIO()
    im.save(buf, fmt)
    return buf.getvalue()


def _read(path):
    """What predict does with one file: a result, or a DataError (anything else fails the test, and
    so does a warning, which predict would print on stderr as several lines)."""
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = _read_quietly(path)
    assert not caught, [str(w.message) for w in caught]
    return result


def _read_quietly(path):
    try:
        return preprocess_digit(open_image(path))
    except DataError as exc:
        assert "\n" not in str(exc)
        return exc


@pytest.mark.parametrize("fmt, ext, mode", ACCEPTED)
def test_each_accepted_format_reads_and_its_damaged_copies_give_a_data_error(tmp_path, fmt, ext, mode):
    data = _digit_bytes(fmt, mode)
    good = tmp_path / f"good.{ext}"
    good.write_bytes(data)
    result = _read(good)
    assert not isinstance(result, DataError) and not result.empty
    rng = np.random.default_rng(0)
    cuts = sorted({1, 8, 16, len(data) // 3, len(data) // 2, len(data) - 8, len(data) - 1})
    damaged = [data[:n] for n in cuts if 0 < n < len(data)]
    for _ in range(20):  # a few bytes overwritten, header included
        b = bytearray(data)
        for i in rng.integers(0, len(b), 4):
            b[i] = int(rng.integers(0, 256))
        damaged.append(bytes(b))
    for i, d in enumerate(damaged):
        path = tmp_path / f"bad{i}.{ext}"
        path.write_bytes(d)
        _read(path)  # only a result or a DataError


@pytest.mark.parametrize("fmt, ext, mode", REFUSED)
def test_other_formats_are_never_opened(tmp_path, fmt, ext, mode):
    try:
        data = _digit_bytes(fmt, mode)
    except (OSError, KeyError, ValueError) as exc:
        pytest.skip(f"this Pillow cannot write {fmt} ({exc})")
    for name, d in (("valid", data), ("truncated", data[: len(data) // 2]), ("header", data[:40])):
        path = tmp_path / f"{name}.{ext}"
        path.write_bytes(d)
        with pytest.raises(DataError, match="not an image of a kind read here"):
            open_image(path)


def _within(seconds, fn, *args):
    """fn(*args)'s exception or result, failing (not hanging) when it takes longer than `seconds`."""
    out = {}

    def run():
        try:
            out["result"] = fn(*args)
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            out["error"] = exc

    t = threading.Thread(target=run, daemon=True)
    t.start()
    t.join(seconds)
    assert not t.is_alive(), f"{fn.__name__} still running after {seconds} s"
    return out


@pytest.mark.parametrize("ext", ["eps", "ps", "png"])
def test_postscript_never_reaches_ghostscript(tmp_path, ext, monkeypatch):
    import subprocess

    def no_ghostscript(*args, **kwargs):
        raise AssertionError(f"a subprocess was started: {args}")

    monkeypatch.setattr(subprocess, "Popen", no_ghostscript)
    monkeypatch.setattr(subprocess, "check_call", no_ghostscript)
    path = tmp_path / f"loop.{ext}"
    path.write_bytes(b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 28 28\n{ } loop\nshowpage\n")
    out = _within(5, open_image, path)
    assert isinstance(out.get("error"), DataError), out
    assert "not an image of a kind read here" in str(out["error"])


def test_any_exception_in_a_decoder_is_that_files_data_error(tmp_path, monkeypatch):
    path = tmp_path / "d.png"
    path.write_bytes(_digit_bytes("PNG", "L"))

    def broken(self):
        raise RuntimeError("decoder\nexploded")

    monkeypatch.setattr(Image.Image, "load", broken)
    monkeypatch.setattr("PIL.ImageFile.ImageFile.load", broken)
    with pytest.raises(DataError, match=r"^damaged image \(RuntimeError: decoder exploded\)$"):
        open_image(path)


def test_a_missing_file_or_a_folder(tmp_path):
    with pytest.raises(DataError, match="^does not exist"):
        open_image(tmp_path / "nothing.png")
    with pytest.raises(DataError, match="^is a folder"):
        open_image(tmp_path)
    with pytest.raises(DataError, match="^not a usable file name"):
        open_image(str(tmp_path / "a\0b.png"))


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no mkfifo on this system")
def test_a_fifo_is_refused_before_it_is_opened(tmp_path):
    fifo = tmp_path / "digit.png"
    os.mkfifo(fifo)
    out = _within(5, open_image, fifo)  # open() on a FIFO with no writer blocks forever
    assert isinstance(out.get("error"), DataError), out
    assert "not a regular file" in str(out["error"])


def test_predict_goes_on_after_a_damaged_file(tmp_path, capsys):
    from nn import cli

    good = tmp_path / "good.png"
    good.write_bytes(_digit_bytes("PNG", "L"))
    bad = tmp_path / "bad.dds"
    bad.write_bytes(_digit_bytes("DDS", "RGBA")[:100])
    eps = tmp_path / "loop.eps"
    eps.write_bytes(b"%!PS\n{ } loop\n")
    code = cli.main(["predict", str(bad), str(eps), str(good)])
    out = capsys.readouterr().out.splitlines()
    assert code == 1 and len(out) == 3
    assert "error" in out[0] and "error" in out[1] and out[2].startswith(f"{good}: ") and "error" not in out[2]
