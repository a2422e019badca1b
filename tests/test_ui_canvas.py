"""The drawing pad: strokes, erasing, undo, clear, brush size, to_array."""
import numpy as np
import pygame
import pytest

from ui.canvas import Canvas

pytestmark = pytest.mark.usefixtures("pygame_up")


def stroke(canvas, points, button=1):
    canvas.handle_event(pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=points[0], button=button))
    for p in points[1:]:
        canvas.handle_event(pygame.event.Event(pygame.MOUSEMOTION, pos=p, rel=(0, 0), buttons=(1, 0, 0)))
    canvas.handle_event(pygame.event.Event(pygame.MOUSEBUTTONUP, pos=points[-1], button=button))


def test_stroke_draws_a_continuous_line():
    c = Canvas((10, 20, 280, 280))
    assert c.empty and not c.to_array().any()
    stroke(c, [(50, 60), (150, 60), (250, 60)])  # sparse samples: the gaps must be filled
    a = c.to_array()
    assert a.shape == (280, 280) and a.dtype == np.uint8
    assert c.changed and not c.empty
    row = a[60 - 20]
    assert row[50 - 10:250 - 10].min() == 255  # no gaps along the line
    assert a[200].max() == 0  # nothing far away
    r = c.brush_radius
    assert abs(int((a[:, 150 - 10] > 0).sum()) - 2 * r) <= 3  # round brush of the right width


def test_right_button_erases_and_undo_per_stroke():
    c = Canvas((0, 0, 280, 280))
    stroke(c, [(40, 140), (240, 140)])
    stroke(c, [(140, 40), (140, 240)])
    both = c.to_array()
    stroke(c, [(140, 100), (140, 180)], button=3)
    erased = c.to_array()
    assert erased[140, 140] == 0 and both[140, 140] == 255
    assert c.undo()  # the erase
    assert np.array_equal(c.to_array(), both)
    assert c.undo()  # the vertical stroke
    a = c.to_array()
    assert a[60, 140] == 0 and a[140, 60] == 255
    assert c.undo() and c.empty
    assert not c.undo()


def test_clear_is_undoable_and_changed_flag():
    c = Canvas((0, 0, 100, 100))
    stroke(c, [(20, 50), (80, 50)])
    c.changed = False
    c.clear()
    assert c.empty and c.changed and not c.to_array().any()
    c.undo()
    assert not c.empty and c.to_array().any()


def test_brush_size_wheel_and_limits():
    c = Canvas((0, 0, 280, 280))
    c.handle_event(pygame.event.Event(pygame.MOUSEMOTION, pos=(100, 100), rel=(0, 0), buttons=(0, 0, 0)))
    r0 = c.brush_radius
    assert c.handle_event(pygame.event.Event(pygame.MOUSEWHEEL, x=0, y=1))
    assert c.brush_radius > r0
    for _ in range(20):
        c.set_brush_step(c.brush_step + 1)
    big = c.brush_radius
    c.set_brush_step(99)
    assert c.brush_radius == big


def test_outside_clicks_are_ignored_and_strokes_clamped():
    c = Canvas((100, 100, 200, 200))
    assert not c.handle_event(pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=(10, 10), button=1))
    stroke(c, [(150, 200), (500, 200)])  # leaves the pad: drawn up to the edge, no error
    assert c.to_array()[100, 199] == 255


def test_set_image_and_resize_keep_the_drawing():
    c = Canvas((0, 0, 280, 280))
    digit = np.zeros((28, 28), np.uint8)
    digit[5:23, 13:15] = 255
    c.set_image(digit)
    a = c.to_array()
    assert a[140, 140] > 200 and a[20, 20] == 0 and not c.empty
    c.resize((0, 0, 140, 140))
    assert c.to_array().shape == (140, 140) and c.to_array()[70, 70] > 200
    assert c.undo() and c.empty  # back to before set_image, at the new size


def test_a_release_outside_the_window_ends_the_stroke():
    c = Canvas((0, 0, 200, 200))
    c.handle_event(pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=(50, 50), button=1))
    c.handle_event(pygame.event.Event(pygame.MOUSEMOTION, pos=(60, 50), rel=(0, 0), buttons=(1, 0, 0)))
    # back in the window with no button held: no more ink
    c.handle_event(pygame.event.Event(pygame.MOUSEMOTION, pos=(150, 150), rel=(0, 0), buttons=(0, 0, 0)))
    c.handle_event(pygame.event.Event(pygame.MOUSEMOTION, pos=(160, 160), rel=(0, 0), buttons=(0, 0, 0)))
    assert c.to_array()[155, 155] == 0 and c.to_array()[50, 55] == 255
