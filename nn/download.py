"""`python main.py download`: fetch the original MNIST IDX files and write MNIST/mnist_{train,test}.csv.

Standard library only (urllib). Each file is tried on every mirror in turn until one gives the whole
file with the right MD5; only when all four are in hand are the CSV files written, atomically, so a
failed or interrupted download leaves nothing behind.

A mirror cannot make it use unbounded memory, disk or time: each file streams to a temporary folder
(never held in memory), at most MAX_BYTES of it (MNIST's largest is 9.9 MB), and `timeout` bounds
not only each wait for bytes but also the pace: every `timeout` seconds of the body must bring at
least MIN_RATE bytes a second on average, so a mirror trickling one byte a second fails in about
`timeout` seconds instead of never.
"""

from __future__ import annotations

import hashlib
import http.client
import socket
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

from .data import load_mnist, save_csv
from .errors import DataError
from .progress import ProgressBar

MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
    "http://yann.lecun.com/exdb/mnist/",
)
MNIST_MD5 = {
    "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
    "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
    "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
    "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
}
SPLITS = (("train", "train-images-idx3-ubyte.gz"), ("test", "t10k-images-idx3-ubyte.gz"))
TIMEOUT_S = 30.0
MAX_BYTES = 200 * 1024**2  # per file: 20 times MNIST's largest (9.9 MB), far below a full disk
MIN_RATE = 1024  # bytes a second, averaged over each `timeout`-long stretch of a download
HEADER_TIMEOUTS = 2  # the response's headers, redirects included, within this many timeouts
_BLOCK = 1 << 16

Progress = Callable[[str, int, "int | None"], None]  # (file name, bytes received, total bytes or None)


def download_mnist(dest_dir="MNIST", mirrors=MIRRORS, progress: Progress | None = None,
                   md5: dict[str, str] | None = None, timeout: float = TIMEOUT_S,
                   log: Callable[[str], None] | None = None) -> tuple[Path, Path]:
    """Download the IDX files in `md5` (name -> hex digest) and write (train_csv, test_csv) in `dest_dir`.

    `mirrors` are base URLs tried in order for each file; `progress(name, received, total)` is called
    as bytes arrive; `log(message)` hears about each mirror that failed. Raises DataError when a file
    cannot be had from any mirror (nothing is written then) and OSError when the CSVs cannot be saved.
    """
    md5 = MNIST_MD5 if md5 is None else md5
    mirrors = [m if m.endswith("/") else m + "/" for m in mirrors]
    if not mirrors:
        raise DataError("No mirrors to download MNIST from; pass --mirror URL.")
    with tempfile.TemporaryDirectory(prefix="mnist-download-") as tmp:
        for name, digest in md5.items():
            _fetch(Path(tmp, name), digest, mirrors, progress, timeout, log)
        dest = Path(dest_dir)
        dest.mkdir(parents=True, exist_ok=True)
        written = []
        for split, images in SPLITS:
            x, labels = load_mnist(Path(tmp, images), cache=False)
            written.append(save_csv(dest / f"mnist_{split}.csv", x, labels))
    return written[0], written[1]


def _fetch(path: Path, digest: str, mirrors, progress, timeout: float, log) -> None:
    """Write `path.name` from the first mirror that gives all of it with MD5 `digest` to `path`."""
    name = path.name
    failures = []
    for base in mirrors:
        url = base + name
        try:
            got = _get(url, path, progress, timeout)
            if got != digest:
                raise DataError(f"MD5 {got} does not match the expected {digest}")
            return
        except (OSError, DataError, http.client.HTTPException, ValueError) as exc:
            path.unlink(missing_ok=True)
            reason = _reason(exc)
            failures.append(f"{base}: {reason}")
            if log:
                log(f"{url}: {reason}; trying the next mirror." if base != mirrors[-1] else f"{url}: {reason}.")
    raise DataError(f"Could not download {name} from any mirror ({'; '.join(failures)}). "
                    "Check the internet connection, or pass --mirror URL.")


def _get(url: str, path: Path, progress, timeout: float) -> str:
    """Stream the bytes at `url` into `path`; returns their MD5 (hex).

    Raises DataError when fewer arrive than the server announced, more than MAX_BYTES are sent (or
    announced), or the pace over `timeout` seconds falls below MIN_RATE; TimeoutError when no byte
    comes for `timeout` seconds.
    """
    name = path.name
    request = urllib.request.Request(url, headers={"User-Agent": "digit-recognizer"})
    digest = hashlib.md5()
    with _open(request, timeout) as response, open(path, "wb") as out:
        total = response.headers.get("Content-Length")
        total = int(total) if total and total.isdigit() else None
        if total is not None and total > MAX_BYTES:
            raise DataError(f"the mirror announces {total:,} bytes, more than the {MAX_BYTES:,} an MNIST file "
                            "can be; refused")
        read = getattr(response, "read1", response.read)  # read1: what has arrived, not a full block
        received = 0
        mark_time, mark_bytes = time.monotonic(), 0
        if progress:
            progress(name, 0, total)
        while block := read(_BLOCK):
            received += len(block)
            if received > MAX_BYTES:
                raise DataError(f"the mirror sent more than {MAX_BYTES:,} bytes, more than an MNIST file can be; "
                                "stopped")
            out.write(block)
            digest.update(block)
            if progress:
                progress(name, received, total)
            now = time.monotonic()
            if now - mark_time >= timeout:
                if (received - mark_bytes) < MIN_RATE * (now - mark_time):
                    raise DataError(f"too slow: {received - mark_bytes:,} bytes in {now - mark_time:.1f} s "
                                    f"(at least {MIN_RATE // 1024} KB/s needed; the timeout is {timeout:g} s)")
                mark_time, mark_bytes = now, received
    if total is not None and received != total:
        raise DataError(f"truncated: {received:,} of {total:,} bytes")
    return digest.hexdigest()


def _open(request, timeout: float):
    """urlopen(request), except that the status line and headers, redirects included, must all arrive
    within HEADER_TIMEOUTS x timeout (each socket read has `timeout`; a header sent a byte a second
    would pass that for ever). Raises DataError when they do not, else what urlopen raises."""
    sockets, lock, state = [], threading.Lock(), {"done": False, "cut": False}

    def watched(connection_class):
        class Watched(connection_class):
            def connect(self):
                super().connect()
                sockets.append(self.sock)
        return Watched

    handlers = []
    for base in (urllib.request.HTTPHandler, getattr(urllib.request, "HTTPSHandler", None)):
        if base is not None:  # HTTPSHandler exists only when Python has ssl
            handlers.append(type("Watched" + base.__name__, (base,), {
                "do_open": lambda self, http_class, req, _base=base, **kw: _base.do_open(
                    self, watched(http_class), req, **kw)}))

    def cut():
        with lock:
            if state["done"]:
                return
            state["cut"] = True
            for sock in sockets:
                try:
                    sock.shutdown(socket.SHUT_RDWR)  # the blocked read returns at once
                except OSError:
                    pass

    seconds = HEADER_TIMEOUTS * timeout
    timer = threading.Timer(seconds, cut)
    timer.daemon = True
    timer.start()
    response = None
    try:
        response = urllib.request.build_opener(*handlers).open(request, timeout=timeout)
    except Exception:
        if not state["cut"]:
            raise
    finally:
        timer.cancel()
        with lock:
            state["done"] = True
    if state["cut"]:  # also when the cut came just as the headers were complete: its socket is shut
        if response is not None:
            response.close()
        raise DataError(f"too slow: no complete response within {seconds:g} s")
    return response


def _reason(exc: BaseException) -> str:
    if isinstance(exc, urllib.error.HTTPError):
        return f"HTTP {exc.code} {exc.reason}"
    if isinstance(exc, urllib.error.URLError):
        return str(getattr(exc.reason, "strerror", None) or exc.reason)
    if isinstance(exc, http.client.IncompleteRead):
        return f"truncated: {len(exc.partial):,} bytes then the connection closed"
    if isinstance(exc, TimeoutError):
        return "timed out"
    return str(exc) or type(exc).__name__


# ----------------------------------------------------------------------------------------------
# Command line


def _seconds(text: str) -> float:
    """argparse type: a positive, finite number of seconds."""
    import argparse
    import math

    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"expected a number of seconds greater than 0 (got {text!r})")
    return value


def add_download_arguments(parser) -> None:
    """Add `download`'s options to an argparse (sub)parser: --dest, --mirror (repeatable), --timeout."""
    # The project's own MNIST/ folder, wherever the command is run from: that is where the app looks.
    parser.add_argument("--dest", default=str(Path(__file__).resolve().parents[1] / "MNIST"), metavar="DIR",
                        help="folder for mnist_train.csv and mnist_test.csv (default: the project's MNIST/)")
    parser.add_argument("--mirror", action="append", metavar="URL",
                        help="base URL holding the four MNIST .gz files; repeat to try several "
                             "(default: " + ", ".join(MIRRORS) + ")")
    parser.add_argument("--timeout", type=_seconds, default=TIMEOUT_S, metavar="SECONDS",
                        help=f"seconds without a byte, or below 1 KB/s on average, before a mirror is given up "
                             f"(default: {TIMEOUT_S:g})")


def run_download(args) -> int:
    """Run `download` with parsed `args`; 0 when both CSV files are written, 1 (message on stderr) if not."""
    bar = _Progress(sys.stderr)
    try:
        train, test = download_mnist(args.dest, mirrors=args.mirror or MIRRORS, progress=bar,
                                     timeout=getattr(args, "timeout", TIMEOUT_S), log=bar.note)
    except (DataError, OSError) as exc:
        bar.note(f"Download failed: {exc}")
        return 1
    except KeyboardInterrupt:
        bar.note("Download interrupted; nothing was written.")
        return 1
    bar.note("")  # end a bar left open by a server that gave no length
    print(f"Saved {train} and {test}.")
    return 0


def _file_line(name: str, received: int, total: int | None, width: int = 30) -> str:
    """`name [#####.....]  45.0%  4.5/9.9 MB`, or `name 4.5 MB` when the server gave no length."""
    if not total:
        return f"{name:28} {received / 1e6:.1f} MB"
    filled = int(width * min(received / total, 1.0))
    bar = "#" * filled + "." * (width - filled)
    return f"{name:28} [{bar}] {100 * received / total:5.1f}%  {received / 1e6:.1f}/{total / 1e6:.1f} MB"


class _Progress:
    """The `progress` and `log` callbacks of download_mnist on one shared bar (~10 redraws a second)."""

    def __init__(self, stream):
        self.stream = stream
        self.bar = ProgressBar(stream, _file_line, every=0.1)

    def __call__(self, name: str, received: int, total: int | None) -> None:
        if total is not None and received >= total:
            self.bar.done(name, received, total)
        else:
            self.bar.show(name, received, total)

    def note(self, message: str) -> None:
        """Print `message` on its own line (an empty message only ends an unfinished bar)."""
        self.bar.end_line()
        if message:
            self.stream.write(message + "\n")
            self.stream.flush()
