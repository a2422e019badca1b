"""A run with not_digits trains on made-up non-digits too, and every run ends with a calibration
fitted on held-out digits (never the test set)."""

from pathlib import Path

import numpy as np

from nn.data import load_mnist
from nn.training import Trainer, TrainingConfig, TrainingFinished

ASSETS = Path(__file__).resolve().parent.parent / "assets"


def _drain(trainer, timeout=120):
    events = []
    while True:
        e = trainer.events.get(timeout=timeout)
        events.append(e)
        if type(e).__name__.startswith("Training") and type(e).__name__ != "TrainingStarted":
            return events


def _sample():
    x, labels = load_mnist(ASSETS / "mnist_sample_train.csv.gz")
    return x[:2400], labels[:2400], x[2400:3000], labels[2400:3000]


def test_a_run_with_not_digits_trains_on_them_and_ends_calibrated(monkeypatch):
    import nn.training as training

    monkeypatch.setattr(training, "NONDIGIT_POOL", 600)
    monkeypatch.setattr(training, "NONDIGIT_CHECK", 300)
    x, labels, x_val, labels_val = _sample()
    seen = []
    from nn.fitting import Fitter

    original = Fitter.step

    def spy(self, x_batch, labels_batch, pixels=None, outliers=0):
        seen.append(outliers)
        return original(self, x_batch, labels_batch, pixels, outliers)

    monkeypatch.setattr(Fitter, "step", spy)
    cfg = TrainingConfig(layers=(32,), epochs=2, lr=0.003, not_digits=True, batch_size=64)
    trainer = Trainer(cfg, x, labels, x_val, labels_val, calibration=(x_val, labels_val))
    trainer.start()
    end = _drain(trainer)[-1]
    assert isinstance(end, TrainingFinished)
    assert seen and set(seen) == {64 // training.NONDIGIT_SHARE}
    cal = end.snapshot.calibration
    assert cal.fitted_on and np.isfinite(cal.temperature) and cal.temperature > 0
    assert end.network.calibration == cal


def test_a_run_with_a_held_out_set_ends_calibrated_on_it():
    x, labels, x_val, labels_val = _sample()
    trainer = Trainer(TrainingConfig(layers=(16,), epochs=1), x, labels, x_val, labels_val,
                      calibration=(x_val, labels_val))
    trainer.start()
    end = _drain(trainer)[-1]
    cal = end.snapshot.calibration
    assert isinstance(end, TrainingFinished) and "600" in cal.fitted_on and cal.temperature != 1.0
    assert end.network.calibration == cal


def test_without_a_held_out_set_the_calibration_is_the_default():
    from nn.calibration import Calibration

    x, labels, x_val, labels_val = _sample()
    trainer = Trainer(TrainingConfig(layers=(16,), epochs=1), x, labels, x_val, labels_val)
    trainer.start()
    end = _drain(trainer)[-1]
    assert isinstance(end, TrainingFinished) and end.snapshot.calibration == Calibration()
