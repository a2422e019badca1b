"""`python main.py train`: train, then save the weights so that nothing stops them reaching a file.

Stopping: the first SIGINT (Ctrl-C), SIGTERM (`kill`, `timeout`, `docker stop`, systemd) or SIGHUP
(the terminal closed) stops training after the current mini-batch; the model is then evaluated and
saved as usual and the command exits 0, saying "stopped after N epochs". A second one quits at once
(exit 128 + the signal number: 130, 143, 129). Once training is over, during the final evaluation
and the save, a first signal is only noted: the save finishes first; a second one abandons the save
(the old --out file is left intact) and says so.

Saving: --out is checked fully before the first batch (a folder, a FIFO, a symlink loop, a file
where a folder should be, an unwritable folder: exit 2). If the final save still fails, the model
goes to nn.atomic.fallback_path() (the user data folder), then to the temporary folder; the
command prints where it went and exits 1. Trained weights are not lost.
"""

from __future__ import annotations

import dataclasses
import errno
import json
import os
import queue
import signal
import stat
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from .atomic import fallback_path
from .cli import _batch_line, _load, _paths, _shown
from .errors import ConfigError, ModelFileError, NNError
from .files import file_problem, shown
from .progress import ProgressBar

SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name))
TRAINING_SETTINGS = {  # TrainingConfig setting: the option's attribute in args
    "layers": "layers", "activation": "activation", "loss": "loss", "optimizer": "optimizer", "lr": "lr",
    "momentum": "momentum", "weight_decay": "weight_decay", "batch_size": "batch_size", "epochs": "epochs",
    "train_limit": "limit", "seed": "seed",
}


class Interrupted(KeyboardInterrupt):
    """A stopping signal (SIGINT, SIGTERM, SIGHUP) in the main thread; nn.cli.main exits 128 + signum."""

    def __init__(self, signum: int = signal.SIGINT, message: str = "interrupted."):
        super().__init__(message)
        self.signum, self.message = signum, message


class Interrupts:
    """The signal handler for SIGNALS while `train` runs (installed with `with Interrupts() as ints`).

    Each signal raises Interrupted in the main thread, except the first one while `deferring` is
    set (the final evaluation and the save), which is only counted and announced. `count` is every
    interrupt seen so far, also KeyboardInterrupts that came from elsewhere (see `note`).
    """

    def __init__(self):
        self.count, self.signum, self.deferring, self._old = 0, signal.SIGINT, False, {}

    def __enter__(self) -> "Interrupts":
        for s in SIGNALS:
            try:
                self._old[s] = signal.signal(s, self)
            except (ValueError, OSError):  # not the main thread, or not allowed here
                pass
        return self

    def __exit__(self, *exc) -> None:
        for s, old in self._old.items():
            signal.signal(s, old)

    def __call__(self, signum, frame) -> None:
        self.count += 1
        self.signum = signum
        if self.deferring and self.count == 1:
            _write_stderr(f"\n{_signal_name(signum)} received: saving the model first "
                          "(Ctrl-C again to quit without saving)...\n")
            return
        raise Interrupted(signum)

    def note(self, exc: BaseException) -> None:
        """Count a KeyboardInterrupt that did not come through __call__ (one this handler raised is counted)."""
        if not isinstance(exc, Interrupted):
            self.count += 1


def _signal_name(signum: int) -> str:
    return "Ctrl-C" if signum == signal.SIGINT else signal.Signals(signum).name


def _write_stderr(text: str) -> None:
    """A write safe inside a signal handler (print() may be in the middle of a write already)."""
    try:
        os.write(2, text.encode(errors="replace"))
    except OSError:
        pass


class _Tolerant:
    """A text stream whose reader may leave (`train 2>&1 | head`): after a broken pipe, writes are
    dropped instead of raising, so that the run still ends with its model saved."""

    def __init__(self, stream):
        self.stream, self.broken = stream, stream is None

    def write(self, text: str) -> int:
        if not self.broken:
            try:
                return self.stream.write(text)
            except (OSError, ValueError):
                self.broken = True
        return len(text)

    def flush(self) -> None:
        if not self.broken:
            try:
                self.stream.flush()
            except (OSError, ValueError):
                self.broken = True

    def isatty(self) -> bool:
        return not self.broken and hasattr(self.stream, "isatty") and self.stream.isatty()


def cmd_train(args) -> int:
    with Interrupts() as ints:
        return _train(args, ints, _Tolerant(sys.stderr))


def _config(args):
    from .training import TrainingConfig

    texts = {setting: getattr(args, attr) for setting, attr in TRAINING_SETTINGS.items()
             if getattr(args, attr, None) is not None}
    config = TrainingConfig.from_strings(empty_is_default=False, **texts)  # `--epochs ''` is an error
    return dataclasses.replace(config, schedule=args.schedule, augment=args.augment, not_digits=args.not_digits)


def _train(args, ints: Interrupts, err) -> int:
    from .training import BatchDone, EpochDone, Trainer, TrainingFailed, TrainingFinished, TrainingStopped

    config = _config(args)
    if args.out is not None:
        check_out(args.out)
    train_path, test_path, note = _paths(args.train, args.test)
    if note:
        print(note, file=err)
    x_train, labels_train = _load(train_path, "training")
    x_test, labels_test = _load(test_path, "test")
    x_train, labels_train, held_out = _hold_out(x_train, labels_train, args.val, config.seed)
    print(f"training on {min(len(x_train), config.train_limit or len(x_train)):,} digits from {train_path}, "
          f"testing on {len(x_test):,} from {test_path}", file=err)
    print(f"network {'-'.join(map(str, (784, *config.layers, 10)))}, {config.activation}, {config.loss}, "
          f"{config.optimizer} lr {config.lr:g}, batch {config.batch_size}, {config.epochs} epochs"
          f"{', cosine' if config.schedule == 'cosine' else ''}{', augmented' if config.augment else ''}",
          file=err)

    # This thread only prints while the trainer runs, so the trainer may change the BLAS thread count.
    trainer = Trainer(config, x_train, labels_train, x_test, labels_test, snapshots=False, tune_threads=True,
                      reference=args.reference, calibration=held_out)
    bar = ProgressBar(err, _batch_line)
    start = time.perf_counter()
    history, epoch_seconds, end = [], [], None
    trainer.start()
    while end is None:
        try:
            try:
                event = trainer.events.get(timeout=0.2)
            except queue.Empty:
                continue
            if isinstance(event, BatchDone):
                bar.show(event, config.epochs)
            elif isinstance(event, EpochDone):
                bar.clear()
                epoch_seconds.append(event.seconds)
                history.append(event)
                print(f"epoch {event.epoch:>3}/{event.epochs}  loss {event.train_loss:.4f}  "
                      f"test loss {event.val_loss:.4f}  test accuracy {100 * event.val_accuracy:.2f}%  "
                      f"{event.seconds:.2f} s", file=err)
            elif isinstance(event, (TrainingFinished, TrainingStopped, TrainingFailed)):
                end = event
                # From here on the weights exist only in memory: a first signal must not lose them.
                ints.deferring = bool(args.out)
        except KeyboardInterrupt as exc:
            ints.note(exc)
            if ints.count > 1:
                raise  # a second signal: main() reports "interrupted" and exits at once
            bar.clear()
            got = "" if ints.signum == signal.SIGINT else f"{_signal_name(ints.signum)} received. "
            print(f"{got}Stopping after this batch (Ctrl-C again to quit at once)...", file=err)
            trainer.stop()
    seconds = time.perf_counter() - start
    bar.clear()
    if isinstance(end, TrainingFailed):
        print(f"main.py train: error: {end.message}", file=err)
        return 1
    net = end.snapshot
    if history and history[-1].snapshot is not None and np.array_equal(history[-1].snapshot.params, net.params):
        test_loss, test_acc = history[-1].val_loss, history[-1].val_accuracy  # already measured on the test set
    else:
        try:
            test_loss, test_acc, _ = net.evaluate(x_test, labels_test)
        except KeyboardInterrupt as exc:  # a second signal (the first waits, see Interrupts)
            if not args.out:
                raise
            ints.note(exc)
            raise Interrupted(ints.signum, "interrupted again before the save: the model was NOT saved.") from None
    result = {
        "test_accuracy": test_acc, "test_loss": test_loss, "epochs": len(history), "seconds": round(seconds, 3),
        "epoch_seconds": [round(s, 4) for s in epoch_seconds], "stopped": isinstance(end, TrainingStopped),
        "train": _shown(train_path), "test": _shown(test_path), "config": config.as_dict(),
    }
    code = 0
    if args.out:
        meta = {
            "training": config.as_dict(),
            "train_data": _shown(train_path), "test_data": _shown(test_path),
            "history": [{"epoch": h.epoch, "train_loss": h.train_loss, "test_loss": h.val_loss,
                         "test_accuracy": h.val_accuracy, "seconds": h.seconds} for h in history],
            "test_accuracy": test_acc, "test_loss": test_loss, "epochs": len(history),
            "command": "python main.py train " + " ".join(sys.argv[2:]) if sys.argv[1:2] == ["train"] else "",
        }
        path, problem = save_through_interrupts(lambda: save_anywhere(args.out, net, meta), ints, err)
        result["model"] = str(path)
        if problem:
            print(f"main.py train: error: {problem}", file=err)
            print(f"saved {shown(path)} instead of {shown(args.out)}", file=err)
            code = 1
        else:
            print(f"saved {shown(path)}", file=err)
    cal = net.calibration
    result["calibration"] = cal.as_dict()
    if cal.fitted_on:
        print(f"confidence calibrated on {cal.fitted_on.removeprefix('validation: ')} held out from training: "
              f"temperature {cal.temperature:.3f}, 'sure' from {100 * cal.sure:.0f} %"
              + (f", 'not a digit' below {100 * cal.not_digit_below:.0f} %" if cal.not_digit_below else ""), file=err)
    else:
        print("confidence not calibrated (no digits held out: --val 0)", file=err)
    verb = "stopped after" if isinstance(end, TrainingStopped) else "trained"
    print(f"{verb} {len(history)} epochs in {seconds:.1f} s: test accuracy {100 * test_acc:.2f}%")
    if history and test_acc < 0.2:  # ten classes: 10 % is guessing
        print(f"That is close to guessing: the learning rate ({config.lr:g}) may be too high or too low; "
              "the default 0.001 with adam is a safe start.", file=err)
    if args.json:
        print(json.dumps(result))
    return code


def _hold_out(x, labels, text: str, seed: int):
    """(x, labels) to train on and (x, labels) held out to calibrate on: `--val` digits, at most a
    twelfth of the set (the window's rule), chosen at random with the run's seed."""
    from .data import train_val_split

    try:
        want = int(str(text).replace("_", ""))
        if want < 0:
            raise ValueError
    except ValueError:
        raise ConfigError(f"--val must be a whole number of digits, 0 or more (got {text!r}).") from None
    n_val = min(want, len(x) // 12)
    if n_val == 0:
        return x, labels, None
    train_idx, val_idx = train_val_split(len(x), n_val / len(x), seed)
    return x[train_idx], labels[train_idx], (x[val_idx], labels[val_idx])


def save_through_interrupts(save, ints: Interrupts, err):
    """Run save(); a first interrupt during it starts it again, a second abandons it (Interrupted,
    saying the model was not saved). write_atomically leaves the old file whole either way."""
    while True:
        try:
            return save()
        except KeyboardInterrupt as exc:
            ints.note(exc)
            if ints.count > 1:
                raise Interrupted(ints.signum, "interrupted again while saving: the model was NOT saved.") from None
            print(f"{_signal_name(ints.signum)} received: saving the model first "
                  "(Ctrl-C again to quit without saving)...", file=err)


def save_anywhere(out, net, meta) -> tuple[Path, str | None]:
    """Save to `out`, else to nn.atomic.fallback_path(out), else to the temporary folder.

    Returns (where it went, None) or (where it went, why `out` failed). Raises ModelFileError
    listing every failure when no place took it.
    """
    from .model_io import save_model

    try:
        return save_model(out, net, meta), None
    except (ModelFileError, OSError) as exc:
        first = _reason(exc)
    failures = [first]
    name = Path(out).name or "model.npz"
    temp = Path(tempfile.gettempdir()) / f"digit-recognizer-{os.getpid()}-{name}"
    for place in (fallback_path(name), temp):
        try:
            return save_model(place, net, meta), first
        except (ModelFileError, OSError) as exc:
            failures.append(_reason(exc))
    raise ModelFileError(" ".join(failures) + " The trained model could not be saved anywhere.")


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError) and not isinstance(exc, NNError):
        return f"Cannot save {shown(exc.filename or '')}: {exc.strerror or exc}."
    return str(exc)


def check_out(out: str) -> None:
    """Refuse an --out that cannot be written before any time is spent training (ConfigError).

    A file that does not exist yet is fine (so is a symlink to one); an existing regular file will
    be replaced. Refused: a folder, a FIFO or device, a loop of symbolic links, a file where a
    folder should be, and a folder this process cannot create a file in.
    """
    if not out.strip():
        raise ConfigError("--out needs a file name such as models/mine.npz.")
    hint = "give a file name such as models/mine.npz."
    path = Path(out)
    try:
        os.stat(path)
    except FileNotFoundError:
        pass  # a new file (or a symlink to one): its folder is checked below
    except OSError as exc:
        _check_folders(out, path.parent)  # a loop or a file further up is named as such
        problem = file_problem(path, "model file") or f"Cannot use {shown(out)}: {exc.strerror}."
        raise ConfigError(f"--out: {problem} Please {hint}") from None
    else:
        problem = file_problem(path, "model file")
        if problem:
            raise ConfigError(f"--out: {problem} Please {hint}")
    folder = Path(os.path.realpath(path)).parent
    _check_folders(out, folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        raise ConfigError(f"Cannot write to {shown(folder)}: {exc.strerror or exc}; choose another --out.") from None


def _check_folders(out: str, folder: Path) -> None:
    """ConfigError when `folder` or the nearest existing folder above it is a file or a symlink loop."""
    for parent in (folder, *folder.parents):
        try:
            st = os.stat(parent)
        except FileNotFoundError:
            continue
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise ConfigError(f"--out {shown(out)}: {shown(parent)} is a loop of symbolic links, "
                                  "not a folder.") from None
            if exc.errno == errno.ENOTDIR:
                continue  # a file further up: found on the next round
            raise ConfigError(f"--out {shown(out)}: cannot use {shown(parent)}: {exc.strerror}.") from None
        if not stat.S_ISDIR(st.st_mode):
            raise ConfigError(f"--out {shown(out)}: {shown(parent)} is a file, not a folder.")
        return
