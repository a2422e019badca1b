"""Choosing one BLAS thread or all of them while training (nn/blas.py)."""

import threading

import numpy as np
import pytest

from nn import blas
from nn.blas import ThreadTuner
from nn.network import Network


class FakeMachine:
    """Step durations for 2 threads or 1: two threads are 1.4x faster unless `busy`."""

    def __init__(self):
        self.busy = False
        self.calls = []

    def set_threads(self, n):
        self.calls.append(n)

    def seconds(self, threads):
        if threads == 1:
            return 1.40e-3
        return 1.75e-3 if self.busy else 1.00e-3


def run(tuner, machine, steps):
    on_one = 0
    for _ in range(steps):
        on_one += tuner.threads == 1
        tuner.step(machine.seconds(tuner.threads))
    return on_one / steps


def test_an_idle_machine_keeps_all_threads_after_short_looks_at_one():
    m = FakeMachine()
    tuner = ThreadTuner(2, m.set_threads)
    share = run(tuner, m, 5000)
    assert tuner.threads == 2 and tuner.t1 == [pytest.approx(1.4e-3)] * 2
    # Only the blocks that measure one thread: two at the start, two more after RELEARN_EVERY blocks.
    assert share < 5 * (ThreadTuner.BLOCK + 1) / 5000
    assert m.calls == [2, 1, 2]  # it starts on one thread, timing it


def test_a_busy_machine_moves_to_one_thread_and_back_when_it_calms_down():
    m = FakeMachine()
    tuner = ThreadTuner(2, m.set_threads)
    run(tuner, m, 200)
    assert tuner.threads == 2
    m.busy = True
    run(tuner, m, 4 * ThreadTuner.BLOCK + 2)  # three slow blocks decide
    assert tuner.threads == 1
    share = run(tuner, m, 5000)
    assert share > 0.9  # tries of two threads now and then, each one block long
    assert tuner.threads == 1
    assert tuner.probe_every > ThreadTuner.PROBE_EVERY  # the failed tries made the next ones rarer
    m.busy = False
    run(tuner, m, (tuner.probe_every + 2) * (ThreadTuner.BLOCK + 1))  # the next try finds two fast again
    assert tuner.threads == 2 and tuner.probe_every == ThreadTuner.PROBE_EVERY
    assert run(tuner, m, 3000) <= 2 * (ThreadTuner.BLOCK + 1) / 3000  # at most a new look at one thread


def test_one_slow_block_on_an_idle_machine_does_not_switch():
    m = FakeMachine()
    tuner = ThreadTuner(2, m.set_threads)
    run(tuner, m, 300)
    m.busy = True
    run(tuner, m, ThreadTuner.BLOCK)  # one block of bad luck: the median of three stays fast
    m.busy = False
    run(tuner, m, 500)
    assert tuner.threads == 2 and m.calls == [2]  # after the first measurement, never back to one


@pytest.mark.parametrize("slowdown", [1.25, 3.0, 20.0])
def test_with_a_neighbour_on_a_core_the_tuner_costs_little_more_than_one_thread(slowdown):
    """A busy-loop neighbour makes every step on two threads wait for the shared core (20x was seen
    on an older machine). Over a long run the tuner must stay close to one thread's time."""
    m = FakeMachine()
    m.seconds = lambda threads: 1.4e-3 if threads == 1 else 1.4e-3 * slowdown
    tuner = ThreadTuner(2, m.set_threads)
    total = 0.0
    steps = 40_000  # about 85 epochs of 469 steps
    for _ in range(steps):
        seconds = m.seconds(tuner.threads)
        total += seconds
        tuner.step(seconds)
    assert total < 1.05 * steps * 1.4e-3


def test_openblas_thread_count_can_be_read_and_set():
    controls = blas.blas_controls()
    if controls is None:
        pytest.skip("NumPy's BLAS here is not an OpenBLAS whose thread count can be set")
    get, set_ = controls
    before = get()
    try:
        set_(1)
        assert get() == 1
    finally:
        set_(before)
    assert get() == before


def _blas_or_skip(monkeypatch):
    for var in blas.PIN_VARIABLES:
        monkeypatch.delenv(var, raising=False)
    controls = blas.blas_controls()
    if controls is None or controls[0]() < 2:
        pytest.skip("needs OpenBLAS with at least 2 threads")
    return controls


def _data(n=2048):
    rng = np.random.default_rng(0)
    x = (rng.random((n, 784)) * 255 * (rng.random((n, 784)) < 0.2)).astype(np.uint8)
    return x, rng.integers(0, 10, n)


def test_a_step_that_gets_cheaper_is_noticed_when_the_one_thread_speed_is_learnt_again():
    m = FakeMachine()
    tuner = ThreadTuner(2, m.set_threads)
    run(tuner, m, 300)
    assert tuner.threads == 2
    m.seconds = lambda threads: 0.6e-3 if threads == 1 else 1.0e-3  # say, a smaller batch from now on
    run(tuner, m, (ThreadTuner.RELEARN_EVERY + 8) * (ThreadTuner.BLOCK + 1))
    assert tuner.threads == 1


def test_training_tunes_and_gives_the_threads_back(monkeypatch):
    get, set_ = _blas_or_skip(monkeypatch)
    most = get()
    seen = []
    monkeypatch.setattr(ThreadTuner, "step", lambda self, s: seen.append(get()) or self._enter("one"))
    net = Network((16,), batch_size=32)
    net.partial_fit(*_data(), tune_threads=True)
    assert set(seen) == {1}  # the tuner's choice (it starts by timing one thread) was in force...
    assert get() == most  # ...and the epoch ended with every thread back
    seen.clear()
    with pytest.raises(ZeroDivisionError):  # an error inside a step gives them back too
        for i, _, _ in net.iter_batches(*_data(), tune_threads=True):
            if i == 3:
                raise ZeroDivisionError
    assert get() == most


def test_no_tuning_when_pinned_limited_busy_or_in_another_thread(monkeypatch):
    get, set_ = _blas_or_skip(monkeypatch)
    most = get()
    net = Network((16,), batch_size=32)
    assert blas.tuner_for(None, allow=True) is not None
    result = []
    worker = threading.Thread(target=lambda: result.append(blas.tuner_for(None)))
    worker.start()
    worker.join()
    assert result == [None]  # another thread could be multiplying matrices meanwhile
    waiting = threading.Event()
    other = threading.Thread(target=waiting.wait)
    other.start()
    try:
        assert blas.tuner_for(None) is None  # the same from the main thread while other threads run
        assert blas.tuner_for(None, allow=True) is not None  # unless the caller says it is alone
    finally:
        waiting.set()
        other.join()
    first = blas.tuner_for(None, allow=True)
    first.start()
    try:
        assert blas.tuner_for(None, allow=True) is None  # one tuner at a time: the count is global
    finally:
        first.stop()
    assert blas.tuner_for(first, allow=True) is first  # the caller's tuner goes on learning
    set_(1)  # a user's own limit (threadpoolctl, say) is kept
    try:
        assert blas.tuner_for(None, allow=True) is None
        net.partial_fit(*_data(), tune_threads=True)
        assert get() == 1
    finally:
        set_(most)
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "1")  # as main.py does for the window
    assert blas.tuner_for(None) is None and blas.tuner_for(None, allow=True) is None


def test_the_controls_act_on_numpys_own_openblas():
    """SciPy's wheel loads a second OpenBLAS: setting that one would change nothing for NumPy."""
    import ctypes
    from pathlib import Path

    controls = blas.blas_controls()
    own = sorted((Path(np.__file__).resolve().parent.parent / "numpy.libs").glob("*openblas*"))
    if controls is None or not own:
        pytest.skip("no OpenBLAS bundled in NumPy's wheel here")
    lib = ctypes.CDLL(str(own[0]))
    numpy_get = next(getattr(lib, n) for n in blas._GETTERS if hasattr(lib, n))
    get, set_ = controls
    before = get()
    try:
        set_(1)
        assert numpy_get() == 1
    finally:
        set_(before)


def test_a_paused_trainer_gives_the_threads_back(monkeypatch):
    import time

    from nn.training import Trainer, TrainingConfig

    get, set_ = _blas_or_skip(monkeypatch)
    most = get()
    seen = []  # the count in force at each step; the fake tuner always chooses one thread
    monkeypatch.setattr(ThreadTuner, "step", lambda self, s: seen.append(get()) or self._enter("one"))

    def wait_for(cond):
        deadline = time.monotonic() + 10
        while not cond() and time.monotonic() < deadline:
            time.sleep(0.01)
        return cond()

    x, labels = _data(4096)
    trainer = Trainer(TrainingConfig(layers=(16,), epochs=5, batch_size=32), x, labels, tune_threads=True)
    trainer.pause()  # it stops after its first batch, in the middle of the epoch
    trainer.start()
    assert wait_for(lambda: len(seen) == 1)
    time.sleep(0.2)
    assert len(seen) == 1 and get() == most  # paused: the rest of the program has every thread
    trainer.resume()
    assert wait_for(lambda: len(seen) >= 3)
    assert seen[1] == 1  # and the run goes on with the tuner's choice
    trainer.stop()
    trainer.join(timeout=10)
    assert get() == most
