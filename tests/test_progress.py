"""nn.progress: the command line's one progress bar, on a fake terminal and on a plain stream."""

from __future__ import annotations

import io

from nn import cli, download
from nn.progress import ProgressBar
from nn.training import BatchDone


class FakeTTY(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_silent_when_the_stream_is_not_a_terminal():
    stream = io.StringIO()
    bar = ProgressBar(stream)
    bar.show("working")
    bar.end_line()
    bar.clear()
    assert stream.getvalue() == ""
    bar.done("finished")  # a finished line is worth keeping in a log
    assert stream.getvalue() == "finished\n"


def test_draws_over_itself_on_a_terminal():
    stream = FakeTTY()
    bar = ProgressBar(stream)
    bar.show("a longer line")
    bar.show("short")
    assert stream.getvalue() == "\ra longer line" + "\rshort        "  # spaces wipe the old end
    bar.clear()
    assert stream.getvalue().endswith("\rshort        \r     \r")
    bar.clear()  # nothing drawn: nothing to erase
    bar.show("kept")
    bar.end_line()
    bar.end_line()
    assert stream.getvalue().endswith("\rkept\n")
    bar.done("done")
    assert stream.getvalue().endswith("\rkept\n\rdone\n")


def test_every_limits_redraws_but_a_new_line_starts_at_once():
    stream = FakeTTY()
    bar = ProgressBar(stream, "step {}".format, every=3600)
    bar.show(1)
    bar.show(2)  # within the hour: skipped
    bar.done(3)
    bar.show(4)  # first draw of a new line
    assert stream.getvalue() == "\rstep 1\rstep 3\n\rstep 4"


def test_train_line_text():
    stream = FakeTTY()
    bar = ProgressBar(stream, cli._batch_line)
    bar.show(BatchDone(epoch=2, batch=117, of=469, loss=0.12345, samples_per_s=91234.5, eta_s=75.2), 3)
    assert stream.getvalue() == ("\repoch 2/3 [#####...................] 117/469  loss 0.1235  "
                                 "91,234 samples/s  ETA 01:15")


def test_download_progress_on_a_terminal_and_in_a_log():
    for stream in (FakeTTY(), io.StringIO()):
        progress = download._Progress(stream)
        progress("a.gz", 0, 2_000_000)
        progress("a.gz", 1_000_000, 2_000_000)  # within 0.1 s of the last draw: skipped
        progress("a.gz", 2_000_000, 2_000_000)
        progress.note("mirror b failed")
        final = "a.gz" + " " * 24 + " [" + "#" * 30 + "] 100.0%  2.0/2.0 MB\n"
        if stream.isatty():
            start = "\ra.gz" + " " * 24 + " [" + "." * 30 + "]   0.0%  0.0/2.0 MB"
            assert stream.getvalue() == start + "\r" + final + "mirror b failed\n"
        else:
            assert stream.getvalue() == final + "mirror b failed\n"
