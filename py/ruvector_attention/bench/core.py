"""Single-query section of the benchmark: SDPA at n = 100, 1000, 10000 keys and
multi-head (h = 4, 8) at n = 1000, d = 128, float32, one core.

Each case: ops/s, p50 and p95 of single calls, for ruvector (the public Python API),
the raw kernel call (no Python wrapper), numpy float32 and torch CPU when importable
(pinned to one thread, see cli.py). Beside them the physical bound: one SIMD pass that
only sums K and V (the kernel's ``stream_sum``); attention cannot be faster than
reading its inputs once. Peak extra memory per op: tracemalloc's peak during one call
minus what was allocated before it (the kernel allocates nothing).
"""

import math
from array import array

import ruvector_attention as ra

from .. import _kernel
from .harness import DIM, address, fmt_bytes, nbytes, np, peak_extra_bytes, time_calls, torch_module

SDPA_SIZES = (100, 1000, 10000)
MHA_HEADS = (4, 8)
MHA_KEYS = 1000


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


def _row(case, impl, timing, **extra):
    row = {"case": case, "impl": impl}
    row.update(timing)
    row.update(extra)
    return row


def bench_sdpa(n, inputs, seconds, min_calls, torch):
    q, K, V = inputs.vector(DIM, 1), inputs.matrix(n, DIM, 2), inputs.matrix(n, DIM, 3)
    input_bytes = nbytes(q, K, V)
    case = f"sdpa n={n}"
    rows = []

    # The bound: one vector-load pass over K and V (stored back to back, one call).
    kv = inputs.matrix(2 * n, DIM, 4)
    kv_ptr, total = address(kv), 2 * n * DIM
    sink_buffer = array("f", [0.0])  # the sum lands here; kept alive for the calls
    sink = sink_buffer.buffer_info()[0]
    rows.append(_row(case, "stream K,V (bound)",
                     time_calls(lambda: _kernel.K.stream_sum(kv_ptr, total, sink), seconds, min_calls)))
    bound_us = rows[-1]["p50_us"]

    attn = ra.ScaledDotProductAttention(DIM)
    t = time_calls(lambda: attn.forward(q, K, V), seconds, min_calls)
    rows.append(_row(case, "ruvector", t, peak_extra_bytes=peak_extra_bytes(lambda: attn.forward(q, K, V)),
                     input_bytes=input_bytes))

    out = inputs.vector(DIM, 5)
    qp, kp, vp, op = address(q), address(K), address(V), address(out)
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
    kernel_us = next(r["p50_us"] for r in rows if r["impl"] == "kernel only")
    for r in rows:
        r["x_bound"] = r["p50_us"] / bound_us
        r["x_kernel"] = r["p50_us"] / kernel_us  # the wrapper's own cost per call
    del sink_buffer
    return rows


def bench_mha(heads, inputs, seconds, min_calls, torch, sdpa_p50_us):
    n = MHA_KEYS
    q, K, V = inputs.vector(DIM, 11), inputs.matrix(n, DIM, 12), inputs.matrix(n, DIM, 13)
    input_bytes = nbytes(q, K, V)
    case = f"mha h={heads} n={n}"
    mha = ra.MultiHeadAttention(DIM, heads, seed=0)
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


def run(inputs, *, quick, seconds):
    """Rows {case, impl, ops_per_s, p50_us, ...} for every SDPA size, then every MHA head
    count, all on one thread (the setting is restored afterwards)."""
    min_calls = 20 if quick else 200
    torch = torch_module()
    previous = ra.get_num_threads()
    ra.set_num_threads(1)  # single-query rows are one core; scaling sets its own
    try:
        rows = []
        for n in SDPA_SIZES:
            rows += bench_sdpa(n, inputs, seconds, min_calls, torch)
        sdpa_1000 = next(r["p50_us"] for r in rows if r["case"] == "sdpa n=1000" and r["impl"] == "ruvector")
        for heads in MHA_HEADS:
            rows += bench_mha(heads, inputs, seconds, min_calls, torch, sdpa_1000)
    finally:
        ra.set_num_threads(previous)
    return rows


def format_section(rows):
    """Plain-text table of ``run()``'s rows."""
    lines = [
        "",
        f"{'case':<16} {'implementation':<20} {'ops/s':>10} {'p50 us':>9} {'p95 us':>9} "
        f"{'x bound':>8} {'x kernel':>8} {'extra mem':>10} {'/ input':>8}",
    ]
    last_case = None
    for r in rows:
        case = r["case"] if r["case"] != last_case else ""
        last_case = r["case"]
        mem = r.get("peak_extra_bytes")
        ratio = f"{mem / r['input_bytes']:.3f}" if mem is not None else ""
        bound = f"{r['x_bound']:.2f}" if "x_bound" in r else (
            f"{r['x_sdpa']:.2f}xSDPA" if "x_sdpa" in r else "")
        kernel = f"{r['x_kernel']:.2f}" if "x_kernel" in r else ""
        lines.append(f"{case:<16} {r['impl']:<20} {r['ops_per_s']:>10.0f} {r['p50_us']:>9.1f} "
                     f"{r['p95_us']:>9.1f} {bound:>8} {kernel:>8} {fmt_bytes(mem):>10} {ratio:>8}")
    lines += ["", "x bound = p50 / p50 of streaming K and V once; x kernel = p50 / p50 of the "
              "raw kernel call; extra mem = tracemalloc peak per call"]
    return "\n".join(lines)
