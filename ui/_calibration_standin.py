"""A stand-in for nn/calibration.py (issue 11) until it is merged: the same names and signatures,
simple implementations, so the window can be built against the API. Delete this file once
nn/calibration.py exists; ui/calib.py then imports the real one."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nn.config import as_images


@dataclass(frozen=True)
class Calibration:
    temperature: float = 1.0
    sure: float = 0.9
    not_digit_below: float = 0.0
    close_ratio: float = 0.5
    fitted_on: str = ""


@dataclass(frozen=True)
class Verdict:
    kind: str          # "digit", "unsure" or "not a digit"
    digit: int
    second: int
    confidence: float  # calibrated probability that `digit` is right, 0-1
    probabilities: np.ndarray  # (10,) calibrated, sum 1
    words: str         # "sure it is a 7" / "fairly sure it is a 7" / "4 or 9?" / "not a digit"


def _calibration(net) -> Calibration:
    c = getattr(net, "calibration", None)
    return c if isinstance(c, Calibration) else Calibration()


def calibrated_proba(net, x) -> np.ndarray:
    """softmax(z^L / T) for images x (n, 784) or (784,): (n, 10)."""
    zs, _ = net.forward(as_images(x, net.dtype))
    z = zs[-1] / _calibration(net).temperature
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def judge(net, x) -> list[Verdict]:
    """One Verdict per image of x (n, 784) or (784,)."""
    c = _calibration(net)
    out = []
    for p in calibrated_proba(net, x):
        order = np.argsort(p)[::-1]
        d, s = int(order[0]), int(order[1])
        conf = float(p[d])
        if conf < c.not_digit_below:
            kind, words = "not a digit", "not a digit"
        elif conf < 0.5 or p[s] >= c.close_ratio * conf:
            kind, words = "unsure", f"{d} or {s}?"
        else:
            kind, words = "digit", f"{'sure' if conf >= c.sure else 'fairly sure'} it is a {d}"
        out.append(Verdict(kind, d, s, conf, p, words))
    return out


def reliability(confidence, correct, bins=15) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per equal-width bin of confidence: mean confidence, accuracy, count (empty bins: 0, 0, 0)."""
    confidence = np.asarray(confidence, dtype=np.float64)
    correct = np.asarray(correct, dtype=np.float64)
    idx = np.clip((confidence * bins).astype(np.int64), 0, bins - 1)
    count = np.bincount(idx, minlength=bins).astype(np.float64)
    safe = np.where(count > 0, count, 1)
    return (np.bincount(idx, confidence, bins) / safe, np.bincount(idx, correct, bins) / safe,
            count.astype(np.int64))


def expected_calibration_error(confidence, correct, bins=15) -> float:
    """ECE = sum over bins of (n_b / n) |accuracy_b - confidence_b|."""
    conf, acc, count = reliability(confidence, correct, bins)
    n = count.sum()
    return float((count * np.abs(acc - conf)).sum() / n) if n else 0.0
