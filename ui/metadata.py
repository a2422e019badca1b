"""What the window shows from a model file's metadata, read so that any JSON value is safe.

nn.model_io checks a file's arrays; its metadata is free-form JSON, where a number may be 10**400
(an int no float can hold), NaN, a string, a list or a nested object. The window reads metadata
only through `clean` and `read_history`: they keep each value it shows when it has the documented
type and a sensible range, and drop it otherwise (the panel then shows no figure, the plot no
point), so nothing the window draws can raise or show garbage.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from nn.files import shown

MAX_EPOCH = 10**6        # an epoch number beyond this is not a real run
MAX_LOSS = 1e6           # a loss this large would squash every other point of the plot
MAX_HISTORY = 100_000    # epochs plotted from one file
MAX_TEXT = 300           # characters of a name kept from the metadata


def number(value, lo: float = -math.inf, hi: float = math.inf) -> float | None:
    """`value` as a float when it is a JSON number (not a bool), finite and in [lo, hi]; else None."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        f = float(value)
    except OverflowError:  # an int beyond float range, e.g. 1 followed by 400 zeros
        return None
    return f if math.isfinite(f) and lo <= f <= hi else None


def count(value, hi: int = MAX_EPOCH) -> int | None:
    """`value` when it is a whole JSON number in [0, hi]; else None."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= hi:
        return None
    return value


def percent(value) -> float | None:
    """An accuracy in percent: a fraction in [0, 1] times 100, or a figure in (1, 100] as it is."""
    f = number(value, 0.0, 100.0)
    return None if f is None else f * 100.0 if f <= 1.0 else f


def text(value) -> str:
    """A name from the metadata for one line ("" unless it is a string): control characters
    escaped, cut to MAX_TEXT characters."""
    return shown(value)[:MAX_TEXT] if isinstance(value, str) else ""


def clean(meta) -> dict:
    """The metadata the window keeps and shows: accuracies as fractions in [0, 1] (the file's
    format), `test_data` and `train_data` as one-line text, `epochs_trained` as a count; other
    keys are kept only when they are plain short text (nothing reads them). Any input is fine."""
    if not isinstance(meta, dict):
        return {}
    out: dict = {}
    for key in ("test_accuracy", "accuracy", "val_accuracy"):
        p = percent(meta.get(key))
        if p is not None:
            out[key] = p / 100.0
    for key in ("test_data", "train_data", "source", "created"):
        t = text(meta.get(key))
        if t:
            out[key] = t
    epochs = count(meta.get("epochs_trained"))
    if epochs is not None:
        out["epochs_trained"] = epochs
    return out


@dataclass(frozen=True)
class History:
    """The per-epoch curves of a model file, ready to plot: x values are epoch numbers, losses
    finite in [0, MAX_LOSS] or NaN (not drawn), accuracies in percent or NaN."""
    epoch_x: tuple = ()
    train_loss: tuple = ()
    val_loss: tuple = ()
    val_acc: tuple = ()
    test_x: tuple = ()
    test_acc: tuple = ()
    test_loss: tuple = ()


def read_history(history) -> History:
    """The curves in a file's `history` (the window's format: epoch, train_loss, val_loss,
    val_accuracy; or the command line's: test_loss and test_accuracy too). Entries that are not
    objects are skipped; an unusable epoch number becomes the entry's place in the list, an
    unusable value a gap. Anything but a list gives no curves."""
    if not isinstance(history, list):
        return History()
    nan = math.nan

    def loss(h, key):
        v = number(h.get(key), 0.0, MAX_LOSS)
        return nan if v is None else v

    def acc(h, key):
        v = percent(h.get(key))
        return nan if v is None else v

    cols: dict[str, list] = {k: [] for k in History.__dataclass_fields__}
    for i, h in enumerate(history[:MAX_HISTORY], start=1):
        if not isinstance(h, dict):
            continue
        epoch = count(h.get("epoch"))
        epoch = epoch if epoch else i
        cols["epoch_x"].append(epoch)
        cols["train_loss"].append(loss(h, "train_loss"))
        cols["val_loss"].append(loss(h, "val_loss"))
        cols["val_acc"].append(acc(h, "val_accuracy"))
        if "test_accuracy" in h or "test_loss" in h:  # the command line scores the test set per epoch
            cols["test_x"].append(epoch)
            cols["test_acc"].append(acc(h, "test_accuracy"))
            cols["test_loss"].append(loss(h, "test_loss"))
    return History(**{k: tuple(v) for k, v in cols.items()})
