"""Reading the pad: the drawing, preprocessed like MNIST (or plainly resized), goes through the
current model into AppState.prediction, with its calibrated verdict (ui.calib: a digit, not sure
or not a digit), whose version tells the views that show it (the verdict, the bars, the 28x28
input, the hidden activations) to pull it."""
from __future__ import annotations

import time

import numpy as np

from nn.config import as_images
from nn.preprocess import naive_resize, preprocess_digit
from ui.calib import cal


def read(canvas, state) -> None:
    """Read the pad `canvas` with `state.model` into `state.prediction` (on frames where the
    drawing, the model or the preprocessing switch changed)."""
    t0 = time.perf_counter()
    pred = state.prediction
    net = state.model
    if canvas.empty or net is None:
        pred.empty, pred.probs, pred.x, pred.stages, pred.hidden = True, None, None, [], []
        pred.verdict = None
        pred.message = "" if net is not None else "No model"
    else:
        img = canvas.to_array()
        if state.preprocess:
            pre = preprocess_digit(img)
            x, empty, stages = pre.x, pre.empty, pre.stages
            pred.message = pre.message
        else:
            x = naive_resize(img)
            empty, stages = not bool(x.max() > 0.05), [("drawing", img.astype(np.float32) / 255.0),
                                                       ("resized 28x28", x)]
            pred.message = ""
        pred.x, pred.stages, pred.empty = x, stages, empty
        pred.verdict = None
        if empty:
            pred.probs, pred.hidden = None, []
        else:
            with np.errstate(all="ignore"):
                zs, acts = net.forward(as_images(x, net.dtype))
            pred.probs = np.asarray(acts[-1][0], dtype=np.float64)
            pred.hidden = [a[0] for a in acts[1:-1]]
            if not np.isfinite(pred.probs).all():  # a damaged model: say so rather than show a digit
                pred.probs, pred.hidden = None, []
                pred.message = "This model's output is not a number (its weights overflow): load another."
            else:  # the bars and the verdict show the calibrated probabilities, from the same z^L
                with np.errstate(all="ignore"):
                    v = pred.verdict = cal.verdict(cal.from_logits(zs[-1], net.calibration)[0], net.calibration)
                pred.probs = np.asarray(v.probabilities, dtype=np.float64)
                pred.digit, pred.confidence = int(v.digit), float(v.confidence)
    pred.ms = (time.perf_counter() - t0) * 1000
    pred.version += 1


def seen_caption(state) -> str:
    """The caption under the 28x28 image."""
    if state.prediction.x is None:
        return ""
    return "28x28 the network sees" if state.preprocess else "plain resize, no preprocessing"
