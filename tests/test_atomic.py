"""write_atomically: the new file appears whole or not at all, symlinks keep pointing at the file,
and a path that is not a regular file (a FIFO, a folder) is refused untouched."""

import errno
import os
import stat
import sys
import time

import pytest

from nn.atomic import TEMP_NAME, fallback_dir, fallback_path, remove_stale_temps, write_atomically


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


@pytest.mark.parametrize("mode", [0o600, 0o640, 0o755])
def test_a_replaced_file_keeps_its_mode(tmp_path, mode):
    path = tmp_path / "model.npz"
    path.write_bytes(b"old")
    os.chmod(path, mode)
    write_atomically(path, _write(b"new"))
    assert path.read_bytes() == b"new"
    assert stat.S_IMODE(os.stat(path).st_mode) == mode


def test_a_new_file_gets_the_umask_mode(tmp_path):
    old = os.umask(0o022)
    try:
        write_atomically(tmp_path / "new.bin", _write(b"x"))
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(tmp_path / "new.bin").st_mode) == 0o644


def _age(path, seconds):
    t = time.time() - seconds
    os.utime(path, (t, t), follow_symlinks=False)


def test_stale_temps_of_killed_writers_are_removed_on_the_next_save(tmp_path):
    stale = tmp_path / ".model.npz.12345-0a1b2c3d.tmp"   # a writer killed 20 minutes ago
    fresh = tmp_path / ".model.npz.12346-deadbeef.tmp"   # a write still going on
    other = tmp_path / "notes.tmp"                       # not ours: another program's name
    lookalike = tmp_path / ".x.12345-nothex!.tmp"
    for p in (stale, fresh, other, lookalike):
        p.write_bytes(b"half")
    for p in (stale, other, lookalike):
        _age(p, 1200)
    write_atomically(tmp_path / "model.npz", _write(b"new"))
    assert sorted(os.listdir(tmp_path)) == sorted([fresh.name, other.name, lookalike.name, "model.npz"])


def test_remove_stale_temps_leaves_folders_and_symlinks_alone(tmp_path):
    (tmp_path / ".d.1-00000000.tmp").mkdir()
    victim = tmp_path / "victim"
    victim.write_bytes(b"keep")
    link = tmp_path / ".l.1-00000000.tmp"
    link.symlink_to(victim)
    _age(link, 1200)
    _age(victim, 1200)
    assert remove_stale_temps(tmp_path) == []
    assert victim.read_bytes() == b"keep" and link.is_symlink()
    assert remove_stale_temps(tmp_path / "missing") == []


def test_the_temp_name_pattern_matches_what_write_atomically_makes(tmp_path, monkeypatch):
    seen = []
    write_atomically(tmp_path / "m.npz", lambda f: seen.append(os.path.basename(f.name)))
    assert seen and TEMP_NAME.match(seen[0])


def test_fallback_dir_follows_xdg_data_home(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert fallback_dir() == tmp_path / "data" / "digit-recognizer"
    monkeypatch.setenv("XDG_DATA_HOME", "relative/ignored")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    if sys.platform.startswith("linux"):
        assert fallback_dir() == tmp_path / "home" / ".local" / "share" / "digit-recognizer"
    monkeypatch.delenv("XDG_DATA_HOME")
    assert fallback_dir().name == "digit-recognizer"


def test_fallback_path_never_overwrites_an_earlier_rescue(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    first = fallback_path("models/mine.npz")
    assert first == tmp_path / "digit-recognizer" / "mine.npz"
    first.parent.mkdir()
    first.write_bytes(b"earlier")
    second = fallback_path("mine.npz")
    assert second != first and second.suffix == ".npz" and second.name.startswith("mine-")
