"""Training in a background thread that publishes progress as events and shares no mutable state.

The trainer owns its network; the window (or the command line) only reads `trainer.events`, a
queue of frozen dataclasses, and sends `pause()`, `resume()` and `stop()`, which are
threading.Events checked between mini-batches. Every run ends with exactly one of
TrainingFinished, TrainingStopped or TrainingFailed, sent from a `finally` block.
"""

from __future__ import annotations

import functools

import logging
import math
import queue
import threading
import time
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np

from .errors import ConfigError, NNError
from .losses import canonical_loss_name
from .network import Network, check_hyperparameters, check_layers
from .activations import get_activation

log = logging.getLogger(__name__)

BATCH_EVENT_INTERVAL = 0.1  # seconds between BatchDone events: ~10 a second is plenty for a plot
SNAPSHOT_INTERVAL = 0.3  # seconds between weight snapshots for the drawing pad
MAX_QUEUED = 20  # no new snapshot while this many events wait unread


@dataclass(frozen=True)
class TrainingConfig:
    """Everything that defines a training run; validated on creation (raises ConfigError)."""

    layers: tuple = (256, 128)
    activation: str = "relu"
    loss: str = "cross_entropy"
    optimizer: str = "adam"
    lr: float = 1e-3
    batch_size: int = 128
    epochs: int = 10
    weight_decay: float = 0.0
    momentum: float = 0.9
    schedule: str = "cosine"
    augment: bool = False
    train_limit: int | None = None
    seed: int = 0

    def __post_init__(self):
        object.__setattr__(self, "layers", check_layers(self.layers))
        act = self.activation
        if isinstance(act, str) and "," in act:
            act = tuple(a.strip() for a in act.split(","))
        if isinstance(act, str):
            act = get_activation(act).name
        else:
            act = tuple(get_activation(a).name for a in act)
            if len(act) != len(self.layers):
                raise ConfigError(
                    f"Give one activation for all hidden layers or one per layer "
                    f"({len(self.layers)} layers, got {len(act)} activations)."
                )
        object.__setattr__(self, "activation", act)
        object.__setattr__(self, "loss", canonical_loss_name(self.loss))
        object.__setattr__(self, "optimizer", str(self.optimizer).strip().lower())
        check_hyperparameters(self.lr, self.momentum, self.weight_decay, self.batch_size,
                              self.schedule, self.optimizer)
        if not (isinstance(self.epochs, (int, np.integer)) and 1 <= self.epochs <= 10000):
            raise ConfigError(f"Epochs must be a whole number from 1 to 10000 (got {self.epochs}).")
        if self.train_limit is not None and not (
            isinstance(self.train_limit, (int, np.integer)) and self.train_limit >= 1
        ):
            raise ConfigError(f"The number of training digits must be at least 1 (got {self.train_limit}).")
        if not isinstance(self.seed, (int, np.integer)) or self.seed < 0:
            raise ConfigError(f"Seed must be a whole number 0 or more (got {self.seed}).")

    @classmethod
    def from_strings(cls, **texts: str) -> "TrainingConfig":
        """Build from user text, e.g. layers="256,128", lr="0.001"; empty fields keep defaults."""
        kwargs: dict[str, Any] = {}
        for name, text in texts.items():
            if name not in {f.name for f in fields(cls)}:
                raise ConfigError(f"Unknown setting {name!r}.")
            text = str(text).strip()
            if text == "":
                continue
            kwargs[name] = parse_setting(name, text)
        return cls(**kwargs)

    def network(self) -> Network:
        """A fresh network with these settings."""
        return Network(self.layers, self.activation, self.loss, self.optimizer, self.lr,
                       self.momentum, self.weight_decay, self.batch_size, self.schedule, self.seed)

    def as_dict(self) -> dict:
        d = {f.name: getattr(self, f.name) for f in fields(self)}
        d["layers"] = list(self.layers)
        if not isinstance(self.activation, str):
            d["activation"] = list(self.activation)
        return d


_LABELS = {
    "layers": "Hidden layers", "lr": "Learning rate", "batch_size": "Batch size", "epochs": "Epochs",
    "weight_decay": "Weight decay", "momentum": "Momentum", "train_limit": "Training digits",
    "seed": "Seed",
}


def parse_setting(name: str, text: str):
    """One setting from text to its value; raises ConfigError with the field's name and the text."""
    label = _LABELS.get(name, name)
    text = text.strip()
    try:
        if name == "layers":
            parts = [p for p in text.replace(" ", ",").split(",") if p]
            if not parts:
                raise ValueError
            return tuple(int(p) for p in parts)
        if name in ("lr", "weight_decay", "momentum"):
            value = float(text)
            if not math.isfinite(value):
                raise ValueError
            return value
        if name in ("batch_size", "epochs", "seed"):
            return int(text.replace("_", "").replace(",", ""))
        if name == "train_limit":
            if text.lower() in ("all", "none", "max"):
                return None
            return int(text.replace("_", "").replace(",", ""))
        if name == "augment":
            if text.lower() in ("1", "true", "yes", "on"):
                return True
            if text.lower() in ("0", "false", "no", "off"):
                return False
            raise ValueError
    except ValueError:
        examples = {"layers": "whole numbers like 256,128", "lr": "a number greater than 0, such as 0.001",
                    "weight_decay": "a number such as 0.0001", "momentum": "a number such as 0.9",
                    "train_limit": "a whole number such as 60000, or all", "augment": "on or off",
                    "batch_size": "a whole number such as 128", "epochs": "a whole number such as 10",
                    "seed": "a whole number such as 0"}
        hint = examples.get(name, "a number")
        raise ConfigError(f"{label}: {text!r} is not valid; expected {hint}.") from None
    return text


# ----- events -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class TrainingStarted:
    n_train: int
    n_val: int
    epochs: int
    batches_per_epoch: int


@dataclass(frozen=True)
class BatchDone:
    epoch: int  # 1-based
    batch: int  # 1-based, of `of`
    of: int
    loss: float  # mean loss of the batches since the previous BatchDone
    samples_per_s: float
    eta_s: float  # seconds left in the whole run


@dataclass(frozen=True)
class Snapshot:
    snapshot: Network  # read-only weights, the newest


@dataclass(frozen=True)
class EpochDone:
    epoch: int
    epochs: int
    train_loss: float
    val_loss: float
    val_accuracy: float
    confusion: np.ndarray = field(repr=False)  # (10, 10) int64: rows true digit, columns predicted
    seconds: float
    snapshot: Network = field(repr=False)


@dataclass(frozen=True)
class TrainingFinished:
    snapshot: Network
    history: tuple
    # The trainer's own network, handed over once it is done with it (writable, with the optimiser's
    # state, so a save keeps Adam's moments and a continued run goes on exactly).
    network: Network | None = field(default=None, repr=False)


@dataclass(frozen=True)
class TrainingStopped:
    snapshot: Network
    history: tuple
    network: Network | None = field(default=None, repr=False)  # as in TrainingFinished


@dataclass(frozen=True)
class TrainingFailed:
    message: str


def confusion_matrix(labels: np.ndarray, predictions: np.ndarray, k: int = 10) -> np.ndarray:
    """(k, k) counts: entry [i, j] is how many digits i were predicted as j."""
    return np.bincount(labels.astype(np.int64) * k + predictions, minlength=k * k).reshape(k, k)


class Trainer:
    """Trains a private network on a background (daemon) thread.

    x_train: (n, 784) uint8; labels_train (n,); x_val, labels_val the set evaluated after every
    epoch (may be empty). network: continue from this model (it is copied, never touched);
    None starts fresh from `config`. `augment`: optional f(x_batch, rng) (see Network.iter_batches).
    tune_threads: let training drop to one BLAS thread while that is faster (nn/blas.py); only for a
    caller whose other threads do no matrix work meanwhile (the command line, not the window).
    """

    def __init__(self, config: TrainingConfig, x_train, labels_train, x_val=None, labels_val=None,
                 network: Network | None = None, augment=None, snapshots: bool = True,
                 tune_threads: bool = False):
        self.config = config
        n = len(x_train)
        if n == 0:
            raise ConfigError("There are no training digits: load a dataset first.")
        limit = min(config.train_limit or n, n)
        self.x_train, self.labels_train = x_train[:limit], labels_train[:limit]
        self.x_val = x_val if x_val is not None else x_train[:0]
        self.labels_val = labels_val if labels_val is not None else labels_train[:0]
        if network is not None:
            self._check_same_shape(network)
            network = network.copy()  # copied here, on the caller's thread: the caller's object is never touched
        self._start_network = network
        self.snapshots = snapshots
        self.tune_threads = tune_threads
        self.augment = augment
        if augment is None and config.augment:
            from .augment import augment_batch  # only needed when asked for
            self.augment = functools.partial(augment_batch, pixels=True)
        self.events: queue.Queue = queue.Queue()
        self._stop = threading.Event()
        self._running = threading.Event()  # set = running, clear = paused
        self._running.set()
        self._thread = threading.Thread(target=self._run, name="trainer", daemon=True)

    def _check_same_shape(self, network: Network) -> None:
        cfg = self.config
        acts = (cfg.activation,) * len(cfg.layers) if isinstance(cfg.activation, str) else cfg.activation
        if tuple(network.sizes[1:-1]) != cfg.layers or tuple(network.activations) != tuple(acts):
            raise ConfigError(
                f"The current model is {'-'.join(map(str, network.sizes))} {network.activations[0]}; "
                f"the settings ask for {'-'.join(map(str, (784, *cfg.layers, 10)))}. Press New for fresh weights."
            )

    # ----- control (any thread) -----------------------------------------------------------------
    def start(self) -> None:
        self._thread.start()

    def pause(self) -> None:
        self._running.clear()

    def resume(self) -> None:
        self._running.set()

    def stop(self) -> None:
        self._stop.set()
        self._running.set()  # wake a paused trainer so it can see the stop

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    def is_alive(self) -> bool:
        return self._thread.is_alive()

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the thread; True if it has ended."""
        self._thread.join(timeout)
        return not self._thread.is_alive()

    # ----- the thread ---------------------------------------------------------------------------
    def _run(self) -> None:
        end_event = None
        net = None
        history: list[dict] = []
        try:
            net = self._make_network()
            end_event = self._train(net, history)
        except NNError as exc:
            end_event = TrainingFailed(str(exc))
        except MemoryError:
            end_event = TrainingFailed("Out of memory: use smaller hidden layers or fewer training digits.")
        except Exception as exc:  # the window must hear about every failure, never a dead thread
            log.exception("training failed")
            end_event = TrainingFailed(f"Training failed unexpectedly: {type(exc).__name__}: {exc}")
        finally:
            if end_event is None:
                end_event = TrainingFailed("Training ended unexpectedly.")
            self.events.put(end_event)

    def _make_network(self) -> Network:
        cfg = self.config
        if self._start_network is None:
            return cfg.network()
        net = self._start_network
        # New settings apply to the continued model; the optimiser restarts if it changed.
        same_opt = net.optimizer_name == cfg.optimizer
        net.lr, net.momentum, net.weight_decay = cfg.lr, cfg.momentum, cfg.weight_decay
        net.batch_size, net.schedule, net.loss = cfg.batch_size, cfg.schedule, cfg.loss
        if not same_opt:
            from .optimizers import make_optimizer
            net.optimizer_name = cfg.optimizer
            net.optimizer = make_optimizer(cfg.optimizer, net.params.size, net.dtype, cfg.momentum)
        net.step_count = 0
        return net

    def _train(self, net: Network, history: list[dict]):
        # Overflow warnings are expected when a run diverges; the nan check reports it instead.
        with np.errstate(over="ignore", invalid="ignore"):
            return self._train_loop(net, history)

    def _train_loop(self, net: Network, history: list[dict]):
        cfg = self.config
        n = len(self.x_train)
        batches = -(-n // net.batch_size)
        net.total_steps = cfg.epochs * batches
        self.events.put(TrainingStarted(n, len(self.x_val), cfg.epochs, batches))
        run_start = time.perf_counter()
        last_event = last_snap = run_start
        done_samples = 0
        for epoch in range(1, cfg.epochs + 1):
            epoch_start = time.perf_counter()
            loss_sum, loss_n, epoch_loss_sum = 0.0, 0, 0.0
            for i, of, loss in net.iter_batches(self.x_train, self.labels_train, self.augment,
                                                tune_threads=self.tune_threads):
                loss_sum += loss
                loss_n += 1
                epoch_loss_sum += loss
                done_samples += min(net.batch_size, n - i * net.batch_size)
                now = time.perf_counter()
                if now - last_event >= BATCH_EVENT_INTERVAL or i + 1 == of:
                    rate = done_samples / max(now - run_start, 1e-9)
                    left = cfg.epochs * n - done_samples
                    self.events.put(BatchDone(epoch, i + 1, of, loss_sum / loss_n, rate, left / max(rate, 1e-9)))
                    loss_sum, loss_n, last_event = 0.0, 0, now
                # A window busy in a dialog drains nothing: never let copies of the weights pile up.
                if self.snapshots and now - last_snap >= SNAPSHOT_INTERVAL and self.events.qsize() < MAX_QUEUED:
                    self.events.put(Snapshot(net.snapshot()))
                    last_snap = now
                if self._stop.is_set() or not self._running.is_set():
                    # Mid-epoch: a tuner may have this process on one BLAS thread; not while paused.
                    if not self._wait_while_paused(net.__dict__.get("_tuner") if self.tune_threads else None):
                        return TrainingStopped(net.snapshot(), tuple(history), net.drop_buffers())
            train_loss = epoch_loss_sum / of
            seconds = time.perf_counter() - epoch_start
            val_loss, val_acc, confusion = float("nan"), float("nan"), np.zeros((10, 10), np.int64)
            if len(self.x_val):
                measured = self._validate(net)
                if measured is None:  # stopped during validation
                    return TrainingStopped(net.snapshot(), tuple(history), net.drop_buffers())
                val_loss, val_acc, confusion = measured
            history.append({"epoch": epoch, "train_loss": train_loss, "val_loss": val_loss,
                            "val_accuracy": val_acc, "seconds": seconds})
            snap = net.snapshot()
            self.events.put(EpochDone(epoch, cfg.epochs, train_loss, val_loss, val_acc, confusion, seconds, snap))
            if (self._stop.is_set() or not self._running.is_set()) and not self._wait_while_paused():
                return TrainingStopped(snap, tuple(history), net.drop_buffers())
        return TrainingFinished(net.snapshot(), tuple(history), net.drop_buffers())

    def _validate(self, net: Network, chunk: int = 1000):
        """(loss, accuracy, confusion) on the validation set, in slices; None if Stop came meanwhile."""
        n = len(self.x_val)
        labels = np.asarray(self.labels_val).astype(np.int64)
        loss_sum, preds = 0.0, np.empty(n, dtype=np.int64)
        for i in range(0, n, chunk):
            if self._stop.is_set():
                return None
            loss, _, p = net.evaluate(self.x_val[i:i + chunk], labels[i:i + chunk])
            loss_sum += loss * len(p)
            preds[i:i + chunk] = p
        return loss_sum / n, float((preds == labels).mean()), confusion_matrix(labels, preds)

    def _wait_while_paused(self, tuner=None) -> bool:
        """Block while paused (waking often so Stop works); False if a stop was asked for.

        tuner: the epoch's BLAS thread tuner, which gives every thread back for the pause."""
        paused = tuner is not None and not self._running.is_set()
        if paused:
            tuner.stop()
        try:
            while not self._running.wait(0.05):
                if self._stop.is_set():
                    return False
            return not self._stop.is_set()
        finally:
            if paused:
                tuner.start()

