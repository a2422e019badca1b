"""The whole App on the dummy video driver: drawing and predicting, shortcuts, settings, training,
save/load through replaced dialogs, autosave on quit, errors shown in the status bar."""
import time

import numpy as np
import pygame
import pytest
from PIL import Image, ImageDraw

from nn import training as tr
from nn.model_io import load_model, save_model
from nn.network import Network
from nn.preprocess import preprocess_digit
from ui.app import App
from ui.dialogs import DialogError, Dialogs


# ----- helpers: a tiny model that tells 0, 1 and 7 apart, trained on shapes drawn here --------
def _shape(digit: int, rng) -> np.ndarray:
    size = 200
    img = Image.new("L", (size, size), 0)
    d = ImageDraw.Draw(img)
    j = lambda v: v + rng.uniform(-12, 12)  # noqa: E731
    width = int(rng.uniform(12, 22))
    if digit == 0:
        d.ellipse([j(55), j(30), j(145), j(170)], outline=255, width=width)
    elif digit == 1:
        x = j(100)
        d.line([(x + rng.uniform(-10, 10), j(30)), (x, j(170))], fill=255, width=width)
    else:
        d.line([(j(50), j(40)), (j(150), j(40))], fill=255, width=width)
        d.line([(j(150), j(40)), (j(85), j(170))], fill=255, width=width)
    return np.asarray(img)


def shapes_dataset(n_per_class=60, seed=0):
    rng = np.random.default_rng(seed)
    xs, labels = [], []
    for digit in (0, 1, 7):
        for _ in range(n_per_class):
            xs.append((preprocess_digit(_shape(digit, rng)).x.reshape(784) * 255).astype(np.uint8))
            labels.append(digit)
    order = rng.permutation(len(xs))
    return np.array(xs)[order], np.array(labels, np.uint8)[order]


@pytest.fixture(scope="module")
def shapes():
    return shapes_dataset()


@pytest.fixture(scope="module")
def model_file(tmp_path_factory, shapes):
    x, labels = shapes
    net = Network(layers=(32,), lr=0.01, batch_size=32, seed=1)
    net.fit(x, labels, epochs=40)
    assert net.score(x, labels) > 0.95
    path = tmp_path_factory.mktemp("model") / "shapes.npz"
    save_model(path, net, {"test_accuracy": 0.99})
    return path


@pytest.fixture
def root(tmp_path, model_file):
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "default.npz").write_bytes(model_file.read_bytes())
    return tmp_path


def make_app(root, dialogs=None, **kw):
    kw.setdefault("size", (1280, 720))
    return App(root=root, dialogs=dialogs, fps=0, load_data=False, **kw)


@pytest.fixture
def app(root):
    a = make_app(root)
    yield a
    if pygame.get_init():
        pygame.quit()


def give_data(app, shapes):
    x, labels = shapes
    d = app.state.data
    d.x_train, d.labels_train = x[:150], labels[:150]
    d.x_val, d.labels_val = x[150:], labels[150:]
    d.x_test, d.labels_test = x[150:], labels[150:]
    d.train_path, d.test_path = "shapes-train.csv", "shapes-test.csv"


def ev(kind, **kw):
    return pygame.event.Event(kind, **kw)


def drag(app, points, button=1):
    app.handle_event(ev(pygame.MOUSEBUTTONDOWN, pos=points[0], button=button))
    for p in points[1:]:
        app.handle_event(ev(pygame.MOUSEMOTION, pos=p, rel=(0, 0), buttons=(1, 0, 0)))
    app.handle_event(ev(pygame.MOUSEBUTTONUP, pos=points[-1], button=button))


def pad(app, fx, fy):
    r = app.canvas.rect
    return int(r.x + fx * r.w), int(r.y + fy * r.h)


def draw_digit(app, digit):
    t = np.linspace(0, 1, 12)
    if digit == 1:
        pts = [pad(app, 0.5, 0.2 + 0.6 * v) for v in t]
    elif digit == 7:
        pts = [pad(app, 0.28 + 0.44 * v, 0.22) for v in t] + [pad(app, 0.72 - 0.3 * v, 0.22 + 0.6 * v) for v in t]
    else:
        a = np.linspace(0, 2 * np.pi, 30)
        pts = [pad(app, 0.5 + 0.22 * np.sin(v), 0.5 - 0.32 * np.cos(v)) for v in a]
    drag(app, pts)


def key(app, k, mod=0, unicode=""):
    app.handle_event(ev(pygame.KEYDOWN, key=k, mod=mod, unicode=unicode, scancode=0))
    app.handle_event(ev(pygame.KEYUP, key=k, mod=mod, scancode=0))


def frames(app, n=2):
    for _ in range(n):
        app.step()


def wait_for(app, cond, seconds=10.0):
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        app.step()
        if cond():
            return True
        time.sleep(0.005)  # a loop that never sleeps starves the worker threads of the GIL
    return False


# ----- drawing and predicting -------------------------------------------------------------------
def test_start_loads_default_model_and_empty_pad_invites(app):
    frames(app)
    assert app.state.model is not None and app.state.model.sizes == (784, 32, 10)
    assert "Loaded models/default.npz" in app.state.message
    assert app.state.prediction.empty and app.state.prediction.probs is None


@pytest.mark.parametrize("digit", [1, 7, 0])
def test_drawing_with_the_mouse_shows_the_prediction(app, digit):
    frames(app)
    draw_digit(app, digit)
    frames(app)
    p = app.state.prediction
    assert not p.empty and p.digit == digit, p.probs
    assert p.probs.shape == (10,) and abs(p.probs.sum() - 1) < 1e-4
    assert app.bars.probs is not None and int(np.argmax(app.bars.probs)) == digit
    assert p.x.shape == (28, 28) and [name for name, _ in p.stages][0] == "drawing"
    assert p.ms < 50  # generous: the budget is a few ms, the test machine is shared


def test_clear_undo_and_shortcuts(app):
    frames(app)
    draw_digit(app, 1)
    frames(app)
    key(app, pygame.K_c, unicode="c")
    frames(app)
    assert app.canvas.empty and app.state.prediction.empty
    key(app, pygame.K_z, mod=pygame.KMOD_LCTRL, unicode="\x1a")
    frames(app)
    assert not app.canvas.empty and app.state.prediction.digit == 1
    key(app, pygame.K_DELETE)
    assert app.canvas.empty
    key(app, pygame.K_F1)
    assert app.state.show_help
    frames(app)
    key(app, pygame.K_ESCAPE)
    assert not app.state.show_help
    key(app, pygame.K_SLASH, mod=pygame.KMOD_LSHIFT, unicode="?")
    assert app.state.show_help
    app.handle_event(ev(pygame.MOUSEBUTTONDOWN, pos=(2, 2), button=1))  # a click outside closes it
    assert not app.state.show_help


def test_preprocess_toggle_shows_the_plain_resize(app):
    frames(app)
    draw_digit(app, 7)
    frames(app)
    with_pre = app.state.prediction.x.copy()
    app.handle_event(ev(pygame.MOUSEBUTTONDOWN, pos=app.t_preprocess.rect.move(5, 0).midleft, button=1))
    frames(app)
    assert not app.state.preprocess
    assert not np.array_equal(with_pre, app.state.prediction.x)
    assert [n for n, _ in app.state.prediction.stages][-1] == "resized 28x28"


def test_keys_go_to_the_focused_text_box_not_to_shortcuts(app):
    frames(app)
    draw_digit(app, 1)
    frames(app)
    box = app.f_layers
    app.handle_event(ev(pygame.MOUSEBUTTONDOWN, pos=box.rect.center, button=1))
    assert box.focused
    key(app, pygame.K_c, unicode="c")
    app.handle_event(ev(pygame.TEXTINPUT, text="c"))
    key(app, pygame.K_SPACE, unicode=" ")
    app.handle_event(ev(pygame.TEXTINPUT, text=" "))
    frames(app)
    assert not app.canvas.empty and app.training.trainer is None
    assert "c" in box.text
    key(app, pygame.K_RETURN)
    assert box.error and box.value == (32,)  # bad text: red, the loaded model's value kept
    assert app.state.level == "error" and "Hidden layers" in app.state.message


def test_bad_setting_refuses_training_with_the_reason(app, shapes):
    give_data(app, shapes)
    app.f_lr.set_text("-0.1")
    assert app.f_lr.error and "greater than 0" in app.f_lr.error
    assert app.f_lr.value == pytest.approx(0.001)
    key(app, pygame.K_SPACE, unicode=" ")
    frames(app)
    assert app.training.trainer is None and app.state.progress.status == "idle"
    assert "Fix the red field first" in app.state.message
    app.f_lr.set_text("0.01")
    app.f_epochs.set_text("zero")
    assert app.f_epochs.error and app.f_epochs.value == 10


@pytest.mark.parametrize("field", ["f_layers", "f_lr", "f_epochs", "f_batch"])
def test_an_emptied_field_is_an_error_not_a_default(app, shapes, field):
    """An empty Hidden layers field trained 256,128 before: empty is a mistake, as on the command line."""
    give_data(app, shapes)
    box = getattr(app, field)
    kept = box.value
    box.set_text("")
    assert box.error and "empty" in box.error and box.value == kept
    key(app, pygame.K_SPACE, unicode=" ")
    frames(app)
    assert app.training.trainer is None and "Fix the red field first" in app.state.message


# ----- training -----------------------------------------------------------------------------------
def test_train_pause_stop_and_autosave_on_quit(root, shapes):
    app = make_app(root)
    give_data(app, shapes)
    app.f_layers.set_text("32")
    app.f_epochs.set_text("10000")
    draw_digit(app, 1)
    frames(app)
    key(app, pygame.K_SPACE, unicode=" ")
    assert app.training.trainer is not None and app.state.progress.status == "running"
    assert wait_for(app, lambda: app.state.progress.loss_x and app.state.model_source == "training run", 10)
    assert app.state.model.read_only  # the pad uses the trainer's read-only snapshot
    key(app, pygame.K_SPACE, unicode=" ")
    assert app.state.progress.status == "paused" and app.training.trainer.paused
    key(app, pygame.K_SPACE, unicode=" ")
    assert app.state.progress.status == "running"
    key(app, pygame.K_ESCAPE)
    assert wait_for(app, lambda: app.state.progress.status == "idle", 5)
    assert app.training.trainer is None and "Training stopped" in app.state.message
    assert app.state.model_unsaved
    pygame.event.post(ev(pygame.QUIT))
    assert app.run() == 0
    saved = list((root / "models").glob("autosave-*.npz"))
    assert len(saved) == 1
    net, meta = load_model(saved[0])
    assert net.sizes == (784, 32, 10)
    assert net.optimizer.t > 0  # the stopped run's Adam state was kept, so Train can go on from the file
    assert "autosave" in app.state.message


def test_continuing_a_model_saved_without_adam_state_suggests_a_steady_learning_rate(root, shapes, tmp_path):
    """Like models/default.npz: Adam starts afresh on it, and its full-size first steps cost a finished
    model accuracy. The window says so before and when Train is pressed, and is quiet once lr is low."""
    net, _ = load_model(root / "models" / "default.npz")
    assert net.optimizer.t > 0  # the fixture's file keeps Adam's moments: no hint for it
    bare = tmp_path / "weights-only.npz"
    save_model(bare, net, {"history": [{"epoch": 1, "test_accuracy": 0.9}]}, include_optimizer=False)
    app = make_app(root, Dialogs(open_model=lambda folder: str(bare)))
    give_data(app, shapes)
    app.b_load.click()
    frames(app)
    assert "Learning rate 0.0001 keeps it steady" in app.progress.text
    app.f_epochs.set_text("1")
    key(app, pygame.K_SPACE, unicode=" ")
    assert app.state.level == "warn" and "without Adam's state" in app.state.message
    assert wait_for(app, lambda: app.state.progress.status == "idle", 20)
    assert app.state.model.optimizer.t > 0  # the run's own Adam state is kept from now on
    app.b_load.click()
    frames(app)
    app.f_lr.set_text("0.0001")
    key(app, pygame.K_SPACE, unicode=" ")
    assert app.state.level == "info" and "continuing the current model" in app.state.message
    key(app, pygame.K_ESCAPE)
    assert wait_for(app, lambda: app.state.progress.status == "idle", 10)
    pygame.quit()


def test_a_full_short_run_updates_plots_confusion_and_gallery(app, shapes):
    give_data(app, shapes)
    app.f_layers.set_text("32")
    app.f_epochs.set_text("3")
    app.b_train.click()
    assert wait_for(app, lambda: app.state.progress.status == "idle" and not app.evals.busy, 20)
    p = app.state.progress
    assert p.epoch_x == [1, 2, 3] and len(p.val_acc) == 3 and p.loss_smooth
    assert "finished" in app.state.message
    assert app.confusion.matrix is not None and app.confusion.matrix.sum() == 30
    for tab in ("Training curves", "Weights", "Activations", "Confusion", "Mistakes"):
        app.tabs.set(tab)
        frames(app)


def test_closing_mid_run_ends_within_a_second(root, shapes):
    app = make_app(root)
    x, labels = shapes
    d = app.state.data
    d.x_train, d.labels_train = np.repeat(x, 50, axis=0), np.repeat(labels, 50)
    app.f_layers.set_text("32")
    app.f_epochs.set_text("100")
    app.b_train.click()
    assert wait_for(app, lambda: bool(app.state.progress.loss_x), 10), app.state.message
    pygame.event.post(ev(pygame.QUIT))
    t = time.perf_counter()
    assert app.run() == 0
    assert time.perf_counter() - t < 1.0
    assert list((root / "models").glob("autosave-*.npz"))


def test_training_failure_is_a_message_and_the_window_goes_on(app):
    class FakeTrainer:
        def __init__(self):
            import queue
            self.events = queue.Queue()
            self.events.put(tr.TrainingFailed("The loss became nan at batch 3 of epoch 1: training diverged."))

        def stop(self):
            pass

        def join(self, timeout=None):
            return True

    app.training.trainer = FakeTrainer()
    app.state.progress.status = "running"
    frames(app, 3)
    assert app.state.progress.status == "idle" and app.training.trainer is None
    assert app.state.level == "error" and "Training failed" in app.state.message
    assert "lower learning rate" in app.state.message.lower()


def test_unexpected_errors_become_one_line_and_the_loop_survives(app, monkeypatch, caplog):
    def boom():
        raise RuntimeError("kaput\nsecond line")
    monkeypatch.setattr(app, "predict", boom)
    app.canvas.changed = True
    frames(app, 3)
    assert "Unexpected error in predict: RuntimeError: kaput" in app.state.message
    assert "\n" not in app.status.message
    assert "Traceback" in caplog.text


# ----- save and load --------------------------------------------------------------------------
def test_save_and_load_through_replaced_dialogs(root, tmp_path):
    out = tmp_path / "saved" / "mine.npz"
    calls = []
    dialogs = Dialogs(open_model=lambda folder: calls.append(("open", folder)) or str(out),
                      save_model=lambda folder, name: calls.append(("save", folder, name)) or str(out))
    app = make_app(root, dialogs)
    frames(app)
    key(app, pygame.K_s, mod=pygame.KMOD_LCTRL)
    assert out.exists() and str(out) in app.state.message and app.state.level == "ok"
    assert calls[0][0] == "save" and calls[0][1].endswith("models") and calls[0][2].endswith(".npz")
    app.f_layers.set_text("16,8")
    app.b_new.click()
    assert app.state.model.sizes == (784, 16, 8, 10)  # the form's shape
    key(app, pygame.K_o, mod=pygame.KMOD_LCTRL)
    assert app.state.model.sizes == (784, 32, 10) and "Loaded" in app.state.message
    assert app.f_layers.text == "32"
    pygame.quit()


def test_a_save_records_only_the_test_accuracy_of_the_saved_weights(root, tmp_path):
    from nn.model_io import load_model
    from ui.state import Score

    app = make_app(root)
    frames(app)
    older = app.state.model.copy()
    older.params[0] += 1.0  # an earlier snapshot of the run: other weights
    app.state.model_unsaved = True  # as while training: the file's own figure no longer holds
    app.state.test_score = Score(97.5, str(tmp_path / "test.csv"), 100, epoch=3, model=older)
    meta = load_model(app.models.save_to(tmp_path / "mid-run.npz"))[1]
    assert "test_accuracy" not in meta  # 97.5 % was measured on other weights
    app.state.test_score = Score(97.5, str(tmp_path / "test.csv"), 100, epoch=3, model=app.state.model.copy())
    app.state.model_unsaved = True
    meta = load_model(app.models.save_to(tmp_path / "end.npz"))[1]
    assert meta["test_accuracy"] == pytest.approx(0.975)  # the same weights (an equal copy)
    pygame.quit()


def test_a_test_score_that_is_not_a_number_is_reported_not_shown(root):
    from types import SimpleNamespace

    app = make_app(root)
    frames(app)
    before = app.state.test_score
    n = len(app.state.data.labels_test) if app.state.data.labels_test is not None else 10
    job = SimpleNamespace(error=None, result=(app.state.model, None, (float("nan"), 0.1, np.zeros(n, np.int64))))
    app.evals.take(job)
    assert app.state.test_score is before
    assert app.state.level == "error" and "not a number" in app.state.message
    pygame.quit()


def test_loading_a_bad_file_leaves_the_model_untouched(root, tmp_path):
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"PK\x03\x04 this is not a zip file")
    app = make_app(root, Dialogs(open_model=lambda folder: str(bad)))
    frames(app)
    before = app.state.model
    weights = [w.copy() for w in before.w]
    app.b_load.click()
    assert app.state.model is before
    assert all(np.array_equal(a, b) for a, b in zip(weights, before.w))
    assert app.state.level == "error" and "bad.npz" in app.state.message
    pygame.quit()


def test_dialog_problems_and_cancel_are_status_messages(root):
    def no_tk(*a):
        raise DialogError("Cannot open a file dialog: no display name. Is a display available?")
    app = make_app(root, Dialogs(open_model=no_tk, save_model=lambda *a: None, open_dataset=no_tk))
    frames(app)
    app.b_load.click()
    assert app.state.level == "error" and "Is a display available?" in app.state.message
    app.b_save.click()
    assert app.state.message == "Save cancelled."
    app.b_data.click()
    assert "display" in app.state.message
    pygame.quit()


def test_missing_or_bad_default_model_starts_fresh(tmp_path):
    app = make_app(tmp_path)
    assert app.state.model is not None and "fresh" in app.state.message and app.state.level == "warn"
    pygame.quit()
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "default.npz").write_bytes(b"garbage")
    app = make_app(tmp_path)
    assert "default.npz" in app.state.message and "fresh" in app.state.message
    pygame.quit()


def test_open_dataset_loads_in_the_background(root, tmp_path, shapes):
    x, labels = shapes
    csv = tmp_path / "digits_train.csv"
    np.savetxt(csv, np.column_stack([labels, x]), fmt="%d", delimiter=",")
    app = make_app(root, Dialogs(open_dataset=lambda folder: str(csv)))
    frames(app)
    app.b_data.click()
    assert app.state.data.loading  # returns at once; the loop keeps drawing
    assert wait_for(app, lambda: not app.state.data.loading, 20)
    d = app.state.data
    assert d.n_train + d.n_val == len(x) and d.train_path == str(csv)
    assert "Data ready" in app.state.message
    pygame.quit()


# ----- window size --------------------------------------------------------------------------
def test_resizing_relays_out_and_small_windows_are_scaled(app):
    frames(app)
    pygame.display.set_mode((1600, 900), pygame.RESIZABLE)
    app.handle_event(ev(pygame.WINDOWSIZECHANGED, x=1600, y=900))
    frames(app)
    assert app.screen.scale == 1.0 and app.screen.layout["col3"].right == 1600 - 12
    assert app.canvas.rect.w > 376
    pygame.display.set_mode((900, 560), pygame.RESIZABLE)
    app.handle_event(ev(pygame.WINDOWSIZECHANGED, x=900, y=560))
    frames(app)
    assert app.screen.scale < 1.0
    # clicks land on the scaled-down widgets
    draw_digit_scaled = [(int(p[0] * app.screen.scale), int(p[1] * app.screen.scale))
                         for p in [pad(app, 0.5, 0.2), pad(app, 0.5, 0.5), pad(app, 0.5, 0.8)]]
    drag(app, draw_digit_scaled)
    frames(app)
    assert not app.canvas.empty
    r = app.b_clear.rect
    app.handle_event(ev(pygame.MOUSEBUTTONDOWN, pos=(int(r.centerx * app.screen.scale), int(r.centery * app.screen.scale)), button=1))
    app.handle_event(ev(pygame.MOUSEBUTTONUP, pos=(int(r.centerx * app.screen.scale), int(r.centery * app.screen.scale)), button=1))
    assert app.canvas.empty


def test_real_dialogs_without_a_display_raise_a_clear_error(monkeypatch):
    from ui import dialogs
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    with pytest.raises(DialogError, match="display"):
        dialogs.ask_open_model("models")


def test_a_loaded_model_plots_the_history_in_its_file(root, tmp_path):
    net, _ = load_model(root / "models" / "default.npz")
    path = tmp_path / "with-history.npz"
    history = [{"epoch": e, "train_loss": 1.0 / e, "test_loss": 1.2 / e, "test_accuracy": 0.9 + e / 100}
               for e in (1, 2, 3)]  # the command line's format
    save_model(path, net, {"history": history, "test_accuracy": 0.93})
    app = make_app(root, Dialogs(open_model=lambda folder: str(path)))
    app.b_load.click()
    frames(app)
    p = app.state.progress
    assert p.epoch_x == [1, 2, 3] and p.test_acc == pytest.approx([91.0, 92.0, 93.0])
    assert [s.name for s in app.loss_plot.series] == ["train", "validation", "test"]
    assert "history" in app.progress.text
    pygame.quit()


def test_a_bug_while_drawing_is_logged_once_and_the_loop_goes_on(app, monkeypatch, caplog):
    from ui import panels

    def broken(app, surf):
        raise ZeroDivisionError("division by zero")
    monkeypatch.setattr(panels, "draw_verdict", broken)
    frames(app, 5)
    assert app.state.message.startswith("Unexpected error: ZeroDivisionError")
    assert caplog.text.count("Traceback") == 1
    monkeypatch.undo()
    frames(app, 2)


def test_clicking_a_misread_test_digit_puts_it_on_the_pad(app, shapes):
    give_data(app, shapes)  # the gallery shows (and takes clicks) once a test set is loaded
    digit = np.zeros((3, 784), np.uint8)
    digit[:, 28 * 10 + 5:28 * 10 + 23] = 255  # a horizontal bar
    app.gallery.set(digit, [7, 1, 4], [1, 7, 9], "test")
    app.tabs.set("Mistakes")
    frames(app)
    tile = app.gallery._layout()[1].move(app.gallery.rect.topleft)
    app.handle_event(ev(pygame.MOUSEBUTTONDOWN, pos=tile.center, button=1))
    frames(app)
    assert not app.canvas.empty and "Test digit 1" in app.state.message
    assert app.state.prediction.x is not None


def test_saving_during_training_writes_the_newest_snapshot(root, shapes, tmp_path):
    out = tmp_path / "during.npz"
    app = make_app(root, Dialogs(save_model=lambda folder, name: str(out)))
    give_data(app, shapes)
    app.f_layers.set_text("32")
    app.f_epochs.set_text("10000")
    app.b_train.click()
    assert wait_for(app, lambda: app.state.model_source == "training run", 10)
    key(app, pygame.K_s, mod=pygame.KMOD_LCTRL)
    assert out.exists() and "training goes on" in app.state.message
    saved, _ = load_model(out)
    assert saved.sizes == (784, 32, 10)
    app.b_stop.click()
    assert wait_for(app, lambda: app.state.progress.status == "idle", 5)
    pygame.quit()


def test_the_model_box_says_which_set_each_accuracy_is_on(root, shapes, tmp_path):
    from ui.describe import test_set_name
    from ui.panels import model_lines
    assert test_set_name("assets/mnist_sample_test.csv.gz", 1000) == "the 1,000 sample test digits"
    assert test_set_name("MNIST/mnist_test.csv") == "MNIST test"
    app = make_app(root, Dialogs(save_model=lambda folder, name: str(tmp_path / "m.npz")))
    give_data(app, shapes)
    app.state.data.test_path = "MNIST/mnist_test.csv"
    app.evals.request()  # what loading the data does
    assert wait_for(app, lambda: app.state.test_score is not None, 10)
    texts = [t for t, _ in model_lines(app)]
    assert texts[2].endswith("% on the 30 MNIST test digits")  # scored here, on the digits loaded
    assert texts[3] == "99.00 % on its test set when saved"    # the file's own figure, set unknown
    app.b_save.click()
    _, meta = load_model(tmp_path / "m.npz")
    assert meta["test_data"] == "MNIST/mnist_test.csv"  # a saved figure names its test set
    assert [t for t, _ in model_lines(app)][3].endswith("% on MNIST test when saved")
    pygame.quit()


def test_the_pen_label_gives_the_width_drawn_on_the_pad(app):
    frames(app)
    px = int(app.l_brush.text.split()[1])
    assert abs(px - 2 * app.canvas.brush_radius) <= 0.5
    assert "28x28" in app.l_brush.text  # and its width in the network's 28x28 pixels, room allowing


def test_the_plots_and_the_confusion_view_pull_what_changed_in_the_state(app):
    frames(app)
    app.state.progress.add_epoch(1, 0.5, 0.4, 90.0)  # as an EpochDone does
    matrix = np.eye(10, dtype=np.int64) * 3
    app.state.results.show_confusion(matrix, "validation set, epoch 1")
    frames(app)
    assert list(app.acc_plot.series[0].y) == [90.0] and list(app.loss_plot.series[1].y) == [0.4]
    assert app.confusion.matrix.sum() == 30 and app.confusion.caption == "validation set, epoch 1"
