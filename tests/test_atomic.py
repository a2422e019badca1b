"""write_atomically: the new file appears whole or not at all, symlinks keep pointing at the file,
and a path that is not a regular file (a FIFO, a folder) is refused untouched."""

import errno
import os
import stat

import pytest

from nn.atomic import write_atomically


def _write(data):
    def write(f):
        f.write(data)
    return write


def test_writes_a_new_file_and_replaces_an_old_one(tmp_path):
    path = tmp_path / "out.bin"
    write_atomically(path, _write(b"one"))
    write_atomically(path, _write(b"two"))
    assert path.read_bytes() == b"two"
    assert os.listdir(tmp_path) == ["out.bin"]


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path):
    path = tmp_path / "out.bin"
    path.write_bytes(b"old")

    def broken(f):
        f.write(b"half")
        raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.raises(OSError, match="No space"):
        write_atomically(path, broken)
    assert path.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["out.bin"]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_fifo_is_refused_and_left_alone(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    called = []
    with pytest.raises(OSError) as info:
        write_atomically(fifo, lambda f: called.append(f))
    assert info.value.errno == errno.EINVAL and "not a regular file" in str(info.value)
    assert not called
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert os.listdir(tmp_path) == ["pipe"]


def test_a_folder_is_refused_with_the_same_error(tmp_path):
    folder = tmp_path / "folder"
    folder.mkdir()
    with pytest.raises(OSError) as info:
        write_atomically(folder, _write(b"x"))
    assert info.value.errno == errno.EINVAL
    assert folder.is_dir() and os.listdir(tmp_path) == ["folder"]


def test_a_symlink_keeps_pointing_at_its_target_which_is_replaced(tmp_path):
    (tmp_path / "real").mkdir()
    target = tmp_path / "real" / "model.npz"
    target.write_bytes(b"old")
    link = tmp_path / "link.npz"
    link.symlink_to(os.path.join("real", "model.npz"))  # relative, as `ln -s` makes them
    write_atomically(link, _write(b"new"))
    assert link.is_symlink() and os.readlink(link) == os.path.join("real", "model.npz")
    assert target.read_bytes() == b"new"
    assert sorted(os.listdir(tmp_path)) == ["link.npz", "real"]
    assert os.listdir(tmp_path / "real") == ["model.npz"]


def test_a_dangling_symlink_creates_its_target(tmp_path):
    link = tmp_path / "link"
    link.symlink_to(tmp_path / "later.bin")
    write_atomically(link, _write(b"data"))
    assert link.is_symlink() and (tmp_path / "later.bin").read_bytes() == b"data"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_symlink_to_a_fifo_is_refused(tmp_path):
    os.mkfifo(tmp_path / "pipe")
    link = tmp_path / "link"
    link.symlink_to(tmp_path / "pipe")
    with pytest.raises(OSError) as info:
        write_atomically(link, _write(b"x"))
    assert info.value.errno == errno.EINVAL
    assert link.is_symlink() and stat.S_ISFIFO(os.stat(link).st_mode)
    assert sorted(os.listdir(tmp_path)) == ["link", "pipe"]
