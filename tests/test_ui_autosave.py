"""Closing the window never loses trained weights: when models/ cannot be written (a file in its
place, an immutable folder) the autosave goes to the user data folder, and the window stays up
long enough to say where."""
import os
import subprocess
import time

import pygame
import pytest

from nn.model_io import load_model
from ui import app as app_module
from ui.app import App
from ui.model_store import fallback_dir

HOLD = 0.3  # the close notice's seconds in these tests (3 s in the window)


@pytest.fixture(autouse=True)
def _short_notice_and_own_home(monkeypatch, tmp_path):
    monkeypatch.setattr(app_module, "CLOSE_NOTICE_S", HOLD)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    yield
    if pygame.get_init():
        pygame.quit()


def trained_app(root):
    """A window whose model is trained weights nobody saved (what a finished run leaves)."""
    app = App(root=root, fps=0, load_data=False, size=(1280, 720))
    app.state.model_unsaved = True
    return app


def close(app) -> float:
    """Close the window as its X does; returns the seconds the close took."""
    pygame.event.post(pygame.event.Event(pygame.QUIT))
    t = time.perf_counter()
    app.exit_code = app.run()
    return time.perf_counter() - t


def test_fallback_dir_follows_xdg_then_home(monkeypatch, tmp_path):
    assert fallback_dir() == tmp_path / "xdg" / "digit-recognizer"
    monkeypatch.setenv("XDG_DATA_HOME", "relative/path")  # the XDG spec: ignore a relative one
    assert fallback_dir() == tmp_path / "home" / ".local" / "share" / "digit-recognizer"
    monkeypatch.delenv("XDG_DATA_HOME")
    assert fallback_dir() == tmp_path / "home" / ".local" / "share" / "digit-recognizer"


def test_models_replaced_by_a_file_autosaves_to_the_data_folder_and_says_where(tmp_path, caplog):
    root = tmp_path / "project"
    root.mkdir()
    (root / "models").write_text("not a folder")
    app = trained_app(root)
    assert close(app) >= HOLD  # the message stayed up before the window closed
    saved = list((tmp_path / "xdg" / "digit-recognizer").glob("autosave-*.npz"))
    assert len(saved) == 1 and load_model(saved[0])[0].sizes == app.state.model.sizes
    assert str(saved[0]) in app.state.message and app.state.level == "warn"
    assert "models cannot be written" in app.state.message and "not a folder" in caplog.text  # why: in the log
    assert app.exit_code == 0 and (root / "models").read_text() == "not a folder"


def test_the_message_shows_the_home_folder_as_a_tilde(monkeypatch, tmp_path):
    monkeypatch.delenv("XDG_DATA_HOME")
    root = tmp_path / "project"
    root.mkdir()
    (root / "models").write_text("")
    app = trained_app(root)
    close(app)
    saved = list((tmp_path / "home" / ".local" / "share" / "digit-recognizer").glob("autosave-*.npz"))
    assert len(saved) == 1
    assert f"~/.local/share/digit-recognizer/{saved[0].name}" in app.state.message


def test_an_immutable_models_folder_autosaves_to_the_data_folder(tmp_path):
    root = tmp_path / "project"
    (root / "models").mkdir(parents=True)
    if subprocess.run(["chattr", "+i", str(root / "models")], capture_output=True).returncode != 0:
        pytest.skip("chattr +i is not allowed here (needs root and a filesystem that supports it)")
    try:
        app = trained_app(root)
        close(app)
    finally:
        subprocess.run(["chattr", "-i", str(root / "models")])
    assert not list((root / "models").iterdir())
    saved = list((tmp_path / "xdg" / "digit-recognizer").glob("autosave-*.npz"))
    assert len(saved) == 1 and saved[0].name in app.state.message


def test_when_no_place_takes_the_weights_the_window_says_so_and_exits_1(tmp_path):
    root = tmp_path / "project"
    root.mkdir()
    (root / "models").write_text("")
    (tmp_path / "xdg").write_text("")  # the fallback's parent is a file too
    app = trained_app(root)
    assert close(app) >= HOLD
    assert app.exit_code == 1 and app.state.level == "error"
    assert "could not be saved" in app.state.message and "\n" not in app.state.message


def test_a_normal_autosave_goes_to_models_and_closes_at_once(tmp_path):
    (tmp_path / "models").mkdir()
    app = trained_app(tmp_path)
    assert close(app) < HOLD
    assert len(list((tmp_path / "models").glob("autosave-*.npz"))) == 1
    assert not os.path.exists(tmp_path / "xdg")


def test_a_fallback_autosave_before_a_load_is_said_then_and_does_not_hold_the_close(tmp_path):
    from nn.model_io import save_model
    from nn.network import Network
    from ui.dialogs import Dialogs
    other = tmp_path / "other.npz"
    save_model(other, Network(layers=(4,), seed=0), {})
    root = tmp_path / "project"
    root.mkdir()
    (root / "models").write_text("")
    app = App(root=root, fps=0, load_data=False, size=(1280, 720), dialogs=Dialogs(open_model=lambda f: str(other)))
    app.state.model_unsaved = True
    app.b_load.click()
    assert app.state.model.sizes == (784, 4, 10) and "other.npz (784-4-10" in app.state.message
    saved = list((tmp_path / "xdg" / "digit-recognizer").glob("autosave-*.npz"))
    assert len(saved) == 1 and f"The unsaved weights it replaced are in {saved[0]}." in app.state.message
    assert close(app) < HOLD and app.exit_code == 0  # nothing new to tell at the close


def test_a_load_is_refused_when_the_unsaved_weights_cannot_be_kept_anywhere(tmp_path):
    from nn.model_io import save_model
    from nn.network import Network
    from ui.dialogs import Dialogs
    other = tmp_path / "other.npz"
    save_model(other, Network(layers=(4,), seed=0), {})
    root = tmp_path / "project"
    root.mkdir()
    (root / "models").write_text("")
    (tmp_path / "xdg").write_text("")
    app = App(root=root, fps=0, load_data=False, size=(1280, 720), dialogs=Dialogs(open_model=lambda f: str(other)))
    app.state.model_unsaved = True
    before = app.state.model
    app.b_load.click()
    assert app.state.model is before and app.state.model_unsaved  # the trained weights stay in the window
    assert app.state.level == "error" and "could not be saved" in app.state.message
