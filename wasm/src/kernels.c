/*
 * The attention kernels, written once against simd.h and compiled once per ISA
 * (the build defines RV_ISA_<NAME> and RV_ISA_SUFFIX=<name>).
 *
 * Shapes: N keys, D key width, DV value width, H queries / heads.
 * Softmax discipline (ggml / flash-attention style online softmax): keys are
 * scored RV_KEY_BLOCK at a time; the running max M, sum S and output
 * accumulator are rescaled by exp(M_old - M_new) when the max grows; a query
 * with no live key (S == 0) gives zeros, never NaN.
 */
#include "simd.h"

#include <stddef.h>

#define RV_CAT_(a, b) a##_##b
#define RV_CAT(a, b) RV_CAT_(a, b)
#define RV_FN(name) RV_CAT(rv_##name, RV_ISA_SUFFIX)

#define RV_INF __builtin_inff()
#define RV_ISFINITE(x) __builtin_isfinite(x)

/* ---------------------------------------------------------------- vector helpers */

static inline float dot(const float *a, const float *b, int64_t n) {
  rv_v s0 = rv_zero(), s1 = rv_zero();
  int64_t i = 0;
  for (; i + 2 * RV_W <= n; i += 2 * RV_W) {
    s0 = rv_fma(rv_load(a + i), rv_load(b + i), s0);
    s1 = rv_fma(rv_load(a + i + RV_W), rv_load(b + i + RV_W), s1);
  }
  for (; i + RV_W <= n; i += RV_W) s0 = rv_fma(rv_load(a + i), rv_load(b + i), s0);
  float s = rv_hsum(rv_add(s0, s1));
  for (; i < n; i++) s += a[i] * b[i];
  return s;
}

/* Four dot products sharing the loads of q. */
static inline void dot4(const float *q, const float *const *k, int64_t n, float *out) {
  rv_v s0 = rv_zero(), s1 = rv_zero(), s2 = rv_zero(), s3 = rv_zero();
  int64_t i = 0;
  for (; i + RV_W <= n; i += RV_W) {
    rv_v x = rv_load(q + i);
    s0 = rv_fma(x, rv_load(k[0] + i), s0);
    s1 = rv_fma(x, rv_load(k[1] + i), s1);
    s2 = rv_fma(x, rv_load(k[2] + i), s2);
    s3 = rv_fma(x, rv_load(k[3] + i), s3);
  }
  out[0] = rv_hsum(s0);
  out[1] = rv_hsum(s1);
  out[2] = rv_hsum(s2);
  out[3] = rv_hsum(s3);
  for (; i < n; i++) {
    out[0] += q[i] * k[0][i];
    out[1] += q[i] * k[1][i];
    out[2] += q[i] * k[2][i];
    out[3] += q[i] * k[3][i];
  }
}

/* Eight dot products sharing the loads of q: eight independent FMA chains hide
 * the FMA latency (one chain per key would stall on it). */
static inline void dot8(const float *q, const float *const *k, int64_t n, float *out) {
  rv_v s[8];
  for (int j = 0; j < 8; j++) s[j] = rv_zero();
  int64_t i = 0;
  for (; i + RV_W <= n; i += RV_W) {
    rv_v x = rv_load(q + i);
    for (int j = 0; j < 8; j++) s[j] = rv_fma(x, rv_load(k[j] + i), s[j]);
  }
  rv_hsum8(s, out);
  if (i < n)
    for (int j = 0; j < 8; j++)
      for (int64_t t = i; t < n; t++) out[j] += q[t] * k[j][t];
}

/* y += a * x */
static inline void axpy(float *y, const float *x, float a, int64_t n) {
  rv_v va = rv_set1(a);
  int64_t i = 0;
  for (; i + RV_W <= n; i += RV_W) rv_store(y + i, rv_fma(va, rv_load(x + i), rv_load(y + i)));
  for (; i < n; i++) y[i] += a * x[i];
}

static inline void scale_vec(float *y, float a, int64_t n) {
  rv_v va = rv_set1(a);
  int64_t i = 0;
  for (; i + RV_W <= n; i += RV_W) rv_store(y + i, rv_mul(va, rv_load(y + i)));
  for (; i < n; i++) y[i] *= a;
}

static inline void zero_vec(float *y, int64_t n) {
  for (int64_t i = 0; i < n; i++) y[i] = 0.0f;
}

static inline float exp1(float x) {
  float t[RV_W];
  rv_store(t, rv_exp(rv_set1(x)));
  return t[0];
}

static inline int all_finite(const float *x, int64_t n) {
  for (int64_t i = 0; i < n; i++)
    if (!RV_ISFINITE(x[i])) return 0;
  return 1;
}

/* Dropout decision for key position `pos`: splitmix64 of (seed, pos), 24 bits. */
static inline int dropout_keep(uint64_t seed, int64_t pos, float p) {
  uint64_t z = seed + (uint64_t)(pos + 1) * 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  z ^= z >> 31;
  return (float)(z >> 40) * (1.0f / 16777216.0f) >= p;
}

/* ---------------------------------------------------------------- online softmax */

typedef struct {
  float m, s;    /* running max and sum of exp(score - m) */
  float *acc;    /* (DV) running sum of exp(score - m) * v */
  float *scores; /* optional (N): raw scores by position, -inf where masked */
} softmax_state;

typedef struct {
  int count;
  const float *k[RV_KEY_BLOCK];
  const float *v[RV_KEY_BLOCK];
  int64_t pos[RV_KEY_BLOCK];
} key_block;

static inline void state_init(softmax_state *st, float *acc, float *scores, int64_t dv) {
  st->m = -RV_INF;
  st->s = 0.0f;
  st->acc = acc;
  st->scores = scores;
  zero_vec(acc, dv);
}

/* Fold one block of keys into the state of one query. */
static int block_step(softmax_state *st, const float *q, const key_block *blk, int64_t d,
                      int64_t dv, float scale, float drop_p, uint64_t drop_seed) {
  float sc[RV_KEY_BLOCK], p[RV_KEY_BLOCK];
  const int b = blk->count;
  if (b < 1) return RV_OK;
  int j = 0;
  if (RV_DOT8)
    for (; j + 8 <= b; j += 8) dot8(q, blk->k + j, d, sc + j);
  for (; j + 4 <= b; j += 4) dot4(q, blk->k + j, d, sc + j);
  for (; j < b; j++) sc[j] = dot(q, blk->k[j], d);
  for (; j < RV_KEY_BLOCK; j++) sc[j] = sc[0]; /* pad a partial block: neutral for max / min */

  /* scale, block max and min in vector form; -inf / +inf / NaN scores are errors
   * (a NaN that slips past max / min makes the sum NaN, checked at the end) */
  const rv_v vscale = rv_set1(scale);
  rv_v vmax = rv_set1(-RV_INF), vmin = rv_set1(RV_INF);
  for (j = 0; j < RV_KEY_BLOCK; j += RV_W) {
    rv_v x = rv_mul(rv_load(sc + j), vscale);
    rv_store(sc + j, x);
    vmax = rv_max(vmax, x);
    vmin = rv_min(vmin, x);
  }
  const float bm = rv_hmax(vmax);
  if (!(rv_hmin(vmin) > -RV_INF) || !(bm < RV_INF)) return RV_E_NONFINITE;
  if (st->scores)
    for (j = 0; j < b; j++) st->scores[blk->pos[j]] = sc[j];
  if (bm > st->m) {
    if (st->s > 0.0f) {
      float c = exp1(st->m - bm);
      st->s *= c;
      scale_vec(st->acc, c, dv);
    }
    st->m = bm;
  }
  const rv_v vm = rv_set1(st->m);
  for (j = 0; j < RV_KEY_BLOCK; j += RV_W) rv_store(p + j, rv_exp(rv_sub(rv_load(sc + j), vm)));
  /* padding lanes become exact zeros before the sum: subtracting them afterwards
   * cancels up to 31 copies of a weight and costs ~1e-6 relative for small n */
  for (j = b; j < RV_KEY_BLOCK; j++) p[j] = 0.0f;
  rv_v vsum = rv_zero();
  for (j = 0; j < RV_KEY_BLOCK; j += RV_W) vsum = rv_add(vsum, rv_load(p + j));
  st->s += rv_hsum(vsum);
  if (drop_p > 0.0f)
    for (j = 0; j < b; j++)
      p[j] = dropout_keep(drop_seed, blk->pos[j], drop_p) ? p[j] / (1.0f - drop_p) : 0.0f;

  /* acc += sum_j p_j v_j; eight vectors of acc stay in registers across the block
   * (eight independent FMA chains), then single vectors, then a scalar tail */
  int64_t c = 0;
  for (; c + 8 * RV_W <= dv; c += 8 * RV_W) {
    rv_v a[8];
    for (int t = 0; t < 8; t++) a[t] = rv_load(st->acc + c + t * RV_W);
    for (j = 0; j < b; j++) {
      const rv_v pj = rv_set1(p[j]);
      const float *v = blk->v[j] + c;
      for (int t = 0; t < 8; t++) a[t] = rv_fma(pj, rv_load(v + t * RV_W), a[t]);
    }
    for (int t = 0; t < 8; t++) rv_store(st->acc + c + t * RV_W, a[t]);
  }
  for (; c + RV_W <= dv; c += RV_W) {
    rv_v a = rv_load(st->acc + c);
    for (j = 0; j < b; j++) a = rv_fma(rv_set1(p[j]), rv_load(blk->v[j] + c), a);
    rv_store(st->acc + c, a);
  }
  for (; c < dv; c++)
    for (j = 0; j < b; j++) st->acc[c] += p[j] * blk->v[j][c];
  return RV_OK;
}

/* Normalise: acc /= S; scores -> weights. S == 0 means no live key: zeros. */
static int state_finish(softmax_state *st, int64_t dv, int64_t n) {
  if (st->s == 0.0f) {
    zero_vec(st->acc, dv);
    if (st->scores) zero_vec(st->scores, n);
    return RV_OK;
  }
  if (!RV_ISFINITE(st->s)) return RV_E_NONFINITE;
  const float inv = 1.0f / st->s;
  scale_vec(st->acc, inv, dv);
  if (!all_finite(st->acc, dv)) return RV_E_NONFINITE;
  if (st->scores) {
    for (int64_t i = 0; i < n; i++)
      st->scores[i] = st->scores[i] == -RV_INF ? 0.0f : exp1(st->scores[i] - st->m) * inv;
  }
  return RV_OK;
}

/* Gather the next block of live keys starting at *i; masked positions get -inf scores. */
static inline void next_block(key_block *blk, int64_t *i, int64_t n, const float *K,
                              const float *V, const int64_t *idx, const uint8_t *mask,
                              int64_t d, int64_t dv, float *const *scores, int64_t nscores) {
  blk->count = 0;
  if (!mask) { /* the common case: the next RV_KEY_BLOCK rows, no per-key branch */
    const int64_t b = n - *i < RV_KEY_BLOCK ? n - *i : RV_KEY_BLOCK;
    for (int64_t j = 0; j < b; j++) {
      const int64_t r = idx ? idx[*i + j] : *i + j;
      blk->k[j] = K + r * d;
      blk->v[j] = V + r * dv;
      blk->pos[j] = *i + j;
    }
    blk->count = (int)b;
    *i += b;
    return;
  }
  for (; *i < n && blk->count < RV_KEY_BLOCK; (*i)++) {
    if (mask && !mask[*i]) {
      for (int64_t h = 0; h < nscores; h++)
        if (scores[h]) scores[h][*i] = -RV_INF;
      continue;
    }
    const int64_t r = idx ? idx[*i] : *i;
    blk->k[blk->count] = K + r * d;
    blk->v[blk->count] = V + r * dv;
    blk->pos[blk->count] = *i;
    blk->count++;
  }
}

/* h queries (h <= RV_MAX_HEADS) over the same keys: each key block is read once. */
static int attend_group(const float *Q, int64_t h, const float *K, const float *V,
                        const int64_t *idx, const uint8_t *mask, int64_t n, int64_t d,
                        int64_t dv, float scale, float drop_p, uint64_t drop_seed, float *out,
                        float *weights, softmax_state *st) {
  float *scores[RV_MAX_HEADS];
  for (int64_t j = 0; j < h; j++) {
    scores[j] = weights ? weights + j * n : NULL;
    state_init(&st[j], out + j * dv, scores[j], dv);
  }
  key_block blk;
  int64_t i = 0;
  while (i < n) {
    next_block(&blk, &i, n, K, V, idx, mask, d, dv, scores, h);
    if (!blk.count) break;
    for (int64_t j = 0; j < h; j++) {
      int rc = block_step(&st[j], Q + j * d, &blk, d, dv, scale, drop_p, drop_seed);
      if (rc) return rc;
    }
  }
  for (int64_t j = 0; j < h; j++) {
    int rc = state_finish(&st[j], dv, n);
    if (rc) return rc;
  }
  return RV_OK;
}

static int attend_multi_impl(const float *Q, int64_t h, const float *K, const float *V,
                             const int64_t *idx, const uint8_t *mask, int64_t n, int64_t d,
                             int64_t dv, float scale, float *out, float *weights) {
  softmax_state st[RV_MAX_HEADS];
  for (int64_t g = 0; g < h; g += RV_MAX_HEADS) {
    const int64_t hg = h - g < RV_MAX_HEADS ? h - g : RV_MAX_HEADS;
    int rc = attend_group(Q + g * d, hg, K, V, idx, mask, n, d, dv, scale, 0.0f, 0, out + g * dv,
                          weights ? weights + g * n : NULL, st);
    if (rc) return rc;
  }
  return RV_OK;
}

static int bad_sizes(int64_t n, int64_t d, int64_t dv) { return n < 0 || d <= 0 || dv <= 0; }

/* ---------------------------------------------------------------- exported: attention */

int RV_FN(attend)(const float *q, const float *K, const float *V, const uint8_t *mask, int64_t n,
                  int64_t d, int64_t dv, float scale, float drop_p, uint64_t drop_seed, float *out,
                  float *weights) {
  if (bad_sizes(n, d, dv) || !q || !out || (n && (!K || !V)) || !(drop_p >= 0.0f && drop_p < 1.0f))
    return RV_E_ARG;
  softmax_state st;
  return attend_group(q, 1, K, V, NULL, mask, n, d, dv, scale, drop_p, drop_seed, out, weights,
                      &st);
}

int RV_FN(attend_multi)(const float *Q, int64_t h, const float *K, const float *V,
                        const uint8_t *mask, int64_t n, int64_t d, int64_t dv, float scale,
                        float *out, float *weights) {
  if (bad_sizes(n, d, dv) || h < 1 || !Q || !out || (n && (!K || !V))) return RV_E_ARG;
  return attend_multi_impl(Q, h, K, V, NULL, mask, n, d, dv, scale, out, weights);
}

int RV_FN(attend_batch)(const float *Q, const float *K, const float *V, const uint8_t *mask,
                        int64_t b, int64_t n, int64_t d, int64_t dv, float scale, float *out) {
  if (bad_sizes(n, d, dv) || b < 0 || (b && (!Q || !out)) || (b && n && (!K || !V)))
    return RV_E_ARG;
  softmax_state st;
  for (int64_t i = 0; i < b; i++) {
    int rc = attend_group(Q + i * d, 1, K + i * n * d, V + i * n * dv, NULL,
                          mask ? mask + i * n : NULL, n, d, dv, scale, 0.0f, 0, out + i * dv, NULL,
                          &st);
    if (rc) return rc;
  }
  return RV_OK;
}

/* Check CSR rows [begin, end): offsets non-decreasing, neighbour ids in [0, num_nodes). */
static int check_csr(const int64_t *indptr, const int64_t *indices, int64_t num_nodes,
                     int64_t begin, int64_t end) {
  if (!indptr || begin < 0 || end > num_nodes || begin > end) return RV_E_ARG;
  if (indptr[0] != 0) return RV_E_ARG;
  const int64_t nnz = indptr[num_nodes];
  for (int64_t i = begin; i < end; i++) {
    if (indptr[i] < 0 || indptr[i + 1] < indptr[i] || indptr[i + 1] > nnz) return RV_E_ARG;
    for (int64_t e = indptr[i]; e < indptr[i + 1]; e++)
      if (indices[e] < 0 || indices[e] >= num_nodes) return RV_E_INDEX;
  }
  return RV_OK;
}

int RV_FN(attend_graph)(const float *X, const float *V, const int64_t *indptr,
                        const int64_t *indices, int64_t num_nodes, int64_t d, int64_t dv,
                        float scale, int64_t row_begin, int64_t row_end, float *out) {
  if (bad_sizes(num_nodes, d, dv) || (num_nodes && (!X || !V || !out))) return RV_E_ARG;
  int rc = check_csr(indptr, indices, num_nodes, row_begin, row_end);
  if (rc) return rc;
  softmax_state st;
  for (int64_t i = row_begin; i < row_end; i++) {
    rc = attend_group(X + i * d, 1, X, V, indices + indptr[i], NULL, indptr[i + 1] - indptr[i], d,
                      dv, scale, 0.0f, 0, out + i * dv, NULL, &st);
    if (rc) return rc;
  }
  return RV_OK;
}

/* ---------------------------------------------------------------- exported: backward */

/* With a_j = softmax weight, m_j = dropout factor, o = sum_j a_j m_j v_j, g = dL/do:
 *   dL/dv_j = a_j m_j g;  ds_j = a_j (m_j g.v_j - g.o);
 *   dL/dq = scale sum_j ds_j k_j;  dL/dk_j = scale ds_j q. */
int RV_FN(attend_backward)(const float *q, const float *K, const float *V, const uint8_t *mask,
                           int64_t n, int64_t d, int64_t dv, float scale, float drop_p,
                           uint64_t drop_seed, const float *grad_out, float *grad_q,
                           float *grad_K, float *grad_V, float *work) {
  if (bad_sizes(n, d, dv) || !q || !grad_out || !grad_q || !work || !(drop_p >= 0.0f && drop_p < 1.0f) ||
      (n && (!K || !V || !grad_K || !grad_V)))
    return RV_E_ARG;
  softmax_state st;
  int rc = attend_group(q, 1, K, V, NULL, mask, n, d, dv, scale, drop_p, drop_seed, work, NULL, &st);
  if (rc) return rc;
  if (st.s == 0.0f) return RV_OK; /* no live key: the output is constant zero */
  const float inv = 1.0f / st.s;
  const float g_dot_o = dot(grad_out, work, dv);
  for (int64_t i = 0; i < n; i++) {
    if (mask && !mask[i]) continue;
    const float *k = K + i * d, *v = V + i * dv;
    const float a = exp1(scale * dot(q, k, d) - st.m) * inv;
    float keep = 1.0f;
    if (drop_p > 0.0f) keep = dropout_keep(drop_seed, i, drop_p) ? 1.0f / (1.0f - drop_p) : 0.0f;
    axpy(grad_V + i * dv, grad_out, a * keep, dv);
    const float ds = a * (keep * dot(grad_out, v, dv) - g_dot_o);
    axpy(grad_q, k, scale * ds, d);
    axpy(grad_K + i * d, q, scale * ds, d);
  }
  return all_finite(grad_q, d) ? RV_OK : RV_E_NONFINITE;
}

/* ---------------------------------------------------------------- exported: linear algebra */

int RV_FN(linear)(const float *X, const float *W, const float *b, float *Y, int64_t m, int64_t k,
                  int64_t n, int accumulate) {
  if (m < 0 || k <= 0 || n < 0 || (m && n && (!X || !W || !Y))) return RV_E_ARG;
  for (int64_t i = 0; i < m; i++) {
    const float *x = X + i * k;
    float *y = Y + i * n;
    int64_t j = 0;
    for (; j + 4 <= n; j += 4) {
      const float *rows[4] = {W + j * k, W + (j + 1) * k, W + (j + 2) * k, W + (j + 3) * k};
      float s[4];
      dot4(x, rows, k, s);
      for (int t = 0; t < 4; t++) y[j + t] = (accumulate ? y[j + t] : 0.0f) + s[t] + (b ? b[j + t] : 0.0f);
    }
    for (; j < n; j++) y[j] = (accumulate ? y[j] : 0.0f) + dot(x, W + j * k, k) + (b ? b[j] : 0.0f);
  }
  return RV_OK;
}

int RV_FN(matmul)(const float *X, const float *W, float *Y, int64_t m, int64_t n, int64_t k,
                  int accumulate) {
  if (m < 0 || n < 0 || k <= 0 || (m && (!X || !Y)) || (n && !W)) return RV_E_ARG;
  for (int64_t i = 0; i < m; i++) {
    float *y = Y + i * k;
    if (!accumulate) zero_vec(y, k);
    for (int64_t j = 0; j < n; j++) axpy(y, W + j * k, X[i * n + j], k);
  }
  return RV_OK;
}

int RV_FN(matmul_tn)(const float *G, const float *X, float *Y, int64_t m, int64_t n, int64_t k,
                     int accumulate) {
  if (m < 0 || n < 0 || k <= 0 || (n && !Y) || (m && n && (!G || !X))) return RV_E_ARG;
  if (!accumulate) zero_vec(Y, n * k);
  for (int64_t i = 0; i < m; i++)
    for (int64_t j = 0; j < n; j++) axpy(Y + j * k, X + i * k, G[i * n + j], k);
  return RV_OK;
}

/* ---------------------------------------------------------------- exported: multi-head */

/* Reassociated single-query multi-head attention (see ruvector.h); O(H N D + D^2). */
static int mha_impl(const float *q, const float *K, const float *V, const int64_t *idx,
                    const uint8_t *mask, int64_t n, int64_t d, int64_t dv, int64_t h,
                    const float *Wq, const float *bq, const float *Wk, const float *Wv,
                    const float *bv, const float *Wo, const float *bo, float *scratch, float *out,
                    float *weights) {
  const int64_t hd = d / h;
  float *qp = scratch, *U = qp + d, *S = U + h * d, *cat = S + h * dv;
  int64_t live = 0;
  for (int64_t i = 0; i < n && !live; i++) live = !mask || mask[i];
  if (!live) { /* documented convention: a fully masked query gives zeros */
    zero_vec(out, d);
    zero_vec(cat, d);
    if (weights) zero_vec(weights, h * n);
    return RV_OK;
  }
  RV_FN(linear)(q, Wq, bq, qp, 1, d, d, 0);
  for (int64_t hh = 0; hh < h; hh++) {
    float *u = U + hh * d;
    zero_vec(u, d);
    for (int64_t r = 0; r < hd; r++) axpy(u, Wk + (hh * hd + r) * d, qp[hh * hd + r], d);
  }
  const float scale = (float)(1.0 / __builtin_sqrt((double)hd));
  int rc = attend_multi_impl(U, h, K, V, idx, mask, n, d, dv, scale, S, weights);
  if (rc) return rc;
  for (int64_t hh = 0; hh < h; hh++)
    for (int64_t r = 0; r < hd; r++) {
      const int64_t row = hh * hd + r;
      cat[row] = dot(Wv + row * dv, S + hh * dv, dv) + (bv ? bv[row] : 0.0f);
    }
  RV_FN(linear)(cat, Wo, bo, out, 1, d, d, 0);
  return all_finite(out, d) ? RV_OK : RV_E_NONFINITE;
}

static int mha_bad_args(int64_t n, int64_t d, int64_t dv, int64_t h, const float *Wq,
                        const float *Wk, const float *Wv, const float *Wo, const float *scratch) {
  return bad_sizes(n, d, dv) || h < 1 || h > RV_MAX_HEADS || d % h || !Wq || !Wk || !Wv || !Wo ||
         !scratch;
}

int RV_FN(mha_forward)(const float *q, const float *K, const float *V, const uint8_t *mask,
                       int64_t n, int64_t d, int64_t dv, int64_t h, const float *Wq,
                       const float *bq, const float *Wk, const float *Wv, const float *bv,
                       const float *Wo, const float *bo, float *scratch, float *out,
                       float *weights) {
  if (mha_bad_args(n, d, dv, h, Wq, Wk, Wv, Wo, scratch) || !q || !out || (n && (!K || !V)))
    return RV_E_ARG;
  return mha_impl(q, K, V, NULL, mask, n, d, dv, h, Wq, bq, Wk, Wv, bv, Wo, bo, scratch, out,
                  weights);
}

int RV_FN(mha_graph)(const float *X, const float *V, const int64_t *indptr, const int64_t *indices,
                     int64_t num_nodes, int64_t d, int64_t dv, int64_t h, const float *Wq,
                     const float *bq, const float *Wk, const float *Wv, const float *bv,
                     const float *Wo, const float *bo, int64_t row_begin, int64_t row_end,
                     float *scratch, float *out) {
  if (mha_bad_args(num_nodes, d, dv, h, Wq, Wk, Wv, Wo, scratch) ||
      (num_nodes && (!X || !V || !out)))
    return RV_E_ARG;
  int rc = check_csr(indptr, indices, num_nodes, row_begin, row_end);
  if (rc) return rc;
  for (int64_t i = row_begin; i < row_end; i++) {
    rc = mha_impl(X + i * d, X, V, indices + indptr[i], NULL, indptr[i + 1] - indptr[i], d, dv, h,
                  Wq, bq, Wk, Wv, bv, Wo, bo, scratch, out + i * d, NULL);
    if (rc) return rc;
  }
  return RV_OK;
}

/* ---------------------------------------------------------------- exported: utilities */

int64_t RV_FN(find_nonfinite)(const float *x, int64_t n) {
  if (!x) return -1;
  for (int64_t i = 0; i < n; i++)
    if (!RV_ISFINITE(x[i])) return i;
  return -1;
}

int RV_FN(stream_sum)(const float *x, int64_t n, float *out) {
  if (n < 0 || !out || (n && !x)) return RV_E_ARG;
  rv_v s0 = rv_zero(), s1 = rv_zero(), s2 = rv_zero(), s3 = rv_zero();
  int64_t i = 0;
  for (; i + 4 * RV_W <= n; i += 4 * RV_W) {
    s0 = rv_add(s0, rv_load(x + i));
    s1 = rv_add(s1, rv_load(x + i + RV_W));
    s2 = rv_add(s2, rv_load(x + i + 2 * RV_W));
    s3 = rv_add(s3, rv_load(x + i + 3 * RV_W));
  }
  float s = rv_hsum(rv_add(rv_add(s0, s1), rv_add(s2, s3)));
  for (; i < n; i++) s += x[i];
  *out = s;
  return RV_OK;
}
