"""The command line as a user runs it: exit codes, JSON lines, messages without tracebacks."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from nn.data import save_csv
from nn.model_io import save_model
from nn.network import Network

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "mnist"


def run(*args, timeout=120):
    return subprocess.run([sys.executable, str(ROOT / "main.py"), *map(str, args)], cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout)


def _tiny_csvs(tmp_path, n=400):
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 10, n).astype(np.uint8)
    x = rng.integers(0, 40, (n, 784)).astype(np.uint8)
    for d in range(10):
        x[labels == d, d * 40:(d + 1) * 40] = 255
    train = save_csv(tmp_path / "train.csv", x, labels)
    test = save_csv(tmp_path / "test.csv.gz", x[:100], labels[:100])
    return train, test


def test_train_json_and_saved_model_then_evaluate(tmp_path):
    train, test = _tiny_csvs(tmp_path)
    out = tmp_path / "m.npz"
    r = run("train", "--train", train, "--test", test, "--layers", "32", "--epochs", "3",
            "--batch-size", "32", "--lr", "0.003", "--out", out, "--json")
    assert r.returncode == 0, r.stderr
    result = json.loads(r.stdout.strip().splitlines()[-1])
    assert result["epochs"] == 3 and len(result["epoch_seconds"]) == 3
    assert result["test_accuracy"] > 0.9 and result["seconds"] > 0
    assert "epoch   3/3" in r.stderr
    r = run("evaluate", "--model", out, "--test", test, "--json")
    assert r.returncode == 0, r.stderr
    ev = json.loads(r.stdout.strip().splitlines()[-1])
    assert ev["n"] == 100 and abs(ev["accuracy"] - result["test_accuracy"]) < 1e-9
    assert 0 <= ev["ece"] <= 1 and "calibration error" in r.stdout
    assert "per digit" in r.stdout


@pytest.mark.parametrize("args, message", [
    (["train", "--lr", "-0.1"], "Learning rate must be greater than 0"),
    (["train", "--layers", "12,x"], "Hidden layers"),
    (["train", "--epochs", "0"], "Epochs"),
    (["train", "--activation", "swish"], "relu, sigmoid, tanh"),
    (["train", "--train", "no/such.csv"], "does not exist"),
    (["train", "--bogus"], "unrecognized arguments"),
    (["evaluate", "--model", "no/such.npz"], "does not exist"),
    (["predict"], "required"),
])
def test_bad_arguments_get_a_message_not_a_traceback(args, message):
    r = run(*args)
    assert r.returncode in (1, 2), r.stderr
    assert message in r.stderr
    assert "Traceback" not in r.stderr


def test_bad_train_file_is_reported_with_its_line(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("label," + ",".join(f"p{i}" for i in range(784)) + "\n" + "3," + ",".join(["0"] * 783) + "\n")
    r = run("train", "--train", bad, "--test", bad, "--epochs", "1")
    assert r.returncode == 1 and "line 2" in r.stderr and "Traceback" not in r.stderr


def _digit_png(path, mode="L", invert=False):
    im = Image.new("L", (120, 160), 0)
    ImageDraw.Draw(im).line([(60, 20), (60, 140)], fill=255, width=14)  # a "1"
    if invert:
        im = Image.eval(im, lambda v: 255 - v)
    im.convert(mode).save(path)
    return path


def test_predict_json_lines_and_a_broken_file(tmp_path):
    model = save_model(tmp_path / "m.npz", Network((8,)))
    good = _digit_png(tmp_path / "one.png")
    rgb = _digit_png(tmp_path / "one_rgb.png", "RGB", invert=True)
    blank = tmp_path / "blank.png"
    Image.new("L", (50, 50), 255).save(blank)
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"\x89PNG not really")
    r = run("predict", "--model", model, "--json", good, broken, rgb, blank, tmp_path / "missing.png")
    assert r.returncode == 1
    lines = [json.loads(l) for l in r.stdout.splitlines()]
    assert [l["file"] for l in lines] == [str(good), str(broken), str(rgb), str(blank), str(tmp_path / "missing.png")]
    for l in (lines[0], lines[2]):
        assert 0 <= l["digit"] <= 9 and len(l["probabilities"]) == 10
        assert abs(sum(l["probabilities"]) - 1) < 1e-4
        assert 0 <= l["confidence"] <= 1 and l["verdict"] in ("digit", "unsure", "not a digit")
        assert abs(l["confidence"] - max(l["probabilities"])) < 1e-5
    assert lines[0]["digit"] == lines[2]["digit"]  # polarity does not matter
    assert "error" in lines[1] and "error" in lines[3] and "error" in lines[4]
    assert "empty" in lines[3]["error"]
    r = run("predict", "--model", model, good)
    assert r.returncode == 0 and r.stdout.startswith(f"{good}: ") and "(confidence " in r.stdout


def test_a_model_whose_output_overflows_gives_errors_not_nan(tmp_path, monkeypatch, capsys):
    """Valid JSON and a clear error per file, never NaN probabilities or a made-up digit."""
    from nn import cli, model_io

    class Overflowing(Network):  # loads (its probe passes) but overflows on real digits
        def forward(self, x):
            zs, acts = super().forward(x)
            return [*zs[:-1], np.full((len(x), 10), np.nan, np.float32)], acts

    monkeypatch.setattr(model_io, "load_model", lambda path: (Overflowing((8,)), {}))
    good = _digit_png(tmp_path / "one.png")
    assert cli.main(["predict", "--model", "m.npz", "--json", str(good)]) == 1
    line = json.loads(capsys.readouterr().out.strip())  # json.loads refuses nothing here: no NaN written
    assert line["file"] == str(good) and "not a number" in line["error"]


@pytest.mark.skipif(not (ROOT / "models" / "default.npz").exists(), reason="models/default.npz not built yet")
def test_shipped_model_reads_a_drawn_one():
    r = run("predict", "--json", _digit_png(Path(ROOT / ".pytest_one.png")))
    (ROOT / ".pytest_one.png").unlink()
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["digit"] == 1


def test_unwritable_out_is_refused_before_training(tmp_path):
    train, test = _tiny_csvs(tmp_path)
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    r = run("train", "--train", train, "--test", test, "--out", blocker / "m.npz")
    assert r.returncode == 2 and "is a file, not a folder" in r.stderr
    assert "epoch   1" not in r.stderr  # no time spent training
    r = run("train", "--train", train, "--test", test, "--out", "")
    assert r.returncode == 2 and "argument --out: expected a value" in r.stderr


def test_ctrl_c_stops_after_a_batch_and_still_saves(tmp_path):
    import signal
    import time

    train, test = _tiny_csvs(tmp_path, n=3000)
    out = tmp_path / "m.npz"
    proc = subprocess.Popen([sys.executable, str(ROOT / "main.py"), "train", "--train", str(train), "--test",
                             str(test), "--layers", "256", "--epochs", "500", "--out", str(out)],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(4)  # loading, then a few seconds of training
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 0, stderr
    assert "Stopping after this batch" in stderr and "Traceback" not in stderr
    assert "stopped after" in stdout and out.exists()


@pytest.mark.parametrize("args", [
    ["train", "--epochs", ""], ["train", "--lr", ""], ["train", "--layers", " "], ["train", "--activation", ""],
    ["train", "--loss", ""], ["train", "--optimizer", ""], ["train", "--batch-size", ""], ["train", "--limit", ""],
    ["train", "--momentum", ""], ["train", "--weight-decay", ""], ["train", "--seed", ""],
    ["train", "--schedule", ""], ["train", "--train", ""], ["train", "--out", ""],
    ["evaluate", "--test", ""], ["evaluate", "--model", ""], ["predict", "--model", "", "x.png"],
    ["download", "--dest", ""], ["download", "--timeout", ""],
])
def test_an_empty_option_value_is_an_error_naming_the_option(args, capsys):
    """Not the default: `--epochs ''` usually means a shell variable that was never set."""
    from nn import cli

    option = next(a for a in args if a.startswith("--"))
    with pytest.raises(SystemExit) as exit_info:
        cli.main(args)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert f"error: argument {option}: expected a value, got an empty one" in err
    assert len([line for line in err.splitlines() if "error:" in line]) == 1


def test_empty_epochs_does_not_train_ten_epochs():
    r = run("train", "--epochs", "", "--layers", "8")
    assert r.returncode == 2 and "argument --epochs" in r.stderr
    assert "epoch " not in r.stderr and "Traceback" not in r.stderr


def test_empty_settings_keep_defaults_only_when_asked():
    """The window's form relies on an empty field meaning its default (empty_is_default=True)."""
    from nn.errors import ConfigError
    from nn.training import TrainingConfig

    assert TrainingConfig.from_strings(epochs="", layers="8").epochs == 10
    for name in ("epochs", "lr", "layers", "activation", "loss", "optimizer", "train_limit"):
        with pytest.raises(ConfigError, match="is empty; expected"):
            TrainingConfig.from_strings(empty_is_default=False, **{name: " "})


def test_closed_stdout_is_a_message_not_a_traceback(tmp_path):
    model = save_model(tmp_path / "m.npz", Network((8,)))
    png = _digit_png(tmp_path / "one.png")
    for command in (f"predict --model {model} {png}", f"evaluate --model {model}"):
        r = subprocess.run(["sh", "-c", f'exec "{sys.executable}" main.py {command} >&-'], cwd=ROOT,
                           capture_output=True, text=True, timeout=60)
        assert r.returncode == 1, r.stderr
        assert "standard output is closed" in r.stderr and "Traceback" not in r.stderr


def test_a_reader_that_leaves_early_ends_the_command_quietly(tmp_path):
    """`predict *.png | head -1`: a non-zero exit, no traceback, no 'Exception ignored'."""
    model = save_model(tmp_path / "m.npz", Network((8,)))
    png = str(_digit_png(tmp_path / "one.png"))
    proc = subprocess.Popen([sys.executable, str(ROOT / "main.py"), "predict", "--model", str(model),
                             *[png] * 3000], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    first = proc.stdout.readline()
    proc.stdout.close()  # what head -1 does
    stderr = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 1
    assert first.startswith(png.encode())
    assert "Traceback" not in stderr and "Exception ignored" not in stderr, stderr
