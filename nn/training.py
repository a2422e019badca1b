"""Training in a background thread that publishes progress as events and shares no mutable state.

The trainer owns its network; the window (or the command line) only reads `trainer.events`, a
queue of frozen dataclasses, and sends `pause()`, `resume()` and `stop()`, which are
threading.Events checked between mini-batches. Every run ends with exactly one of
TrainingFinished, TrainingStopped or TrainingFailed, sent from a `finally` block.
"""

from __future__ import annotations

import functools
import logging
import queue
import threading
import time
from dataclasses import dataclass, field

import numpy as np

from .config import TrainingConfig, parse_setting  # noqa: F401 - the run's settings, re-exported for callers
from .errors import ConfigError, NNError
from .network import Network

log = logging.getLogger(__name__)

BATCH_EVENT_INTERVAL = 0.1  # seconds between BatchDone events: ~10 a second is plenty for a plot
SNAPSHOT_INTERVAL = 0.3  # seconds between weight snapshots for the drawing pad
MAX_QUEUED = 20  # no new snapshot while this many events wait unread
NONDIGIT_POOL = 10000  # non-digit images made for a run with not_digits (a new one for every batch is too slow)
NONDIGIT_SHARE = 4  # a batch of 128 digits gets 128 / 4 = 32 of them
NONDIGIT_CHECK = 2000  # other non-digits (another seed) on which the verdict's thresholds are chosen


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
    None starts fresh from `config`. `augment`: optional f(x_batch, rng) (see Fitter.iter_batches).
    reference: train with the readable step (nn/fitting.py: reference_step), not nn/kernel.py.
    calibration: (x, labels) held out from training (the window's validation split; never the test
    set) on which the run's end fits the calibrated confidence and the verdict's thresholds
    (nn/calibration.py); None leaves the network with the default calibration.
    tune_threads: let training drop to one BLAS thread while that is faster (nn/blas.py); only for a
    caller whose other threads do no matrix work meanwhile (the command line, not the window).
    """

    def __init__(self, config: TrainingConfig, x_train, labels_train, x_val=None, labels_val=None,
                 network: Network | None = None, augment=None, snapshots: bool = True,
                 tune_threads: bool = False, reference: bool = False, calibration=None):
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
        self.reference = reference
        self.calibration_set = calibration
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
        if not cfg.fits(network):
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
        net = self._continued_network()
        net.fitter.set_fast(not self.reference)
        if self.config.not_digits:
            from .nondigits import make_nondigits

            # a fifth of the training set, from 2,000 to NONDIGIT_POOL: 10,000 take ~4 s to draw
            size = int(np.clip(len(self.x_train) // 5, 2000, NONDIGIT_POOL))
            pool, _ = make_nondigits(size, np.random.default_rng(self.config.seed + 1))
            net.fitter.expose(pool, max(1, self.config.batch_size // NONDIGIT_SHARE))
        return net

    def _calibrated(self, net: Network) -> Network:
        """The network with a calibration fitted on the held-out set (the weights have changed, so
        any earlier one no longer holds); returns it."""
        from . import calibration as cal

        net.calibration = cal.Calibration()
        if self.calibration_set is not None and len(self.calibration_set[0]):
            x, labels = self.calibration_set
            odd = None
            if self.config.not_digits:
                from .nondigits import make_nondigits

                odd, _ = make_nondigits(NONDIGIT_CHECK, np.random.default_rng(self.config.seed + 2))
            name = "MNIST digits"
            if self.config.augment:
                # Drawn digits are harder than MNIST's; the run's own distortions of the held-out
                # digits stand in for them. Measured on the shipped model's drawn-digit collections:
                # 95 % kept as "digit" (93 % fitted on plain digits), calibration error 0.017 (0.020).
                from .augment import augment_batch

                x = np.concatenate([np.asarray(x, np.float32) / 255,
                                    augment_batch(x, np.random.default_rng(self.config.seed + 3))])
                labels = np.concatenate([labels, labels])
                name = "MNIST digits (half of them distorted as in training)"
            net.calibration = cal.fit(net, x, labels, odd, name=name)
        return net

    def _continued_network(self) -> Network:
        cfg = self.config
        if self._start_network is None:
            return cfg.network()
        net = self._start_network
        # New settings apply to the continued model; the optimiser restarts if it changed.
        same_opt = net.optimizer_name == cfg.optimizer
        net.lr, net.momentum, net.weight_decay = cfg.lr, cfg.momentum, cfg.weight_decay
        net.batch_size, net.schedule, net.loss = cfg.batch_size, cfg.schedule, cfg.loss
        if not same_opt:
            net.optimizer_name = cfg.optimizer
        net.fitter.new_run(restart_optimizer=not same_opt)
        return net

    def _train(self, net: Network, history: list[dict]):
        # Overflow warnings are expected when a run diverges; the nan check reports it instead.
        with np.errstate(over="ignore", invalid="ignore"):
            return self._train_loop(net, history)

    def _train_loop(self, net: Network, history: list[dict]):
        cfg = self.config
        n = len(self.x_train)
        batches = -(-n // net.batch_size)
        net.fitter.new_run(total_steps=cfg.epochs * batches)
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
                    if not self._wait_while_paused(net.fitter.tuner if self.tune_threads else None):
                        return TrainingStopped(self._calibrated(net).snapshot(), tuple(history), net)
            train_loss = epoch_loss_sum / of
            seconds = time.perf_counter() - epoch_start
            val_loss, val_acc, confusion = float("nan"), float("nan"), np.zeros((10, 10), np.int64)
            if len(self.x_val):
                measured = self._validate(net)
                if measured is None:  # stopped during validation
                    return TrainingStopped(self._calibrated(net).snapshot(), tuple(history), net)
                val_loss, val_acc, confusion = measured
            history.append({"epoch": epoch, "train_loss": train_loss, "val_loss": val_loss,
                            "val_accuracy": val_acc, "seconds": seconds})
            snap = net.snapshot()
            self.events.put(EpochDone(epoch, cfg.epochs, train_loss, val_loss, val_acc, confusion, seconds, snap))
            if (self._stop.is_set() or not self._running.is_set()) and not self._wait_while_paused():
                return TrainingStopped(self._calibrated(net).snapshot(), tuple(history), net)
        self._calibrated(net)
        return TrainingFinished(net.snapshot(), tuple(history), net)

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

