"""The trainer thread: events in order, pause, stop within one batch, failures as events."""

import queue
import time

import numpy as np
import pytest

from nn.errors import ConfigError
from nn.network import Network
from nn.training import (
    BatchDone,
    EpochDone,
    Snapshot,
    Trainer,
    TrainingConfig,
    TrainingFailed,
    TrainingFinished,
    TrainingStarted,
    TrainingStopped,
    confusion_matrix,
)

END = (TrainingFinished, TrainingStopped, TrainingFailed)


def _data(n=2000, seed=0):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, n).astype(np.uint8)
    x = rng.integers(0, 60, (n, 784)).astype(np.uint8)
    for d in range(10):
        x[labels == d, d * 40:(d + 1) * 40] = 250
    return x, labels


def _drain(trainer, timeout=30.0):
    events, deadline = [], time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            e = trainer.events.get(timeout=0.1)
        except queue.Empty:
            continue
        events.append(e)
        if isinstance(e, END):
            return events
    raise AssertionError(f"no end event within {timeout} s; got {[type(e).__name__ for e in events]}")


def test_full_run_events_in_order():
    x, labels = _data()
    cfg = TrainingConfig(layers=(32,), epochs=3, batch_size=64, lr=0.003)
    trainer = Trainer(cfg, x, labels, x[:500], labels[:500])
    trainer.start()
    events = _drain(trainer)
    assert isinstance(events[0], TrainingStarted) and events[0].n_train == 2000
    assert isinstance(events[-1], TrainingFinished)
    assert sum(isinstance(e, END) for e in events) == 1
    epochs = [e for e in events if isinstance(e, EpochDone)]
    assert [e.epoch for e in epochs] == [1, 2, 3]
    assert epochs[-1].val_accuracy > 0.9
    assert epochs[-1].confusion.sum() == 500 and epochs[-1].confusion.shape == (10, 10)
    assert any(isinstance(e, BatchDone) for e in events)
    assert epochs[-1].snapshot.read_only
    assert len(events[-1].history) == 3
    assert trainer.join(2)


def test_stop_ends_within_a_batch_and_reports_stopped():
    x, labels = _data(20000)
    cfg = TrainingConfig(layers=(256,), epochs=50, batch_size=128)
    trainer = Trainer(cfg, x, labels, x[:100], labels[:100])
    trainer.start()
    while not any(isinstance(trainer.events.get(timeout=10), BatchDone) for _ in range(1)):
        pass
    t = time.perf_counter()
    trainer.stop()
    events = _drain(trainer, 5)
    assert isinstance(events[-1], TrainingStopped)
    assert trainer.join(1)
    assert time.perf_counter() - t < 1.0  # one batch is milliseconds; generous for busy machines
    assert events[-1].snapshot.read_only


def test_pause_halts_and_resume_continues():
    x, labels = _data(20000)
    cfg = TrainingConfig(layers=(64,), epochs=30, batch_size=64)
    trainer = Trainer(cfg, x, labels)
    trainer.start()
    trainer.events.get(timeout=10)
    trainer.pause()
    time.sleep(0.3)
    while True:  # empty what was sent before the pause took hold
        try:
            trainer.events.get_nowait()
        except queue.Empty:
            break
    time.sleep(0.4)
    assert trainer.events.empty(), "a paused trainer sent events"
    assert trainer.paused and trainer.is_alive()
    trainer.resume()
    assert isinstance(trainer.events.get(timeout=5), (BatchDone, Snapshot, EpochDone))
    trainer.pause()
    trainer.stop()  # stop works while paused
    assert isinstance(_drain(trainer, 5)[-1], TrainingStopped)


def test_failure_arrives_as_an_event():
    x, labels = _data(500)
    start = Network((16,), "relu", optimizer="sgd", lr=1.0)
    start.w[0][...] = 1e37  # blown-up weights: the first loss is nan
    cfg = TrainingConfig(layers=(16,), epochs=2, optimizer="sgd", lr=1.0)
    with np.errstate(all="ignore"):
        trainer = Trainer(cfg, x, labels, network=start)
        trainer.start()
        events = _drain(trainer)
    assert isinstance(events[-1], TrainingFailed)
    assert "Lower the learning rate" in events[-1].message
    assert np.all(start.w[0] == 1e37), "the caller's network must never be touched"


def test_unexpected_exception_becomes_failed_event():
    x, labels = _data(300)

    def broken_augment(xb, rng):
        raise RuntimeError("boom")

    trainer = Trainer(TrainingConfig(layers=(8,), epochs=1), x, labels, augment=broken_augment)
    trainer.start()
    end = _drain(trainer)[-1]
    assert isinstance(end, TrainingFailed) and "boom" in end.message


def test_continue_training_from_a_model_and_shape_mismatch():
    x, labels = _data(500)
    net = Network((16,))
    trainer = Trainer(TrainingConfig(layers=(16,), epochs=1), x, labels, network=net)
    trainer.start()
    assert isinstance(_drain(trainer)[-1], TrainingFinished)
    with pytest.raises(ConfigError, match="New"):
        Trainer(TrainingConfig(layers=(32,), epochs=1), x, labels, network=net)


def test_train_limit_uses_first_digits():
    x, labels = _data(1000)
    trainer = Trainer(TrainingConfig(layers=(8,), epochs=1, train_limit=300), x, labels)
    trainer.start()
    assert _drain(trainer)[0].n_train == 300


@pytest.mark.parametrize("texts, match", [
    ({"layers": "256,abc"}, "Hidden layers"),
    ({"lr": "-1"}, "greater than 0"),
    ({"lr": "fast"}, "Learning rate"),
    ({"batch_size": "0"}, "Batch size"),
    ({"epochs": "1.5"}, "Epochs"),
    ({"train_limit": "0"}, "at least 1"),
    ({"activation": "swish"}, "relu, sigmoid, tanh"),
    ({"epochs": "100000"}, "Epochs"),
])
def test_config_from_strings_refuses_bad_text(texts, match):
    with pytest.raises(ConfigError, match=match):
        TrainingConfig.from_strings(**texts)


def test_config_from_strings_parses_good_text():
    cfg = TrainingConfig.from_strings(layers="512, 256", lr="3e-4", epochs="5", train_limit="all",
                                      activation="tanh", loss="cross-entropy", augment="on")
    assert cfg.layers == (512, 256) and cfg.lr == 3e-4 and cfg.train_limit is None
    assert cfg.loss == "cross_entropy" and cfg.augment is True and cfg.activation == "tanh"


def test_confusion_matrix():
    m = confusion_matrix(np.array([0, 1, 1, 2]), np.array([0, 1, 2, 2]), k=3)
    assert m.tolist() == [[1, 0, 0], [0, 1, 1], [0, 0, 1]]


def test_stop_during_validation_ends_without_finishing_it(monkeypatch):
    x, labels = _data(2500)  # validated in three slices of at most 1,000
    trainer = Trainer(TrainingConfig(layers=(8,), epochs=3), x, labels, x, labels)
    calls = []

    def evaluate_then_stop(self, *args, **kwargs):
        calls.append(1)
        trainer.stop()  # Stop pressed while the first slice of validation is being measured
        return original(self, *args, **kwargs)

    original = Network.evaluate
    monkeypatch.setattr(Network, "evaluate", evaluate_then_stop)
    trainer.start()
    events = _drain(trainer)
    assert isinstance(events[-1], TrainingStopped)
    assert not any(isinstance(e, EpochDone) for e in events)
    assert len(calls) == 1, "validation went on after Stop"


def test_snapshots_do_not_pile_up_when_nobody_reads():
    from nn.training import MAX_QUEUED

    x, labels = _data(20000)
    trainer = Trainer(TrainingConfig(layers=(32,), epochs=200), x, labels)
    trainer.start()
    time.sleep(2.5)  # a window busy in a file dialog reads nothing
    trainer.stop()
    events = _drain(trainer)
    assert sum(isinstance(e, Snapshot) for e in events) <= MAX_QUEUED


def test_no_snapshots_when_not_wanted_and_caller_network_untouched():
    x, labels = _data(500)
    net = Network((16,))
    state = net.fitter.rng.bit_generator.state
    params = net.params.copy()
    trainer = Trainer(TrainingConfig(layers=(16,), epochs=2), x, labels, network=net, snapshots=False)
    trainer.start()
    events = _drain(trainer)
    assert isinstance(events[-1], TrainingFinished)
    assert not any(isinstance(e, Snapshot) for e in events)
    assert net.fitter.rng.bit_generator.state == state and np.array_equal(net.params, params)


def test_augmented_training_on_real_digits_learns_and_skips_blank_pixels(monkeypatch):
    """--augment / the window's switch: the trainer's augmented batches come with their lit pixels."""
    from pathlib import Path

    from nn.data import load_mnist

    assets = Path(__file__).resolve().parent.parent / "assets"
    x, labels = load_mnist(assets / "mnist_sample_train.csv.gz")
    x_val, labels_val = load_mnist(assets / "mnist_sample_test.csv.gz")
    from nn.fitting import Fitter

    seen = []
    original = Fitter.step

    def spy(self, x_batch, labels_batch, pixels=None, outliers=0):
        seen.append(None if pixels is None else len(pixels))
        return original(self, x_batch, labels_batch, pixels, outliers)

    monkeypatch.setattr(Fitter, "step", spy)
    cfg = TrainingConfig(layers=(64,), epochs=2, augment=True, lr=0.003)
    trainer = Trainer(cfg, x[:3000], labels[:3000], x_val, labels_val)
    trainer.start()
    events = _drain(trainer)
    assert isinstance(events[-1], TrainingFinished)
    assert [e for e in events if isinstance(e, EpochDone)][-1].val_accuracy > 0.85
    assert seen and all(k is not None and 300 < k < 784 for k in seen)  # blank corners left out


def test_the_finished_run_hands_over_its_network_with_the_optimiser_state(tmp_path):
    """Saving the run the window ends with keeps Adam's moments; a run continued from the file goes on
    as one continued from the network itself (given the same shuffles)."""
    from nn.model_io import load_model, save_model

    x, labels = _data(1000)
    cfg = TrainingConfig(layers=(16,), epochs=2, batch_size=100, lr=0.003, schedule="constant")
    trainer = Trainer(cfg, x, labels)
    trainer.start()
    end = _drain(trainer)[-1]
    assert isinstance(end, TrainingFinished) and not end.network.read_only
    assert end.network.optimizer.t == 20
    np.testing.assert_array_equal(end.network.params, end.snapshot.params)
    path = save_model(tmp_path / "run.npz", end.network, {})
    loaded = load_model(path)[0]
    assert loaded.optimizer.t == 20

    def continue_from(net):
        net.fitter.rng = np.random.default_rng(1)  # the file keeps no shuffling state: same shuffles for both
        t = Trainer(TrainingConfig(layers=(16,), epochs=1, batch_size=100, lr=0.003, schedule="constant"),
                    x, labels, network=net)
        t.start()
        return _drain(t)[-1].network.params

    np.testing.assert_allclose(continue_from(loaded), continue_from(end.network), rtol=0, atol=1e-6)
