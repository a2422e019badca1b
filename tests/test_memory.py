"""Arrays placed on cache lines at staggered offsets (nn/memory.py), and the network using them."""

import numpy as np

from nn.memory import LINE, PAGE, aligned_empty, aligned_zeros
from nn.network import Network


def test_aligned_arrays_start_on_a_cache_line_at_their_slot():
    for slot in range(6):
        for shape, dtype in [((1000,), np.float32), ((7, 13), np.float64), (5, bool)]:
            a = aligned_empty(shape, dtype, slot)
            assert a.ctypes.data % LINE == 0
            assert a.ctypes.data % PAGE == (slot * 7 * LINE) % PAGE
            assert a.dtype == np.dtype(dtype) and a.flags.c_contiguous and a.flags.writeable
            assert a.shape == ((shape,) if isinstance(shape, int) else shape)
    assert aligned_empty((0, 5), np.float32, 1).shape == (0, 5)
    z = aligned_zeros((3, 4), np.float32, 2)
    assert not z.any()
    z[...] = 1  # writes stay inside the array's own bytes
    assert z.sum() == 12


def test_network_and_adam_arrays_are_aligned_and_do_not_share_offsets():
    net = Network((32, 16), optimizer="adam")
    opt = net.optimizer
    arrays = [net.params, net.grads, opt._M, opt._V, opt._tmp]
    assert all(a.ctypes.data % LINE == 0 for a in arrays)
    assert len({a.ctypes.data % PAGE for a in arrays}) == len(arrays)
    x = np.zeros((64, 784), np.uint8)
    x[:, 300:340] = 200
    net.partial_fit(x, np.arange(64) % 10)
    assert all(np.isfinite(a).all() for a in arrays[:4])
