"""The training settings form: parse one field, read the whole form as a TrainingConfig, and fill
it from a loaded network so that Train continues that network."""
from __future__ import annotations

from nn import training as tr
from nn.errors import ConfigError

ACTIVATIONS = ("relu", "sigmoid", "tanh")
OPTIMIZERS = ("sgd", "momentum", "adam")


def parse_setting(name: str, text: str):
    """Parse and validate one field (raises ConfigError with the reason)."""
    cfg = tr.TrainingConfig.from_strings(**{name: text})
    return getattr(cfg, name)


def config(app) -> tr.TrainingConfig:
    """The settings as a validated TrainingConfig; raises ConfigError naming a red field."""
    for f in app.text_fields:
        if f.focused:
            f.blur()
    bad = next((f for f in app.text_fields if f.error), None)
    if bad is not None:
        raise ConfigError(f"Fix the red field first: {bad.error}")
    return tr.TrainingConfig.from_strings(
        layers=app.f_layers.good_text, activation=app.c_activation.value,
        optimizer=app.c_optimizer.value, lr=app.f_lr.good_text, batch_size=app.f_batch.good_text,
        epochs=app.f_epochs.good_text, train_limit=app.f_limit.good_text,
        augment="on" if app.t_augment.value else "off")


def fill_from(app, net) -> None:
    """Make the settings match a loaded model, so Train continues it."""
    app.f_layers.set_text(",".join(str(n) for n in net.sizes[1:-1]))
    if net.activations and net.activations[0] in ACTIVATIONS:
        app.c_activation.set(net.activations[0])
    opt = getattr(net, "optimizer_name", None)
    if opt in OPTIMIZERS:
        app.c_optimizer.set(opt)
