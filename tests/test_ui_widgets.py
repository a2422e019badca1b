"""Widgets driven by synthetic pygame events on small surfaces (no window needed)."""
import pygame
import pytest

from ui import theme
from ui.textbox import TextBox
from ui.widgets import Button, Choice, Label, ProgressBar, StatusBar, Tabs, Toggle

pytestmark = pytest.mark.usefixtures("pygame_up")


def down(pos, button=1):
    return pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=pos, button=button)


def up(pos, button=1):
    return pygame.event.Event(pygame.MOUSEBUTTONUP, pos=pos, button=button)


def motion(pos):
    return pygame.event.Event(pygame.MOUSEMOTION, pos=pos, rel=(0, 0), buttons=(0, 0, 0))


def key(k, mod=0, unicode=""):
    return pygame.event.Event(pygame.KEYDOWN, key=k, mod=mod, unicode=unicode)


def text(s):
    return pygame.event.Event(pygame.TEXTINPUT, text=s)


def positive_int(t):
    v = int(t)  # ValueError for non-numbers
    if v <= 0:
        raise ValueError(f"Must be greater than 0 (got {v}).")
    return v


def test_button_click_hover_and_disabled():
    clicks = []
    b = Button((10, 10, 80, 30), "Go", lambda: clicks.append(1))
    assert not b.handle_event(motion((20, 20)))  # hover is not "used"
    assert b.hover
    assert b.handle_event(down((20, 20)))
    assert b.pressed
    assert b.handle_event(up((22, 22)))
    assert clicks == [1]
    # press inside, release outside: no click
    b.handle_event(down((20, 20)))
    assert not b.handle_event(up((200, 200)))
    assert clicks == [1]
    # a click elsewhere is not used
    assert not b.handle_event(down((200, 200)))
    b.enabled = False
    assert not b.handle_event(down((20, 20)))
    assert not b.handle_event(up((20, 20)))
    b.click()
    assert clicks == [1]
    surf = pygame.Surface((120, 60))
    b.draw(surf)
    assert surf.get_at((12, 25))[:3] == theme.BUTTON_DISABLED


def test_textbox_typing_enter_and_bad_value_keeps_last_good():
    changes, errors = [], []
    box = TextBox((0, 0, 120, 28), "128", positive_int, on_change=changes.append, on_error=errors.append)
    assert box.value == 128
    assert box.handle_event(down((10, 10)))
    assert box.focused and box.cursor == 0  # clicked left of the text
    box.handle_event(key(pygame.K_END))
    for _ in range(3):
        assert box.handle_event(key(pygame.K_BACKSPACE))
    assert box.handle_event(text("64"))
    assert box.handle_event(key(pygame.K_RETURN))
    assert box.value == 64 and changes == [64] and box.error is None and not box.focused
    # a bad value: red, reason kept, value stays 64
    box.handle_event(down((10, 10)))
    box.handle_event(key(pygame.K_END))
    box.handle_event(text("x"))
    box.handle_event(key(pygame.K_RETURN))
    assert box.text == "64x" and box.value == 64 and box.error and errors
    assert box.focused  # stays in the box so the person can fix it
    surf = pygame.Surface((130, 40))
    box.draw(surf)
    assert surf.get_at((0, 14))[:3] == theme.ERROR  # the red border
    # negative: the parser's own reason
    box.set_text("-3")
    assert box.error == "Must be greater than 0 (got -3)." and box.value == 64
    # Escape brings back the last good text
    box.focus()
    box.handle_event(key(pygame.K_ESCAPE))
    assert box.text == "64" and box.error is None and not box.focused


def test_textbox_blur_on_outside_click_commits_and_keys_are_consumed():
    box = TextBox((0, 0, 120, 28), "1", positive_int)
    box.handle_event(down((5, 5)))
    box.handle_event(key(pygame.K_END))
    assert box.handle_event(key(pygame.K_c, unicode="c"))  # every key is the box's while focused
    box.handle_event(text("5"))
    assert not box.handle_event(down((300, 300)))  # the click goes on to its target
    assert not box.focused and box.value == 15
    assert not box.handle_event(key(pygame.K_c, unicode="c"))  # unfocused: not used


def test_textbox_cursor_editing():
    box = TextBox((0, 0, 200, 28), "256,128", lambda t: t)
    box.focus()
    box.handle_event(key(pygame.K_HOME))
    box.handle_event(key(pygame.K_DELETE))
    box.handle_event(key(pygame.K_RIGHT))
    box.handle_event(text("0"))
    assert box.text == "506,128"
    box.handle_event(key(pygame.K_LEFT))
    box.handle_event(key(pygame.K_BACKSPACE))
    assert box.text == "06,128"


def test_choice_toggle_tabs():
    seen = []
    c = Choice((0, 0, 120, 28), ["sgd", "momentum", "adam"], "adam", seen.append)
    assert c.handle_event(down((110, 10)))
    assert c.value == "sgd"
    assert c.handle_event(down((5, 10)))  # left part goes back
    assert c.value == "adam"
    assert c.handle_event(down((60, 10), button=3))
    assert c.value == "momentum" and seen == ["sgd", "adam", "momentum"]
    c.enabled = False
    assert not c.handle_event(down((110, 10)))

    t = Toggle((0, 40, 120, 24), "Augment", False)
    assert t.handle_event(down((5, 50)))
    assert t.value is True
    assert not t.handle_event(down((5, 200)))

    tabs = Tabs((0, 0, 400, 28), ["A", "Bee", "Sea"])
    name, r = tabs.tab_rects()[2]
    assert tabs.handle_event(down(r.center)) and tabs.value == "Sea"
    assert tabs.tab_rects()[-1][1].right <= 400


def test_label_progress_status_draw():
    surf = pygame.Surface((300, 80))
    Label((0, 0, 60, 20), "a very long label that cannot fit").draw(surf)
    bar = ProgressBar((0, 20, 300, 20), 0.5, "Epoch 1 of 3")
    bar.draw(surf)
    assert surf.get_at((10, 30))[:3] == bar.colour
    assert surf.get_at((290, 30))[:3] == theme.INPUT_BG
    status = StatusBar((0, 50, 300, 26))
    status.set("line one\nline two   spaced", "error")
    assert status.message == "line one line two spaced"
    status.busy = True
    status.update(0.1)
    status.draw(surf)
