"""What every benchmark section shares: per-call timing, peak extra memory, seeded
inputs, and the optional numpy / torch baselines.

Timing: each case is warmed up, then timed call by call with perf_counter_ns
(with the garbage collector off) until both a time budget and a minimum
number of calls are reached.
"""

import gc
import math
import random
import time
import tracemalloc
from array import array

from .. import _kernel

try:
    import numpy as np
except ImportError:  # the benchmark still runs; the numpy baselines are skipped
    np = None

DIM = 128


def time_calls(fn, seconds, min_calls):
    """Per-call timings of fn() -> {ops_per_s, p50_us, p95_us, calls}."""
    deadline = time.perf_counter() + seconds * 0.2
    while time.perf_counter() < deadline:  # warm caches, branch predictors, lazy imports
        fn()
    samples = []
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        clock = time.perf_counter_ns
        end = time.perf_counter() + seconds
        while len(samples) < min_calls or time.perf_counter() < end:
            t0 = clock()
            fn()
            samples.append(clock() - t0)
    finally:
        if gc_was_enabled:
            gc.enable()
    samples.sort()
    total_ns = sum(samples)
    return {
        "ops_per_s": len(samples) / (total_ns * 1e-9),
        "p50_us": samples[len(samples) // 2] / 1e3,
        "p95_us": samples[min(len(samples) - 1, math.ceil(0.95 * len(samples)) - 1)] / 1e3,
        "min_us": samples[0] / 1e3,
        "calls": len(samples),
    }


def peak_extra_bytes(fn):
    """Peak bytes allocated (Python heap, numpy buffers) during one call of fn."""
    fn()  # first-call allocations (caches, lazy imports) are not per-op costs
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        before = tracemalloc.get_traced_memory()[0]
        result = fn()
        peak = tracemalloc.get_traced_memory()[1]
        del result
    finally:
        tracemalloc.stop()
    return max(0, peak - before)


class Inputs:
    """Seeded float32 inputs as numpy arrays (or array.array without numpy)."""

    def __init__(self, seed=0):
        self.seed = seed

    def matrix(self, rows, cols, salt):
        if np is not None:
            rng = np.random.default_rng(self.seed * 1000 + salt)
            return rng.standard_normal((rows, cols), dtype=np.float32)
        rnd = random.Random(self.seed * 1000 + salt)
        flat = array("f", (rnd.gauss(0.0, 1.0) for _ in range(rows * cols)))
        return memoryview(flat).cast("B").cast("f", (rows, cols))

    def vector(self, cols, salt):
        m = self.matrix(1, cols, salt)
        return m[0] if np is not None else m.cast("B").cast("f")  # (1, D) -> (D,)


def nbytes(*arrays):
    return sum(len(memoryview(a).cast("B")) if not hasattr(a, "nbytes") else a.nbytes
               for a in arrays)


def address(a):
    """Address of an input's first float, for the raw kernel rows."""
    return a.__array_interface__["data"][0] if np is not None else _kernel.buffer_address(a)


def torch_module():
    """torch pinned to one thread, or None when it is not installed."""
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(1)
    return torch


def fmt_bytes(n):
    if n is None:
        return ""
    if n < 10_000:
        return f"{n} B"
    return f"{n / 1024:.0f} KiB"
