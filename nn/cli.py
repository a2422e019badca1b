"""The command line: `python main.py train | evaluate | predict | download`.

Every failure is a one-line message on stderr: exit code 2 for bad arguments or settings (as
argparse does), 1 when the work itself failed (a broken file, a diverging run). No tracebacks.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import os
import queue
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from .errors import ConfigError, NNError
from .progress import ProgressBar

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_MODEL = ROOT / "models" / "default.npz"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="main.py", description="Handwritten-digit recognizer: a NumPy neural network "
                     "trained on MNIST. Without a command, opens the window.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    t = sub.add_parser("train", help="train a network on MNIST and report test accuracy",
                       description="Train a network on MNIST CSV/IDX files and report test accuracy.")
    t.add_argument("--train", metavar="CSV", help="training set (default MNIST/mnist_train.csv, else the bundled sample)")
    t.add_argument("--test", metavar="CSV", help="test set (default MNIST/mnist_test.csv, else the bundled sample)")
    t.add_argument("--layers", default="256,128", help="hidden layer sizes (default 256,128)")
    t.add_argument("--activation", default="relu", help="relu, sigmoid or tanh; one, or one per layer (default relu)")
    t.add_argument("--loss", default="cross-entropy", help="cross-entropy or mse (default cross-entropy)")
    t.add_argument("--optimizer", default="adam", help="sgd, momentum or adam (default adam)")
    t.add_argument("--lr", default="0.001", help="learning rate (default 0.001)")
    t.add_argument("--momentum", default="0.9", help="momentum for the momentum optimiser (default 0.9)")
    t.add_argument("--weight-decay", default="0", help="L2 weight decay (default 0)")
    t.add_argument("--schedule", default="cosine", choices=("constant", "cosine"), help="learning-rate schedule (default cosine)")
    t.add_argument("--batch-size", default="128", help="mini-batch size (default 128)")
    t.add_argument("--epochs", default="10", help="epochs (default 10)")
    t.add_argument("--limit", default="", help="use only the first N training digits")
    t.add_argument("--augment", action="store_true", help="random shifts, rotations and scaling of training digits")
    t.add_argument("--seed", default="0", help="random seed (default 0)")
    t.add_argument("--reference", action="store_true",
                   help="train with the readable step (nn/fitting.py: reference_step) instead of the fast kernel")
    t.add_argument("--out", metavar="PATH", help="save the trained model here (.npz)")
    t.add_argument("--json", action="store_true", help="end with one JSON line of results")

    e = sub.add_parser("evaluate", help="accuracy, loss and per-digit accuracy of a model",
                       description="Evaluate a saved model on a test set.")
    e.add_argument("--model", default=str(DEFAULT_MODEL), help="model file (default models/default.npz)")
    e.add_argument("--test", metavar="CSV", help="test set (default MNIST/mnist_test.csv, else the bundled sample)")
    e.add_argument("--json", action="store_true", help="end with one JSON line of results")

    p = sub.add_parser("predict", help="classify image files of digits",
                       description="Classify image files (PNG, JPEG, BMP, ...) of single digits.")
    p.add_argument("--model", default=str(DEFAULT_MODEL), help="model file (default models/default.npz)")
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    p.add_argument("images", nargs="+", metavar="IMAGE")

    d = sub.add_parser("download", help="download MNIST into MNIST/ as CSV",
                       description="Download the four MNIST IDX files, check their MD5 and write CSVs.")
    try:
        from .download import add_download_arguments
        add_download_arguments(d)
    except ImportError:
        pass
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    commands = {"train": cmd_train, "evaluate": cmd_evaluate, "predict": cmd_predict, "download": cmd_download}
    if args.command not in commands:
        parser.print_help()
        return 2
    sub = parser._subparsers._group_actions[0].choices[args.command]
    try:
        return commands[args.command](args)
    except ConfigError as exc:
        sub.print_usage(sys.stderr)
        print(f"main.py {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except NNError as exc:
        print(f"main.py {args.command}: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"\nmain.py {args.command}: interrupted.", file=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. `main.py predict *.png | head`: the reader left; stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except OSError as exc:
        where = f": {exc.filename}" if exc.filename else ""
        print(f"main.py {args.command}: error: {exc.strerror or exc}{where}", file=sys.stderr)
        return 1


# ----- data -------------------------------------------------------------------------------------
def _paths(train: str | None, test: str | None):
    """(train path, test path, note) from the options, MNIST/ or the bundled sample."""
    from .data import default_paths

    defaults = default_paths(ROOT)
    note = defaults.note if defaults.is_sample and not (train and test) else ""
    return train or defaults.train, test or defaults.test, note


def _load(path, what: str):
    from .data import load_mnist

    if not Path(path).exists():
        raise ConfigError(f"The {what} file {path} does not exist.")
    return load_mnist(path)


# ----- train ------------------------------------------------------------------------------------
def cmd_train(args) -> int:
    from .training import (
        BatchDone,
        EpochDone,
        Trainer,
        TrainingConfig,
        TrainingFailed,
        TrainingFinished,
        TrainingStopped,
    )

    config = TrainingConfig.from_strings(
        layers=args.layers, activation=args.activation, loss=args.loss, optimizer=args.optimizer,
        lr=args.lr, momentum=args.momentum, weight_decay=args.weight_decay, batch_size=args.batch_size,
        epochs=args.epochs, train_limit=args.limit, seed=args.seed,
    )
    config = dataclasses.replace(config, schedule=args.schedule, augment=args.augment)
    if args.out is not None:
        _check_out(args.out)
    train_path, test_path, note = _paths(args.train, args.test)
    if note:
        print(note, file=sys.stderr)
    x_train, labels_train = _load(train_path, "training")
    x_test, labels_test = _load(test_path, "test")
    print(f"training on {min(len(x_train), config.train_limit or len(x_train)):,} digits from {train_path}, "
          f"testing on {len(x_test):,} from {test_path}", file=sys.stderr)
    print(f"network {'-'.join(map(str, (784, *config.layers, 10)))}, {config.activation}, {config.loss}, "
          f"{config.optimizer} lr {config.lr:g}, batch {config.batch_size}, {config.epochs} epochs"
          f"{', cosine' if config.schedule == 'cosine' else ''}{', augmented' if config.augment else ''}",
          file=sys.stderr)

    # This thread only prints while the trainer runs, so the trainer may change the BLAS thread count.
    trainer = Trainer(config, x_train, labels_train, x_test, labels_test, snapshots=False, tune_threads=True,
                      reference=args.reference)
    bar = ProgressBar(sys.stderr, _batch_line)
    start = time.perf_counter()
    history, epoch_seconds, end = [], [], None
    trainer.start()
    interrupted = False
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
                      f"{event.seconds:.2f} s", file=sys.stderr)
            elif isinstance(event, (TrainingFinished, TrainingStopped, TrainingFailed)):
                end = event
        except KeyboardInterrupt:
            if interrupted:
                raise  # a second Ctrl-C: main() reports "interrupted" and exits at once
            interrupted = True
            bar.clear()
            print("Stopping after this batch (Ctrl-C again to quit at once)...", file=sys.stderr)
            trainer.stop()
    seconds = time.perf_counter() - start
    bar.clear()
    if isinstance(end, TrainingFailed):
        print(f"main.py train: error: {end.message}", file=sys.stderr)
        return 1
    net = end.snapshot
    if history and history[-1].snapshot is not None and np.array_equal(history[-1].snapshot.params, net.params):
        test_loss, test_acc = history[-1].val_loss, history[-1].val_accuracy  # already measured on the test set
    else:
        test_loss, test_acc, _ = net.evaluate(x_test, labels_test)
    result = {
        "test_accuracy": test_acc,
        "test_loss": test_loss,
        "epochs": len(history),
        "seconds": round(seconds, 3),
        "epoch_seconds": [round(s, 4) for s in epoch_seconds],
        "stopped": isinstance(end, TrainingStopped),
        "train": _shown(train_path),
        "test": _shown(test_path),
        "config": config.as_dict(),
    }
    if args.out:
        from .model_io import save_model

        meta = {
            "training": config.as_dict(),
            "train_data": _shown(train_path), "test_data": _shown(test_path),
            "history": [{"epoch": h.epoch, "train_loss": h.train_loss, "test_loss": h.val_loss,
                         "test_accuracy": h.val_accuracy, "seconds": h.seconds} for h in history],
            "test_accuracy": test_acc, "test_loss": test_loss, "epochs": len(history),
            "command": "python main.py train " + " ".join(sys.argv[2:]) if sys.argv[1:2] == ["train"] else "",
        }
        path = save_model(args.out, net, meta)  # weights only: there is no resuming from the command line
        result["model"] = str(path)
        print(f"saved {path}", file=sys.stderr)
    verb = "stopped after" if isinstance(end, TrainingStopped) else "trained"
    print(f"{verb} {len(history)} epochs in {seconds:.1f} s: test accuracy {100 * test_acc:.2f}%")
    if history and test_acc < 0.2:  # ten classes: 10 % is guessing
        print(f"That is close to guessing: the learning rate ({config.lr:g}) may be too high or too low; "
              "the default 0.001 with adam is a safe start.", file=sys.stderr)
    if args.json:
        print(json.dumps(result))
    return 0


def _check_out(out: str) -> None:
    """Refuse an --out that cannot be written before any time is spent training (ConfigError)."""
    path = Path(out)
    if not out.strip():
        raise ConfigError("--out needs a file name such as models/mine.npz.")
    if path.is_dir():
        raise ConfigError(f"--out {out} is a folder; give a file name such as models/mine.npz.")
    if path.exists() and not path.is_file():
        raise ConfigError(f"--out {out} is not a regular file; give a file name such as models/mine.npz.")
    folder = path.parent
    for parent in (folder, *folder.parents):
        if parent.exists():
            if not parent.is_dir():
                raise ConfigError(f"--out {out}: {parent} is a file, not a folder.")
            break
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        raise ConfigError(f"Cannot write to {folder}: {exc.strerror or exc}; choose another --out.") from None


def _shown(path) -> str:
    """A path as the user would write it: relative to the current folder when it is inside it."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _batch_line(e, epochs: int) -> str:
    """The progress bar's text for BatchDone `e`: epoch, batch bar, loss, samples/s, ETA."""
    filled = int(24 * e.batch / e.of)
    return (f"epoch {e.epoch}/{epochs} [{'#' * filled}{'.' * (24 - filled)}] {e.batch}/{e.of}  "
            f"loss {e.loss:.4f}  {e.samples_per_s:,.0f} samples/s  ETA {_clock(e.eta_s)}")


def _clock(seconds: float) -> str:
    if not math.isfinite(seconds):
        return "--:--"
    seconds = int(round(seconds))
    return f"{seconds // 60:02d}:{seconds % 60:02d}" if seconds < 3600 else f"{seconds // 3600}h{seconds % 3600 // 60:02d}"


# ----- evaluate ---------------------------------------------------------------------------------
def cmd_evaluate(args) -> int:
    from .model_io import load_model

    net, meta = load_model(args.model)
    _, test_path, note = _paths(None, args.test)
    if note and not args.test:
        print(note, file=sys.stderr)
    x, labels = _load(test_path, "test")
    with np.errstate(all="ignore"):
        loss, acc, preds = net.evaluate(x, labels)
    if not math.isfinite(loss):
        print(f"main.py evaluate: error: {args.model}: {NOT_A_NUMBER}", file=sys.stderr)
        return 1
    labels = labels.astype(np.int64)
    per_digit = [float((preds[labels == d] == d).mean()) if (labels == d).any() else None for d in range(10)]
    print(f"model {args.model}: {'-'.join(map(str, net.sizes))} {net.activations[0] if net.activations else ''}")
    print(f"test set {test_path}: {len(x):,} digits")
    print(f"accuracy {100 * acc:.2f}%   loss {loss:.4f}")
    print("per digit: " + "  ".join(f"{d}: {100 * a:.1f}%" if a is not None else f"{d}: -" for d, a in enumerate(per_digit)))
    if args.json:
        print(json.dumps({"accuracy": acc, "loss": loss, "n": int(len(x)), "per_digit": per_digit,
                          "model": str(args.model), "test": str(test_path)}))
    return 0


# ----- predict ----------------------------------------------------------------------------------
NOT_A_NUMBER = "the model's output is not a number (its weights overflow float32); the model is damaged"


def cmd_predict(args) -> int:
    from .model_io import load_model
    from .preprocess import open_image, preprocess_digit

    net, _ = load_model(args.model)
    failed = 0
    chunk = 256  # preprocess a few hundred files, then one forward pass for them all
    for start in range(0, len(args.images), chunk):
        names = args.images[start:start + chunk]
        xs, ok, errors = [], [], {}
        for name in names:
            try:
                x = preprocess_digit(open_image(name))
                if x.empty:
                    raise NNError(x.message or "the image is empty")
                xs.append(x.x)
                ok.append(name)
            except NNError as exc:
                errors[name] = str(exc)
            except OSError as exc:
                errors[name] = f"cannot read: {exc.strerror or exc}"
        with np.errstate(all="ignore"):  # a damaged model's overflow is reported per file below
            probs = dict(zip(ok, net.predict_proba(np.stack(xs)) if xs else []))
        for name in names:
            if name not in errors and not np.isfinite(probs[name]).all():
                errors[name] = NOT_A_NUMBER
            if name in errors:
                failed += 1
                if args.json:
                    print(json.dumps({"file": name, "error": errors[name]}))
                else:
                    print(f"{name}: error: {errors[name]}")
                continue
            p = probs[name].astype(np.float64)
            p /= p.sum()
            digit = int(p.argmax())
            if args.json:
                print(json.dumps({"file": name, "digit": digit, "probabilities": [round(float(v), 6) for v in p]}))
            else:
                print(f"{name}: {digit} ({100 * p[digit]:.1f}%)")
        sys.stdout.flush()
    return 1 if failed else 0


# ----- download ---------------------------------------------------------------------------------
def cmd_download(args) -> int:
    from .download import run_download

    return run_download(args)
