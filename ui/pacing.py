"""Frame pacing and frame statistics: a fixed 1/fps schedule, the time between frame starts and
the work in each frame (ui_fps.py reads both), and the fps the status bar shows."""
from __future__ import annotations

import time
from collections import deque


class FramePacer:
    """Call `begin()` at the start of each frame and `end(start)` at its end (it sleeps)."""

    def __init__(self, fps: int):
        self.fps = fps                                          # 0: no cap
        self.frame_times: deque[float] = deque(maxlen=10000)  # seconds from one frame's start to the next
        self.work_times: deque[float] = deque(maxlen=10000)   # seconds of work (events to flip) per frame
        self.frames = 0
        self._recent: deque[float] = deque(maxlen=30)          # for the fps shown in the status bar
        self._frame_start: float | None = None
        self._next_frame: float | None = None

    def begin(self) -> float:
        """A frame starts; returns its start time."""
        start = time.perf_counter()
        if self._frame_start is not None:
            self.frame_times.append(start - self._frame_start)
            self._recent.append(start - self._frame_start)
        self._frame_start = start
        return start

    def end(self, start: float) -> None:
        """A frame's work is done: record it and sleep until the next frame is due."""
        self.work_times.append(time.perf_counter() - start)
        self.frames += 1
        self._wait_for_next_frame()

    def restart(self) -> None:
        """The loop stood still (a modal dialog): no catching up on missed frames."""
        self._next_frame = None

    def fps_text(self) -> str:
        """The recent frame rate, e.g. "  60 fps" ("" before two frames)."""
        if not self._recent:
            return ""
        return f"{len(self._recent) / max(sum(self._recent), 1e-9):4.0f} fps"

    def _wait_for_next_frame(self) -> None:
        """Sleep until the next frame is due on a fixed 1/fps schedule.

        Unlike Clock.tick, which waits 1/fps after the previous call, a late frame is followed by a
        shorter wait, so frames stay on the 60 Hz grid. time.sleep releases the GIL for the trainer.
        """
        if not self.fps:
            return
        period = 1.0 / self.fps
        now = time.perf_counter()
        if self._next_frame is None or now - self._next_frame > period:
            self._next_frame = now  # far behind (a dialog, a stall): start a new schedule
        self._next_frame += period
        delay = self._next_frame - now
        if delay > 0:
            time.sleep(delay)
