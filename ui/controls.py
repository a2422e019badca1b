"""Every widget of the window, registered once in a ui.container.Widgets: its name, its place in
ui.layout, when it is shown and enabled, and where its data comes from. The order here is the
order for events and drawing (widgets do not overlap, and a focused text field sees clicks first).
To add a button, add one `gui.add(...)` line here: a row member of "controls" or "model" gets its
place from the row."""
from __future__ import annotations

from ui import theme
from ui.canvas import BRUSH_STEPS
from ui.container import Widgets
from ui.form import ACTIVATIONS, OPTIMIZERS, SettingsForm
from ui.plots import LinePlot
from ui.prediction import seen_caption
from ui.reliability import ReliabilityView
from ui.results import ConfusionView, Gallery
from ui.training_run import loss_and_accuracy_series, show_progress
from ui.visuals import ActivationView, NetworkInput, ProbabilityBars, WeightTiles
from ui.widgets import Button, Label, ProgressBar, Tabs, Toggle

TABS = ("Training curves", "Weights", "Activations", "Confusion", "Reliability", "Mistakes")
PLOT_INTERVAL = 0.25     # seconds between plot redraws while training
WEIGHTS_INTERVAL = 0.5   # seconds between weight-tile rebuilds while training


def pen_text(canvas, scale: float, width: int) -> str:
    """The pen's width as drawn on the screen and, where the label has room, in pixels of the
    28x28 image the pad becomes."""
    short = f"pen {2 * canvas.brush_radius * scale:.0f} px"
    full = f"{short} ({2 * BRUSH_STEPS[canvas.brush_step]:.1f} at 28x28)"
    return full if theme.font(theme.SMALL).size(full)[0] <= width else short


def settings_form(on_error) -> SettingsForm:
    """The training settings, in the order the form shows them (two a row)."""
    form = SettingsForm(on_error)
    form.text("f_layers", "layers", "Hidden layers", "256,128")
    form.choice("c_activation", "activation", "Activation", ACTIVATIONS, "relu")
    form.choice("c_optimizer", "optimizer", "Optimizer", OPTIMIZERS, "adam")
    form.text("f_lr", "lr", "Learning rate", "0.001")
    form.text("f_batch", "batch_size", "Batch size", "128")
    form.text("f_epochs", "epochs", "Epochs", "10")
    form.text("f_limit", "train_limit", "Training digits", "all")
    form.toggle("t_augment", "augment", "Augment", False)
    return form


def build(app) -> tuple[Widgets, Widgets]:
    """The window's widgets and the help overlay's, wired to `app`'s parts (read at build time
    and, through the rules, every frame)."""
    s, do, act, canvas = app.state, app.commands, app.action, app.canvas
    run, p, pred, res = app.training, app.state.progress, app.state.prediction, app.state.results

    def idle():
        return not run.busy

    def on_tab(name):
        return lambda: tabs.value == name

    gui = Widgets()
    # --- the draw column
    gui.add("canvas", canvas, place="canvas")
    gui.add("b_clear", Button((0, 0, 1, 1), "Clear", lambda: act("clear", do.clear)), place="b_clear",
            enabled=lambda: not canvas.empty)
    gui.add("b_undo", Button((0, 0, 1, 1), "Undo", lambda: act("undo", do.undo)), place="b_undo",
            enabled=lambda: canvas.can_undo)
    gui.add("b_brush_minus", Button((0, 0, 1, 1), "−", lambda: canvas.set_brush_step(canvas.brush_step - 1)),
            place="b_brush_minus")
    gui.add("l_brush", Label((0, 0, 1, 1), "", theme.SMALL, theme.TEXT_DIM, align="center"), place="l_brush",
            events=False, sync=lambda w: setattr(w, "text", pen_text(canvas, app.screen.scale, w.rect.w)))
    gui.add("b_brush_plus", Button((0, 0, 1, 1), "+", lambda: canvas.set_brush_step(canvas.brush_step + 1)),
            place="b_brush_plus")
    gui.add("t_preprocess", Toggle((0, 0, 1, 1), "Preprocess like MNIST", True,
                                   lambda value: setattr(s, "preprocess", value)), place="t_preprocess")
    gui.add("b_new", Button((0, 0, 1, 1), "New", lambda: act("new model", do.new)), place=("model", 1.0),
            enabled=idle)
    gui.add("b_load", Button((0, 0, 1, 1), "Load…", lambda: act("load", do.load)), place=("model", 1.0),
            enabled=idle)
    gui.add("b_save", Button((0, 0, 1, 1), "Save…", lambda: act("save", do.save)), place=("model", 1.0),
            enabled=lambda: s.model is not None)
    # --- the prediction column: views that pull the newest reading of the pad
    bars = gui.add("bars", ProbabilityBars((0, 0, 1, 1)), place="bars", events=False)
    bars.follow(lambda: pred.version, lambda: bars.set(pred.probs))
    seen = gui.add("seen", NetworkInput((0, 0, 1, 1)), place="seen", events=False)
    seen.follow(lambda: pred.version,
                lambda: seen.set(pred.x, pred.stages if pred.x is not None else [], seen_caption(s)))
    # --- the training column: the settings, the controls, the progress bar and the tabs
    for name, _, label, widget in app.form.cells:
        gui.add(name, widget, place=("form", label), enabled=idle)
        gui.add(f"{name}:label", Label((0, 0, 1, 1), label, theme.SMALL, theme.TEXT_DIM),
                place=f"{name}:label", events=False, static=True)
    gui.add("b_train", Button((0, 0, 1, 1), "Train", lambda: act("train", app.train), kind="primary"),
            place=("controls", 1.0), enabled=idle,
            sync=lambda w: setattr(w, "text", "Train" if idle() else "Training…"))
    gui.add("b_pause", Button((0, 0, 1, 1), "Pause", lambda: act("pause", do.pause)), place=("controls", 1.0),
            enabled=lambda: run.status in ("running", "paused"),
            sync=lambda w: setattr(w, "text", "Resume" if run.status == "paused" else "Pause"))
    gui.add("b_stop", Button((0, 0, 1, 1), "Stop", lambda: act("stop", do.stop), kind="danger"),
            place=("controls", 0.9), enabled=lambda: run.status in ("running", "paused"))
    gui.add("b_data", Button((0, 0, 1, 1), "Open dataset…", lambda: act("open dataset", do.open_dataset)),
            place=("controls", 1.5), enabled=lambda: idle() and not s.data.loading)
    gui.add("b_help", Button((0, 0, 1, 1), "Help (F1)", app.toggle_help), place=("controls", 0.95))
    gui.add("progress", ProgressBar((0, 0, 1, 1)), place="progress", events=False,
            sync=lambda w: show_progress(w, s))
    tabs = gui.add("tabs", Tabs((0, 0, 1, 1), TABS), place="tabs")
    # --- the tabs' views, each pulling from the state it shows
    loss_plot = gui.add("loss_plot", LinePlot((0, 0, 1, 1), "LOSS", "epochs", y_floor=0.0, y_focus=True,
                                              empty_text="Press Train (Space) to start"),
                        place="loss_plot", shown=on_tab("Training curves"), events=False)
    acc_plot = gui.add("acc_plot", LinePlot((0, 0, 1, 1), "ACCURACY %", "epochs", y_range=(0, 100),
                                            empty_text="Shown after each epoch"),
                       place="acc_plot", shown=on_tab("Training curves"), events=False)

    def plot():  # both plots at once, from one history
        loss, acc, span = loss_and_accuracy_series(p)
        loss_plot.set_series(loss, x_min_span=span)
        acc_plot.set_series(acc, x_min_span=span)
    loss_plot.follow(lambda: p.version, plot, when=lambda t: t >= PLOT_INTERVAL or p.status == "idle")
    weights = gui.add("weights", WeightTiles((0, 0, 1, 1)), place="tab", shown=on_tab("Weights"), events=False)
    weights.follow(lambda: s.model_version, lambda: weights.set(s.model.w[0] if s.model is not None else None),
                   when=lambda t: tabs.value == "Weights" and t >= WEIGHTS_INTERVAL)
    activations = gui.add("activations", ActivationView((0, 0, 1, 1)), place="tab",
                          shown=on_tab("Activations"), events=False)

    def show_activations():
        if s.model is not None:
            activations.set(pred.hidden if pred.probs is not None else None,
                            [f"({a})" for a in s.model.activations])
    activations.follow(lambda: pred.version, show_activations)
    confusion = gui.add("confusion", ConfusionView((0, 0, 1, 1)), place="tab", shown=on_tab("Confusion"),
                        events=False)
    confusion.follow(lambda: res.confusion_version, lambda: confusion.set(res.confusion, res.confusion_caption))
    reliability = gui.add("reliability", ReliabilityView((0, 0, 1, 1)), place="tab", shown=on_tab("Reliability"),
                          events=False)
    reliability.follow(lambda: res.reliability_version, lambda: reliability.set(*(res.reliability or ((), (), ""))))
    gallery = gui.add("gallery", Gallery((0, 0, 1, 1), on_pick=do.pick_test_digit), place="tab",
                      shown=lambda: tabs.value == "Mistakes" and s.data.x_test is not None, fallback=True)
    gallery.follow(lambda: res.mistakes_version, lambda: gallery.set(*res.mistakes))
    gui.add("no_test_set", Label((0, 0, 1, 1), "Load a test set to see the digits the model gets wrong",
                                 theme.NORMAL, theme.TEXT_FAINT, align="center"), place="tab",
            shown=lambda: tabs.value == "Mistakes" and s.data.x_test is None, events=False)
    # --- the status bar
    gui.add("status", app.status, place="status", events=False,
            sync=lambda w: setattr(w, "busy", s.data.loading or run.status == "stopping" or app.loader.busy))

    overlay = Widgets()  # the help overlay, drawn over everything while it is up
    overlay.add("b_help_close", Button((0, 0, 1, 1), "Close", app.toggle_help), place="b_help_close")
    return gui, overlay
