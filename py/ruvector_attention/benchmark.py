"""The project's benchmark: single-query attention speed and memory, the physical
bound, and thread scaling (DESIGN.md section 8; `python -m ruvector_attention benchmark`).

What is measured, all in one run on the same inputs (d = 128, float32):

* SDPA at n = 100, 1000, 10000 keys and multi-head (h = 4, 8) at n = 1000:
  ops/s, p50 and p95 of single calls, for ruvector (the public Python API),
  the raw kernel call (no Python wrapper), numpy float32 and torch CPU when
  importable. numpy and torch are pinned to one thread (see cli.py), so
  every row is one core.
* The physical bound: one SIMD pass that only sums K and V (the kernel's
  ``stream_sum``); attention cannot be faster than reading its inputs once.
* Peak extra memory per op: tracemalloc's peak during one call minus what
  was allocated before it (Python-side allocations; the kernel allocates nothing).
* forward_batch / forward_graph on 1 thread vs 2 threads (fastest call of
  alternating rounds), beside a calibration (two threads doing independent
  kernel work) and the process's CPU time per wall second: on a shared machine
  these say whether a second core was free.

Timing: each case is warmed up, then timed call by call with perf_counter_ns
(with the garbage collector off) until both a time budget and a minimum
number of calls are reached.
"""

from __future__ import annotations

import gc
import math
import os
import platform
import time
import tracemalloc

from . import __version__, _kernel
from ._parallel import get_num_threads, set_num_threads
from .core.mha import MultiHeadAttention
from .core.sdpa import ScaledDotProductAttention

try:
    import numpy as np
except ImportError:  # the benchmark still runs; the numpy baseline is skipped
    np = None

DIM = 128
SDPA_SIZES = (100, 1000, 10000)
MHA_HEADS = (4, 8)
MHA_KEYS = 1000
F32 = 4


# ------------------------------------------------------------------------ timing

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


# ------------------------------------------------------------------------ inputs

class Inputs:
    """Seeded float32 inputs as numpy arrays (or array.array without numpy)."""

    def __init__(self, seed=0):
        self.seed = seed

    def matrix(self, rows, cols, salt):
        if np is not None:
            rng = np.random.default_rng(self.seed * 1000 + salt)
            return rng.standard_normal((rows, cols), dtype=np.float32)
        import random
        from array import array
        rnd = random.Random(self.seed * 1000 + salt)
        flat = array("f", (rnd.gauss(0.0, 1.0) for _ in range(rows * cols)))
        return memoryview(flat).cast("B").cast("f", (rows, cols))

    def vector(self, cols, salt):
        m = self.matrix(1, cols, salt)
        return m[0] if np is not None else m.cast("B").cast("f")  # (1, D) -> (D,)


def _nbytes(*arrays):
    return sum(len(memoryview(a).cast("B")) if not hasattr(a, "nbytes") else a.nbytes
               for a in arrays)


def _address(a):
    return a.__array_interface__["data"][0] if np is not None else _kernel.buffer_address(a)


# ------------------------------------------------------------------ baselines

def numpy_sdpa(q, K, V, scale):
    s = (K @ q) * scale  # (N,)
    s -= s.max()
    e = np.exp(s)
    return (e @ V) / e.sum()


def numpy_mha(params, heads, q, K, V):
    """torch nn.MultiheadAttention semantics written as a numpy user would: project
    every key and value (O(N D^2)), then per-head softmax."""
    w_q, w_k, w_v = np.split(params["in_proj_weight"], 3)
    b_q, b_k, b_v = np.split(params["in_proj_bias"], 3)
    d = q.shape[0]
    hd = d // heads
    qp = (w_q @ q + b_q).reshape(heads, hd)  # (H,HD)
    kp = (K @ w_k.T + b_k).reshape(-1, heads, hd)  # (N,H,HD)
    vp = (V @ w_v.T + b_v).reshape(-1, heads, hd)  # (N,H,HD)
    s = np.einsum("nhd,hd->hn", kp, qp) / np.float32(math.sqrt(hd))  # (H,N)
    s -= s.max(axis=1, keepdims=True)
    e = np.exp(s)
    e /= e.sum(axis=1, keepdims=True)
    o = np.einsum("hn,nhd->hd", e, vp).reshape(-1)  # (D,)
    return params["out_proj.weight"] @ o + params["out_proj.bias"]


def _torch():
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(1)
    return torch


# ------------------------------------------------------------------------ cases

def _row(case, impl, timing, **extra):
    row = {"case": case, "impl": impl}
    row.update(timing)
    row.update(extra)
    return row


def bench_sdpa(n, inputs, seconds, min_calls, torch):
    q, K, V = inputs.vector(DIM, 1), inputs.matrix(n, DIM, 2), inputs.matrix(n, DIM, 3)
    input_bytes = _nbytes(q, K, V)
    case = f"sdpa n={n}"
    rows = []

    # The bound: one vector-load pass over K and V (stored back to back, one call).
    kv = inputs.matrix(2 * n, DIM, 4)
    kv_ptr, total = _address(kv), 2 * n * DIM
    sink_buffer, sink = _float_out()  # the sum lands here; kept alive for the calls
    rows.append(_row(case, "stream K,V (bound)",
                     time_calls(lambda: _kernel.K.stream_sum(kv_ptr, total, sink), seconds, min_calls)))
    bound_us = rows[-1]["p50_us"]

    attn = ScaledDotProductAttention(DIM)
    t = time_calls(lambda: attn.forward(q, K, V), seconds, min_calls)
    rows.append(_row(case, "ruvector", t, peak_extra_bytes=peak_extra_bytes(lambda: attn.forward(q, K, V)),
                     input_bytes=input_bytes))

    out = inputs.vector(DIM, 5)
    qp, kp, vp, op = _address(q), _address(K), _address(V), _address(out)
    scale = 1.0 / math.sqrt(DIM)
    rows.append(_row(case, "kernel only", time_calls(
        lambda: _kernel.K.attend(qp, kp, vp, None, n, DIM, DIM, scale, 0.0, 0, op, None),
        seconds, min_calls)))

    if np is not None:
        s32 = np.float32(scale)
        rows.append(_row(case, "numpy f32", time_calls(lambda: numpy_sdpa(q, K, V, s32), seconds, min_calls),
                         peak_extra_bytes=peak_extra_bytes(lambda: numpy_sdpa(q, K, V, s32)),
                         input_bytes=input_bytes))
    if torch is not None and np is not None:
        tq, tK, tV = (torch.from_numpy(x) for x in (q[None, None], K[None], V[None]))
        sdpa = torch.nn.functional.scaled_dot_product_attention

        def run_torch():
            with torch.no_grad():
                return sdpa(tq, tK, tV)
        rows.append(_row(case, "torch", time_calls(run_torch, seconds, min_calls)))
    for r in rows:
        r["x_bound"] = r["p50_us"] / bound_us
    del sink_buffer
    return rows


def bench_mha(heads, inputs, seconds, min_calls, torch, sdpa_p50_us):
    n = MHA_KEYS
    q, K, V = inputs.vector(DIM, 11), inputs.matrix(n, DIM, 12), inputs.matrix(n, DIM, 13)
    input_bytes = _nbytes(q, K, V)
    case = f"mha h={heads} n={n}"
    mha = MultiHeadAttention(DIM, heads, seed=0)
    rows = []
    t = time_calls(lambda: mha.forward(q, K, V), seconds, min_calls)
    rows.append(_row(case, "ruvector", t, peak_extra_bytes=peak_extra_bytes(lambda: mha.forward(q, K, V)),
                     input_bytes=input_bytes, x_sdpa=t["p50_us"] / sdpa_p50_us))
    if np is not None:
        params = {k: np.asarray(v) for k, v in mha.state_dict().items()}
        rows.append(_row(case, "numpy f32", time_calls(lambda: numpy_mha(params, heads, q, K, V), seconds,
                                                       min_calls),
                         peak_extra_bytes=peak_extra_bytes(lambda: numpy_mha(params, heads, q, K, V)),
                         input_bytes=input_bytes))
        if torch is not None:
            m = torch.nn.MultiheadAttention(DIM, heads, batch_first=True).eval()
            m.load_state_dict({k: torch.from_numpy(v) for k, v in params.items()})
            tq, tK, tV = (torch.from_numpy(x) for x in (q[None, None], K[None], V[None]))

            def run_torch():
                with torch.no_grad():
                    return m(tq, tK, tV, need_weights=False)
            rows.append(_row(case, "torch", time_calls(run_torch, seconds, min_calls)))
    return rows


def _float_out():
    from array import array
    buf = array("f", [0.0])
    return buf, buf.buffer_info()[0]


# ------------------------------------------------------------------------ driver

def run(*, quick=False, seconds=None):
    """Run every case; returns a JSON-ready dict."""
    load_at_start = _load_average()
    seconds = seconds if seconds is not None else (0.05 if quick else 0.5)
    min_calls = 20 if quick else 200
    torch = _torch()
    inputs = Inputs(seed=0)
    previous = get_num_threads()
    set_num_threads(1)  # single-query rows are one core; scaling sets its own
    try:
        single = []
        sizes = SDPA_SIZES
        for n in sizes:
            single += bench_sdpa(n, inputs, seconds, min_calls, torch)
        sdpa_1000 = next(r["p50_us"] for r in single if r["case"] == "sdpa n=1000" and r["impl"] == "ruvector")
        for heads in MHA_HEADS:
            single += bench_mha(heads, inputs, seconds, min_calls, torch, sdpa_1000)
    finally:
        set_num_threads(previous)
    from . import bench_threads  # imports DIM from here
    scaling = bench_threads.run(inputs, time_calls, _address, quick=quick, seconds=seconds)
    meta = _meta(torch, quick, seconds)
    meta["load_average_at_start"] = load_at_start
    from .sparse import bench as sparse_bench  # issue 6: scalability of the sparse mechanisms
    sparse = sparse_bench.run(inputs, time_calls, peak_extra_bytes, quick=quick, seconds=seconds)
    from .graph import bench as graph_bench  # issue 7: graph-aware mechanisms next to SDPA
    graph = graph_bench.run(inputs, time_calls, quick=quick, seconds=seconds)
    from .geometric import bench as geometric_bench  # issue 5: hyperbolic / edge-featured vs SDPA
    geometric = geometric_bench.run(inputs, time_calls, quick=quick, seconds=seconds)
    return {"meta": meta, "single_query": single, "threads": scaling, "sparse_scaling": sparse,
            "graph": graph, "geometric": geometric}


def _load_average():
    """1-minute load average (None where the OS has none): other work on the machine
    shows up here, and thread scaling is meaningless when the cores are busy."""
    try:
        return os.getloadavg()[0]
    except (AttributeError, OSError):
        return None


def _meta(torch, quick, seconds):
    info = _kernel.kernel_info()
    return {
        "version": __version__, "kernel_isa": info["isa"], "kernel_available": info["available"],
        "dim": DIM, "cpus": os.cpu_count(), "machine": platform.machine(),
        "python": platform.python_version(),
        "numpy": getattr(np, "__version__", None), "torch": getattr(torch, "__version__", None),
        "blas_threads_env": {k: os.environ.get(k) for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                                                              "MKL_NUM_THREADS")},
        "quick": quick, "seconds_per_case": seconds,
    }


def format_table(result):
    """A readable plain-text report of ``run()``'s result."""
    m = result["meta"]
    lines = [
        f"ruvector-attention {m['version']} benchmark: kernel {m['kernel_isa']}, {m['cpus']} CPUs "
        f"({m['machine']}), python {m['python']}, numpy {m['numpy'] or '-'}, torch {m['torch'] or '-'}",
        f"single query, d = {m['dim']}, float32, one core (numpy/torch pinned to 1 thread)",
    ]
    load = m.get("load_average_at_start")
    if load is not None and m["cpus"] and load > 0.5:
        lines.append(f"WARNING: load average {load:.2f} at start: other work shares the CPUs, "
                     "timings and thread scaling are pessimistic")
    lines += [
        "",
        f"{'case':<16} {'implementation':<20} {'ops/s':>10} {'p50 us':>9} {'p95 us':>9} "
        f"{'x bound':>8} {'extra mem':>10} {'/ input':>8}",
    ]
    last_case = None
    for r in result["single_query"]:
        case = r["case"] if r["case"] != last_case else ""
        last_case = r["case"]
        mem = r.get("peak_extra_bytes")
        ratio = f"{mem / r['input_bytes']:.3f}" if mem is not None else ""
        bound = f"{r['x_bound']:.2f}" if "x_bound" in r else (
            f"{r['x_sdpa']:.2f}xSDPA" if "x_sdpa" in r else "")
        lines.append(f"{case:<16} {r['impl']:<20} {r['ops_per_s']:>10.0f} {r['p50_us']:>9.1f} "
                     f"{r['p95_us']:>9.1f} {bound:>8} {_bytes(mem):>10} {ratio:>8}")
    lines += ["", "x bound = p50 / p50 of streaming K and V once; extra mem = tracemalloc peak per call",
              "", f"{'threads (fastest call)':<42} {'1 thread ms':>12} {'2 threads ms':>13} {'speedup':>8} "
              f"{'cores busy':>11}"]
    for r in result["threads"]:
        lines.append(f"{r['case']:<42} {r['t1_ms']:>12.2f} {r['t2_ms']:>13.2f} {r['speedup']:>7.2f}x "
                     f"{r['cores_busy_2_threads']:>11.2f}")
    lines.append("cores busy = process CPU time / wall time with 2 threads (2.00 = both ran at once)")
    if "sparse_scaling" in result:  # issue 6
        from .sparse import bench as sparse_bench
        lines.append(sparse_bench.format_section(result["sparse_scaling"], _bytes))
    if "graph" in result:  # issue 7
        from .graph import bench as graph_bench
        lines.append(graph_bench.format_section(result["graph"]))
    if "geometric" in result:  # issue 5
        from .geometric import bench as geometric_bench
        lines.append(geometric_bench.format_section(result["geometric"]))
    return "\n".join(lines)


def _bytes(n):
    if n is None:
        return ""
    if n < 10_000:
        return f"{n} B"
    return f"{n / 1024:.0f} KiB"
