"""nn/files.py: regular files only, and file names that keep a message on one line."""

import os

import pytest

from nn.files import file_problem, shown


def test_regular_files_pass_and_everything_else_is_named(tmp_path):
    f = tmp_path / "a.csv"
    f.write_text("x")
    assert file_problem(f) is None
    assert "does not exist" in file_problem(tmp_path / "missing.csv")
    assert "is a folder" in file_problem(tmp_path, "training set")
    loop = tmp_path / "loop"
    os.symlink(loop, loop)
    assert "loop of symbolic links" in file_problem(loop)
    dangling = tmp_path / "dangling"
    os.symlink(tmp_path / "nowhere", dangling)
    assert "link to nothing" in file_problem(dangling)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_fifo_is_refused_without_opening_it(tmp_path):
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    assert "not a regular file" in file_problem(fifo, "training set")  # would block in open()


def test_a_newline_in_a_name_stays_on_one_line():
    assert "\n" not in shown("bad\nname.png") and "\\n" in shown("bad\nname.png")
    assert shown("plain.png") == "plain.png"
