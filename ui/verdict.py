"""The verdict where the big digit is: a digit ("7", sure or fairly sure), not sure ("4 or 9?",
amber) or not a digit ("?", red), from the calibrated nn.calibration.Verdict the pad was read as
(AppState.prediction.verdict). `look()` says what is shown, `draw()` draws it; the ten bars
beside show the same calibrated probabilities."""
from __future__ import annotations

from dataclasses import dataclass

import pygame

from ui import theme


@dataclass(frozen=True)
class Look:
    """What the verdict box shows for one Verdict."""
    kind: str        # "digit", "unsure" or "not a digit"
    big: str         # in the box: "7", "4 or 9?" or "?"
    headline: str    # beside it, coloured: "confidence 98 %" / "not sure" / "not a digit"
    words: str       # a sentence for a learner
    detail: str      # under it, small: the confidence when the headline is not it ("" for none)
    colour: tuple    # of the headline (and of the big text when it is not a plain digit)


def look(v) -> Look:
    """The Look of a Verdict `v` (kind, digit, second, confidence, probabilities, words)."""
    pct = f"confidence {100 * v.confidence:.0f} %"
    if v.kind == "not a digit":
        return Look(v.kind, "?", "not a digit", "none of 0–9", pct, theme.ERROR)
    if v.kind == "unsure":
        return Look(v.kind, f"{v.digit} or {v.second}?", "not sure", f"a {v.digit} or a {v.second}?", pct,
                    theme.WARN)
    return Look("digit", str(v.digit), pct, v.words or f"it is a {v.digit}", "",
                theme.GOOD if v.words.startswith("sure") else theme.WARN)


def note(app) -> tuple[str, tuple]:
    """A warning about the weights or the reading under the words ("" for none)."""
    s = app.state
    if s.progress.status in ("running", "paused"):
        return "newest training weights", theme.ACCENT
    if s.model_source.startswith("fresh"):
        return "untrained: a guess", theme.WARN
    if not s.preprocess:
        return "no preprocessing", theme.WARN
    return "", theme.TEXT_DIM


def draw(app, surf: pygame.Surface, r: pygame.Rect) -> None:
    """The verdict of a read drawing in `r` (the empty pad and no model are ui.panels')."""
    lk = look(app.state.prediction.verdict)
    big_size = theme.HUGE if lk.kind != "unsure" else theme.HUGE // 3
    text_w = theme.font(big_size, bold=True).size(lk.big)[0]
    box = pygame.Rect(r.x, r.y, max(92, min(r.w // 2, text_w + 24)), r.h)
    pygame.draw.rect(surf, theme.INPUT_BG, box, border_radius=theme.RADIUS + 2)
    if lk.kind != "digit":
        pygame.draw.rect(surf, lk.colour, box, 2, border_radius=theme.RADIUS + 2)
    theme.blit_text(surf, lk.big, (box.centerx, box.centery + 2), big_size,
                    theme.TEXT if lk.kind == "digit" else lk.colour, bold=True, anchor="center")
    x = box.right + 14
    width = r.right - x
    size = next((z for z in (theme.TITLE_SIZE + 5, theme.TITLE_SIZE, theme.LARGE)
                 if theme.font(z, bold=True).size(lk.headline)[0] <= width), theme.NORMAL)
    theme.blit_text(surf, theme.fit_text(lk.headline, width, size, bold=True), (x, r.y + 10), size, lk.colour,
                    bold=True)
    theme.blit_text(surf, theme.fit_text(lk.words, width, theme.NORMAL), (x, r.y + 44), theme.NORMAL,
                    theme.TEXT_DIM)
    y = r.y + 64
    if lk.detail:
        theme.blit_text(surf, theme.fit_text(lk.detail, width, theme.SMALL), (x, y), theme.SMALL, theme.TEXT_DIM)
        y += 16
    text, colour = note(app)
    if text:
        theme.blit_text(surf, theme.fit_text(text, width, theme.SMALL), (x, y), theme.SMALL, colour)
