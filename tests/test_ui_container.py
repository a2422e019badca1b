"""The widget container (each widget registered once: place, order, shown and enabled rules) and
views that pull from state when its version moves on, on small surfaces with synthetic events."""
import pygame
import pytest

from ui.container import Widgets
from ui.state import Progress
from ui.view import View
from ui.widgets import Button, Widget

pytestmark = pytest.mark.usefixtures("pygame_up")


def down(pos, button=1):
    return pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=pos, button=button)


def up(pos, button=1):
    return pygame.event.Event(pygame.MOUSEBUTTONUP, pos=pos, button=button)


class Probe(Widget):
    """Records the events it is offered and when it is drawn; uses clicks inside it."""

    def __init__(self, name, log):
        super().__init__((0, 0, 1, 1))
        self.name, self.log = name, log

    def handle_event(self, event):
        self.log.append(("event", self.name))
        return event.type == pygame.MOUSEBUTTONDOWN and self.rect.collidepoint(event.pos)

    def draw(self, surface):
        self.log.append(("draw", self.name))


def test_a_registered_widget_is_placed_and_takes_its_turn_for_events_and_drawing():
    log = []
    gui = Widgets()
    a = gui.add("a", Probe("a", log), place="left")
    b = gui.add("b", Probe("b", log), place=("row", 1.0))
    c = gui.add("c", Probe("c", log), place=("row", 2.0))
    assert gui["b"] is b and "c" in gui and list(gui) == [a, b, c]
    assert gui.rows() == {"row": [("b", 1.0), ("c", 2.0)]}  # what the layout has to fill
    gui.place({"left": (0, 0, 10, 10), "b": (20, 0, 10, 10), "c": (40, 0, 20, 10)})
    assert a.rect == pygame.Rect(0, 0, 10, 10) and c.rect == pygame.Rect(40, 0, 20, 10)

    gui.draw(pygame.Surface((80, 20)))
    assert log == [("draw", "a"), ("draw", "b"), ("draw", "c")]
    log.clear()
    assert gui.handle_event(down((45, 5)))  # offered in order, stops at the widget that uses it
    assert log == [("event", "a"), ("event", "b"), ("event", "c")]
    log.clear()
    assert gui.handle_event(down((5, 5)))
    assert log == [("event", "a")]
    log.clear()
    gui.handle_event(pygame.event.Event(pygame.MOUSEMOTION, pos=(5, 5), rel=(0, 0), buttons=(0, 0, 0)))
    assert log == [("event", "a"), ("event", "b"), ("event", "c")]  # a move goes to every widget

    with pytest.raises(ValueError, match="registered already"):
        gui.add("a", Probe("a", log))


def test_a_fallback_widget_sees_only_what_no_widget_before_it_used():
    log = []
    gui = Widgets()
    pad = gui.add("pad", Probe("pad", log))
    gui.add("gallery", Probe("gallery", log), fallback=True)
    pad.handle_event = lambda event: log.append(("event", "pad")) or True  # a stroke takes every move
    gui.handle_event(pygame.event.Event(pygame.MOUSEMOTION, pos=(5, 5), rel=(0, 0), buttons=(1, 0, 0)))
    assert log == [("event", "pad")]
    log.clear()
    pad.handle_event = lambda event: log.append(("event", "pad")) or False
    gui.handle_event(pygame.event.Event(pygame.MOUSEMOTION, pos=(5, 5), rel=(0, 0), buttons=(0, 0, 0)))
    assert log == [("event", "pad"), ("event", "gallery")]


def test_shown_events_and_static_rules():
    log = []
    visible = {"b": False}
    gui = Widgets()
    gui.add("a", Probe("a", log), events=False)
    gui.add("b", Probe("b", log), shown=lambda: visible["b"])
    gui.add("label", Probe("label", log), static=True, events=False)
    gui.handle_event(down((0, 0)))
    gui.draw(pygame.Surface((4, 4)))
    assert log == [("draw", "a")]  # b is hidden, a takes no events, the label is background
    log.clear()
    gui.draw(pygame.Surface((4, 4)), static=True)
    assert log == [("draw", "label")]
    log.clear()
    visible["b"] = True
    gui.handle_event(down((0, 0)))
    assert log == [("event", "b")] and gui.shown("b")


def test_the_enable_rule_is_honoured_every_update_and_a_disabled_button_does_not_click():
    clicks = []
    busy = {"on": False}
    gui = Widgets()
    button = gui.add("go", Button((0, 0, 40, 20), "Go", lambda: clicks.append(1)), enabled=lambda: not busy["on"],
                     sync=lambda w: setattr(w, "text", "Busy" if busy["on"] else "Go"))
    gui.update(0.016)
    assert button.enabled and button.text == "Go"
    busy["on"] = True
    gui.update(0.016)
    assert not button.enabled and button.text == "Busy"
    gui.handle_event(down((10, 10)))
    gui.handle_event(up((10, 10)))
    button.click()
    assert clicks == []
    busy["on"] = False
    gui.update(0.016)
    gui.handle_event(down((10, 10)))
    gui.handle_event(up((10, 10)))
    assert clicks == [1]


def test_a_focused_field_sees_a_click_first_so_a_click_elsewhere_blurs_it():
    from ui.textbox import TextBox
    gui = Widgets()
    clicks = []
    gui.add("go", Button((0, 0, 40, 20), "Go", lambda: clicks.append(1)))
    box = gui.add("box", TextBox((0, 30, 80, 20), "1", int))
    box.focus()
    box.text = "x"
    gui.handle_event(down((10, 10)))  # on the button, registered before the field
    gui.handle_event(up((10, 10)))
    assert not box.focused and box.error  # blurred, so its bad text was parsed and refused
    assert clicks == [1]                  # and the click still reached the button


class Counter(View):
    """A view that counts its renders and shows a number it is given."""

    def __init__(self, rect):
        super().__init__(rect)
        self.value, self.renders = None, 0

    def set(self, value):
        self.value = value
        self.invalidate()

    def render(self, surface):
        self.renders += 1


def test_a_view_redraws_when_the_state_version_changes_and_only_then():
    p = Progress()
    view = Counter((0, 0, 20, 20)).follow(lambda: p.version, lambda: view.set(len(p.loss_x)))
    surf = pygame.Surface((40, 40))
    view.update(0.016)
    view.draw(surf)
    assert not view.pulled and view.value is None and view.renders == 1  # starts as the current version
    p.add_batch(0.1, 2.3)
    view.update(0.016)
    assert view.pulled and view.value == 1
    view.draw(surf)
    assert view.renders == 2
    view.update(0.016)
    view.draw(surf)
    assert not view.pulled and view.renders == 2  # nothing new: the cached picture is blitted
    p.reset()  # a reset never returns to a version the view has seen
    view.update(0.016)
    assert view.pulled and view.value == 0


def test_a_view_can_hold_its_pull_back():
    p = Progress()
    allowed = {"now": False}
    view = Counter((0, 0, 20, 20))
    view.follow(lambda: p.version, lambda: view.set(len(p.epoch_x)), when=lambda seconds: allowed["now"])
    p.add_epoch(1, 0.5, 0.4, 90.0)
    view.update(0.016)
    assert not view.pulled and view.value is None  # a hidden tab, a rate limit
    allowed["now"] = True
    view.update(0.016)
    assert view.pulled and view.value == 1
