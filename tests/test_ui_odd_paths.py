"""Odd paths given to the window's Load…, Save… and Open dataset… (a FIFO, a folder, a dangling
symlink, a symlink loop, a name with a newline, a read-only target): each is a one-line status
message, nothing blocks the frame loop, and the window keeps running with its model."""
import os
import subprocess
import threading
import time

import pygame
import pytest

from nn.model_io import load_model, save_model
from nn.network import Network
from ui import jobs
from ui.app import App
from ui.dialogs import Dialogs

needs_fifo = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")


@pytest.fixture
def root(tmp_path):
    (tmp_path / "models").mkdir()
    save_model(tmp_path / "models" / "default.npz", Network(layers=(8,), seed=0), {})
    yield tmp_path
    if pygame.get_init():
        pygame.quit()


def make_app(root, **dialogs):
    return App(root=root, dialogs=Dialogs(**dialogs), fps=0, load_data=False, size=(1280, 720))


def release(fifo):
    """Open the FIFO's other end without blocking, so a reader stuck in open() (a regression)
    gets going again and the test process can end."""
    try:
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
    except OSError:
        pass  # no reader waiting: nothing to release


def keeps_running(app, n=5, budget=0.5):
    """n frames, each returning within `budget` seconds."""
    for _ in range(n):
        t = time.perf_counter()
        app.step()
        assert time.perf_counter() - t < budget
    return True


def odd_path(kind, tmp_path, name=None):
    """A path of the given kind in tmp_path (None when this system cannot make one)."""
    p = tmp_path / (name or f"odd-{kind}.npz")
    if kind == "folder":
        p.mkdir()
    elif kind == "dangling symlink":
        p.symlink_to(tmp_path / "nowhere.npz")
    elif kind == "symlink loop":
        p.symlink_to(p)
    elif kind == "fifo":
        if not hasattr(os, "mkfifo"):
            return None
        os.mkfifo(p)
    elif kind == "newline":
        p = tmp_path / "two\nlines.npz"
    return p


KINDS = ["folder", "dangling symlink", "symlink loop", "fifo", "newline"]


# ----- Open dataset… ------------------------------------------------------------------------------
@needs_fifo
def test_open_dataset_refuses_a_fifo_before_opening_it(root, tmp_path):
    fifo = tmp_path / "digits_train.csv"
    os.mkfifo(fifo)
    app = make_app(root, open_dataset=lambda folder: str(fifo))
    try:
        app.b_data.click()
        assert not app.state.data.loading and app.state.level == "error"
        assert "not a regular file" in app.state.message and "digits_train.csv" in app.state.message
        assert keeps_running(app)
        app.b_data.click()  # and it can be asked again: no load is left hanging
        assert "already loading" not in app.state.message
    finally:
        release(fifo)


def test_a_data_job_that_blocks_never_stalls_the_frame_loop(root, tmp_path, monkeypatch):
    gate = threading.Event()
    monkeypatch.setattr(jobs, "load_data", lambda *a, **k: gate.wait(30) and {})
    csv = tmp_path / "digits_train.csv"
    csv.write_text("")
    app = make_app(root, open_dataset=lambda folder: str(csv))
    try:
        app.b_data.click()
        assert app.state.data.loading and keeps_running(app, n=10)
        assert app.state.data.loading  # still waiting, and the window went on drawing
    finally:
        gate.set()


@pytest.mark.parametrize("kind", ["folder", "dangling symlink", "symlink loop", "newline"])
def test_open_dataset_names_an_odd_path_in_one_line(root, tmp_path, kind):
    path = odd_path(kind, tmp_path)
    app = make_app(root, open_dataset=lambda folder: str(path))
    app.b_data.click()
    assert not app.state.data.loading and app.state.level == "error"
    assert "\n" not in app.state.message and ("two\\nlines" in app.state.message if kind == "newline"
                                              else "odd-" in app.state.message)
    assert keeps_running(app)


# ----- Load… ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", KINDS)
def test_loading_an_odd_path_is_one_line_and_keeps_the_model(root, tmp_path, kind):
    path = odd_path(kind, tmp_path)
    if path is None:
        pytest.skip("needs FIFOs")
    app = make_app(root, open_model=lambda folder: str(path))
    before = app.state.model
    try:
        app.b_load.click()
    finally:
        release(path)
    assert app.state.model is before and app.state.level == "error"
    assert "Unexpected" not in app.state.message and "\n" not in app.state.message
    assert ("two\\nlines" in app.state.message) if kind == "newline" else ("odd-" in app.state.message)
    if kind == "symlink loop":
        assert "loop" in app.state.message
    assert keeps_running(app)


# ----- Save… ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["folder", "symlink loop", "fifo", "under a file"])
def test_saving_to_an_odd_path_is_one_line_and_changes_nothing(root, tmp_path, kind):
    if kind == "under a file":
        (tmp_path / "plain").write_text("x")
        path = tmp_path / "plain" / "m.npz"
    else:
        path = odd_path(kind, tmp_path)
        if path is None:
            pytest.skip("needs FIFOs")
    app = make_app(root, save_model=lambda folder, name: str(path))
    t = time.perf_counter()
    try:
        app.b_save.click()
    finally:
        release(path)
    assert time.perf_counter() - t < 5
    assert app.state.level == "error" and "Unexpected" not in app.state.message
    assert "\n" not in app.state.message and "Cannot save" in app.state.message
    assert (tmp_path / "plain").read_text() == "x" if kind == "under a file" else True
    assert keeps_running(app)


def test_saving_to_a_name_with_a_newline_works_and_says_so_in_one_line(root, tmp_path):
    path = tmp_path / "two\nlines.npz"
    app = make_app(root, save_model=lambda folder, name: str(path))
    app.b_save.click()
    assert app.state.level == "ok" and "two\\nlines.npz" in app.state.message
    assert load_model(path)[0].sizes == (784, 8, 10)


def test_saving_over_a_read_only_file_is_one_line_and_keeps_it(root, tmp_path):
    target = tmp_path / "locked.npz"
    save_model(target, Network(layers=(4,), seed=0), {})
    old = target.read_bytes()
    if subprocess.run(["chattr", "+i", str(target)], capture_output=True).returncode != 0:
        target.chmod(0o444)
        tmp_path.chmod(0o555)
        if os.access(tmp_path, os.W_OK):
            tmp_path.chmod(0o755)
            pytest.skip("cannot make a read-only target here (root without chattr)")
    app = make_app(root, save_model=lambda folder, name: str(target))
    try:
        app.b_save.click()
    finally:
        subprocess.run(["chattr", "-i", str(target)], capture_output=True)
        tmp_path.chmod(0o755)
    assert app.state.level == "error" and "\n" not in app.state.message and "locked.npz" in app.state.message
    assert target.read_bytes() == old
    assert keeps_running(app)


# ----- start-up and autosave ---------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["folder", "symlink loop", "fifo", "dangling symlink"])
def test_an_odd_default_model_starts_fresh_weights_and_says_why(tmp_path, kind):
    (tmp_path / "models").mkdir()
    if odd_path(kind, tmp_path / "models", "default.npz") is None:
        pytest.skip("needs FIFOs")
    try:
        app = App(root=tmp_path, fps=0, load_data=False, size=(1280, 720))
    finally:
        release(tmp_path / "models" / "default.npz")
    assert app.state.level == "warn" and "fresh" in app.state.message and "default.npz" in app.state.message
    assert ("loop" in app.state.message) == (kind == "symlink loop")
    assert keeps_running(app)
    pygame.quit()


def test_an_autosave_into_a_models_symlink_loop_goes_to_the_data_folder(tmp_path, monkeypatch):
    from ui import app as app_module
    monkeypatch.setattr(app_module, "CLOSE_NOTICE_S", 0.05)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    (tmp_path / "models").symlink_to(tmp_path / "models")
    app = App(root=tmp_path, fps=0, load_data=False, size=(1280, 720))
    app.state.model_unsaved = True
    pygame.event.post(pygame.event.Event(pygame.QUIT))
    assert app.run() == 0
    saved = list((tmp_path / "xdg" / "digit-recognizer").glob("autosave-*.npz"))
    assert len(saved) == 1 and str(saved[0]) in app.state.message and "cannot be written" in app.state.message


def test_a_rebuilt_cache_entry_is_said_in_the_data_message(tmp_path, monkeypatch):
    """The parse cache's checksum caught a changed entry: the window's data message says so."""
    from pathlib import Path

    import numpy as np

    from ui.jobs import load_data

    monkeypatch.setenv("DIGITS_CACHE_DIR", str(tmp_path / "cache"))
    sample = Path(__file__).resolve().parent.parent / "assets" / "mnist_sample_train.csv.gz"
    first = load_data(tmp_path, str(sample), None)
    assert first["cache_notes"] == []
    for cached in (tmp_path / "cache").rglob("*labels*.npy"):
        labels = np.load(cached)
        np.save(cached, np.zeros_like(labels))  # valid values, wrong data
    again = load_data(tmp_path, str(sample), None)
    assert again["cache_notes"], "the damaged entry was used without a word"
    assert np.array_equal(np.concatenate([again["labels_train"], again["labels_val"]]).sum(),
                          np.concatenate([first["labels_train"], first["labels_val"]]).sum())
