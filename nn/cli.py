"""The command line: `python main.py train | evaluate | predict | download`.

Every failure is a one-line message on stderr, never a traceback. Exit codes: 2 for bad arguments
or settings (as argparse does), an empty option value among them (`--epochs ''` names the option;
leave an option out for its default); 1 when the work itself failed (a broken file, a diverging
run, a model saved only to the fallback folder) or its output could not be written (standard
output closed, or a broken pipe as in `| head -1`); 128 + the signal number when interrupted
(130 for Ctrl-C). `train` stops cleanly on a first SIGINT, SIGTERM or SIGHUP and still saves
(exit 0): see nn/cli_train.py.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from pathlib import Path

import numpy as np

from .errors import ConfigError, NNError

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
    t.add_argument("--limit", help="use only the first N training digits")
    t.add_argument("--augment", action="store_true", help="random shifts, rotations and scaling of training digits")
    t.add_argument("--not-digits", action="store_true",
                   help="also train on made-up non-digits (scribbles, shapes, letters) towards 'none of these'")
    t.add_argument("--val", default="5000",
                   help="training digits held out to calibrate the confidence (default 5000, at most 1/12 of them)")
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
    for command in sub.choices.values():
        _refuse_empty_values(command)
    return parser


def _refuse_empty_values(parser: argparse.ArgumentParser) -> None:
    """Make every option that takes a value refuse an empty (or blank) one, as argparse refuses a
    missing one: `--epochs ''` is a mistake (a shell variable that was not set), not a request for
    the default. Wraps each option's `type`, so options added elsewhere (download) are covered too.
    """
    for action in parser._actions:
        if not action.option_strings or action.nargs == 0 or action.help == argparse.SUPPRESS:
            continue
        action.type = _non_empty(action)


def _non_empty(action: argparse.Action):
    convert = action.type
    default = action.default if action.default not in (None, argparse.SUPPRESS) else None
    hint = f"; leave {action.option_strings[0]} out for its default ({default})" if default is not None else ""

    def check(text: str):
        if isinstance(text, str) and not text.strip():
            raise argparse.ArgumentTypeError(f"expected a value, got an empty one{hint}")
        return convert(text) if convert is not None else text

    check.__name__ = getattr(convert, "__name__", "value")  # argparse names it in "invalid int value: 'x'"
    return check


def main(argv: list[str] | None = None) -> int:
    closed = _claim_closed_std_streams()
    parser = build_parser()
    args = parser.parse_args(argv)
    commands = {"train": cmd_train, "evaluate": cmd_evaluate, "predict": cmd_predict, "download": cmd_download}
    if args.command not in commands:
        parser.print_help()
        return 2
    if "stdout" in closed:
        print(f"main.py {args.command}: error: standard output is closed, so no result could be shown; "
              "redirect it to a file or to /dev/null instead.", file=sys.stderr)
        return 1
    sub = parser._subparsers._group_actions[0].choices[args.command]
    try:
        code = commands[args.command](args)
        sys.stdout.flush()  # a broken pipe shows here, not in the interpreter's exit
        return code
    except ConfigError as exc:
        sub.print_usage(sys.stderr)
        print(f"main.py {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except NNError as exc:
        print(f"main.py {args.command}: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt as exc:  # Ctrl-C, or nn.cli_train.Interrupted (SIGTERM, SIGHUP)
        print(f"\nmain.py {args.command}: {getattr(exc, 'message', 'interrupted.')}", file=sys.stderr)
        return 128 + getattr(exc, "signum", 2)
    except BrokenPipeError:  # e.g. `main.py predict *.png | head`: the reader left; stop quietly
        _to_devnull(1)  # so the interpreter's last flush finds somewhere to write
        return 1
    except OSError as exc:
        where = f": {exc.filename}" if exc.filename else ""
        print(f"main.py {args.command}: error: {exc.strerror or exc}{where}", file=sys.stderr)
        return 1


def _claim_closed_std_streams() -> list[str]:
    """Names of the standard streams that were closed at start (`>&-`), each now opened on
    /dev/null: otherwise the next file opened would get descriptor 1 or 2, and a stray write could
    land in a model file. Python leaves sys.stdout None then; it becomes a /dev/null stream."""
    closed = []
    for fd, name in ((1, "stdout"), (2, "stderr")):
        try:
            os.fstat(fd)
        except OSError:
            _to_devnull(fd)
            setattr(sys, name, open(fd, "w", closefd=False))
            closed.append(name)
        else:
            if getattr(sys, name) is None:  # open, but Python gave up on it
                setattr(sys, name, open(os.devnull, "w"))
                closed.append(name)
    return closed


def _to_devnull(fd: int) -> None:
    null = os.open(os.devnull, os.O_WRONLY)
    if null != fd:
        os.dup2(null, fd)
        os.close(null)


# ----- data -------------------------------------------------------------------------------------
def _paths(train: str | None, test: str | None):
    """(train path, test path, note) from the options, MNIST/ or the bundled sample."""
    from .data import default_paths

    defaults = default_paths(ROOT)
    note = defaults.note if defaults.is_sample and not (train and test) else ""
    return train or defaults.train, test or defaults.test, note


def _load(path, what: str):
    from .data import load_mnist
    from .files import file_problem

    problem = file_problem(path, f"{what} file")
    if problem is not None:  # a folder, a FIFO, a loop of links: named as such, never opened
        raise ConfigError(f"The {what} file: {problem}")
    notes: list[str] = []
    x, labels = load_mnist(path, notes=notes)
    for note in notes:  # e.g. a cache entry that no longer matched and was rebuilt
        print(note, file=sys.stderr)
    return x, labels


# ----- train (nn/cli_train.py) ------------------------------------------------------------------
def cmd_train(args) -> int:
    from .cli_train import cmd_train as train

    return train(args)


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
    from .calibration import evaluate, expected_calibration_error

    with np.errstate(all="ignore"):
        loss, acc, preds, confidence = evaluate(net, x, labels)  # one forward pass for all of them
    if not math.isfinite(loss) or not np.isfinite(confidence).all():
        print(f"main.py evaluate: error: {args.model}: {NOT_A_NUMBER}", file=sys.stderr)
        return 1
    labels = labels.astype(np.int64)
    ece = expected_calibration_error(confidence, preds == labels)  # 15 bins, calibrated (T keeps the argmax)
    per_digit = [float((preds[labels == d] == d).mean()) if (labels == d).any() else None for d in range(10)]
    print(f"model {args.model}: {'-'.join(map(str, net.sizes))} {net.activations[0] if net.activations else ''}")
    print(f"test set {test_path}: {len(x):,} digits")
    print(f"accuracy {100 * acc:.2f}%   loss {loss:.4f}   calibration error (ECE, 15 bins) {ece:.4f}"
          f"   temperature {net.calibration.temperature:.3f}")
    print("per digit: " + "  ".join(f"{d}: {100 * a:.1f}%" if a is not None else f"{d}: -" for d, a in enumerate(per_digit)))
    if args.json:
        print(json.dumps({"accuracy": acc, "loss": loss, "ece": ece, "temperature": net.calibration.temperature,
                          "n": int(len(x)), "per_digit": per_digit, "model": str(args.model), "test": str(test_path)}))
    return 0


# ----- predict ----------------------------------------------------------------------------------
NOT_A_NUMBER = "the model's output is not a number (its weights overflow float32); the model is damaged"


def cmd_predict(args) -> int:
    from .calibration import calibrated_proba, verdict
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
            probs = dict(zip(ok, calibrated_proba(net, np.stack(xs)) if xs else []))
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
            v = verdict(probs[name], net.calibration)  # calibrated: softmax(z / T)
            if args.json:
                print(json.dumps({"file": name, "digit": v.digit, "confidence": round(v.confidence, 6),
                                  "verdict": v.kind, "probabilities": [round(float(q), 6) for q in v.probabilities]}))
            else:
                shown = v.digit if v.kind == "digit" else v.words
                print(f"{name}: {shown} (confidence {100 * v.confidence:.0f} %)")
        sys.stdout.flush()
    return 1 if failed else 0


# ----- download ---------------------------------------------------------------------------------
def cmd_download(args) -> int:
    from .download import run_download

    return run_download(args)
