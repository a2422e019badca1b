"""Background work for the window, and loading the data with it: `Job` runs a function in a small
daemon thread that the frame loop polls, so the loop never waits; `load_data` (run in one) reads
the files; `DataLoader` (main thread) starts it and folds the result into AppState.data.
Scoring the test set, the other background job, is ui.evaluation.
"""
from __future__ import annotations

import logging
import os
import threading
from pathlib import Path
from typing import Any, Callable

from nn.errors import DataError, NNError
from nn.files import file_problem, shown
from ui.state import DataInfo

log = logging.getLogger(__name__)


class Job:
    """Run `fn()` in a daemon thread; poll `done`, then read `result` or `error`."""

    def __init__(self, name: str, fn: Callable[[], Any]):
        self.name, self.result, self.error = name, None, None
        self._thread = threading.Thread(target=self._run, args=(fn,), name=f"ui-{name}", daemon=True)
        self._thread.start()

    def _run(self, fn):
        try:
            self.result = fn()
        except BaseException as e:  # reported on the main thread
            self.error = e

    @property
    def done(self) -> bool:
        return not self._thread.is_alive()


def load_data(root: Path, train_path: str | None = None, test_path: str | None = None,
               keep: Any = None) -> dict:
    """Load the training and test files (a background thread). Returns the arrays and paths.

    With no paths, uses nn.data.default_paths(root) (the MNIST folder, else the bundled sample).
    `keep`: a DataInfo whose test (or training) arrays are kept when only one file is given.
    """
    from nn import data as nd
    out: dict[str, Any] = {"note": "", "is_sample": False, "cache_notes": []}
    if train_path is None and test_path is None:
        paths = nd.default_paths(str(root))
        train_path, test_path = paths.train, paths.test
        out["note"], out["is_sample"] = paths.note or "", bool(paths.is_sample)
    if train_path:
        x, labels = nd.load_mnist(str(train_path), notes=out["cache_notes"])
        n = len(x)
        n_val = min(5000, n // 12) if n >= 24 else 0
        if n_val:
            tr_idx, va_idx = nd.train_val_split(n, n_val / n, 0)
            out.update(x_train=x[tr_idx], labels_train=labels[tr_idx], x_val=x[va_idx], labels_val=labels[va_idx])
        else:
            out.update(x_train=x, labels_train=labels, x_val=x[:0], labels_val=labels[:0])
        out["train_path"] = str(train_path)
    elif keep is not None:
        out.update(x_train=keep.x_train, labels_train=keep.labels_train, x_val=keep.x_val,
                   labels_val=keep.labels_val, train_path=keep.train_path)
    if test_path:
        out["x_test"], out["labels_test"] = nd.load_mnist(str(test_path), notes=out["cache_notes"])
        out["test_path"] = str(test_path)
    elif keep is not None:
        out.update(x_test=keep.x_test, labels_test=keep.labels_test, test_path=keep.test_path)
    return out


class DataLoader:
    """Loads the data in the background and is the one writer of AppState.data. `say(message,
    level)` reports; `on_loaded()` runs once new data is in place (the window scores the model)."""

    def __init__(self, root: Path, data: DataInfo, say: Callable[[str, str], Any],
                 on_loaded: Callable[[], Any]):
        self.root, self.data, self.say, self.on_loaded = root, data, say, on_loaded
        self._job: Job | None = None

    @property
    def busy(self) -> bool:
        return self._job is not None and not self._job.done

    def start(self, train_path: str | None = None, test_path: str | None = None) -> None:
        """Load the given file(s), else the default (MNIST/ or the sample)."""
        for path, what in ((train_path, "training set"), (test_path, "test set")):
            problem = file_problem(path, what) if path else None
            if problem is not None:  # a FIFO would block open() forever: refused before the job starts
                raise DataError(problem)
        d = self.data
        d.loading, d.error = True, ""
        keep = d if (train_path or test_path) else None
        root = self.root
        self._job = Job("data", lambda: load_data(root, train_path, test_path, keep))
        self.say("Loading " + (shown(os.path.basename(train_path or test_path or "")) or "the data") + "…", "info")

    def open(self, path: str) -> None:
        """Load a training or test file, told apart by its name."""
        name = os.path.basename(path).lower()
        if "test" in name or "t10k" in name:
            self.start(test_path=path)
        else:
            self.start(train_path=path)

    def poll(self) -> bool:
        """Take the result of a finished load; True if there was one."""
        job = self._job
        if job is None or not job.done:
            return False
        self._job = None
        d = self.data
        d.loading = False
        if job.error is not None:
            self._failed(job.error)
            return True
        r = job.result
        for key in ("x_train", "labels_train", "x_val", "labels_val", "x_test", "labels_test"):
            if key in r:
                setattr(d, key, r[key])
        d.train_path = r.get("train_path", d.train_path)
        d.test_path = r.get("test_path", d.test_path)
        if "note" in r and (r.get("note") or r.get("is_sample") is not None):
            d.note, d.is_sample = r.get("note", ""), bool(r.get("is_sample"))
        msg = f"Data ready: {d.n_train:,} training, {d.n_val:,} validation, {d.n_test:,} test digits"
        if d.is_sample:  # the panel already names the files; keep the line short enough to read whole
            msg += " from the bundled sample (no MNIST/ files). `python main.py download` gets the full set."
        elif d.note:
            msg += f". {d.note}"
        else:
            msg += "."
        if r.get("cache_notes"):  # a parsed copy that no longer matched its file was rebuilt: say so once
            msg += " " + " ".join(r["cache_notes"])
        self.say(msg, "warn" if d.is_sample or r.get("cache_notes") else "ok")
        self.on_loaded()
        return True

    def _failed(self, e: BaseException) -> None:
        d = self.data
        if isinstance(e, (NNError, OSError)):
            d.error = shown(e)
            self.say(f"Could not load the data: {d.error}", "error")
        elif isinstance(e, ImportError):
            d.error = f"the data loader is missing ({e})"
            self.say(f"Could not load the data: {d.error}.", "error")
        else:
            log.error("loading data failed", exc_info=e)
            d.error = f"{type(e).__name__}: {shown(e)}"
            self.say(f"Unexpected error while loading data: {d.error} (details in the log).", "error")
