"""The always-compiled scalar path agrees with the live SIMD path.

RUVECTOR_FORCE_SCALAR=1 is read when the kernel is loaded, so the scalar run
happens in a fresh subprocess; both runs compute the same cases from the same
saved inputs and the results are compared here.
"""

import json
import os
import subprocess
import sys
import textwrap

import pytest

np = pytest.importorskip("numpy")

import ruvector_attention as ra  # noqa: E402
from inputs import rand, rand_mask, random_csr  # noqa: E402
from tolerances import assert_close  # noqa: E402

# Sizes straddle the 4- and 8-wide vector widths and the key block.
CASES = [(1, 1), (3, 7), (4, 4), (5, 17), (8, 8), (17, 33), (127, 127), (128, 128), (1000, 129)]

COMPUTE = textwrap.dedent("""
    import json, sys
    import numpy as np
    import ruvector_attention as ra

    data = dict(np.load(sys.argv[1]))
    results = {"isa": ra.kernel_info()["isa"]}
    for key in sorted(k for k in data if k.startswith("q_")):
        tag = key[2:]
        q, k, v, mask, g = (data[p + tag] for p in ("q_", "k_", "v_", "m_", "g_"))
        d = q.shape[0]
        sdpa = ra.ScaledDotProductAttention(d, temperature=0.8)
        results["sdpa_out_" + tag] = sdpa.forward(q, k, v)
        results["sdpa_masked_" + tag] = sdpa.forward(q, k, v, mask=mask)
        results["sdpa_w_" + tag] = sdpa.attention_weights(q, k)
        grads = sdpa.backward(q, k, v, g)
        for name in ("query", "keys", "values"):
            results[f"sdpa_grad_{name}_" + tag] = getattr(grads, name)
        mha = ra.MultiHeadAttention(d, 1 if d % 2 else 2, seed=1)
        results["mha_out_" + tag] = mha.forward(q, k, v)
        results["mha_hw_" + tag] = mha.head_attention_weights(q, k)
        mgrads = mha.backward(q, k, v, np.resize(g, d))
        for name, grad in mgrads.params.items():
            results[f"mha_grad_{name}_" + tag] = grad
        results["mha_grad_keys_" + tag] = mgrads.keys
    x, indptr, indices = data["graph_x"], data["graph_indptr"], data["graph_indices"]
    results["sdpa_graph"] = ra.ScaledDotProductAttention(x.shape[1]).forward_graph(x, indptr, indices)
    results["mha_graph"] = ra.MultiHeadAttention(x.shape[1], 3, seed=4).forward_graph(x, indptr, indices)
    results["sdpa_batch"] = ra.ScaledDotProductAttention(x.shape[1]).forward_batch(x[:9], x, x)
    isa = results.pop("isa")
    np.savez(sys.argv[2], **{k: np.asarray(v) for k, v in results.items()})
    print(json.dumps({"isa": isa}))
""")


def _run(inputs_path, out_path, force_scalar):
    env = dict(os.environ)
    env.pop("RUVECTOR_FORCE_SCALAR", None)
    if force_scalar:
        env["RUVECTOR_FORCE_SCALAR"] = "1"
    proc = subprocess.run([sys.executable, "-c", COMPUTE, str(inputs_path), str(out_path)],
                          env=env, capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])["isa"], dict(np.load(out_path))


def test_scalar_and_simd_paths_agree(tmp_path):
    arrays = {}
    for n, d in CASES:
        tag = f"{n}x{d}"
        arrays.update({"q_" + tag: rand(d, n), "k_" + tag: rand((n, d), n + 1), "v_" + tag: rand((n, d), n + 2),
                       "m_" + tag: rand_mask(n, n + 3), "g_" + tag: rand(d, n + 4)})
    indptr, indices = random_csr(301, seed=5)
    arrays.update(graph_x=rand((301, 33), 6), graph_indptr=indptr, graph_indices=indices)
    np.savez(tmp_path / "inputs.npz", **arrays)

    scalar_isa, scalar = _run(tmp_path / "inputs.npz", tmp_path / "scalar.npz", force_scalar=True)
    simd_isa, simd = _run(tmp_path / "inputs.npz", tmp_path / "simd.npz", force_scalar=False)
    assert scalar_isa == "scalar", "RUVECTOR_FORCE_SCALAR=1 must select the scalar kernels"
    if simd_isa == "scalar":
        pytest.skip("this CPU has no SIMD path the library was built with; nothing to compare")
    assert simd_isa == ra.kernel_info()["isa"]
    assert set(scalar) == set(simd)
    for name in sorted(simd):
        mechanism = name.split("_", 1)[0]
        assert_close(simd[name], scalar[name], (mechanism, "scalar_vs_simd"), what=f"{name} ({simd_isa} vs scalar)")


def test_kernel_info_reports_live_path():
    info = ra.kernel_info()
    assert info["isa"] in info["available"]
    assert info["isa"] in ("scalar", "sse", "avx2", "neon", "wasm128")
    assert "scalar" in info["available"]


def test_every_available_isa_agrees_with_scalar_in_process():
    """Also covers ISAs that are compiled but not preferred here (SSE on an AVX2 machine),
    through _kernel.use_isa, the in-process switch."""
    from ruvector_attention import _kernel

    n, d = 1000, 37
    q, k, v, g = rand(d, 1), rand((n, d), 2), rand((n, 11), 3), rand(11, 4)
    mask = rand_mask(n, 5)

    def compute():
        sdpa = ra.ScaledDotProductAttention(d, temperature=1.3)
        mha = ra.MultiHeadAttention(d, 1, value_dim=11, seed=3)
        grads = sdpa.backward(q, k, v, g, mask=mask)
        return {"sdpa_out": sdpa.forward(q, k, v, mask=mask), "sdpa_w": sdpa.attention_weights(q, k),
                "sdpa_gq": grads.query, "sdpa_gk": grads.keys, "sdpa_gv": grads.values,
                "mha_out": mha.forward(q, k, v), "mha_hw": mha.head_attention_weights(q, k, mask=mask)}

    live = ra.kernel_info()["isa"]
    try:
        _kernel.use_isa("scalar")
        expected = compute()
        for isa in ra.kernel_info()["available"]:
            _kernel.use_isa(isa)
            assert ra.kernel_info()["isa"] == isa
            for name, value in compute().items():
                assert_close(value, expected[name], (name.split("_")[0], "scalar_vs_simd"), what=f"{name} {isa}")
    finally:
        _kernel.use_isa(live)
