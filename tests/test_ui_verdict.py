"""The verdict where the big digit is (digit, not sure, not a digit) and the reliability tab, on the
dummy video driver with the tiny shapes model of test_ui_app."""
import numpy as np
import pygame
import pytest

from tests.test_ui_app import draw_digit, frames, give_data, make_app, model_file, root, shapes, wait_for  # noqa: F401
from ui import theme, verdict
from ui.calib import cal


@pytest.fixture
def app(root):  # noqa: F811
    a = make_app(root)
    yield a
    if pygame.get_init():
        pygame.quit()


def fake(kind, digit=4, second=9, confidence=0.55, words="4 or 9?"):
    p = np.full(10, (1 - confidence) / 9)
    p[digit] = confidence
    return cal.Verdict(kind, digit, second, confidence, p, words)


CASES = [
    (fake("digit", 7, 1, 0.98, "sure it is a 7"), "7", "confidence 98 %", theme.GOOD),
    (fake("digit", 7, 1, 0.75, "fairly sure it is a 7"), "7", "confidence 75 %", theme.WARN),
    (fake("unsure"), "4 or 9?", "not sure", theme.WARN),
    (fake("not a digit", 8, 3, 0.12, "not a digit"), "?", "not a digit", theme.ERROR),
]


@pytest.mark.parametrize("v, big, headline, colour", CASES)
def test_the_verdict_panel_shows_each_kind(app, monkeypatch, v, big, headline, colour):
    monkeypatch.setattr(cal, "verdict", lambda p, calibration: v)  # what the panel judges by
    frames(app)
    draw_digit(app, 7)
    frames(app, 3)
    pred = app.state.prediction
    assert pred.verdict is v and pred.confidence == v.confidence
    np.testing.assert_allclose(app.bars.probs, v.probabilities)  # the bars show the calibrated figures
    lk = verdict.look(pred.verdict)
    assert (lk.big, lk.headline, lk.colour) == (big, headline, colour)
    assert lk.words and f"confidence {100 * v.confidence:.0f} %" in (lk.headline, lk.detail)
    r = app.screen.layout["verdict"]
    pixels = pygame.surfarray.array3d(app.screen.surface.subsurface(r)).reshape(-1, 3)
    assert (np.abs(pixels - np.array(colour)).sum(axis=1) < 30).any()  # the headline's colour is drawn


def test_an_empty_pad_still_invites(app):
    frames(app)
    assert app.state.prediction.verdict is None and app.state.prediction.empty


def test_an_old_model_gets_the_default_calibration_and_a_digit_verdict(app):
    frames(app)
    assert not hasattr(app.state.model, "calibration") or app.state.model.calibration == cal.Calibration()
    draw_digit(app, 1)
    frames(app, 3)
    v = app.state.prediction.verdict
    assert v is not None and v.kind in ("digit", "unsure")  # default: never "not a digit"
    assert abs(float(np.sum(app.state.prediction.probs)) - 1) < 1e-6


def test_the_reliability_tab_draws_once_test_digits_are_scored(app, shapes):  # noqa: F811
    frames(app)
    give_data(app, shapes)
    app.evals.request()
    assert wait_for(app, lambda: app.state.results.reliability_version > 0)
    app.tabs.set("Reliability")
    frames(app, 3)
    view = app.reliability
    assert view.bins is not None and int(view.bins[2].sum()) == len(app.state.data.x_test)
    assert "ECE" in view.caption and "current weights" in view.caption and "shapes-test.csv" in view.caption
    conf, correct, _ = app.state.results.reliability
    assert view.caption.endswith(f"ECE {100 * cal.expected_calibration_error(conf, correct):.1f} %")
    r = view.rect
    pixels = pygame.surfarray.array3d(app.screen.surface.subsurface(r)).reshape(-1, 3)
    assert (np.abs(pixels - np.array(theme.WARN)).sum(axis=1) < 30).any()  # the diagonal
