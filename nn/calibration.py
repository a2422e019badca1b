"""Calibrated confidence and the verdict: temperature scaling (Guo et al., 2017) and its thresholds.

The network's z^L (n, 10) divided by a temperature T gives the calibrated probabilities
y_hat = softmax(z^L / T); T is fitted on validation data by minimising the mean negative
log-likelihood NLL(T) = mean_i [logsumexp(z_i / T) - z_{i, label_i} / T]. T > 1 softens an
overconfident network; the argmax (the digit) never changes. The verdict turns the calibrated
confidence into "digit", "unsure" or "not a digit" with thresholds chosen on validation data
(choose_thresholds) and stored with the model (nn/model_io.py).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .config import N_OUT, as_images, check_labels
from .errors import ConfigError, DataError
from .losses import get_loss, one_hot

SURE_WORDS = 0.9  # calibrated confidence from which a digit verdict says "sure", below it "fairly sure"
FAIRLY_SURE = 0.6  # the lowest `sure` (digit verdict) the thresholds may choose
T_MIN, T_MAX = 0.05, 20.0  # the temperatures fit_temperature searches and Calibration accepts
MAX_FITTED_ON = 1000  # characters
KINDS = ("digit", "unsure", "not a digit")


@dataclass(frozen=True)
class Calibration:
    """What turns z^L into shown figures: temperature T and the verdict's thresholds.

    temperature: y_hat = softmax(z^L / T), T in [T_MIN, T_MAX]. sure: confidence >= sure (and the
    top two not close) -> "digit", in (0, 1]. not_digit_below: confidence below this -> "not a digit",
    in [0, sure] (0.0: never, as for old models). close_ratio: second >= close_ratio * top -> "unsure",
    in (0, 1]. fitted_on: where it was fitted, shown in the window. Raises ConfigError.
    """

    temperature: float = 1.0
    sure: float = 0.9
    not_digit_below: float = 0.0
    close_ratio: float = 0.5
    fitted_on: str = ""

    def __post_init__(self):
        def number(name, lo, hi, lo_open=False):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, float, np.floating, np.integer)) \
                    or not math.isfinite(v) or not (lo < v if lo_open else lo <= v) or v > hi:
                raise ConfigError(f"Calibration {name} must be a number {'above' if lo_open else 'from'} {lo} "
                                  f"{'and at most' if lo_open else 'to'} {hi} (got {v!r}).")
            object.__setattr__(self, name, float(v))

        number("temperature", T_MIN, T_MAX)
        number("sure", 0.0, 1.0, lo_open=True)
        number("not_digit_below", 0.0, self.sure)
        number("close_ratio", 0.0, 1.0, lo_open=True)
        if not isinstance(self.fitted_on, str) or len(self.fitted_on) > MAX_FITTED_ON:
            raise ConfigError(f"Calibration fitted_on must be a text of at most {MAX_FITTED_ON} characters.")

    def as_dict(self) -> dict:
        return {"temperature": self.temperature, "sure": self.sure, "not_digit_below": self.not_digit_below,
                "close_ratio": self.close_ratio, "fitted_on": self.fitted_on}


@dataclass(frozen=True)
class Verdict:
    """One image's answer: kind ("digit", "unsure", "not a digit"), the top and runner-up digits,
    the calibrated confidence of the top one, the ten calibrated probabilities and the words shown."""

    kind: str
    digit: int
    second: int
    confidence: float
    probabilities: np.ndarray
    words: str


def _softmax64(z: np.ndarray) -> np.ndarray:
    z = np.asarray(z, np.float64)
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def logits(net, x, batch: int = 10000) -> np.ndarray:
    """z^L (n, 10) for images x (any shape as_images takes), through net.forward in slices."""
    x = as_images(x, net.dtype)
    parts = [net.forward(x[i:i + batch])[0][-1] for i in range(0, len(x), batch)]
    return np.concatenate(parts) if parts else np.empty((0, N_OUT), net.dtype)


def calibrated_proba(net, x) -> np.ndarray:
    """y_hat = softmax(z^L / T) (n, 10) float64, T = net.calibration.temperature."""
    return from_logits(logits(net, x), net.calibration)


def evaluate(net, x, labels, batch: int = 10000) -> tuple[float, float, np.ndarray, np.ndarray]:
    """Network.evaluate's (loss, accuracy, predictions (n,)) and the calibrated confidence of each
    prediction (n,), from one forward pass per slice of `batch` images."""
    x = np.asarray(x)
    n = len(x)
    labels = check_labels(labels, n)
    loss_fn = get_loss(net.loss).value
    total, preds, confidence = 0.0, np.empty(n, np.int64), np.empty(n)
    for i in range(0, n, batch):
        zs, acts = net.forward(as_images(x[i:i + batch], net.dtype))
        y_hat = acts[-1]
        preds[i:i + batch] = y_hat.argmax(axis=1)
        confidence[i:i + batch] = from_logits(zs[-1], net.calibration).max(axis=1)
        total += loss_fn(y_hat, one_hot(labels[i:i + batch], N_OUT, y_hat.dtype)) * len(y_hat)
    return total / max(n, 1), float((preds == labels).mean()) if n else 0.0, preds, confidence


def from_logits(z: np.ndarray, calibration: Calibration) -> np.ndarray:
    """softmax(z / T) (n, 10) float64 for logits z^L already computed (one forward pass serves both
    the loss, which uses softmax(z), and the calibrated figures)."""
    return _softmax64(np.asarray(z, np.float64) / calibration.temperature)


def verdict(p: np.ndarray, calibration: Calibration) -> Verdict:
    """The verdict for one row p (10,) of calibrated probabilities.

    Rule: confidence = p[top]. Below not_digit_below -> "not a digit". Else, when p[second] >=
    close_ratio * p[top], or confidence < sure -> "unsure" ("4 or 9?"); otherwise "digit", in words
    "sure it is a 7" from SURE_WORDS on and "fairly sure it is a 7" below.
    """
    p = np.asarray(p, np.float64)
    order = np.argsort(-p, kind="stable")
    top, second = int(order[0]), int(order[1])
    conf = float(p[top])
    close = p[second] >= calibration.close_ratio * p[top]
    if conf < calibration.not_digit_below:
        kind, words = "not a digit", "not a digit"
    elif not close and conf >= calibration.sure:
        kind, words = "digit", f"{'sure' if conf >= SURE_WORDS else 'fairly sure'} it is a {top}"
    else:
        kind, words = "unsure", f"{top} or {second}?"
    return Verdict(kind, top, second, conf, p, words)


def judge(net, x) -> list[Verdict]:
    """One Verdict per image of x, from calibrated_proba and net.calibration."""
    return [verdict(p, net.calibration) for p in calibrated_proba(net, x)]


def nll(z: np.ndarray, labels: np.ndarray, temperature: float) -> float:
    """Mean negative log-likelihood of softmax(z / T) at the labels: mean(logsumexp(z/T) - z_label/T)."""
    s = np.asarray(z, np.float64) / temperature
    m = s.max(axis=1, keepdims=True)
    lse = (m[:, 0] + np.log(np.exp(s - m).sum(axis=1)))
    return float((lse - s[np.arange(len(s)), labels]).mean())


def fit_temperature(z, labels, iterations: int = 60) -> float:
    """The T in [T_MIN, T_MAX] minimising nll(z, labels, T): golden-section search on log T.

    NLL(T) is convex in 1/T (a logsumexp of linear functions of 1/T), so it has one minimum and
    the search finds it. z: (n, 10), labels: (n,) ints 0-9. Raises DataError for empty or bad input.
    """
    z = np.asarray(z, np.float64)
    labels = np.asarray(labels)
    if z.ndim != 2 or z.shape[1] != N_OUT or len(z) == 0 or labels.shape != (len(z),):
        raise DataError(f"Temperature fitting needs logits (n, 10) and n labels (got {z.shape} and {labels.shape}).")
    if not np.isfinite(z).all():
        raise DataError("The logits contain NaN or infinite values; the model is damaged.")
    labels = labels.astype(np.int64)
    lo, hi = math.log(T_MIN), math.log(T_MAX)
    g = (math.sqrt(5) - 1) / 2
    a, b = hi - g * (hi - lo), lo + g * (hi - lo)
    fa, fb = nll(z, labels, math.exp(a)), nll(z, labels, math.exp(b))
    for _ in range(iterations):
        if fa < fb:
            hi, b, fb = b, a, fa
            a = hi - g * (hi - lo)
            fa = nll(z, labels, math.exp(a))
        else:
            lo, a, fa = a, b, fb
            b = lo + g * (hi - lo)
            fb = nll(z, labels, math.exp(b))
    return float(math.exp((lo + hi) / 2))


def reliability(confidence, correct, bins: int = 15) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per equal-width bin of (0, 1] (bin k holds k/bins < confidence <= (k+1)/bins; 0 goes to the
    first): mean confidence, accuracy and count, each (bins,); empty bins have mean and accuracy 0."""
    confidence = np.asarray(confidence, np.float64)
    correct = np.asarray(correct, np.float64)
    idx = np.clip(np.ceil(confidence * bins).astype(np.int64) - 1, 0, bins - 1)
    count = np.bincount(idx, minlength=bins).astype(np.int64)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_conf = np.where(count, np.bincount(idx, confidence, bins) / np.maximum(count, 1), 0.0)
        acc = np.where(count, np.bincount(idx, correct, bins) / np.maximum(count, 1), 0.0)
    return mean_conf, acc, count


def expected_calibration_error(confidence, correct, bins: int = 15) -> float:
    """ECE = sum_k (n_k / n) |acc_k - conf_k| over equal-width bins; 0 for an empty set."""
    mean_conf, acc, count = reliability(confidence, correct, bins)
    n = count.sum()
    return float((count * np.abs(acc - mean_conf)).sum() / n) if n else 0.0


def choose_thresholds(conf_digits, correct_digits, conf_nondigits=None, keep: float = 0.98,
                      not_digit_loss: float = 0.01) -> dict:
    """`sure` and `not_digit_below` from validation confidences.

    Rule: sure is the largest level, at most 0.9 and at least FAIRLY_SURE, that keeps >= `keep` of the
    validation digits at or above it (so >= keep of them get the verdict "digit", the close rule
    aside; the floor keeps a "digit" verdict more likely right than wrong, even if fewer are kept).
    not_digit_below: 0.0 without non-digits; with them, the level below which at most
    `not_digit_loss` (1 %) of the digits fall, capped at sure. Returns a dict with both and the
    fractions they give (digits_kept, digits_not_digit; with non-digits nondigits_rejected
    (not "digit") and nondigits_not_digit).
    """
    conf = np.sort(np.asarray(conf_digits, np.float64))
    if conf.size == 0 or len(np.asarray(correct_digits)) != conf.size:
        raise DataError("Choosing thresholds needs the confidences and correctness of some validation digits.")
    k = max(int(math.floor((1 - keep) * conf.size + 1e-9)), 0)  # digits allowed below sure
    sure = float(np.clip(conf[k] if k < conf.size else conf[-1], FAIRLY_SURE, SURE_WORDS))
    out = {"sure": sure, "not_digit_below": 0.0, "digits_kept": float((conf >= sure).mean())}
    if conf_nondigits is not None and len(conf_nondigits):
        nd = np.asarray(conf_nondigits, np.float64)
        j = int(math.floor(not_digit_loss * conf.size))
        out["not_digit_below"] = float(min(conf[j], sure))
        out["nondigits_rejected"] = float((nd < sure).mean())
        out["nondigits_not_digit"] = float((nd < out["not_digit_below"]).mean())
    out["digits_not_digit"] = float((conf < out["not_digit_below"]).mean())
    return out


def fit(net, x_val, labels_val, x_nondigit_val=None, name: str = "MNIST digits") -> Calibration:
    """Fit T on validation digits, then the thresholds at that T; returns the Calibration
    (fitted_on e.g. "validation: 5,000 MNIST digits"). Does not change net."""
    z = logits(net, x_val)
    labels = np.asarray(labels_val).astype(np.int64)
    t = fit_temperature(z, labels)
    p = _softmax64(z / t)
    conf_nd = None
    if x_nondigit_val is not None and len(x_nondigit_val):
        conf_nd = _softmax64(np.asarray(logits(net, x_nondigit_val), np.float64) / t).max(axis=1)
    th = choose_thresholds(p.max(axis=1), p.argmax(axis=1) == labels, conf_nd)
    where = f"validation: {len(z):,} {name}" + (f" and {len(conf_nd):,} non-digits" if conf_nd is not None else "")
    return Calibration(temperature=t, sure=th["sure"], not_digit_below=th["not_digit_below"], fitted_on=where)
