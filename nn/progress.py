"""One progress bar for the command line: a line that redraws itself on a terminal, silent elsewhere.

`python main.py train` shows batches with it and `python main.py download` the files it fetches; each
passes a function that turns its `show(...)` arguments into the line's text.
"""

from __future__ import annotations

import time
from collections.abc import Callable


class ProgressBar:
    """A self-overwriting line on a terminal `stream`; on anything else (a pipe, a log file) nothing.

    `text(*args)` gives the line for `show(*args)` and `done(*args)`. With `every` > 0, show() draws at
    most once per `every` seconds, though always the first time after a line ends, so a new bar starts
    at once and updates arriving faster than anyone can read cost nothing.
    """

    def __init__(self, stream, text: Callable[..., str] = str, every: float = 0.0):
        self.stream, self.text, self.every = stream, text, every
        self.tty = hasattr(stream, "isatty") and stream.isatty()
        self.width = 0  # characters now on the bar's line; 0 when none is drawn
        self.last = None  # time of the latest draw, None when a line has ended since

    def show(self, *args) -> None:
        """Redraw the line as `text(*args)` (terminal only)."""
        if not self.tty:
            return
        now = time.monotonic()
        if self.last is not None and now - self.last < self.every:
            return
        self.last = now
        self._draw(self.text(*args))

    def done(self, *args) -> None:
        """Finish the line as `text(*args)` and keep it: on a terminal over the bar, elsewhere as a log line."""
        if self.tty:
            self._draw(self.text(*args))
        else:
            self.stream.write(self.text(*args))
        self._end("\n")

    def end_line(self) -> None:
        """Leave a drawn bar as it stands, so what is printed next starts on the line below."""
        if self.width:
            self._end("\n")

    def clear(self) -> None:
        """Erase a drawn bar and put the cursor back at the start of its line."""
        if self.width:
            self._end("\r" + " " * self.width + "\r")

    def _draw(self, line: str) -> None:
        self.stream.write("\r" + line.ljust(self.width))  # spaces wipe the end of a longer previous line
        self.stream.flush()
        self.width = len(line)

    def _end(self, ending: str) -> None:
        self.stream.write(ending)
        self.stream.flush()
        self.width, self.last = 0, None
