"""A model file's metadata is free-form JSON: whatever it holds, the window starts, loads it or
refuses it whole, keeps drawing frames and shows no garbage (ui.metadata)."""
import json
import math

import numpy as np
import pygame
import pytest

from nn.model_io import save_model
from nn.network import Network
from ui import metadata
from ui.app import App
from ui.dialogs import Dialogs
from ui.panels import model_lines

HUGE = "1" + "0" * 400  # 10**400: an int JSON allows and no float holds
# JSON texts of values a file might hold where the window expects a number
ODD = [HUGE, "-" + HUGE, "NaN", "Infinity", "-Infinity", "1e308", "-0.5", "150", '"0.9"', "[0.9]",
       '{"a": {"b": [1, {"c": null}]}}', "null", "true"]


def write_model(path, meta_json: str, sizes=(8,)):
    """A valid model file whose metadata entry is exactly `meta_json`."""
    save_model(path, Network(layers=sizes, seed=0), {})
    with np.load(path, allow_pickle=False) as npz:
        arrays = {k: npz[k] for k in npz.files}
    arrays["metadata"] = np.array(meta_json)
    with open(path, "wb") as f:
        np.savez(f, **arrays)
    return path


def odd_meta(v: str) -> str:
    """Every key the window shows from metadata set to the JSON text `v`."""
    entry = ", ".join(f'"{k}": {v}' for k in ("epoch", "train_loss", "val_loss", "val_accuracy",
                                               "test_accuracy", "test_loss"))
    keys = ", ".join(f'"{k}": {v}' for k in ("test_accuracy", "accuracy", "val_accuracy", "test_data",
                                              "train_data", "epochs_trained", "hyperparameters"))
    return '{%s, "history": [{%s}, %s, {"epoch": 2, "train_loss": 0.5}]}' % (keys, entry, v)


def make_app(root, dialogs=None):
    return App(root=root, dialogs=dialogs, fps=0, load_data=False, size=(1280, 720))


def frames_drawn(app, n=4):
    """Run n frames, each drawn (as after any change); returns how many reached the screen."""
    before = app.screen.redraws
    for _ in range(n):
        app.screen.dirty = True
        app.step()
    return app.screen.redraws - before


def no_garbage(app):
    texts = " ".join(t for t, _ in model_lines(app))
    for bad in ("nan", "inf", "e+", "000000000"):
        assert bad not in texts.lower(), texts
    for plot in (app.loss_plot, app.acc_plot):
        for s in plot.series:
            assert all(math.isfinite(float(x)) and 0 <= float(x) <= metadata.MAX_EPOCH for x in s.x)
            assert all(math.isnan(float(y)) or 0 <= float(y) <= metadata.MAX_LOSS for y in s.y)


@pytest.fixture(autouse=True)
def _quit_pygame():
    yield
    if pygame.get_init():
        pygame.quit()


@pytest.mark.parametrize("value", ODD, ids=lambda v: v[:12])
def test_the_window_starts_on_a_model_with_any_odd_metadata(tmp_path, value):
    (tmp_path / "models").mkdir()
    write_model(tmp_path / "models" / "default.npz", odd_meta(value))
    app = make_app(tmp_path)
    app.tabs.set("Training curves")
    assert frames_drawn(app) == 4 and "Unexpected" not in app.state.message
    if "Loaded models/default.npz" not in app.state.message:  # nn.model_io may refuse such metadata
        assert app.state.level == "warn" and "fresh" in app.state.message and "\n" not in app.state.message
    no_garbage(app)


@pytest.mark.parametrize("value", ODD, ids=lambda v: v[:12])
def test_loading_a_model_with_odd_metadata_keeps_the_window_drawing(tmp_path, value):
    path = write_model(tmp_path / "odd.npz", odd_meta(value), sizes=(16,))
    app = make_app(tmp_path, Dialogs(open_model=lambda folder: str(path)))
    app.tabs.set("Training curves")
    before = app.state.model
    app.b_load.click()
    if app.state.model is before:  # refused whole (nn.model_io may refuse such metadata): said in one line
        assert app.state.level == "error" and "odd.npz" in app.state.message
    else:
        assert app.state.model.sizes == (784, 16, 10) and "Loaded odd.npz" in app.state.message
    assert frames_drawn(app) == 4 and "Unexpected" not in app.state.message
    no_garbage(app)


@pytest.mark.parametrize("value", ODD, ids=lambda v: v[:12])
def test_the_window_is_safe_even_when_the_loader_passes_odd_metadata_on(tmp_path, monkeypatch, value):
    """The window does not rely on nn.model_io's checks: given any JSON metadata with a valid
    network, it shows the model, drops what it cannot use and keeps drawing."""
    from ui import model_store
    net = Network(layers=(16,), seed=0)
    monkeypatch.setattr(model_store.model_io, "load_model", lambda path: (net, json.loads(odd_meta(value))))
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "default.npz").write_bytes(b"read by the stand-in above")
    app = make_app(tmp_path, Dialogs(open_model=lambda folder: str(tmp_path / "models" / "default.npz")))
    assert app.state.model is net and "Loaded models/default.npz" in app.state.message
    app.tabs.set("Training curves")
    assert frames_drawn(app) == 4 and "Unexpected" not in app.state.message
    no_garbage(app)
    app.state.progress.reset()
    app.b_load.click()
    assert "Loaded models/default.npz" in app.state.message and app.state.progress.epoch_x[-1] == 2
    assert frames_drawn(app) == 4
    no_garbage(app)


def test_a_huge_test_accuracy_is_dropped_and_a_good_one_shown(tmp_path):
    (tmp_path / "models").mkdir()
    write_model(tmp_path / "models" / "default.npz", '{"test_accuracy": %s}' % HUGE)
    app = make_app(tmp_path)
    assert frames_drawn(app) == 4
    assert not any("when saved" in t for t, _ in model_lines(app))
    good = write_model(tmp_path / "good.npz", '{"test_accuracy": 0.97, "test_data": "MNIST/mnist_test.csv"}')
    app.dialogs.open_model = lambda folder: str(good)
    app.b_load.click()
    assert "97.00 % on MNIST test when saved" in [t for t, _ in model_lines(app)]


def test_a_load_that_fails_half_way_changes_nothing(tmp_path, monkeypatch):
    """Anything that goes wrong while the new model's view is built refuses the whole load."""
    path = write_model(tmp_path / "new.npz", '{"history": [{"epoch": 1, "train_loss": 0.3}]}', sizes=(16,))
    app = make_app(tmp_path, Dialogs(open_model=lambda folder: str(path)))
    app.state.progress.add_epoch(1, 0.5, 0.4, 90.0)
    before = (app.state.model, app.state.model_version, app.state.model_source, app.f_layers.text,
              list(app.state.progress.epoch_x))

    def broken(history):
        raise RuntimeError("kaput")
    monkeypatch.setattr(metadata, "read_history", broken)
    app.b_load.click()
    assert app.state.level == "error" and "kaput" in app.state.message
    assert (app.state.model, app.state.model_version, app.state.model_source, app.f_layers.text,
            list(app.state.progress.epoch_x)) == before
    assert frames_drawn(app) == 4


def test_clean_and_read_history_keep_only_usable_values():
    assert metadata.clean({"test_accuracy": 10**400, "accuracy": 97.5, "val_accuracy": float("nan"),
                           "test_data": "a\nb", "epochs_trained": 10**400}) == {"accuracy": 0.975,
                                                                                "test_data": "a\\nb"}
    assert metadata.clean([1, 2]) == {} and metadata.clean(None) == {}
    h = metadata.read_history([{"epoch": 10**400, "train_loss": 10**400, "val_accuracy": 0.9},
                               "x", {"epoch": 3, "val_loss": -1, "test_accuracy": 93}])
    assert h.epoch_x == (1, 3) and h.test_x == (3,) and h.test_acc == (93.0,)
    assert math.isnan(h.train_loss[0]) and h.val_acc[0] == 90.0 and math.isnan(h.val_loss[1])
    assert metadata.read_history({"epoch": 1}) == metadata.History()
    json.dumps(metadata.clean({"test_accuracy": 0.5}))  # what a save copies stays JSON
