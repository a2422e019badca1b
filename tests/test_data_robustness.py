"""nn.data against damaged caches, FIFOs, gzip padding, huge files and odd names (issue 15).

Every test that could hang on a regression (a FIFO opened, 1 GB of gzip padding skipped byte by
byte) runs the load in a thread joined with a timeout, so it fails instead of blocking the suite.
"""

from __future__ import annotations

import gzip
import logging
import os
import threading
from pathlib import Path

import numpy as np
import pytest

from nn import data, gzip_reader, mnist_csv
from nn.data import load_mnist
from nn.errors import DataError
from tests.test_data import csv_bytes, idx_bytes, make_rows, write

needs_fifo = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="os.mkfifo is not available here")


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("DIGITS_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(data, "_CACHE_MIN_BYTES", 0)
    return tmp_path / "cache"


def in_time(fn, *args, seconds: float = 20, fifos=(), **kwargs):
    """fn(*args, **kwargs) in a thread; its result, or its exception re-raised. Fails after `seconds`,
    first opening each FIFO in `fifos` for writing, which frees a reader stuck in open()."""
    out = {}

    def run():
        try:
            out["value"] = fn(*args, **kwargs)
        except BaseException as exc:  # noqa: BLE001 -- handed to the test thread
            out["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        for fifo in fifos:
            try:
                os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
            except OSError:
                pass
        thread.join(5)
        pytest.fail(f"{getattr(fn, '__name__', fn)} did not return within {seconds} s (blocked?)")
    if "error" in out:
        raise out["error"]
    return out["value"]


def cached_files(cache: Path) -> dict:
    return {p.name.split(".", 1)[1]: p for p in cache.iterdir()}


def warnings_of(caplog) -> list:
    return [r.getMessage() for r in caplog.records if r.name == "nn.data" and r.levelno >= logging.WARNING]


# ----------------------------------------------------------------------------------------------
# 1. The cache is checked: arrays by CRC-32, the source by size, times and a hash of its ends


def test_zeroed_cached_labels_are_noticed_and_rebuilt(tmp_path, private_cache, caplog):
    x, labels = make_rows(20, seed=3)
    path = write(tmp_path / "d.csv", csv_bytes(x, labels))
    load_mnist(path)
    cached = np.load(cached_files(private_cache)["labels.npy"], mmap_mode="r+")
    cached[:] = 0  # same size, valid values: only the checksum can tell
    cached.flush()
    del cached
    with caplog.at_level(logging.WARNING, logger="nn.data"):
        got_x, got_labels = load_mnist(path)
        np.testing.assert_array_equal(got_labels, labels)
        np.testing.assert_array_equal(got_x, x)
        assert len(warnings_of(caplog)) == 1 and "does not match its checksum" in warnings_of(caplog)[0]
        assert "d.csv" in warnings_of(caplog)[0]
        caplog.clear()
        np.testing.assert_array_equal(load_mnist(path)[1], labels)  # rebuilt: said once, not every time
        assert warnings_of(caplog) == []
    np.testing.assert_array_equal(np.load(cached_files(private_cache)["labels.npy"]), labels)


@pytest.mark.parametrize("part", ["x.npy", "labels.npy"])
def test_one_flipped_bit_in_the_cache_is_noticed(tmp_path, private_cache, part):
    x, labels = make_rows(20, seed=5)
    path = write(tmp_path / "d.csv", csv_bytes(x, labels))
    load_mnist(path)
    target = cached_files(private_cache)[part]
    raw = bytearray(target.read_bytes())
    raw[-3] ^= 0x01  # in the data, past the .npy header; labels stay 0-9 or 8-9 -> 9/8, x any value
    target.write_bytes(bytes(raw))
    notes = []
    got_x, got_labels = load_mnist(path, notes=notes)
    np.testing.assert_array_equal(got_x, x)
    np.testing.assert_array_equal(got_labels, labels)
    assert len(notes) == 1 and "does not match its checksum" in notes[0]


def test_same_size_edit_with_mtime_restored_is_noticed(tmp_path, caplog):
    x, labels = make_rows(10, seed=6)
    path = write(tmp_path / "d.csv", csv_bytes(x, labels, header=False))
    before = path.stat()
    load_mnist(path)
    edited = labels.copy()
    edited[0] = (labels[0] + 1) % 10
    path.write_bytes(csv_bytes(x, edited, header=False))  # only the first label's digit differs
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert path.stat().st_size == before.st_size and path.stat().st_mtime_ns == before.st_mtime_ns
    with caplog.at_level(logging.WARNING, logger="nn.data"):
        np.testing.assert_array_equal(load_mnist(path)[1], edited)
    assert any("no longer matches the file" in m for m in warnings_of(caplog))


def test_edit_in_the_middle_of_a_large_file_is_noticed_by_its_ctime(tmp_path, caplog):
    """Past 1 MB only the ends are hashed; the status-change time (which os.utime cannot restore) tells."""
    x, labels = make_rows(600, seed=7)
    path = write(tmp_path / "d.csv", csv_bytes(x, labels))
    assert path.stat().st_size > data._WHOLE_FILE_BYTES
    before = path.stat()
    load_mnist(path)
    edited = labels.copy()
    edited[300] = (labels[300] + 1) % 10
    path.write_bytes(csv_bytes(x, edited))
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    if path.stat().st_ctime_ns == before.st_ctime_ns:
        pytest.skip("this file system's ctime did not move within the test")
    np.testing.assert_array_equal(load_mnist(path)[1], edited)


@pytest.mark.parametrize("meta", ["{not json", '{"sources": 5, "x_crc": 1, "labels_crc": 2}',
                                  '{"sources": [3], "x_crc": 1, "labels_crc": 2}', "[]"])
def test_unreadable_meta_rebuilds(tmp_path, private_cache, meta):
    x, labels = make_rows(4)
    path = write(tmp_path / "d.csv", csv_bytes(x, labels))
    load_mnist(path)
    cached_files(private_cache)["meta.json"].write_text(meta)
    notes = []
    np.testing.assert_array_equal(load_mnist(path, notes=notes)[0], x)
    assert notes and "unreadable checksums" in notes[0]
    assert load_mnist(path, notes=notes) and len(notes) == 1


# ----------------------------------------------------------------------------------------------
# 4. Only regular files are opened


@needs_fifo
def test_fifo_as_data_file_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "train.csv"
    os.mkfifo(fifo)
    with pytest.raises(DataError, match=r"train\.csv is not a regular file"):
        in_time(load_mnist, fifo, fifos=[fifo])


@needs_fifo
@pytest.mark.parametrize("fifo_part", ["images", "labels"])
def test_fifo_as_idx_file_is_refused_without_blocking(tmp_path, fifo_part):
    x, labels = make_rows(3)
    images = tmp_path / "t10k-images-idx3-ubyte"
    labels_path = tmp_path / "t10k-labels-idx1-ubyte"
    write(images, idx_bytes(x.reshape(3, 28, 28)))
    write(labels_path, idx_bytes(labels))
    fifo = images if fifo_part == "images" else labels_path
    fifo.unlink()
    os.mkfifo(fifo)
    given = labels_path if fifo_part == "images" else images
    with pytest.raises(DataError, match="not a regular file"):
        in_time(load_mnist, given, fifos=[fifo])


@needs_fifo
@pytest.mark.parametrize("part", ["x.npy", "labels.npy", "meta.json"])
def test_fifo_in_the_cache_is_never_opened(tmp_path, private_cache, part):
    x, labels = make_rows(5)
    path = write(tmp_path / "d.csv", csv_bytes(x, labels))
    load_mnist(path)
    target = cached_files(private_cache)[part]
    target.unlink()
    os.mkfifo(target)
    got_x, got_labels = in_time(load_mnist, path, fifos=[target])
    np.testing.assert_array_equal(got_x, x)
    np.testing.assert_array_equal(got_labels, labels)
    assert target.is_file()  # rebuilt as a regular file
    in_time(load_mnist, path)


# ----------------------------------------------------------------------------------------------
# 5. gzip: the reader stops at the end of the last member


def gz_rows(n=4, seed=0) -> tuple[bytes, np.ndarray, np.ndarray]:
    x, labels = make_rows(n, seed=seed)
    return gzip.compress(csv_bytes(x, labels)), x, labels


def test_a_gigabyte_of_nul_padding_is_refused_at_once(tmp_path):
    packed, _, _ = gz_rows()
    path = tmp_path / "d.csv.gz"
    with open(path, "wb") as f:
        f.write(packed)
        f.truncate(len(packed) + (1 << 30))  # sparse where the file system allows: no disk used
    with pytest.raises(DataError, match=r"^d\.csv\.gz: cannot be read \(1,073,741,824 bytes after the end of the "
                                        r"compressed data are not gzip data"):
        in_time(load_mnist, path, cache=False, seconds=20)


def test_one_megabyte_of_nul_padding_is_refused(tmp_path):
    packed, _, _ = gz_rows()
    path = write(tmp_path / "d.csv", b"")
    path = path.with_suffix(".csv.gz")
    path.write_bytes(packed + bytes(1 << 20))
    with pytest.raises(DataError, match="1,048,576 bytes after the end of the compressed data"):
        in_time(load_mnist, path, cache=False)


def test_short_nul_padding_is_allowed(tmp_path):
    packed, x, labels = gz_rows()
    path = tmp_path / "d.csv.gz"
    path.write_bytes(packed + bytes(gzip_reader.MAX_PADDING))
    np.testing.assert_array_equal(load_mnist(path, cache=False)[1], labels)


@pytest.mark.parametrize("junk", [b"PK\x03\x04 not gzip", np.random.default_rng(0).bytes(10_000), b"\x1f"],
                         ids=["zip-header", "random-10k", "one-magic-byte"])
def test_junk_after_the_last_member_is_refused(tmp_path, junk):
    packed, _, _ = gz_rows()
    path = tmp_path / "d.csv.gz"
    path.write_bytes(packed + junk)
    with pytest.raises(DataError) as info:
        in_time(load_mnist, path, cache=False)
    message = str(info.value)
    assert message.startswith("d.csv.gz: cannot be read (") and "\n" not in message
    if junk != b"\x1f":  # one byte of magic reads as a member that ends too early
        assert f"{len(junk):,} bytes after the end of the compressed data are not gzip data" in message


def test_several_members_are_read_in_turn(tmp_path):
    x, labels = make_rows(9, seed=2)
    text = csv_bytes(x, labels)
    cut = text.index(b"\n", 5000) + 1
    path = tmp_path / "d.csv.gz"
    path.write_bytes(gzip.compress(text[:cut]) + gzip.compress(text[cut:-1234]) + gzip.compress(text[-1234:]))
    got_x, got_labels = load_mnist(path, cache=False)
    np.testing.assert_array_equal(got_x, x)
    np.testing.assert_array_equal(got_labels, labels)


def test_gzip_reader_matches_gzip_module_and_rewinds(tmp_path):
    payload = np.random.default_rng(1).integers(0, 4, 3_000_000, dtype=np.uint8).tobytes()
    path = tmp_path / "p.gz"
    path.write_bytes(gzip.compress(payload, compresslevel=1))
    with gzip_reader.GzipMembers(open(path, "rb")) as f:
        assert f.read(10) + f.read(100_000) + f.read() == payload
        f.seek(0)
        assert f.read(7) == payload[:7]
        assert f.size_hint() == len(payload)


# ----------------------------------------------------------------------------------------------
# 3. Too many rows, too little memory: refused with a message before the allocation


def test_rows_beyond_the_cap_are_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(mnist_csv, "MAX_DIGITS", 5)
    x, labels = make_rows(9)
    path = write(tmp_path / "d.csv.gz", csv_bytes(x, labels))
    with pytest.raises(DataError, match=r"^d\.csv\.gz, line 7: more than 5 digit rows; MNIST has 70,000"):
        load_mnist(path, cache=False)
    np.testing.assert_array_equal(load_mnist(write(tmp_path / "e.csv", csv_bytes(x[:5], labels[:5])))[0], x[:5])


def test_idx_items_beyond_the_cap_are_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(data, "_MAX_IDX_ITEMS", 2)
    x, labels = make_rows(3)
    write(tmp_path / "t10k-images-idx3-ubyte", idx_bytes(x.reshape(3, 28, 28)))
    write(tmp_path / "t10k-labels-idx1-ubyte", idx_bytes(labels))
    with pytest.raises(DataError, match="claims 3 items, more than 2"):
        load_mnist(tmp_path / "t10k-images-idx3-ubyte")


@pytest.mark.parametrize("name", ["d.csv", "d.csv.gz"])
def test_csv_too_big_for_memory_is_refused_before_parsing(tmp_path, monkeypatch, name):
    monkeypatch.setattr(mnist_csv, "_available_memory", lambda: 1000)
    monkeypatch.setattr(mnist_csv, "read_csv", None)  # never reached
    x, labels = make_rows(3)
    path = write(tmp_path / name, csv_bytes(x, labels))
    with pytest.raises(DataError, match=r"its rows needs about 0\.00 GB of memory and 0\.00 GB is available"):
        load_mnist(path, cache=False)


def test_memory_checked_while_parsing_when_the_size_is_unknown(tmp_path, monkeypatch):
    """A last gzip member that records a tiny size passes the first check; the parser checks as it goes."""
    monkeypatch.setattr(mnist_csv, "_available_memory", lambda: 3000)
    monkeypatch.setattr(mnist_csv, "_FIRST_MEMORY_CHECK", 4)
    x, labels = make_rows(20)
    path = tmp_path / "d.csv.gz"
    path.write_bytes(gzip.compress(csv_bytes(x, labels)) + gzip.compress(b""))
    with pytest.raises(DataError, match=r"rows so far and its rows needs about .* GB of memory"):
        load_mnist(path, cache=False)


def test_idx_too_big_for_memory_is_refused_before_allocating(tmp_path, monkeypatch):
    monkeypatch.setattr(mnist_csv, "_available_memory", lambda: 1000)
    x, labels = make_rows(3)
    write(tmp_path / "t10k-images-idx3-ubyte", idx_bytes(x.reshape(3, 28, 28)))
    write(tmp_path / "t10k-labels-idx1-ubyte", idx_bytes(labels))
    with pytest.raises(DataError, match=r"its 3 items needs about 0\.00 GB of memory"):
        load_mnist(tmp_path / "t10k-images-idx3-ubyte")


def test_memory_error_while_parsing_is_a_data_error(tmp_path, monkeypatch):
    def out_of_memory(*args, **kwargs):
        raise MemoryError

    monkeypatch.setattr(mnist_csv.np, "loadtxt", out_of_memory)
    x, labels = make_rows(3)
    with pytest.raises(DataError, match=r"^d\.csv: not enough memory for its rows"):
        load_mnist(write(tmp_path / "d.csv", csv_bytes(x, labels)), cache=False)


def test_available_memory_is_a_number_or_unknown():
    got = mnist_csv._available_memory()
    assert got is None or got >= 0


# ----------------------------------------------------------------------------------------------
# 6. Messages that say what is really wrong, on one line



@pytest.mark.parametrize("head, problem", [
    (bytes((0, 0, 8, 3, 0, 0)), r"truncated: 6 bytes, shorter than the 16-byte header of an MNIST IDX images"),
    (bytes((0, 0, 8)), r"too short \(3 bytes\) for an IDX file"),
])
def test_short_idx_file_is_called_truncated(tmp_path, head, problem):
    write(tmp_path / "t10k-labels-idx1-ubyte", idx_bytes(np.zeros(1)))
    path = write(tmp_path / "t10k-images-idx3-ubyte", head)
    with pytest.raises(DataError, match=problem):
        load_mnist(path)


def test_symlink_loop_is_called_a_loop(tmp_path):
    os.symlink(tmp_path / "b.csv", tmp_path / "a.csv")
    os.symlink(tmp_path / "a.csv", tmp_path / "b.csv")
    with pytest.raises(DataError, match="a.csv is a loop of symbolic links"):
        load_mnist(tmp_path / "a.csv")


def test_dangling_idx_partner_is_named(tmp_path):
    write(tmp_path / "t10k-images-idx3-ubyte", idx_bytes(np.zeros((1, 28, 28))))
    os.symlink(tmp_path / "gone", tmp_path / "t10k-labels-idx1-ubyte")
    with pytest.raises(DataError, match="its labels file is unusable: .*symbolic link to nothing"):
        load_mnist(tmp_path / "t10k-images-idx3-ubyte")


@pytest.mark.parametrize("content", [b"5,1,2\n", b"x" * 10, b"\x00\x00\x08\x03" + bytes(4)])
def test_a_newline_in_a_file_name_stays_on_one_line(tmp_path, content):
    path = tmp_path / "bad\nname.csv"
    path.write_bytes(content)
    with pytest.raises(DataError) as info:
        load_mnist(path, cache=False)
    assert "\n" not in str(info.value) and "bad\\nname.csv" in str(info.value), str(info.value)
