"""Seeded test inputs (numpy float32) and the size grids the suite sweeps.

Every generator takes an explicit seed so a failure names a reproducible case.
"""

from __future__ import annotations

import numpy as np

# Key counts: 1 and tiny, around the 4/8-wide vector and key-block edges, large.
SIZES = (1, 3, 4, 5, 17, 127, 128, 1000, 10000)
# Widths that are not multiples of the SIMD width (4 for SSE/NEON/wasm128, 8 for AVX2), plus 128.
DIMS = (1, 3, 7, 17, 33, 127, 128)


def rand(shape, seed: int, scale: float = 1.0) -> np.ndarray:
    """Standard-normal float32 array; the f64 reference sees exactly these f32 values."""
    return (np.random.default_rng(seed).standard_normal(shape) * scale).astype(np.float32)


def rand_mask(n: int, seed: int, keep: float = 0.6) -> np.ndarray:
    """A boolean mask with at least one True (True = the key takes part)."""
    mask = np.random.default_rng(seed).random(n) < keep
    mask[np.random.default_rng(seed + 1).integers(n)] = True
    return mask


def random_csr(num_nodes: int, seed: int, max_degree: int = 9, isolated=(0,)):
    """A random directed graph as CSR (indptr, indices) int64; nodes in `isolated` have no
    neighbours. Includes self loops and repeated neighbours, which are legal."""
    rng = np.random.default_rng(seed)
    degrees = rng.integers(1, max_degree + 1, size=num_nodes)
    for i in isolated:
        if i < num_nodes:
            degrees[i] = 0
    indptr = np.zeros(num_nodes + 1, dtype=np.int64)
    indptr[1:] = np.cumsum(degrees)
    indices = rng.integers(0, num_nodes, size=int(indptr[-1])).astype(np.int64)
    return indptr, indices


def mha_with_biases(ra, dim, heads, *, value_dim=None, bias=True, seed=0):
    """A MultiHeadAttention whose biases are non-zero (the layer initialises them to 0,
    as torch does, which would leave every bias path untested)."""
    mha = ra.MultiHeadAttention(dim, heads, value_dim=value_dim, bias=bias, seed=seed)
    if bias:
        state = {k: np.asarray(v) for k, v in mha.state_dict().items()}
        state["in_proj_bias"] = rand(3 * dim, seed + 1000, scale=0.5)
        state["out_proj.bias"] = rand(dim, seed + 1001, scale=0.5)
        mha.load_state_dict(state)
    return mha
