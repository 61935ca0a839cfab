/*
 * The online softmax shared by every attention kernel (ggml / flash-attention
 * style): keys are scored RV_KEY_BLOCK at a time; the running max M, sum S and
 * output accumulator are rescaled by exp(M_old - M_new) when the max grows; a
 * query with no live key (S == 0) gives zeros, never NaN.
 *
 * attend_group() runs up to RV_MAX_HEADS queries over one key set (optionally
 * gathered through idx and masked); mechanisms with other scores use
 * next_block() / state_init() / state_finish() around their own block step.
 */
#ifndef RV_SOFTMAX_H
#define RV_SOFTMAX_H

#include "vec.h"

typedef struct {
  float m, s;    /* running max and sum of exp(score - m) */
  float *acc;    /* (DV) running sum of exp(score - m) * v */
  float *scores; /* optional (N): raw scores by position, -inf where masked */
  const float *bias; /* optional (N): added to the scores by position (a float mask) */
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
  st->bias = NULL;
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

  float add[RV_KEY_BLOCK]; /* torch SDPA's float attn_mask: scale * q.k + bias_j (padded) */
  for (j = 0; j < RV_KEY_BLOCK; j++) add[j] = st->bias ? st->bias[blk->pos[j < b ? j : 0]] : 0.0f;

  /* scale, block max and min in vector form; -inf / +inf / NaN scores are errors
   * (a NaN that slips past max / min makes the sum NaN, checked at the end) */
  const rv_v vscale = rv_set1(scale);
  rv_v vmax = rv_set1(-RV_INF), vmin = rv_set1(RV_INF);
  for (j = 0; j < RV_KEY_BLOCK; j += RV_W) {
    rv_v x = rv_add(rv_mul(rv_load(sc + j), vscale), rv_load(add + j));
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

/* h queries (h <= RV_MAX_HEADS) over the same keys: each key block is read once;
 * bias (optional, N) is added to every query's scores. */
static int attend_group(const float *Q, int64_t h, const float *K, const float *V,
                        const int64_t *idx, const uint8_t *mask, const float *bias, int64_t n,
                        int64_t d, int64_t dv, float scale, float drop_p, uint64_t drop_seed,
                        float *out, float *weights, softmax_state *st) {
  float *scores[RV_MAX_HEADS];
  for (int64_t j = 0; j < h; j++) {
    scores[j] = weights ? weights + j * n : NULL;
    state_init(&st[j], out + j * dv, scores[j], dv);
    st[j].bias = bias;
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
                             const int64_t *idx, const uint8_t *mask, const float *bias,
                             int64_t n, int64_t d, int64_t dv, float scale, float *out,
                             float *weights) {
  softmax_state st[RV_MAX_HEADS];
  for (int64_t g = 0; g < h; g += RV_MAX_HEADS) {
    const int64_t hg = h - g < RV_MAX_HEADS ? h - g : RV_MAX_HEADS;
    int rc = attend_group(Q + g * d, hg, K, V, idx, mask, bias, n, d, dv, scale, 0.0f, 0,
                               out + g * dv, weights ? weights + g * n : NULL, st);
    if (rc) return rc;
  }
  return RV_OK;
}

/* Sizes every attention kernel shares: N >= 0 keys (or nodes), D >= 1, DV >= 1. */
static inline int bad_sizes(int64_t n, int64_t d, int64_t dv) { return n < 0 || d <= 0 || dv <= 0; }

/* The one CSR check, shared by every CSR kernel and by rv_csr_check: a graph of num_rows
 * rows whose indices array holds nnz ids of num_src sources. Rows [begin, end) may be one
 * thread's share: the bounds come from the whole array (indptr[0] == 0, indptr[num_rows] ==
 * nnz), never from the slice's own end. Every offset of the slice must not decrease and
 * stay in [0, nnz] before any index is read, then every id must lie in [0, num_src). */
static int check_csr(const int64_t *indptr, const int64_t *indices, int64_t num_rows,
                     int64_t nnz, int64_t num_src, int64_t begin, int64_t end) {
  if (!indptr || num_rows < 0 || nnz < 0 || num_src < 0 || (nnz && !indices) || begin < 0 ||
      end > num_rows || begin > end || indptr[0] != 0 || indptr[num_rows] != nnz)
    return RV_E_ARG;
  if (indptr[begin] < 0) return RV_E_ARG;
  for (int64_t i = begin; i < end; i++)
    if (indptr[i + 1] < indptr[i] || indptr[i + 1] > nnz) return RV_E_ARG;
  for (int64_t e = indptr[begin]; e < indptr[end]; e++)
    if (indices[e] < 0 || indices[e] >= num_src) return RV_E_INDEX;
  return RV_OK;
}

/* Kernels whose rows are CSR rows or, with indptr and indices both NULL, dense rows that
 * each attend to all num_src keys: check_csr, or the row range alone. */
static int check_rows(const int64_t *indptr, const int64_t *indices, int64_t num_rows,
                      int64_t nnz, int64_t num_src, int64_t begin, int64_t end) {
  if (indptr || indices) return check_csr(indptr, indices, num_rows, nnz, num_src, begin, end);
  return num_src < 0 || begin < 0 || end > num_rows || begin > end ? RV_E_ARG : RV_OK;
}

/* Row i's keys: *idx = its CSR ids and their count, or (dense) idx NULL and all n keys. */
static inline int64_t row_keys(const int64_t *indptr, const int64_t *indices, int64_t n,
                               int64_t i, const int64_t **idx) {
  *idx = indptr ? indices + indptr[i] : NULL;
  return indptr ? indptr[i + 1] - indptr[i] : n;
}

#endif
