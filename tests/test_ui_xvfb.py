"""The real program in a real X window: `python main.py` on a private Xvfb display, driven with
xdotool (draw, train and stop with keys, quit), must exit 0 within a few seconds and autosave the
weights it trained. Skipped when Xvfb or xdotool is missing (CI installs both: apt-get install
xvfb xdotool)."""
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.skipif(
    shutil.which("Xvfb") is None or shutil.which("xdotool") is None,
    reason="needs Xvfb and xdotool for a real window (apt-get install xvfb xdotool)")


def _display_free(n: int) -> bool:
    return not (Path(f"/tmp/.X{n}-lock").exists() or Path(f"/tmp/.X11-unix/X{n}").exists())


@pytest.fixture
def display():
    """A private Xvfb display with a number no one else uses; stopped afterwards."""
    start = 200 + os.getpid() % 500
    for n in range(start, start + 40):
        if not _display_free(n):
            continue
        proc = subprocess.Popen(["Xvfb", f":{n}", "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        end = time.monotonic() + 5
        while time.monotonic() < end and proc.poll() is None and not Path(f"/tmp/.X11-unix/X{n}").exists():
            time.sleep(0.05)
        if proc.poll() is None and Path(f"/tmp/.X11-unix/X{n}").exists():
            try:
                yield f":{n}"
            finally:
                proc.terminate()
                try:
                    proc.wait(5)
                except subprocess.TimeoutExpired:
                    proc.kill()
            return
        proc.kill()
        proc.wait()
    pytest.skip("no free X display number for Xvfb")


def _write_csv(path: Path, n: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, n)
    x = (rng.random((n, 784)) < 0.15) * rng.integers(0, 256, (n, 784))
    np.savetxt(path, np.column_stack([labels, x]), fmt="%d", delimiter=",",
               header="label," + ",".join(f"{i // 28 + 1}x{i % 28 + 1}" for i in range(784)), comments="")


def _xdo(env, *args, timeout=10.0, check=True) -> str:
    out = subprocess.run(["xdotool", *map(str, args)], env=env, capture_output=True, text=True, timeout=timeout)
    if check and out.returncode != 0:
        raise AssertionError(f"xdotool {' '.join(map(str, args))} failed: {out.stderr.strip()}")
    return out.stdout


def test_real_window_draw_train_stop_quit(display, tmp_path):
    home = tmp_path / "home"
    (home / "MNIST").mkdir(parents=True)
    (home / "models").mkdir()
    _write_csv(home / "MNIST" / "mnist_train.csv", 3000, 0)
    _write_csv(home / "MNIST" / "mnist_test.csv", 300, 1)
    env = dict(os.environ, DISPLAY=display, DIGIT_RECOGNIZER_HOME=str(home),
               DIGITS_CACHE_DIR=str(tmp_path / "cache"), SDL_AUDIODRIVER="dummy")
    env.pop("SDL_VIDEODRIVER", None)  # a real X11 window
    log = open(tmp_path / "app.log", "w+")
    app = subprocess.Popen([sys.executable, "main.py"], cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        wid = _xdo(env, "search", "--sync", "--pid", app.pid, timeout=30).split()[0]
        _xdo(env, "windowfocus", wid, check=False)  # no window manager: may be refused, the pointer gives focus
        time.sleep(1.5)  # the small CSVs load in the background meanwhile
        # draw a 1 and a 7 on the pad (top left of the window) with the left button
        _xdo(env, "mousemove", "--window", wid, 200, 140, "mousedown", 1)
        for y in range(140, 400, 20):
            _xdo(env, "mousemove", "--window", wid, 200, y)
        _xdo(env, "mouseup", 1)
        _xdo(env, "mousemove", "--window", wid, 120, 130, "mousedown", 1, "mousemove", "--window", wid, 300, 130,
             "mousemove", "--window", wid, 180, 400, "mouseup", 1)
        _xdo(env, "key", "space")        # train
        time.sleep(1.0)
        _xdo(env, "key", "space")        # pause
        time.sleep(0.3)
        _xdo(env, "key", "space")        # resume
        time.sleep(0.3)
        _xdo(env, "key", "Escape")       # stop
        time.sleep(0.5)
        _xdo(env, "key", "F1")           # help overlay and away again
        _xdo(env, "key", "Escape")
        assert app.poll() is None, "the program ended before it was asked to"
        _xdo(env, "key", "ctrl+q")       # close the window
        t = time.monotonic()
        code = app.wait(timeout=10)
        took = time.monotonic() - t
    finally:
        if app.poll() is None:
            app.kill()
            app.wait()
        log.seek(0)
        output = log.read()
        log.close()
    assert code == 0, output
    assert took < 5, f"the program took {took:.1f} s to exit"
    assert "Traceback" not in output, output
    autosaved = list((home / "models").glob("autosave-*.npz"))
    assert autosaved, f"training did not run or was not autosaved on quit:\n{output}"
