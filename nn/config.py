"""The settings of a network and of a training run, and the shapes of its inputs: each rule written once.

Network, TrainingConfig, the model loader and the window's form all check their settings with
these functions, so a rule (and its message) cannot drift between them. Every check raises
ConfigError saying what was wrong, the value, and what would be valid.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from typing import Any

import numpy as np

from .activations import HIDDEN_ACTIVATIONS, get_activation
from .errors import ConfigError, DataError
from .losses import LOSSES, canonical_loss_name
from .optimizers import OPTIMIZERS, check_optimizer

N_IN = 784  # pixels of a 28x28 image
N_OUT = 10  # digits
MAX_WIDTH = 8192  # wider layers than this are a typo, and would not fit a laptop's memory anyway
MAX_LAYERS = 10
SCHEDULES = ("constant", "cosine")
MAX_EPOCHS = 10000
#: The names a user may choose from, in the order the window lists them.
CHOICES = {"activation": HIDDEN_ACTIVATIONS, "loss": tuple(LOSSES), "optimizer": tuple(OPTIMIZERS),
           "schedule": SCHEDULES}


def check_layers(layers) -> tuple[int, ...]:
    """Hidden sizes as a tuple of positive ints, e.g. (256, 128); ConfigError for anything else."""
    if isinstance(layers, (int, np.integer)):
        layers = (int(layers),)
    try:
        sizes = tuple(int(s) for s in layers)
        if any(float(s) != int(s) for s in layers):
            raise ValueError
    except (TypeError, ValueError):
        raise ConfigError(f"Hidden layer sizes must be whole numbers like 256,128 (got {layers!r}).") from None
    for s in sizes:
        if not 1 <= s <= MAX_WIDTH:
            raise ConfigError(f"Each hidden layer needs 1 to {MAX_WIDTH} neurons (got {s}).")
    if len(sizes) > MAX_LAYERS:
        raise ConfigError(f"At most {MAX_LAYERS} hidden layers are supported (got {len(sizes)}).")
    return sizes


def check_activations(activation, n_layers: int) -> tuple[str, ...]:
    """One activation name per hidden layer, from one name for all ("relu"), "relu,tanh", or a
    sequence of names; ConfigError when a name is unknown or the count does not match."""
    if isinstance(activation, str):
        if "," not in activation:
            get_activation(activation)  # an unknown name is refused even with no hidden layers
        names = [a.strip() for a in activation.split(",")] if "," in activation else [activation] * n_layers
    else:
        names = list(activation)
    names = tuple(get_activation(a).name for a in names)
    if len(names) != n_layers:
        raise ConfigError(
            f"Give one activation for all hidden layers or one per layer "
            f"({n_layers} layers, got {len(names)} activations)."
        )
    return names


def check_hyperparameters(lr, momentum, weight_decay, batch_size, schedule, optimizer) -> None:
    """Raise ConfigError naming the first out-of-range hyperparameter, its value and the valid range."""
    if not (isinstance(lr, (int, float)) and math.isfinite(lr) and 0 < lr <= 100):
        raise ConfigError(f"Learning rate must be greater than 0 and at most 100 (got {lr}).")
    if not (math.isfinite(momentum) and 0 <= momentum < 1):
        raise ConfigError(f"Momentum must be at least 0 and below 1 (got {momentum}).")
    if not (math.isfinite(weight_decay) and 0 <= weight_decay < 1):
        raise ConfigError(f"Weight decay must be at least 0 and below 1 (got {weight_decay}).")
    if not (isinstance(batch_size, (int, np.integer)) and 1 <= batch_size <= 65536):
        raise ConfigError(f"Batch size must be a whole number from 1 to 65536 (got {batch_size}).")
    if schedule not in SCHEDULES:
        raise ConfigError(f"Unknown schedule {schedule!r}; choose one of: {', '.join(SCHEDULES)}.")
    check_optimizer(optimizer)


def check_epochs(epochs) -> int:
    """Epochs as an int from 1 to MAX_EPOCHS; ConfigError otherwise."""
    if not (isinstance(epochs, (int, np.integer)) and 1 <= epochs <= MAX_EPOCHS):
        raise ConfigError(f"Epochs must be a whole number from 1 to {MAX_EPOCHS} (got {epochs}).")
    return int(epochs)


def as_images(x, dtype=np.float32) -> np.ndarray:
    """Images to a float batch (n, 784) in [0, 1]: uint8 is divided by 255, floats are taken as they are.

    x: (784,), (28, 28), (n, 784) or (n, 28, 28). Raises DataError for other shapes.
    """
    x = np.asarray(x)
    if x.shape in ((N_IN,), (28, 28)):
        x = x.reshape(1, N_IN)
    elif x.ndim == 3 and x.shape[1:] == (28, 28):
        x = x.reshape(len(x), N_IN)
    elif not (x.ndim == 2 and x.shape[1] == N_IN):
        raise DataError(f"Expected images of 784 pixels (28x28); got an array of shape {x.shape}.")
    if x.dtype == np.uint8:
        dtype = np.dtype(dtype)
        return np.multiply(x, dtype.type(1 / 255), dtype=dtype)
    if x.dtype.kind not in "fiub":
        raise DataError(f"Images must hold numbers; got dtype {x.dtype}.")
    return x.astype(dtype, copy=False)


def check_labels(labels, n: int) -> np.ndarray:
    """Labels as an int64 vector (n,) of digits 0-9; raises DataError otherwise."""
    labels = np.asarray(labels)
    if labels.ndim != 1 or len(labels) != n:
        raise DataError(f"Expected {n} labels, one per image; got an array of shape {labels.shape}.")
    if labels.dtype.kind not in "iu" or (n and (labels.min() < 0 or labels.max() >= N_OUT)):
        raise DataError("Labels must be whole numbers from 0 to 9.")
    return labels.astype(np.int64, copy=False)


@dataclass(frozen=True)
class TrainingConfig:
    """Everything that defines a training run; validated on creation (raises ConfigError)."""

    layers: tuple = (256, 128)
    activation: str = "relu"
    loss: str = "cross_entropy"
    optimizer: str = "adam"
    lr: float = 1e-3
    batch_size: int = 128
    epochs: int = 10
    weight_decay: float = 0.0
    momentum: float = 0.9
    schedule: str = "cosine"
    augment: bool = False
    not_digits: bool = False  # outlier exposure: non-digit images in every batch (nn/nondigits.py)
    train_limit: int | None = None
    seed: int = 0

    def __post_init__(self):
        object.__setattr__(self, "layers", check_layers(self.layers))
        acts = check_activations(self.activation, len(self.layers))
        # One name stands for all layers (as the user wrote it); a list only when they differ.
        one_name = isinstance(self.activation, str) and "," not in self.activation
        object.__setattr__(self, "activation", self.activation.strip().lower() if one_name and not acts
                           else acts[0] if one_name else acts)
        object.__setattr__(self, "loss", canonical_loss_name(self.loss))
        object.__setattr__(self, "optimizer", check_optimizer(self.optimizer))
        check_hyperparameters(self.lr, self.momentum, self.weight_decay, self.batch_size,
                              self.schedule, self.optimizer)
        check_epochs(self.epochs)
        if self.train_limit is not None and not (
            isinstance(self.train_limit, (int, np.integer)) and self.train_limit >= 1
        ):
            raise ConfigError(f"The number of training digits must be at least 1 (got {self.train_limit}).")
        if not isinstance(self.seed, (int, np.integer)) or self.seed < 0:
            raise ConfigError(f"Seed must be a whole number 0 or more (got {self.seed}).")

    @classmethod
    def from_strings(cls, *, empty_is_default: bool = True, **texts: str) -> "TrainingConfig":
        """Build from user text, e.g. layers="256,128", lr="0.001".

        empty_is_default: an empty (or blank) text keeps that setting's default, as the window's
        form has always relied on; with False it is a ConfigError naming the setting (the command
        line: `--epochs ''` is a mistake, not a request for 10 epochs). Leave a setting out of
        `texts` to get its default either way.
        """
        kwargs: dict[str, Any] = {}
        for name, text in texts.items():
            if name not in {f.name for f in fields(cls)}:
                raise ConfigError(f"Unknown setting {name!r}.")
            text = str(text).strip()
            if text == "" and empty_is_default:
                continue
            kwargs[name] = parse_setting(name, text)
        return cls(**kwargs)

    def hidden_activations(self) -> tuple[str, ...]:
        """One activation name per hidden layer."""
        return check_activations(self.activation, len(self.layers))

    def fits(self, network) -> bool:
        """True when `network` has the shape these settings ask for (hidden sizes and activations),
        so that training can continue it."""
        return tuple(network.sizes[1:-1]) == self.layers and tuple(network.activations) == self.hidden_activations()

    def network(self):
        """A fresh network with these settings."""
        from .network import Network  # the network module imports this one

        return Network(layers=self.layers, activation=self.activation, loss=self.loss, optimizer=self.optimizer,
                       lr=self.lr, momentum=self.momentum, weight_decay=self.weight_decay,
                       batch_size=self.batch_size, schedule=self.schedule, seed=self.seed)

    def as_dict(self) -> dict:
        d = {f.name: getattr(self, f.name) for f in fields(self)}
        d["layers"] = list(self.layers)
        if not isinstance(self.activation, str):
            d["activation"] = list(self.activation)
        return d


_LABELS = {
    "layers": "Hidden layers", "lr": "Learning rate", "batch_size": "Batch size", "epochs": "Epochs",
    "weight_decay": "Weight decay", "momentum": "Momentum", "train_limit": "Training digits",
    "seed": "Seed", "not_digits": "Not-a-digit training",
}
_EXAMPLES = {"layers": "whole numbers like 256,128", "lr": "a number greater than 0, such as 0.001",
             "weight_decay": "a number such as 0.0001", "momentum": "a number such as 0.9",
             "train_limit": "a whole number such as 60000, or all", "augment": "on or off", "not_digits": "on or off",
             "batch_size": "a whole number such as 128", "epochs": "a whole number such as 10",
             "seed": "a whole number such as 0"}


def parse_setting(name: str, text: str):
    """One setting from text to its value; raises ConfigError with the field's name and the text."""
    label = _LABELS.get(name, name)
    text = text.strip()
    if text == "":
        expected = (f"one of {', '.join(CHOICES[name])}" if name in CHOICES
                    else _EXAMPLES.get(name, "a value"))
        raise ConfigError(f"{label[:1].upper()}{label[1:]} is empty; expected {expected}.")
    try:
        if name == "layers":
            parts = [p for p in text.replace(" ", ",").split(",") if p]
            if not parts:
                raise ValueError
            return tuple(int(p) for p in parts)
        if name in ("lr", "weight_decay", "momentum"):
            value = float(text)
            if not math.isfinite(value):
                raise ValueError
            return value
        if name in ("batch_size", "epochs", "seed"):
            return int(text.replace("_", "").replace(",", ""))
        if name == "train_limit":
            if text.lower() in ("all", "none", "max"):
                return None
            return int(text.replace("_", "").replace(",", ""))
        if name in ("augment", "not_digits"):
            if text.lower() in ("1", "true", "yes", "on"):
                return True
            if text.lower() in ("0", "false", "no", "off"):
                return False
            raise ValueError
    except ValueError:
        raise ConfigError(f"{label}: {text!r} is not valid; expected {_EXAMPLES.get(name, 'a number')}.") from None
    return text
