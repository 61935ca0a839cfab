"""Linear attention: Performer's FAVOR+ (Choromanski et al. 2020,
https://arxiv.org/abs/2009.14794) and the linear transformer's elu+1 map
(Katharopoulos et al. 2020, https://arxiv.org/abs/2006.16236).

    phi(x)_i = exp(w_i . x' - |x'|^2 / 2) / sqrt(M),  x' = x * sqrt(s)   (favor+)
    E[phi(q) . phi(k)] = exp(s q . k)        (an unbiased Monte-Carlo estimate)
    out(q) = sum_i phi_i(q) S_i / sum_i phi_i(q) z_i,
    S = sum_j phi(k_j) v_j^T  (M, DV),  z = sum_j phi(k_j)  (M,)   ("key summaries")

Shapes: q (D,), K (N, D), V (N, DV) -> (DV,); W (M, D) random features; B queries,
N keys, D key width, DV value width, M = num_features. Summaries cost O(N M D)
once (``prepare_keys``); each query then costs O(M (D + DV)), independent of N.

Stabilisation: each feature's key sums are kept relative to that feature's
running max of the log-features (rescaled when it grows), and a query subtracts
the max over features of log phi_i(q) + that key max. Both numerator and
denominator carry the same factors, so they cancel exactly and the largest term
is exp(0) = 1: inputs of any norm give a finite output of the right magnitude.
"""

from __future__ import annotations

import dataclasses
import enum
import math
import random
from typing import TYPE_CHECKING

from .. import _arrays, _kernel
from ..core.base import Attention, Complexity, choice, option, register, seed_option, temperature_option
from ..errors import InvalidConfigError, UnsupportedError
from ..exports import exported
from ..numerics import FEATURE_ELU, FEATURE_FAVOR, FEATURE_RELU
from ..numerics import FLOAT32_BYTES as F32
from ..validation import batch_inputs, key_value_pair, raise_for_status

if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

    from .._typing import Array, ArrayLike, MaskLike


class FeatureKernel(enum.Enum):
    FAVOR = "favor+"
    RELU = "relu"
    ELU = "elu+1"


_KIND = {"favor+": FEATURE_FAVOR, "relu": FEATURE_RELU, "elu+1": FEATURE_ELU}


@dataclasses.dataclass(frozen=True)
class LinearConfig:
    dim: int = option(128, int, low=1, doc="key / query width D")
    num_features: int = option(256, int, low=1, doc="random features M (favor+ / relu)")
    kernel: str = option(FeatureKernel.FAVOR.value, FeatureKernel,
                         doc="feature map: favor+, relu or elu+1")
    orthogonal: bool = option(True, bool, doc="orthogonal random features (lower variance)")
    seed: int = seed_option("seed of the random features")
    normalize: bool = option(False, bool, doc="scale queries and keys to unit length first")
    temperature: float = temperature_option()


def random_features(m: Any, d: Any, seed: int, *, orthogonal: bool = True) -> Any:
    """(M, D) float32 features, row-major ``array('f')``: Gaussian rows, or blocks of D
    orthonormal rows (Gram-Schmidt of Gaussian rows = Haar-distributed) each rescaled by
    the norm of an independent Gaussian D-vector, so every row has the chi_D length of a
    Gaussian row (without that correction the estimator is biased). ``seed``: int or str."""
    rng = random.Random(seed)
    W = _arrays.array("f", [rng.gauss(0.0, 1.0) for _ in range(m * d)])
    if orthogonal:
        for start in range(0, m, d):
            rows = min(d, m - start)
            ptr = W.buffer_info()[0] + start * d * F32
            rc = _kernel.K.orthonormalize(ptr, rows, d)
            raise_for_status(rc, (), "LinearAttention features")
            for r in range(start, start + rows):
                length = math.sqrt(sum(rng.gauss(0.0, 1.0) ** 2 for _ in range(d)))
                for c in range(r * d, (r + 1) * d):
                    W[c] *= length
    return W


class PreparedKeys:
    """Key summaries from ``LinearAttention.prepare_keys``: S (M, DV), z (M,), the
    per-feature max, the number of keys and the feature draw they were made with."""

    __slots__ = ("kv", "ksum", "kmax", "num_keys", "value_dim", "draw", "owner")

    def __init__(self, kv: Any, ksum: Any, kmax: Any, num_keys: Any, value_dim: int, draw: Any, owner: Any) -> None:
        self.kv, self.ksum, self.kmax = kv, ksum, kmax
        self.num_keys, self.value_dim, self.draw, self.owner = num_keys, value_dim, draw, owner


@register
class LinearAttention(Attention):
    """Linear-time attention with random features approximating softmax(q·k/√d).

    The favor+ estimate of exp(q·k/√d) is Monte-Carlo: its variance grows with
    exp(‖q‖·‖k‖/√d), so for inputs of large norm the output is finite and of the right
    magnitude but noisier; ``normalize=True`` scales queries and keys to unit length
    first (bounded variance, but then it approximates softmax(q̂·k̂/√d)). More
    features lower the error roughly like 1/√M.

    Args:
        dim: key / query width D.
        num_features: M random features (default 256; elu+1 uses the D inputs).
        kernel: ``'favor+'`` (positive random features, Performer), ``'relu'``
            (relu(w·x') + 1e-3, Performer's generalised attention) or ``'elu+1'``
            (elu(x) + 1 on the input itself, Katharopoulos et al.) (default favor+).
        orthogonal: orthogonal random features (default True).
        seed: seed of the feature draw (default 0); ``redraw_features()`` draws anew.
        normalize: unit-length queries and keys (default False).
        temperature: T > 0, approximates softmax(q·k / (√d T)) (default 1.0).

    Shapes: query (D,), keys (N, D), values (N, DV) -> (DV,).

    Example:
        >>> import ruvector_attention as ra
        >>> attn = ra.LinearAttention(4, num_features=64)
        >>> prepared = attn.prepare_keys([[1, 0, 0, 0], [0, 1, 0, 0]], [[1, 2], [3, 4]])
        >>> out = attn.forward_prepared([1, 0, 0, 0], prepared)
        >>> 1.0 < out.tolist()[0] < 3.0
        True
    """

    Config = LinearConfig
    complexity = Complexity.LINEAR

    def __init__(self, dim: int, num_features: int = 256, *, kernel: str = "favor+",
                 orthogonal: bool = True, seed: int = 0, normalize: bool = False,
                 temperature: float = 1.0) -> None:
        super().__init__(LinearConfig(dim, num_features, choice(kernel), orthogonal, seed,
                                      normalize, temperature))
        c = self._config
        self._kind = _KIND[c.kernel]
        self._m = c.dim if self._kind == FEATURE_ELU else c.num_features
        self._reserve_parameters(0 if self._kind == FEATURE_ELU else self._m * c.dim)
        self._xscale = math.sqrt(1.0 / math.sqrt(c.dim) / c.temperature)
        self._draw = 0
        self._make_features()

    def _make_features(self):
        c = self._config
        self._params.clear()
        if self._kind != FEATURE_ELU:
            seed = c.seed if self._draw == 0 else f"{c.seed}:{self._draw}"
            self._add_param("projection_matrix", (self._m, c.dim),
                            random_features(self._m, c.dim, seed, orthogonal=c.orthogonal))

    @exported(mutates=True)
    def redraw_features(self) -> Any:
        """Draw new random features (the next draw of this seed); summaries made before
        must be prepared again (using them raises an error)."""
        self._draw += 1
        self._make_features()
        return self

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        super().load_state_dict(state_dict)
        self._draw += 1  # loaded features: earlier summaries are stale

    @exported(returns="number")
    @property
    def num_features(self) -> Any:
        return self._m

    # -- key summaries ---------------------------------------------------------------
    def prepare_keys(self, keys: ArrayLike, values: ArrayLike, *, mask: MaskLike | None = None) -> Any:
        """Summaries S = Σ φ(k_j) v_jᵀ (M, DV) and z = Σ φ(k_j) (M,) of keys (N, D) and
        values (N, DV), computed once in O(N·M·D) and reused by ``forward_prepared``."""
        K, V = key_value_pair(keys, values, self._config.dim)
        m = _arrays.mask_array(mask, K.shape[0]) if mask is not None else None
        n, dv, M = K.shape[0], V.shape[1], self._m
        kv, kvp = _arrays.output((M, dv), False)
        ksum, ksp = _arrays.output((M,), False)
        kmax, kmp = _arrays.output((M,), False)
        _feat, fp = _arrays.output((M,), False)
        rc = _kernel.K.linear_prepare(K.ptr, V.ptr, m.ptr if m else None, n, self._config.dim,
                                      dv, self._ptr("projection_matrix"), M, self._kind,
                                      self._xscale, int(self._config.normalize), fp, kvp, ksp,
                                      kmp)
        raise_for_status(rc, (K, V), "LinearAttention.prepare_keys")
        return PreparedKeys(kv, ksum, kmax, n, dv, self._draw, K.numpy or V.numpy)

    @exported(mutates=True)
    def set_keys(self, keys: ArrayLike, values: ArrayLike, *, mask: MaskLike | None = None) -> None:
        """``prepare_keys`` and keep the summaries as the default of ``forward_prepared``
        (what the JS API uses: the summaries stay on the Python side)."""
        self._prepared = self.prepare_keys(keys, values, mask=mask)

    @exported(returns="vector", prepared="object")
    def forward_prepared(self, query: ArrayLike, prepared: Any = None) -> Any:
        """Query (D,) -> (DV,) or queries (B, D) -> (B, DV) from ``prepare_keys``
        (default: the keys given to ``set_keys``); O(M·(D + DV)) per query."""
        if prepared is None:
            prepared = getattr(self, "_prepared", None)
            if prepared is None:
                raise InvalidConfigError("no prepared keys: call set_keys(keys, values) first or "
                                         "pass prepare_keys(...)", field="prepared")
        Q = _arrays.f32(query, "query")
        if len(Q.shape) == 1:
            return self._query(_arrays.vector(query, "query", self._config.dim), True, prepared)
        return self._query(_arrays.matrix(query, "query", cols=self._config.dim), False, prepared)

    def _query(self, Q, single, prepared):
        if not isinstance(prepared, PreparedKeys):
            raise UnsupportedError("prepared must come from LinearAttention.prepare_keys")
        if prepared.draw != self._draw:
            raise InvalidConfigError("prepared keys were summarised with an earlier feature draw; "
                                     "call prepare_keys again", field="prepared")
        b, dv = (1 if single else Q.shape[0]), prepared.value_dim
        shape = (dv,) if single else (b, dv)
        out, optr = _arrays.output(shape, Q.numpy or prepared.owner)
        _feat, fp = _arrays.output((self._m,), False)
        rc = _kernel.K.linear_query(Q.ptr, b, self._config.dim, self._ptr("projection_matrix"),
                                    self._m, self._kind, self._xscale,
                                    int(self._config.normalize), prepared.kv.buffer_info()[0],
                                    prepared.ksum.buffer_info()[0],
                                    prepared.kmax.buffer_info()[0], dv, fp, optr)
        raise_for_status(rc, (Q,), "LinearAttention.forward_prepared")
        return _arrays.result(out, shape)

    # -- the Attention interface -----------------------------------------------------
    @exported(returns="vector")
    def forward(self, query: ArrayLike, keys: ArrayLike, values: ArrayLike, *, mask: MaskLike | None = None) -> Array:
        """prepare_keys + forward_prepared for one query (DV,); all masked -> zeros."""
        q = _arrays.vector(query, "query", self._config.dim)
        return self._query(q, True, self.prepare_keys(keys, values, mask=mask))

    @exported(returns="matrix", keys="sets", values="sets")
    def forward_batch(self, queries: ArrayLike, keys: ArrayLike, values: ArrayLike, *,
                      mask: MaskLike | None = None) -> Array:
        """Queries (B, D) over shared keys (N, D) / values (N, DV): summarised once.
        Keys (B, N, D) / values (B, N, DV): each query over its own set (mask (B, N))."""
        if len(_arrays.f32(keys, "keys").shape) == 3:
            Q, K, V, m, _ = batch_inputs(queries, keys, values, mask, self._config.dim)
            b, n, dv = Q.shape[0], K.shape[1], V.shape[2]
            out, optr = _arrays.output((b, dv), Q.numpy or K.numpy or V.numpy)
            for i in range(b):
                row = self.forward(_arrays.row(Q, i), _arrays.slab(K, i), _arrays.slab(V, i),
                                   mask=None if m is None else list(m.owner[i * n:(i + 1) * n]))
                _kernel.copy_bytes(optr + i * dv * F32, _arrays.f32(row, "row").ptr, dv * F32)
            return _arrays.result(out, (b, dv))
        Q = _arrays.matrix(queries, "queries", cols=self._config.dim)
        return self._query(Q, False, self.prepare_keys(keys, values, mask=mask))

    @exported(returns="vector")
    def attention_weights(self, query: ArrayLike, keys: ArrayLike, *, mask: MaskLike | None = None) -> Array:
        """The implied weights (N,): φ(q)·φ(k_j) / Σ_l φ(q)·φ(k_l), one O(N·M·D) pass
        (favor+ in log space, so no weight underflows); masked keys 0, all masked -> zeros."""
        q = _arrays.vector(query, "query", self._config.dim)
        K = _arrays.matrix(keys, "keys", cols=self._config.dim)
        n = K.shape[0]
        m = _arrays.mask_array(mask, n) if mask is not None else None
        out, optr = _arrays.output((n,), q.numpy or K.numpy)
        _qf, qfp = _arrays.output((self._m,), False)
        _kf, kfp = _arrays.output((self._m,), False)
        rc = _kernel.K.linear_weights(q.ptr, K.ptr, m.ptr if m else None, n, self._config.dim,
                                      self._ptr("projection_matrix"), self._m, self._kind,
                                      self._xscale, int(self._config.normalize), qfp, kfp, optr)
        raise_for_status(rc, (q, K), "LinearAttention.attention_weights")
        return _arrays.result(out, (n,))
