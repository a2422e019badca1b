"""`train` never loses trained weights: stopping signals, interrupts during the save, a failed save,
and an --out that could never be written (refused before the first batch)."""

import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from nn import cli, model_io
from nn.data import save_csv
from nn.model_io import load_model

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def csvs(tmp_path):
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 10, 300).astype(np.uint8)
    x = rng.integers(0, 40, (300, 784)).astype(np.uint8)
    for d in range(10):
        x[labels == d, d * 40:(d + 1) * 40] = 255
    return save_csv(tmp_path / "train.csv", x, labels), save_csv(tmp_path / "test.csv", x[:50], labels[:50])


def train(csvs, out, *extra):
    return cli.main(["train", "--train", str(csvs[0]), "--test", str(csvs[1]), "--layers", "8",
                     "--epochs", "2", "--batch-size", "64", "--out", str(out), *extra])


# ----- SIGTERM / SIGHUP: stop after the batch and save, like Ctrl-C ---------------------------------
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_sigterm_and_sighup_stop_after_the_batch_and_save(tmp_path, signum):
    """On the bundled sample (used when MNIST/ has no CSVs, or given explicitly here)."""
    out = tmp_path / "m.npz"
    sample = ROOT / "assets"
    proc = subprocess.Popen([sys.executable, str(ROOT / "main.py"), "train", "--layers", "16", "--epochs", "200",
                             "--train", str(sample / "mnist_sample_train.csv.gz"),
                             "--test", str(sample / "mnist_sample_test.csv.gz"), "--out", str(out)],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines = []
    for line in proc.stderr:
        lines.append(line)
        if line.startswith("epoch   1/200"):
            proc.send_signal(signum)
            break
    stdout, rest = proc.communicate(timeout=60)
    stderr = "".join(lines) + rest
    assert proc.returncode == 0, stderr  # the documented code for a stopped, saved run
    assert f"{signal.Signals(signum).name} received. Stopping after this batch" in stderr
    assert "Traceback" not in stderr and "stopped after" in stdout
    net, meta = load_model(out)
    assert tuple(net.sizes) == (784, 16, 10) and 1 <= meta["epochs"] < 200


# ----- an interrupt after the last batch: the save comes first --------------------------------------
def _save_that_is_interrupted(monkeypatch, times, how="raise"):
    """model_io.save_model, interrupted `times` times: KeyboardInterrupt raised by that many calls,
    or that many real SIGINTs during the first call."""
    real, calls = model_io.save_model, []

    def save(path, net, meta=None, **kw):
        calls.append(Path(path))
        if how == "raise" and len(calls) <= times:
            raise KeyboardInterrupt
        if how == "signal" and len(calls) == 1:
            for _ in range(times):
                os.kill(os.getpid(), signal.SIGINT)  # the handler runs here, in the middle of the save
        return real(path, net, meta, **kw)

    monkeypatch.setattr(model_io, "save_model", save)
    return calls


def test_one_interrupt_during_the_save_still_saves(tmp_path, csvs, monkeypatch, capsys):
    out = tmp_path / "m.npz"
    calls = _save_that_is_interrupted(monkeypatch, 1)
    assert train(csvs, out) == 0
    err = capsys.readouterr().err
    assert "saving the model first (Ctrl-C again to quit without saving)" in err
    assert calls == [out, out] and load_model(out)[1]["epochs"] == 2


def test_a_second_interrupt_abandons_the_save_and_says_so(tmp_path, csvs, monkeypatch, capsys):
    out = tmp_path / "m.npz"
    out.write_bytes(b"old model")
    calls = _save_that_is_interrupted(monkeypatch, 2)
    assert train(csvs, out) == 130
    err = capsys.readouterr().err
    assert "interrupted again while saving: the model was NOT saved" in err
    assert calls == [out, out]  # no fallback tried: the user asked to quit
    assert out.read_bytes() == b"old model"


def test_a_real_sigint_during_the_save_waits_for_it(tmp_path, csvs, monkeypatch, capsys):
    out = tmp_path / "m.npz"
    calls = _save_that_is_interrupted(monkeypatch, 1, how="signal")
    assert train(csvs, out) == 0
    assert calls == [out] and load_model(out)[1]["epochs"] == 2  # the first save was not even restarted
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # handlers restored


def test_two_real_sigints_during_the_save_abandon_it(tmp_path, csvs, monkeypatch, capsys):
    out = tmp_path / "m.npz"
    _save_that_is_interrupted(monkeypatch, 2, how="signal")
    assert train(csvs, out) == 130
    assert "NOT saved" in capsys.readouterr().err and not out.exists()


# ----- a failed save goes to the fallback folder ---------------------------------------------------
def _refuse_writes_under(monkeypatch, *folders):
    real = model_io.write_atomically

    def write(path, fn):
        if any(Path(os.path.realpath(path)).is_relative_to(f) for f in folders):
            raise PermissionError(13, "Permission denied", str(path))
        return real(path, fn)

    monkeypatch.setattr(model_io, "write_atomically", write)


def test_a_failed_save_goes_to_the_user_data_folder_and_says_where(tmp_path, csvs, monkeypatch, capsys):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    out = tmp_path / "models" / "mine.npz"
    _refuse_writes_under(monkeypatch, tmp_path / "models")  # made read-only after the up-front check
    assert train(csvs, out, "--json") == 1
    captured = capsys.readouterr()
    rescued = tmp_path / "data" / "digit-recognizer" / "mine.npz"
    assert "Permission denied" in captured.err
    assert f"saved {rescued} instead of {out}" in captured.err
    assert load_model(rescued)[1]["epochs"] == 2 and not out.exists()
    assert f'"model": "{rescued}"' in captured.out


def test_when_the_data_folder_fails_too_the_temporary_folder_takes_it(tmp_path, csvs, monkeypatch, capsys):
    import tempfile

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    out = tmp_path / "models" / "mine.npz"
    _refuse_writes_under(monkeypatch, tmp_path / "models", tmp_path / "data")
    assert train(csvs, out) == 1
    saved = list((tmp_path / "tmp").glob("digit-recognizer-*-mine.npz"))
    assert len(saved) == 1 and load_model(saved[0])[1]["epochs"] == 2
    assert f"saved {saved[0]} instead of" in capsys.readouterr().err


def test_when_nothing_takes_the_model_the_message_says_so(tmp_path, csvs, monkeypatch, capsys):
    import tempfile

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    _refuse_writes_under(monkeypatch, tmp_path)
    assert train(csvs, tmp_path / "m.npz") == 1
    err = capsys.readouterr().err
    assert "could not be saved anywhere" in err and err.count("Permission denied") == 3


# ----- --out checked fully before the first batch --------------------------------------------------
def _file(path):
    path.write_text("x")
    return path


def _loop(path):
    path.symlink_to(path.name)
    return path


@pytest.mark.parametrize("make, message", [
    (lambda t: _loop(t / "loop.npz"), "loop of symbolic links"),
    (lambda t: _loop(t / "loopdir") / "m.npz", "loopdir is a loop of symbolic links, not a folder"),
    (lambda t: (t / "folder").mkdir() or t / "folder", "is a folder"),
    (lambda t: os.mkfifo(t / "fifo") or t / "fifo", "not a regular file"),
    (lambda t: _file(t / "file") / "m.npz", "is a file, not a folder"),
    (lambda t: _file(t / "file") / "sub" / "m.npz", "is a file, not a folder"),
])
def test_an_out_that_cannot_be_written_is_refused_before_training(tmp_path, csvs, make, message, capsys):
    out = make(tmp_path)
    assert train(csvs, out) == 2
    err = capsys.readouterr().err
    assert message in err and "epoch " not in err and "training on" not in err


def test_an_unwritable_out_folder_is_refused_before_training(tmp_path, csvs, monkeypatch, capsys):
    import tempfile

    def refuse(*a, **kw):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(tempfile, "TemporaryFile", refuse)  # chmod means nothing to root
    assert train(csvs, tmp_path / "m.npz") == 2
    assert "Cannot write to" in capsys.readouterr().err


@pytest.mark.parametrize("make", [
    lambda t: t / "new" / "deeper" / "m.npz",
    lambda t: _file(t / "old.npz"),
    lambda t: (t / "link.npz").symlink_to(t / "target.npz") or t / "link.npz",
])
def test_a_new_file_an_old_file_or_a_dangling_link_is_fine(tmp_path, make):
    from nn.cli_train import check_out

    check_out(str(make(tmp_path)))


def test_a_reader_that_leaves_does_not_cost_the_model(tmp_path, csvs):
    """`train --out m.npz 2>&1 | head -1`: the messages have nowhere to go, the model is still saved."""
    out = tmp_path / "m.npz"
    proc = subprocess.Popen([sys.executable, str(ROOT / "main.py"), "train", "--train", str(csvs[0]),
                             "--test", str(csvs[1]), "--layers", "8", "--epochs", "3", "--out", str(out)],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    proc.stdout.readline()
    proc.stdout.close()
    assert proc.wait(timeout=60) == 1  # the results line could not be written
    assert load_model(out)[1]["epochs"] == 3
