"""Background work for the window: loading a dataset and scoring the test set run in small daemon
threads that the frame loop polls, so the loop never waits for them."""
from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, Callable

import numpy as np


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
    out: dict[str, Any] = {"note": "", "is_sample": False}
    if train_path is None and test_path is None:
        paths = nd.default_paths(str(root))
        train_path, test_path = paths.train, paths.test
        out["note"], out["is_sample"] = paths.note or "", bool(paths.is_sample)
    if train_path:
        x, labels = nd.load_mnist(str(train_path))
        n = len(x)
        n_val = min(5000, n // 12) if n >= 24 else 0
        if n_val:
            split = getattr(nd, "train_val_split", None)
            if split is not None:
                tr_idx, va_idx = split(n, n_val / n, 0)
            else:
                perm = np.random.default_rng(0).permutation(n)
                tr_idx, va_idx = perm[n_val:], perm[:n_val]
            out.update(x_train=x[tr_idx], labels_train=labels[tr_idx], x_val=x[va_idx], labels_val=labels[va_idx])
        else:
            out.update(x_train=x, labels_train=labels, x_val=x[:0], labels_val=labels[:0])
        out["train_path"] = str(train_path)
    elif keep is not None:
        out.update(x_train=keep.x_train, labels_train=keep.labels_train, x_val=keep.x_val,
                   labels_val=keep.labels_val, train_path=keep.train_path)
    if test_path:
        out["x_test"], out["labels_test"] = nd.load_mnist(str(test_path))
        out["test_path"] = str(test_path)
    elif keep is not None:
        out.update(x_test=keep.x_test, labels_test=keep.labels_test, test_path=keep.test_path)
    return out
