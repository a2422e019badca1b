"""nn.download against local HTTP mirrors (no internet): fallback, MD5 check, clean failure, CLI."""

from __future__ import annotations

import argparse
import functools
import gzip
import hashlib
import http.server
import socket
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from nn import download
from nn.data import load_mnist
from nn.download import add_download_arguments, download_mnist, run_download
from nn.errors import DataError

N_TRAIN, N_TEST = 5, 3


def idx_gz(arr: np.ndarray) -> bytes:
    header = bytes((0, 0, 8, arr.ndim)) + b"".join(int(s).to_bytes(4, "big") for s in arr.shape)
    return gzip.compress(header + arr.tobytes(), mtime=0)


class Handler(http.server.SimpleHTTPRequestHandler):
    """Serves the mirror folders; under /truncated/ it promises more bytes than it sends, under
    /endless/ it streams zeros with no Content-Length until the client hangs up, under /trickle/ it
    sends one byte a second (under /slowheaders/ a header byte each 0.5 s), and under /huge/ it
    announces a terabyte."""

    def do_GET(self):
        if self.path.startswith("/slowheaders/"):  # a status line, then a header a byte each 0.5 s
            self.close_connection = True
            try:
                self.wfile.write(b"HTTP/1.0 200 OK\r\nX-Slow: ")
                for _ in range(120):
                    self.wfile.write(b"a")
                    self.wfile.flush()
                    time.sleep(0.5)
            except OSError:
                pass
            return
        if self.path.startswith(("/endless/", "/trickle/", "/huge/")):
            self.send_response(200)
            if self.path.startswith("/huge/"):
                self.send_header("Content-Length", str(10**12))
            self.end_headers()
            self.close_connection = True
            block, pause = (bytes(1 << 16), 0) if not self.path.startswith("/trickle/") else (b"\x1f", 1.0)
            try:
                for _ in range(100_000 if pause == 0 else 60):  # bounded, so a broken client cannot keep us
                    self.wfile.write(block)
                    self.wfile.flush()
                    time.sleep(pause)
            except OSError:  # the client gave up, as it should
                pass
            return
        if self.path.startswith("/truncated/"):
            body = (Path(self.directory) / "good" / self.path.rsplit("/", 1)[1]).read_bytes()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body[: len(body) // 2])
            self.close_connection = True
            return
        super().do_GET()

    def log_message(self, *args):  # keep test output quiet
        pass


@pytest.fixture(scope="module")
def mirrors(tmp_path_factory):
    """Base URLs: good, corrupt (wrong bytes), missing (404), truncated, dead (closed port), hung."""
    root = tmp_path_factory.mktemp("mirrors")
    rng = np.random.default_rng(0)
    arrays = {
        "train-images-idx3-ubyte.gz": rng.integers(0, 256, (N_TRAIN, 28, 28), dtype=np.uint8),
        "train-labels-idx1-ubyte.gz": np.array([5, 0, 4, 1, 9], dtype=np.uint8),
        "t10k-images-idx3-ubyte.gz": rng.integers(0, 256, (N_TEST, 28, 28), dtype=np.uint8),
        "t10k-labels-idx1-ubyte.gz": np.array([7, 2, 1], dtype=np.uint8),
    }
    for folder in ("good", "corrupt", "missing"):
        (root / folder).mkdir()
    md5 = {}
    for name, arr in arrays.items():
        blob = idx_gz(arr)
        (root / "good" / name).write_bytes(blob)
        (root / "corrupt" / name).write_bytes(idx_gz(arr ^ 1))  # a valid file, but not the one we want
        md5[name] = hashlib.md5(blob).hexdigest()

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    dead_port = closed.getsockname()[1]
    closed.close()  # nothing listens here any more: connection refused
    hung = socket.socket()
    hung.bind(("127.0.0.1", 0))
    hung.listen(8)  # accepts connections in the backlog but never answers
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    yield {
        "good": base + "good/", "corrupt": base + "corrupt/", "missing": base + "missing/",
        "truncated": base + "truncated/", "endless": base + "endless/", "trickle": base + "trickle/",
        "slowheaders": base + "slowheaders/",
        "huge": base + "huge/", "dead": f"http://127.0.0.1:{dead_port}/",
        "hung": f"http://127.0.0.1:{hung.getsockname()[1]}/", "md5": md5, "arrays": arrays,
    }
    hung.close()
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture(autouse=True)
def no_proxy(monkeypatch):
    """A proxy set in the environment must not swallow requests to 127.0.0.1."""
    for var in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)


def test_falls_back_through_broken_mirrors(tmp_path, mirrors):
    order = [mirrors[k] for k in ("dead", "missing", "corrupt", "truncated", "good")]
    notes, seen = [], {}

    def progress(name, received, total):
        seen.setdefault(name, []).append((received, total))

    train, test = download_mnist(tmp_path / "MNIST", mirrors=order, md5=mirrors["md5"], timeout=5,
                                 log=notes.append, progress=progress)
    assert (train.name, test.name) == ("mnist_train.csv", "mnist_test.csv")
    x, labels = load_mnist(train, cache=False)
    np.testing.assert_array_equal(x, mirrors["arrays"]["train-images-idx3-ubyte.gz"].reshape(N_TRAIN, 784))
    np.testing.assert_array_equal(labels, [5, 0, 4, 1, 9])
    np.testing.assert_array_equal(load_mnist(test, cache=False)[1], [7, 2, 1])
    assert train.read_bytes().startswith(b"label,1x1,1x2,")
    assert sorted(p.name for p in (tmp_path / "MNIST").iterdir()) == ["mnist_test.csv", "mnist_train.csv"]

    text = "\n".join(notes)
    assert "Connection refused" in text and "HTTP 404" in text and "MD5" in text and "truncated" in text
    assert len(notes) == 4 * 4  # each file failed on the four broken mirrors
    for name, calls in seen.items():  # progress: from 0 up to the full size, total known
        size = len(idx_gz(mirrors["arrays"][name]))
        assert calls[-1] == (size, size) and calls[0][0] == 0


def test_hung_mirror_times_out(tmp_path, mirrors):
    notes = []
    download_mnist(tmp_path, mirrors=[mirrors["hung"], mirrors["good"]], md5=mirrors["md5"], timeout=0.2,
                   log=notes.append)
    assert all("timed out" in note for note in notes) and len(notes) == 4


def test_total_failure_is_clear_and_writes_nothing(tmp_path, mirrors):
    dest = tmp_path / "MNIST"
    with pytest.raises(DataError) as info:
        download_mnist(dest, mirrors=[mirrors["dead"], mirrors["corrupt"]], md5=mirrors["md5"], timeout=5)
    message = str(info.value)
    assert message.startswith("Could not download train-images-idx3-ubyte.gz from any mirror")
    assert mirrors["dead"] in message and "MD5" in message and "--mirror" in message and "\n" not in message
    assert not dest.exists()


def test_cli_success_and_failure(tmp_path, mirrors, monkeypatch, capsys):
    monkeypatch.setattr(download, "MNIST_MD5", mirrors["md5"])
    parser = argparse.ArgumentParser()
    add_download_arguments(parser)

    args = parser.parse_args(["--dest", str(tmp_path / "ok"), "--mirror", mirrors["dead"],
                              "--mirror", mirrors["good"].rstrip("/")])  # a base URL without the slash
    assert run_download(args) == 0
    out, err = capsys.readouterr()
    assert "mnist_train.csv" in out and "train-images-idx3-ubyte.gz" in err and "100.0%" in err
    assert (tmp_path / "ok" / "mnist_test.csv").is_file()

    args = parser.parse_args(["--dest", str(tmp_path / "bad"), "--mirror", mirrors["missing"], "--timeout", "5"])
    assert run_download(args) == 1
    out, err = capsys.readouterr()
    assert "Download failed: Could not download" in err and "HTTP 404" in err and "Traceback" not in err
    assert not (tmp_path / "bad").exists()


def test_defaults():
    args = argparse.ArgumentParser()
    add_download_arguments(args)
    parsed = args.parse_args([])
    # The project's own MNIST/ (where the app looks), whatever folder the command runs from.
    assert Path(parsed.dest) == Path(__file__).resolve().parents[1] / "MNIST" and parsed.mirror is None
    assert set(download.MNIST_MD5) == {"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
                                       "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"}
    assert all(m.startswith(("https://", "http://")) and m.endswith("/") for m in download.MIRRORS)


def test_a_stream_without_length_is_cut_off_at_the_cap_and_never_held_in_memory(tmp_path, mirrors, monkeypatch):
    monkeypatch.setattr(download, "MAX_BYTES", 1 << 20)
    notes, peak = [], []
    train, _ = download_mnist(tmp_path, mirrors=[mirrors["endless"], mirrors["good"]], md5=mirrors["md5"],
                              timeout=5, log=notes.append, progress=lambda name, got, total: peak.append(got))
    assert train.is_file() and len(notes) == 4
    assert all("more than 1,048,576 bytes" in note and "endless" in note for note in notes)
    assert max(peak) <= 1 << 20


def test_an_announced_size_beyond_the_cap_is_refused_before_reading(tmp_path, mirrors):
    name = "train-labels-idx1-ubyte.gz"
    start = time.monotonic()
    with pytest.raises(DataError, match="announces 1,000,000,000,000 bytes"):
        download_mnist(tmp_path, mirrors=[mirrors["huge"]], md5={name: mirrors["md5"][name]}, timeout=5)
    assert time.monotonic() - start < 3


def test_a_one_byte_a_second_trickle_trips_the_timeout(tmp_path, mirrors):
    """The timeout bounds the pace, not only each read: every read here comes within 1 s."""
    name = "train-labels-idx1-ubyte.gz"
    start = time.monotonic()
    with pytest.raises(DataError, match="too slow") as info:
        download_mnist(tmp_path, mirrors=[mirrors["trickle"]], md5={name: mirrors["md5"][name]}, timeout=2)
    assert time.monotonic() - start < 5, info.value
    assert not list(tmp_path.iterdir())  # nothing written


def test_headers_sent_a_byte_at_a_time_trip_the_timeout(tmp_path, mirrors):
    """Every read comes within the 1 s timeout; the headers as a whole must come within 2 s."""
    name = "train-labels-idx1-ubyte.gz"
    start = time.monotonic()
    with pytest.raises(DataError, match="too slow: no complete response within 2 s"):
        download_mnist(tmp_path, mirrors=[mirrors["slowheaders"]], md5={name: mirrors["md5"][name]}, timeout=1)
    assert time.monotonic() - start < 4
