"""The training settings form: its widgets, each tied to one TrainingConfig setting, read as a
whole into a TrainingConfig, and filled from a loaded network so that Train continues that network.

A setting is added with one call (`text`, `choice` or `toggle`); ui.controls registers the cells
in the window in the order they were added."""
from __future__ import annotations

from typing import Any, Callable

import pygame

from nn import training as tr
from nn.config import CHOICES
from nn.errors import ConfigError
from ui.textbox import TextBox
from ui.widgets import Choice, Toggle

ACTIVATIONS = CHOICES["activation"]  # the names nn/config.py accepts, in its order
OPTIMIZERS = CHOICES["optimizer"]


def parse_setting(name: str, text: str):
    """Parse and validate one field (raises ConfigError with the reason)."""
    cfg = tr.TrainingConfig.from_strings(empty_is_default=False, **{name: text})  # empty is a mistake
    return getattr(cfg, name)


class SettingsForm:
    """The settings widgets; `cells` lists (widget name, setting, label, widget) in form order."""

    def __init__(self, on_error: Callable[[str], Any]):
        self.on_error = on_error
        self.cells: list[tuple[str, str, str, Any]] = []

    def text(self, name: str, setting: str, label: str, text: str) -> TextBox:
        box = TextBox((0, 0, 1, 1), text, lambda t, n=setting: parse_setting(n, t), on_error=self.on_error)
        self.cells.append((name, setting, label, box))
        return box

    def choice(self, name: str, setting: str, label: str, options, value: str) -> Choice:
        c = Choice((0, 0, 1, 1), options, value)
        self.cells.append((name, setting, label, c))
        return c

    def toggle(self, name: str, setting: str, text: str, value: bool) -> Toggle:
        t = Toggle((0, 0, 1, 1), text, value)
        self.cells.append((name, setting, "", t))
        return t

    def widget(self, setting: str):
        return next(w for _, s, _, w in self.cells if s == setting)

    @property
    def fields(self) -> list[TextBox]:
        """The text fields, in form order (the order Tab moves through them)."""
        return [w for *_, w in self.cells if isinstance(w, TextBox)]

    @property
    def focused(self) -> TextBox | None:
        return next((f for f in self.fields if f.focused), None)

    def handle_key(self, event: pygame.event.Event) -> bool:
        """Give a key or text event to the focused field (Tab moves to the next field, Shift+Tab
        to the previous); True if a field was focused, so the shortcuts must not see it."""
        focused = self.focused
        if focused is None or event.type not in (pygame.KEYDOWN, pygame.KEYUP, pygame.TEXTINPUT):
            return False
        tab = event.type == pygame.KEYDOWN and event.key == pygame.K_TAB
        focused.handle_event(event)
        if tab:
            fields = self.fields
            step = -1 if event.mod & pygame.KMOD_SHIFT else 1
            fields[(fields.index(focused) + step) % len(fields)].focus()
        return True

    def config(self) -> tr.TrainingConfig:
        """The settings as a validated TrainingConfig; raises ConfigError naming a red field."""
        for f in self.fields:
            if f.focused:
                f.blur()
        bad = next((f for f in self.fields if f.error), None)
        if bad is not None:
            raise ConfigError(f"Fix the red field first: {bad.error}")
        values = {"not_digits": "on"}  # the window's runs always learn "none of these" too (outlier exposure)
        for _, setting, _, w in self.cells:
            values[setting] = (w.good_text if isinstance(w, TextBox) else
                               ("on" if w.value else "off") if isinstance(w, Toggle) else w.value)
        return tr.TrainingConfig.from_strings(empty_is_default=False, **values)

    def fill_from(self, net) -> None:
        """Make the settings match a loaded model, so Train continues it."""
        self.widget("layers").set_text(",".join(str(n) for n in net.sizes[1:-1]))
        if net.activations and net.activations[0] in ACTIVATIONS:
            self.widget("activation").set(net.activations[0])
        opt = getattr(net, "optimizer_name", None)
        if opt in OPTIMIZERS:
            self.widget("optimizer").set(opt)
