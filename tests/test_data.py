"""nn.data: the MNIST CSV and IDX readers, their errors, the cache, default paths, one_hot and splits."""

from __future__ import annotations

import gzip
import io
import os
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nn import data
from nn.data import CSV_HEADER, SAMPLE_SIZES, default_paths, load_mnist, read_csv, save_csv, train_val_split
from nn.errors import ConfigError, DataError

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "mnist"
needs_shared = pytest.mark.skipif(not (SHARED / "mnist_train.csv.gz").is_file(),
                                  reason=f"the shared MNIST files are not in {SHARED}")
EDGE_VALUES = np.array([0, 0, 0, 1, 9, 10, 99, 100, 199, 200, 249, 250, 254, 255])


def make_rows(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """x (n, 784) uint8 and labels (n,) uint8, half edge values (0, 9, 10, 99, 100, 255, ...)."""
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 256, size=(n, 784)).astype(np.uint8)
    edge = rng.random((n, 784)) < 0.5
    x[edge] = rng.choice(EDGE_VALUES, size=int(edge.sum()))
    return x, rng.integers(0, 10, size=n).astype(np.uint8)


def csv_bytes(x, labels, header=True, newline=b"\n", final_newline=True) -> bytes:
    lines = [CSV_HEADER.encode()] if header else []
    lines += [b",".join(str(v).encode() for v in (int(lab), *map(int, row))) for lab, row in zip(labels, x)]
    text = newline.join(lines)
    return text + newline if final_newline else text


def write(path: Path, content: bytes) -> Path:
    path.write_bytes(gzip.compress(content) if path.suffix == ".gz" else content)
    return path


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    """Every test gets its own cache folder, so none reads or fills ~/.cache; tiny files are cached too."""
    monkeypatch.setenv("DIGITS_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(data, "_CACHE_MIN_BYTES", 0)
    return tmp_path / "cache"


# ----------------------------------------------------------------------------------------------
# Reading valid files


@pytest.mark.parametrize("name", ["d.csv", "d.csv.gz"])
@pytest.mark.parametrize("header", [True, False])
@pytest.mark.parametrize("newline", [b"\n", b"\r\n"])
@pytest.mark.parametrize("final_newline", [True, False])
def test_reads_csv_variants(tmp_path, name, header, newline, final_newline):
    x, labels = make_rows(7)
    path = write(tmp_path / name, csv_bytes(x, labels, header, newline, final_newline))
    got_x, got_labels = load_mnist(path, cache=False)
    assert got_x.dtype == np.uint8 and got_labels.dtype == np.uint8
    assert got_x.shape == (7, 784) and got_x.flags.c_contiguous
    np.testing.assert_array_equal(got_x, x)
    np.testing.assert_array_equal(got_labels, labels)


@pytest.mark.parametrize("tail", [b"\n", b"\n\n\n", b"\r\n\r\n", b"\n  \n\t\n", b"\n" * 5000])
def test_trailing_blank_lines_are_ignored(tmp_path, tail):
    x, labels = make_rows(3)
    path = write(tmp_path / "d.csv", csv_bytes(x, labels, final_newline=False) + tail)
    np.testing.assert_array_equal(load_mnist(path, cache=False)[0], x)


def test_byte_order_mark_and_gzip_detected_by_content(tmp_path):
    x, labels = make_rows(2)
    path = write(tmp_path / "odd_name.csv", b"\xef\xbb\xbf" + csv_bytes(x, labels))
    np.testing.assert_array_equal(load_mnist(path, cache=False)[1], labels)
    gz_without_suffix = tmp_path / "data.csv"
    gz_without_suffix.write_bytes(gzip.compress(csv_bytes(x, labels)))
    np.testing.assert_array_equal(load_mnist(gz_without_suffix, cache=False)[0], x)


@pytest.mark.parametrize("chunk_size", [3200, 4000, 7001, 20000])
def test_blocks_split_anywhere(chunk_size):
    """Small blocks put the block edges at every kind of place in a line."""
    x, labels = make_rows(23, seed=1)
    got_x, got_labels = read_csv(io.BytesIO(csv_bytes(x, labels)), "d.csv", chunk_size=chunk_size)
    np.testing.assert_array_equal(got_x, x)
    np.testing.assert_array_equal(got_labels, labels)


@needs_shared
def test_values_equal_loadtxt_on_real_rows(tmp_path):
    with gzip.open(SHARED / "mnist_train.csv.gz", "rb") as f:
        head = b"".join(f.readline() for _ in range(501))  # header + 500 digits
    path = write(tmp_path / "slice.csv", head)
    expected = np.loadtxt(path, delimiter=",", skiprows=1, dtype=np.uint8)
    x, labels = load_mnist(path, cache=False)
    np.testing.assert_array_equal(labels, expected[:, 0])
    np.testing.assert_array_equal(x, expected[:, 1:])


# ----------------------------------------------------------------------------------------------
# Errors: one-line DataError naming the file, the line and the problem


def broken_rows(n=5):
    x, labels = make_rows(n, seed=2)
    return [line for line in csv_bytes(x, labels, header=False).split(b"\n") if line]


def replace_field(line: bytes, index: int, new: bytes) -> bytes:
    fields = line.split(b",")
    fields[index] = new
    return b",".join(fields)


def short_row(rows):
    rows[3] = rows[3].rsplit(b",", 1)[0]
    return rows


CASES = {
    "783 pixels": (short_row, 4, "783 pixel values; 784 expected"),
    "785 pixels": (lambda r: r[:1] + [r[1] + b",7"] + r[2:], 2, "785 pixel values; 784 expected"),
    "label only": (lambda r: r[:2] + [b"3"] + r[3:], 3, "0 pixel values; 784 expected"),
    "not a number": (lambda r: r[:4] + [replace_field(r[4], 17, b"abc")], 5, "pixel 17 'abc' is not a whole number"),
    "decimal": (lambda r: [replace_field(r[0], 1, b"1.5")] + r[1:], 1, "pixel 1 '1.5' is not a whole number"),
    "negative": (lambda r: [replace_field(r[0], 784, b"-1")] + r[1:], 1, "pixel 784 '-1' is not a whole number"),
    "space": (lambda r: r[:2] + [replace_field(r[2], 5, b" 7")] + r[3:], 3, "pixel 5 ' 7' is not a whole number"),
    "empty field": (lambda r: r[:2] + [replace_field(r[2], 5, b"")] + r[3:], 3, "pixel 5 '' is not a whole number"),
    "four digits": (lambda r: r[:1] + [replace_field(r[1], 9, b"0012")] + r[2:], 2, "at most 3 digits"),
    "label 10": (lambda r: r[:2] + [replace_field(r[2], 0, b"10")] + r[3:], 3, "label 10 is outside 0-9"),
    "label x": (lambda r: r[:2] + [replace_field(r[2], 0, b"x")] + r[3:], 3, "label 'x' is not a whole number"),
    "pixel 256": (lambda r: r[:3] + [replace_field(r[3], 300, b"256")] + r[4:], 4, "pixel 300 is 256"),
    "pixel 999": (lambda r: r[:3] + [replace_field(r[3], 2, b"999")] + r[4:], 4, "pixel 2 is 999"),
    "blank line": (lambda r: r[:2] + [b""] + r[2:], 3, "empty line"),
    "semicolons": (lambda r: r[:1] + [r[1].replace(b",", b";")] + r[2:], 2, "0 pixel values; 784 expected"),
    "stray CR": (lambda r: r[:1] + [r[1].replace(b",", b"\r,", 1)] + r[2:], 2, "label '"),
}


@pytest.mark.parametrize("header", [False, True])
@pytest.mark.parametrize("case", sorted(CASES))
def test_broken_row_names_file_line_and_problem(tmp_path, case, header):
    change, line, problem = CASES[case]
    content = b"\n".join(change(broken_rows())) + b"\n"
    if header:
        content, line = CSV_HEADER.encode() + b"\n" + content, line + 1
    path = write(tmp_path / "mnist_train.csv", content)
    with pytest.raises(DataError) as info:
        load_mnist(path)
    message = str(info.value)
    assert message.startswith(f"mnist_train.csv, line {line}: "), message
    assert problem in message and "\n" not in message


def test_message_matches_the_issue_example(tmp_path):
    rows = broken_rows(20)
    rows[15] = rows[15].rsplit(b",", 1)[0]
    path = write(tmp_path / "mnist_train.csv", CSV_HEADER.encode() + b"\n" + b"\n".join(rows))
    with pytest.raises(DataError, match=r"^mnist_train\.csv, line 17: 783 pixel values; 784 expected\.$"):
        load_mnist(path)


def test_line_number_counts_earlier_blocks():
    x, labels = make_rows(40, seed=3)
    lines = csv_bytes(x, labels).split(b"\n")
    lines[33] = replace_field(lines[33], 0, b"12")  # line 34 (line 1 is the header)
    with pytest.raises(DataError, match=r"^d\.csv, line 34: label 12 is outside 0-9\.$"):
        read_csv(io.BytesIO(b"\n".join(lines)), "d.csv", chunk_size=5000)


def test_header_is_known_by_its_shape(tmp_path):
    """Any 785 names whose first is not a number is a header (Kaggle writes label,pixel0,...)."""
    x, labels = make_rows(3)
    kaggle = b"label," + b",".join(b"pixel%d" % i for i in range(784))
    path = write(tmp_path / "d.csv", kaggle + b"\n" + csv_bytes(x, labels, header=False))
    np.testing.assert_array_equal(load_mnist(path, cache=False)[0], x)


@pytest.mark.parametrize("first, problem", [
    (b"label,1x1,1x2", "line 1: neither a header (785 column names such as label,1x1,...,28x28; this line has 3)"),
    (b"x," + b",".join([b"0"] * 784), "line 1: neither a header (785 column names such as label,1x1,...,28x28; "
                                      "784 of its fields are numbers) nor a row of digits (label 'x' is not"),
    (b"label," + b",".join([b"0"] * 784), "line 1: neither a header"),  # names, then numbers: a damaged row
    (b"-1," + b",".join([b"7"] * 784), "line 1: label '-1' is not a whole number"),
    (b" 5," + b",".join([b"0"] * 784), "line 1: label ' 5' is not a whole number"),
    (b"-1," + b",".join([b"0"] * 784), "line 1: label '-1' is not a whole number"),
    (b"5," + b",".join([b"0"] * 783), "line 1: 783 pixel values; 784 expected"),
])
def test_first_line_is_a_header_or_a_valid_row(tmp_path, first, problem):
    x, labels = make_rows(2)
    path = write(tmp_path / "d.csv", first + b"\n" + csv_bytes(x, labels, header=False))
    if problem is None:
        np.testing.assert_array_equal(load_mnist(path, cache=False)[0], x)
        return
    with pytest.raises(DataError) as info:
        load_mnist(path, cache=False)
    assert str(info.value).startswith(f"d.csv, {problem}"), str(info.value)


@pytest.mark.parametrize("field, problem", [
    (b"+5", "pixel 7 '+5' is not a whole number"),  # np.loadtxt itself would read these four
    (b"5\t", "pixel 7 '5\\t' is not a whole number"),
    (b"\xa05", "pixel 7 '\\xa05' is not a whole number"),
    (b"00012", "pixel 7 '00012' is not a whole number of at most 3 digits"),
    (b"-0", "pixel 7 '-0' is not a whole number"),
    (b"300", "pixel 7 is 300; pixel values must be 0-255"),  # these np.loadtxt refuses as uint8
    (b"-1", "pixel 7 '-1' is not a whole number"),
])
def test_what_loadtxt_would_accept_is_still_refused(field, problem):
    """The reader checks what np.loadtxt lets pass, in a block that is otherwise clean."""
    x, labels = make_rows(30, seed=5)
    lines = csv_bytes(x, labels).split(b"\n")
    lines[20] = replace_field(lines[20], 7, field)  # line 21 (line 1 is the header)
    with pytest.raises(DataError) as info:
        read_csv(io.BytesIO(b"\n".join(lines)), "d.csv", chunk_size=8000)
    assert str(info.value).startswith(f"d.csv, line 21: {problem}"), str(info.value)


def test_leading_zeros_up_to_three_digits_are_read():
    x, labels = make_rows(4, seed=6)
    content = csv_bytes(x, labels).replace(b",0,", b",000,").replace(b",7,", b",07,")
    content = content.replace(b"\n3,", b"\n03,")  # a label too
    got_x, got_labels = read_csv(io.BytesIO(content), "d.csv")
    np.testing.assert_array_equal(got_x, x)
    np.testing.assert_array_equal(got_labels, labels)


def test_a_stray_byte_cannot_hide_behind_a_missing_comma():
    """One row with a '+' and another one field short balance the byte count; loadtxt still refuses."""
    x, labels = make_rows(6, seed=7)
    lines = csv_bytes(x, labels, header=False).split(b"\n")
    lines[1] = replace_field(lines[1], 3, b"+1")
    lines[4] = lines[4].rsplit(b",", 1)[0]
    with pytest.raises(DataError, match=r"^d\.csv, line [25]: "):
        read_csv(io.BytesIO(b"\n".join(lines)), "d.csv")


@pytest.mark.parametrize("content, problem", [
    (b"", "the file is empty"),
    (CSV_HEADER.encode() + b"\n", "only a header line"),
    (CSV_HEADER.encode(), "only a header line"),
    (CSV_HEADER.encode() + b"\n\n\n", "only a header line"),
    (b"\n\r\n  \n", "only blank lines"),
])
def test_empty_and_header_only_files(tmp_path, content, problem):
    path = write(tmp_path / "d.csv", content)
    with pytest.raises(DataError, match=problem):
        load_mnist(path)


def test_unreadable_files_give_data_errors(tmp_path):
    with pytest.raises(DataError, match=r"missing\.csv does not exist\.$"):
        load_mnist(tmp_path / "missing.csv")
    with pytest.raises(DataError, match="is a folder"):
        load_mnist(tmp_path)
    x, labels = make_rows(30)
    truncated = tmp_path / "cut.csv.gz"
    truncated.write_bytes(gzip.compress(csv_bytes(x, labels))[:-100])
    with pytest.raises(DataError, match="cut.csv.gz: cannot be read"):
        load_mnist(truncated)
    garbled = bytearray(gzip.compress(csv_bytes(x, labels)))
    garbled[40:60] = b"\xff" * 20
    (tmp_path / "bad.csv.gz").write_bytes(bytes(garbled))
    with pytest.raises(DataError, match="bad.csv.gz"):
        load_mnist(tmp_path / "bad.csv.gz")


def test_overlong_line_is_reported():
    with pytest.raises(DataError, match=r"^d\.csv, line 1: longer than"):
        read_csv(io.BytesIO(b"1" + b",0" * 200_000 + b"\n"), "d.csv", chunk_size=4096)


# ----------------------------------------------------------------------------------------------
# Property tests: the CSV reader gives back what was written, and turns damage into DataError


@st.composite
def csv_files(draw):
    n = draw(st.integers(1, 6))
    x, labels = make_rows(n, seed=draw(st.integers(0, 2**32 - 1)))
    content = csv_bytes(x, labels, header=draw(st.booleans()), newline=draw(st.sampled_from([b"\n", b"\r\n"])),
                        final_newline=draw(st.booleans()))
    return x, labels, content


@settings(max_examples=60, deadline=None)
@given(csv_files(), st.sampled_from([3300, 5000, 1 << 18]), st.booleans())
def test_valid_rows_parse_back_exactly(file, chunk_size, gz):
    x, labels, content = file
    stream = gzip.GzipFile(fileobj=io.BytesIO(gzip.compress(content))) if gz else io.BytesIO(content)
    got_x, got_labels = read_csv(stream, "d.csv", chunk_size=chunk_size)
    np.testing.assert_array_equal(got_x, x)
    np.testing.assert_array_equal(got_labels, labels)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(csv_files(), st.lists(st.tuples(st.sampled_from(["replace", "insert", "delete", "cut"]),
                                       st.floats(0, 1, exclude_max=True),
                                       st.sampled_from(list(b"0123456789,\n\r .-ax\x00\xff"))),
                             min_size=1, max_size=3),
       st.sampled_from([3300, 1 << 18]))
def test_damaged_files_give_data_error_or_valid_arrays(file, edits, chunk_size):
    _, _, content = file
    damaged = bytearray(content)
    for kind, where, byte in edits:
        i = int(where * len(damaged)) if damaged else 0
        if kind == "replace" and damaged:
            damaged[i] = byte
        elif kind == "insert":
            damaged[i:i] = bytes([byte])
        elif kind == "delete" and damaged:
            del damaged[i]
        elif kind == "cut":
            del damaged[i:]
    try:
        x, labels = read_csv(io.BytesIO(bytes(damaged)), "d.csv", chunk_size=chunk_size)
    except DataError as exc:
        assert str(exc).startswith("d.csv") and "\n" not in str(exc)
    else:  # some damage leaves a valid file, e.g. one digit changed into another
        assert x.dtype == np.uint8 and x.shape == (labels.size, 784) and labels.max() <= 9


# ----------------------------------------------------------------------------------------------
# IDX files


def idx_bytes(arr: np.ndarray) -> bytes:
    header = bytes((0, 0, 8, arr.ndim)) + b"".join(int(s).to_bytes(4, "big") for s in arr.shape)
    return header + arr.astype(np.uint8).tobytes()


@pytest.mark.parametrize("gz", [False, True])
def test_idx_round_trip_from_images_or_labels_path(tmp_path, gz):
    x, labels = make_rows(9, seed=4)
    suffix = ".gz" if gz else ""
    images = write(tmp_path / f"t10k-images-idx3-ubyte{suffix}", idx_bytes(x.reshape(9, 28, 28)))
    labels_path = write(tmp_path / "t10k-labels-idx1-ubyte", idx_bytes(labels))  # mixed: only images gzipped
    for given_path in (images, labels_path):
        got_x, got_labels = load_mnist(given_path, cache=False)
        np.testing.assert_array_equal(got_x, x)
        np.testing.assert_array_equal(got_labels, labels)
        assert got_x.shape == (9, 784) and got_x.flags.writeable


def test_idx_problems(tmp_path):
    x, labels = make_rows(4)
    images = write(tmp_path / "train-images-idx3-ubyte", idx_bytes(x.reshape(4, 28, 28)))
    with pytest.raises(DataError, match="matching labels file was not found.*train-labels-idx1-ubyte"):
        load_mnist(images)
    write(tmp_path / "train-labels-idx1-ubyte", idx_bytes(labels[:3]))
    with pytest.raises(DataError, match="3 labels for 4 images"):
        load_mnist(images)
    write(tmp_path / "train-labels-idx1-ubyte", idx_bytes(np.array([1, 2, 11, 3])))
    with pytest.raises(DataError, match=r"train-labels-idx1-ubyte, item 3: label 11 is outside 0-9"):
        load_mnist(images)
    write(tmp_path / "train-labels-idx1-ubyte", idx_bytes(labels))
    write(images, idx_bytes(x.reshape(4, 28, 28))[:-5])
    with pytest.raises(DataError, match="truncated"):
        load_mnist(images)
    write(images, idx_bytes(np.zeros((2, 32, 32), np.uint8)))
    with pytest.raises(DataError, match="32x32 pixels; 28x28 expected"):
        load_mnist(images)
    write(images, bytes((0, 0, 8, 3)) + (2**32 - 1).to_bytes(4, "big") + (28).to_bytes(4, "big") * 2)
    with pytest.raises(DataError, match="claims 4,294,967,295 items"):
        load_mnist(images)
    write(images, bytes((0, 0, 8, 2)) + bytes(8))
    with pytest.raises(DataError, match="unsupported kind"):
        load_mnist(images)


# ----------------------------------------------------------------------------------------------
# Cache


def test_second_load_comes_from_the_cache(tmp_path, private_cache, monkeypatch):
    x, labels = make_rows(5)
    path = write(tmp_path / "d.csv", csv_bytes(x, labels))
    load_mnist(path)
    assert len(list(private_cache.glob("*.npy"))) == 2

    def no_parsing(*args, **kwargs):
        raise AssertionError("parsed again instead of using the cache")

    monkeypatch.setattr(data, "read_csv", no_parsing)
    got_x, got_labels = load_mnist(path)
    np.testing.assert_array_equal(got_x, x)
    np.testing.assert_array_equal(got_labels, labels)
    assert got_x.flags.writeable

    stat = path.stat()  # a changed file (here only its mtime) must be parsed again
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    with pytest.raises(AssertionError, match="parsed again"):
        load_mnist(path)


def test_changed_file_replaces_its_old_cache_entry(tmp_path, private_cache):
    path = tmp_path / "d.csv"
    for seed in (1, 2):
        x, labels = make_rows(3, seed=seed)
        write(path, csv_bytes(x, labels))
        os.utime(path, ns=(0, seed * 10**9))
        np.testing.assert_array_equal(load_mnist(path)[0], x)
    assert len(list(private_cache.glob("*.npy"))) == 2  # one pair, not two


def test_corrupt_cache_is_ignored_and_rebuilt(tmp_path, private_cache):
    x, labels = make_rows(5)
    path = write(tmp_path / "d.csv", csv_bytes(x, labels))
    load_mnist(path)
    for cached in private_cache.glob("*.npy"):
        cached.write_bytes(b"not an npy file")
    np.testing.assert_array_equal(load_mnist(path)[0], x)
    assert all(np.load(p).size for p in private_cache.glob("*.npy"))  # rewritten properly


def test_unwritable_cache_is_skipped(tmp_path, monkeypatch):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder should be")
    monkeypatch.setenv("DIGITS_CACHE_DIR", str(blocker / "cache"))
    x, labels = make_rows(2)
    path = write(tmp_path / "d.csv", csv_bytes(x, labels))
    np.testing.assert_array_equal(load_mnist(path)[0], x)


def test_small_files_are_not_cached(tmp_path, private_cache, monkeypatch):
    monkeypatch.setattr(data, "_CACHE_MIN_BYTES", 1 << 20)
    x, labels = make_rows(3)
    load_mnist(write(tmp_path / "d.csv", csv_bytes(x, labels)))
    assert not private_cache.exists()


def test_cache_dir_default(monkeypatch):
    monkeypatch.delenv("DIGITS_CACHE_DIR")
    assert data.cache_dir() == Path.home() / ".cache" / "digit-recognizer"


# ----------------------------------------------------------------------------------------------
# Paths, sample, writer, one_hot, split


def test_default_paths_prefers_mnist_folder(tmp_path):
    (tmp_path / "MNIST").mkdir()
    train = write(tmp_path / "MNIST" / "mnist_train.csv", b"")
    test = write(tmp_path / "MNIST" / "mnist_test.csv.gz", b"")
    paths = default_paths(tmp_path)
    assert (paths.train, paths.test, paths.is_sample) == (train, test, False)


@pytest.mark.parametrize("present, missing", [([], "MNIST/"), (["mnist_train.csv"], "MNIST/mnist_test.csv")])
def test_default_paths_falls_back_to_the_sample(tmp_path, present, missing):
    if present:
        (tmp_path / "MNIST").mkdir()
    for name in present:
        write(tmp_path / "MNIST" / name, b"")
    paths = default_paths(tmp_path)
    assert paths.is_sample and paths.train == data.SAMPLE_TRAIN and paths.test == data.SAMPLE_TEST
    assert paths.note == (f"{missing} not found: using the bundled sample (6,000 training, 1,000 test digits). "
                          "Run `python main.py download` for the full set.")
    assert "shared" not in str(paths.train) and "shared" not in str(paths.test)


def test_bundled_sample_is_balanced_and_valid():
    for path, size in zip((data.SAMPLE_TRAIN, data.SAMPLE_TEST), SAMPLE_SIZES):
        x, labels = load_mnist(path, cache=False)
        assert x.shape == (size, 784)
        np.testing.assert_array_equal(np.bincount(labels, minlength=10), [size // 10] * 10)
        assert 25 < x.mean() < 45  # MNIST's mean pixel is about 33
    assert (data.ASSETS / "MNIST_LICENSE.md").is_file()


@pytest.mark.parametrize("name", ["out.csv", "out.csv.gz"])
def test_save_csv_round_trip(tmp_path, name):
    x, labels = make_rows(11)
    path = save_csv(tmp_path / name, x, labels)
    text = gzip.decompress(path.read_bytes()) if name.endswith(".gz") else path.read_bytes()
    assert text == csv_bytes(x, labels)
    assert [p.name for p in tmp_path.iterdir()] == [name]  # no temporary file left behind


def test_save_csv_refuses_bad_arrays(tmp_path):
    x, labels = make_rows(2)
    with pytest.raises(DataError, match=r"need x \(n, 784\)"):
        save_csv(tmp_path / "o.csv", x[:, :10], labels)
    with pytest.raises(DataError, match="pixels must be whole numbers 0-255"):
        save_csv(tmp_path / "o.csv", x.astype(np.int64) + 1, labels)
    with pytest.raises(DataError, match="labels must be whole numbers 0-9"):
        save_csv(tmp_path / "o.csv", x, labels + 10)
    assert not list(tmp_path.iterdir())


def test_train_val_split():
    train, val = train_val_split(100, 0.1, seed=0)
    assert len(val) == 10 and len(train) == 90
    np.testing.assert_array_equal(np.sort(np.concatenate([train, val])), np.arange(100))
    again = train_val_split(100, 0.1, seed=0)
    np.testing.assert_array_equal(again[1], val)
    assert not np.array_equal(train_val_split(100, 0.1, seed=1)[1], val)
    assert len(train_val_split(5, 0.0, seed=0)[1]) == 0
    assert [len(p) for p in train_val_split(2, 0.01, seed=0)] == [1, 1]
    for bad in (-0.1, 1.0, 1.5):
        with pytest.raises(ConfigError, match="Validation fraction"):
            train_val_split(10, bad, seed=0)
