"""One BLAS thread or all of them, chosen while training by timing both.

Two BLAS threads make a training step about 1.4x faster than one on an idle 2-core machine. When
another program keeps one of the cores busy, the second thread falls behind and every matrix
product waits for it: on the project's shared machines a 784-256-128-10 epoch then took 0.80 s
with two threads and 0.69 s with one (one thread hardly notices the neighbour), and our notes
from an earlier machine saw 1.5 s grow to 20 s. So the training loop times its steps and switches
to one thread while two are slower, trying two again now and then.

NumPy has no call for the BLAS thread count; `blas_controls()` finds OpenBLAS's own setter in the
library NumPy loaded (the same call threadpoolctl makes). Where it cannot be found (another BLAS,
another platform) training keeps whatever NumPy does. A thread count the user pinned with
OPENBLAS_NUM_THREADS / OMP_NUM_THREADS (the window pins 1) is left alone.
"""

from __future__ import annotations

import ctypes
import os
import statistics
import threading
import weakref
from pathlib import Path
from typing import Callable

_SETTERS = ("scipy_openblas_set_num_threads64_", "scipy_openblas_set_num_threads", "openblas_set_num_threads64_",
            "openblas_set_num_threads")
_GETTERS = ("scipy_openblas_get_num_threads64_", "scipy_openblas_get_num_threads", "openblas_get_num_threads64_",
            "openblas_get_num_threads")
PIN_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS")

_controls: tuple[Callable[[], int], Callable[[int], None]] | None | bool = False  # False: not looked up yet
_lock = threading.Lock()
_active: "weakref.WeakSet[ThreadTuner]" = weakref.WeakSet()  # tuners between start() and stop()


def _candidate_libraries() -> list[str]:
    """Paths of the OpenBLAS libraries NumPy may be using: the one bundled in NumPy's wheel first
    (SciPy's wheel brings a copy of its own, whose thread count would change nothing here), then
    any other loaded library whose name says OpenBLAS (Linux, from /proc/self/maps)."""
    found: list[str] = []
    try:
        import numpy

        here = Path(numpy.__file__).resolve().parent
        for folder in (here.parent / "numpy.libs", here / ".dylibs"):  # Linux/Windows wheels, macOS wheels
            if folder.is_dir():
                found += sorted(str(p) for p in folder.iterdir() if "openblas" in p.name.lower())
    except Exception:  # noqa: BLE001 - a lookup that fails only turns the tuning off
        pass
    try:
        with open("/proc/self/maps") as maps:
            found += [line.split()[-1] for line in maps if "openblas" in line.lower() and "/" in line]
    except OSError:
        pass
    return list(dict.fromkeys(found))


def blas_controls() -> tuple[Callable[[], int], Callable[[int], None]] | None:
    """(get, set) for OpenBLAS's thread count in this process, or None when they cannot be found."""
    global _controls
    with _lock:
        if _controls is False:
            _controls = None
            import numpy  # noqa: F401 - its BLAS must be loaded before we look for it

            for path in _candidate_libraries():
                try:
                    lib = ctypes.CDLL(path)
                except OSError:
                    continue
                getter = next((getattr(lib, n) for n in _GETTERS if hasattr(lib, n)), None)
                setter = next((getattr(lib, n) for n in _SETTERS if hasattr(lib, n)), None)
                if getter is None or setter is None:
                    continue
                getter.restype, getter.argtypes = ctypes.c_int, []
                setter.restype, setter.argtypes = None, [ctypes.c_int]  # cblas.h: void ..._set_num_threads64_(int)
                _controls = (lambda g=getter: int(g()), lambda n, s=setter: s(int(n)))
                break
        return _controls


def pinned() -> bool:
    """True when the user (or main.py, for the window) fixed the BLAS thread count."""
    return any(os.environ.get(v, "").strip() for v in PIN_VARIABLES)


class ThreadTuner:
    """Times training steps in blocks and runs the BLAS on `most` threads or on 1, whichever is faster.

    It first times two blocks on 1 thread (t1, which barely changes with the machine's load), then
    runs on `most`. It goes back to 1 thread when the median of the last three blocks on `most` is
    5 % slower than t1, or at once, mid-block, when the block so far has cost GIVE_UP whole blocks
    on one thread (a neighbour has taken a core, and every product waits for the thread that shares
    it). On 1 thread it tries `most` again after PROBE_EVERY blocks and gives the try up mid-block
    as soon as it can no longer beat t1 by 5 %; each failed try doubles the wait, up to PROBE_MAX
    blocks. So a try costs about one block (two when even its first step is slow), and tries grow rare while the machine stays busy: the
    worst case stays close to one thread's. t1 is learnt again every RELEARN_EVERY blocks on `most`.
    The first step after a switch is left out of the block (threads wake up). The training loop
    reports each step's own duration, so what it does between steps does not count.
    """

    BLOCK = 16  # steps per timed block
    PROBE_EVERY = 16  # blocks on 1 thread before the first try of `most`; doubled after each failed try
    PROBE_MAX = 256  # at most ~9 epochs of a 469-step epoch on one thread between tries
    RELEARN_EVERY = 256  # blocks on `most` after which t1 is measured again (~0.5 % of the steps)
    MARGIN = 0.05
    GIVE_UP = 2.0

    def __init__(self, most: int, set_threads: Callable[[int], None]):
        self.most = most
        self._set_threads = set_threads
        self.state, self.threads = "learn", 1  # learn (1 thread, timing t1), most, one, probe (most, trying)
        self.t1: list[float] = []  # recent 1-thread seconds per step
        self.probe_every = self.PROBE_EVERY
        self.steps_on = {most: 0, 1: 0}
        self.key: tuple = ()
        self._enter("learn")

    def start(self) -> None:
        """Call before an epoch's first step (and after a pause): puts the chosen count in place."""
        _active.add(self)
        self._set_threads(self.threads)
        self._skip = True

    def stop(self) -> None:
        """Call when training stops or pauses: the rest of the program gets all threads back."""
        _active.discard(self)
        self._set_threads(self.most)

    def _enter(self, state: str) -> None:
        self.state = state
        threads = 1 if state in ("learn", "one") else self.most
        if threads != self.threads:
            self.threads = threads
            self._set_threads(threads)
        self._blocks = self._steps = 0
        self._elapsed = 0.0  # seconds of this block's counted steps
        self._recent: list[float] = []  # per-step seconds of the last blocks on `most`
        self._skip = True

    def _fail_probe(self) -> None:
        self.probe_every = min(2 * self.probe_every, self.PROBE_MAX)
        self._enter("one")

    def step(self, seconds: float) -> None:
        """Report one training step and how long it took."""
        self.steps_on[self.threads] += 1
        if self.state in ("most", "probe"):
            block_t1 = statistics.median(self.t1) * self.BLOCK
            # The first step after a switch (threads waking up) is left out here as in the blocks.
            if self.state == "probe" and self._elapsed + seconds * (not self._skip) > (1 - self.MARGIN) * block_t1:
                return self._fail_probe()  # this try can no longer beat one thread
            if self.state == "most" and self._elapsed + seconds * (not self._skip) > self.GIVE_UP * block_t1:
                return self._enter("one")  # far slower than one thread: do not finish the block
        if self._skip:
            self._skip = False
            return
        self._elapsed += seconds
        self._steps += 1
        if self._steps >= self.BLOCK:
            per_step = self._elapsed / self._steps
            self._steps, self._elapsed = 0, 0.0
            self._blocks += 1
            self._block_done(per_step)

    def _block_done(self, per_step: float) -> None:
        if self.state == "learn":
            self.t1.append(per_step)
            if len(self.t1) >= 2:
                self._enter("most")
        elif self.state == "one":
            self.t1 = (self.t1 + [per_step])[-3:]
            if self._blocks >= self.probe_every:
                self._enter("probe")
        elif self.state == "probe":
            if per_step > (1 - self.MARGIN) * statistics.median(self.t1):
                self._fail_probe()  # trying `most` again did not pay
            else:
                self.probe_every = self.PROBE_EVERY
                self._enter("most")
        else:
            self._recent = (self._recent + [per_step])[-3:]
            if self._blocks >= self.RELEARN_EVERY:
                self.t1 = []
                self._enter("learn")  # a step's cost can change (a smaller batch, another network)
            elif len(self._recent) == 3 and statistics.median(self._recent) > (1 + self.MARGIN) * statistics.median(
                    self.t1):
                self._enter("one")  # `most` threads have become slower than one


def tuner_for(tuner: ThreadTuner | None, allow: bool | None = None, key: tuple = ()) -> ThreadTuner | None:
    """The tuner for the next epoch: `tuner` (the caller's from its last epoch) or a new one; None
    when tuning is off: the BLAS controls are missing, the thread count is pinned or below 2 (a
    user's threadpool limit included), another tuner is in the middle of an epoch, or, unless
    `allow`, other Python threads exist (changing the count while another thread multiplies
    matrices is not safe). `key` (e.g. the batch size) starts a new tuner when it changes, since
    the step times it learnt no longer apply."""
    if allow is False or pinned():
        return None
    if allow is None and (threading.current_thread() is not threading.main_thread() or threading.active_count() > 1):
        return None
    controls = blas_controls()
    if controls is None:
        return None
    get, set_ = controls
    most = get()
    if most < 2 or any(t is not tuner for t in _active):
        return None
    if tuner is None or tuner.most != most or tuner.key != key:
        tuner = ThreadTuner(most, set_)
        tuner.key = key
    return tuner
