"""Short descriptions for people, shared by the status messages and the panels: a path relative to
the project, a duration, a network's shape, which test set a figure is on, and the accuracy a
model file records."""
from __future__ import annotations

import math
import os
from pathlib import Path

from ui.metadata import percent, text


def short_path(path: str, root: Path) -> str:
    """A path relative to the project folder when it is inside it (what people recognise)."""
    if not path:
        return ""
    try:
        pairs = [(Path(path).absolute(), root.absolute()), (Path(path).resolve(), root.resolve())]
    except (OSError, RuntimeError):  # a symlink loop (RuntimeError before Python 3.13)
        pairs = [(Path(path).absolute(), root.absolute())]
    for p, r in pairs:
        try:
            return str(p.relative_to(r))
        except ValueError:
            pass
    return str(path)


def fmt_duration(s: float) -> str:
    """Seconds as m:ss or h:mm:ss ("–" when unknown)."""
    if not math.isfinite(s) or s < 0:
        return "–"
    s = int(round(s))
    h, rem = divmod(s, 3600)
    m, sec = divmod(rem, 60)
    return f"{h}:{m:02d}:{sec:02d}" if h else f"{m}:{sec:02d}"


def arch(net) -> str:
    """A network's shape in one line, e.g. "784-256-128-10 · relu"."""
    acts = set(net.activations)
    act = next(iter(acts)) if len(acts) == 1 else "/".join(net.activations)
    return f"{'-'.join(map(str, net.sizes))} · {act}"


def test_set_name(path: str, n: int | None = None) -> str:
    """Which test set a figure is on, in a few words: "the 1,000 sample test digits", "the 10,000
    MNIST test digits" or "1,234 digits of x.csv"; without `n` "the sample test set", "MNIST test"
    or the file's name ("its test set" when the path is unknown)."""
    name = os.path.basename(path)
    kind = ("sample" if name.startswith("mnist_sample_test") else
            "MNIST" if name.startswith(("mnist_test", "t10k")) else "")
    if n is None:
        return {"sample": "the sample test set", "MNIST": "MNIST test"}.get(kind, name or "its test set")
    return f"the {n:,} {kind} test digits" if kind else f"{n:,} digits of {name or 'the test file'}"


def file_accuracy(meta: dict) -> tuple[float, str] | None:
    """The accuracy a model file records, in percent, and the set it was measured on in words
    (e.g. (99.34, "MNIST test")); None when the file records none (or none usable: see ui.metadata)."""
    if not isinstance(meta, dict):
        return None
    for key in ("test_accuracy", "accuracy", "val_accuracy"):
        p = percent(meta.get(key))
        if p is not None:
            where = "validation" if key == "val_accuracy" else test_set_name(text(meta.get("test_data")))
            return p, where
    return None
