/*
 * Sparse and efficient attention (declared in include/rv_sparse.h), written once
 * against simd.h / vec.h / softmax.h and compiled once per ISA.
 *
 *   flash   exact softmax attention, key blocks of a caller-chosen size, query
 *           tiles sharing each block while it is in cache, causal masks that skip
 *           whole blocks, backward by recomputing the weights from log-sum-exp.
 *   linear  Performer / linear-transformer key summaries and queries, with
 *           per-feature max subtraction so no input norm underflows to 0.
 *   csr     gathered attention: each query reads only its listed keys.
 *
 * Shapes: B queries, N keys, D key width, DV value width, M features, T block.
 */
#include "rv_sparse.h"
#include "softmax.h"

/* ---------------------------------------------------------------- flash */

/* sc[j] = scale * q.k_{k0+j} for kb keys; dead keys (mask / causal) -> -inf.
 * *bmax = the largest live score (-inf if none). A NaN / inf live score is an error. */
static int flash_scores(const float *q, const float *K, int64_t k0, int64_t kb, int64_t d,
                        float scale, const uint8_t *mrow, int causal, int64_t qpos, float *sc,
                        float *bmax) {
  int64_t j = 0;
  for (; j + 4 <= kb; j += 4) {
    const float *k[4] = {K + (k0 + j) * d, K + (k0 + j + 1) * d, K + (k0 + j + 2) * d,
                         K + (k0 + j + 3) * d};
    dot4(q, k, d, sc + j);
  }
  for (; j < kb; j++) sc[j] = dot(q, K + (k0 + j) * d, d);
  float m = -RV_INF;
  for (j = 0; j < kb; j++) {
    const int64_t key = k0 + j;
    if ((causal && key > qpos) || (mrow && !mrow[key])) {
      sc[j] = -RV_INF;
      continue;
    }
    const float s = sc[j] * scale;
    if (!RV_ISFINITE(s)) return RV_E_NONFINITE;
    sc[j] = s;
    if (s > m) m = s;
  }
  *bmax = m;
  return RV_OK;
}

/* sc[j] <- exp(sc[j] - m), exactly 0 for dead (-inf) keys; returns the sum. */
static float exp_shifted(float *sc, int64_t kb, float m) {
  const rv_v vm = rv_set1(m);
  int64_t j = 0;
  for (; j + RV_W <= kb; j += RV_W) rv_store(sc + j, rv_exp(rv_sub(rv_load(sc + j), vm)));
  for (; j < kb; j++) sc[j] = exp1(sc[j] - m);
  float s = 0.0f;
  for (j = 0; j < kb; j++) {
    if (!(sc[j] > RV_EXP_ZERO)) sc[j] = 0.0f; /* dead key (or below the exp floor) */
    s += sc[j];
  }
  return s;
}

/* acc (DV) += sum_j p[j] * V[k0 + j]; eight accumulator vectors stay in registers. */
static void acc_rows(float *acc, const float *p, const float *V, int64_t k0, int64_t kb,
                     int64_t dv) {
  int64_t c = 0;
  for (; c + 8 * RV_W <= dv; c += 8 * RV_W) {
    rv_v a[8];
    for (int t = 0; t < 8; t++) a[t] = rv_load(acc + c + t * RV_W);
    for (int64_t j = 0; j < kb; j++) {
      if (p[j] == 0.0f) continue;
      const rv_v pj = rv_set1(p[j]);
      const float *v = V + (k0 + j) * dv + c;
      for (int t = 0; t < 8; t++) a[t] = rv_fma(pj, rv_load(v + t * RV_W), a[t]);
    }
    for (int t = 0; t < 8; t++) rv_store(acc + c + t * RV_W, a[t]);
  }
  if (c < dv)
    for (int64_t j = 0; j < kb; j++)
      if (p[j] != 0.0f) axpy(acc + c, V + (k0 + j) * dv + c, p[j], dv - c);
}

/* Queries Q (B,D) at sequence positions qpos0 .. qpos0 + B - 1 (used by causal). */
static int flash_impl(const float *Q, int64_t b, int64_t qpos0, const float *K, const float *V,
                      const uint8_t *mask, int64_t mask_stride, int64_t n, int64_t d, int64_t dv,
                      float scale, int64_t block, int causal, float *sc, float *out, float *lse) {
  float m[RV_FLASH_TILE_Q], s[RV_FLASH_TILE_Q];
  for (int64_t q0 = 0; q0 < b; q0 += RV_FLASH_TILE_Q) {
    const int64_t tq = b - q0 < RV_FLASH_TILE_Q ? b - q0 : RV_FLASH_TILE_Q;
    for (int64_t t = 0; t < tq; t++) {
      m[t] = -RV_INF;
      s[t] = 0.0f;
      zero_vec(out + (q0 + t) * dv, dv);
    }
    /* causal: no query of this tile sees a key past its last position */
    const int64_t last = qpos0 + q0 + tq - 1;
    const int64_t kend = causal ? (last + 1 < n ? last + 1 : n) : n;
    for (int64_t k0 = 0; k0 < kend; k0 += block) {
      const int64_t kb = kend - k0 < block ? kend - k0 : block;
      for (int64_t t = 0; t < tq; t++) {
        const int64_t qi = q0 + t, qpos = qpos0 + qi;
        if (causal && k0 > qpos) continue;
        const uint8_t *mrow = mask ? mask + qi * mask_stride : NULL;
        float bm, *acc = out + qi * dv;
        int rc = flash_scores(Q + qi * d, K, k0, kb, d, scale, mrow, causal, qpos, sc, &bm);
        if (rc) return rc;
        if (bm == -RV_INF) continue;
        if (bm > m[t]) { /* the running max grows: rescale what was summed so far */
          if (s[t] > 0.0f) {
            const float c = exp1(m[t] - bm);
            s[t] *= c;
            scale_vec(acc, c, dv);
          }
          m[t] = bm;
        }
        s[t] += exp_shifted(sc, kb, m[t]);
        acc_rows(acc, sc, V, k0, kb, dv);
      }
    }
    for (int64_t t = 0; t < tq; t++) {
      float *acc = out + (q0 + t) * dv;
      if (s[t] == 0.0f) { /* no live key: zeros (already), never NaN */
        if (lse) lse[q0 + t] = -RV_INF;
        continue;
      }
      if (!RV_ISFINITE(s[t])) return RV_E_NONFINITE;
      scale_vec(acc, 1.0f / s[t], dv);
      if (!all_finite(acc, dv)) return RV_E_NONFINITE;
      if (lse) lse[q0 + t] = m[t] + __builtin_logf(s[t]);
    }
  }
  return RV_OK;
}

static int flash_bad(int64_t b, int64_t n, int64_t d, int64_t dv, int64_t block,
                     int64_t mask_stride, const float *Q, const float *K, const float *V,
                     const void *out, const float *scratch) {
  return b < 0 || n < 0 || d <= 0 || dv <= 0 || block < 1 || mask_stride < 0 ||
         (b && (!Q || !out || !scratch)) || (b && n && (!K || !V));
}

int RV_FN(flash_forward)(const float *Q, int64_t b, const float *K, const float *V,
                         const uint8_t *mask, int64_t mask_stride, int64_t n, int64_t d,
                         int64_t dv, float scale, int64_t block, int causal, int64_t qpos0,
                         float *scratch, float *out, float *lse) {
  if (flash_bad(b, n, d, dv, block, mask_stride, Q, K, V, out, scratch) || qpos0 < 0)
    return RV_E_ARG;
  return flash_impl(Q, b, qpos0, K, V, mask, mask_stride, n, d, dv, scale, block, causal, scratch,
                    out, lse);
}

/* With p_j = exp(s_j - lse) recomputed block by block, o the output, g = dL/do:
 *   dL/dv_j = p_j g;  ds_j = p_j (g.v_j - g.o);  dL/dq = scale sum_j ds_j k_j;
 *   dL/dk_j = scale ds_j q. */
int RV_FN(flash_backward)(const float *Q, int64_t b, const float *K, const float *V,
                          const uint8_t *mask, int64_t mask_stride, int64_t n, int64_t d,
                          int64_t dv, float scale, int64_t block, int causal, int64_t qpos0,
                          const float *grad_out, float *grad_Q, float *grad_K, float *grad_V,
                          float *scratch) {
  if (flash_bad(b, n, d, dv, block, mask_stride, Q, K, V, grad_Q, scratch) ||
      (b && !grad_out) || (b && n && (!grad_K || !grad_V)) || qpos0 < 0)
    return RV_E_ARG;
  float *sc = scratch, *o = scratch + block;
  for (int64_t i = 0; i < b; i++) {
    const float *q = Q + i * d, *g = grad_out + i * dv;
    const uint8_t *mrow = mask ? mask + i * mask_stride : NULL;
    float lse;
    const int64_t qpos = qpos0 + i;
    int rc = flash_impl(q, 1, qpos, K, V, mrow, 0, n, d, dv, scale, block, causal, sc, o, &lse);
    if (rc) return rc;
    if (lse == -RV_INF) continue; /* no live key: the output is constant zero */
    const float g_dot_o = dot(g, o, dv);
    const int64_t kend = causal ? (qpos + 1 < n ? qpos + 1 : n) : n;
    for (int64_t k0 = 0; k0 < kend; k0 += block) {
      const int64_t kb = kend - k0 < block ? kend - k0 : block;
      float bm;
      rc = flash_scores(q, K, k0, kb, d, scale, mrow, causal, qpos, sc, &bm);
      if (rc) return rc;
      exp_shifted(sc, kb, lse);
      for (int64_t j = 0; j < kb; j++) {
        if (sc[j] == 0.0f) continue;
        const int64_t key = k0 + j;
        axpy(grad_V + key * dv, g, sc[j], dv);
        const float ds = sc[j] * (dot(g, V + key * dv, dv) - g_dot_o);
        axpy(grad_Q + i * d, K + key * d, scale * ds, d);
        axpy(grad_K + key * d, q, scale * ds, d);
      }
    }
    if (!all_finite(grad_Q + i * d, d)) return RV_E_NONFINITE;
  }
  return RV_OK;
}

/* ---------------------------------------------------------------- linear attention */

/* feat (M) = the projections w_i.x * xscale (favor: log-features before the -|x'|^2/2
 * term), relu(w_i.x * xscale) + eps, or elu(x_i) + 1 (M = D). The input is first
 * scaled by *norm_scale (1/|x| when normalising, else 1; 0 for a zero vector). */
static void features(const float *x, int64_t d, const float *W, int64_t m, int kind,
                     float xscale, int normalize, float *feat, float *norm_scale) {
  float ns = 1.0f;
  if (normalize) {
    const float len = __builtin_sqrtf(dot(x, x, d));
    ns = len > 0.0f ? 1.0f / len : 0.0f;
  }
  *norm_scale = ns;
  if (kind == RV_FEATURE_ELU) {
    for (int64_t i = 0; i < d; i++) {
      const float v = x[i] * ns;
      feat[i] = v > 0.0f ? v + 1.0f : exp1(v);
    }
    return;
  }
  RV_FN(linear)(x, W, NULL, feat, 1, d, m, 0); /* feat = W x */
  scale_vec(feat, xscale * ns, m);
  if (kind == RV_FEATURE_RELU) /* written so a NaN passes through (the callers report it) */
    for (int64_t i = 0; i < m; i++)
      feat[i] = (feat[i] <= 0.0f ? 0.0f : feat[i]) + RV_LINEAR_RELU_EPS;
}

static void exp_minus(float *x, const float *sub, int64_t m) {
  int64_t i = 0;
  for (; i + RV_W <= m; i += RV_W)
    rv_store(x + i, rv_exp(rv_sub(rv_load(x + i), rv_load(sub + i))));
  for (; i < m; i++) x[i] = exp1(x[i] - sub[i]);
}

static int linear_bad(int64_t d, int64_t dv, const float *W, int64_t m, int kind) {
  if (d <= 0 || dv <= 0 || m <= 0) return 1;
  if (kind == RV_FEATURE_ELU) return m != d;
  return (kind != RV_FEATURE_FAVOR && kind != RV_FEATURE_RELU) || !W;
}

int RV_FN(linear_prepare)(const float *K, const float *V, const uint8_t *mask, int64_t n,
                          int64_t d, int64_t dv, const float *W, int64_t m, int kind,
                          float xscale, int normalize, float *feat, float *kv, float *ksum,
                          float *kmax) {
  if (linear_bad(d, dv, W, m, kind) || n < 0 || (n && (!K || !V)) || !feat || !kv || !ksum ||
      !kmax)
    return RV_E_ARG;
  const int favor = kind == RV_FEATURE_FAVOR;
  zero_vec(kv, m * dv);
  zero_vec(ksum, m);
  for (int64_t i = 0; i < m; i++) kmax[i] = favor ? -RV_INF : 0.0f;
  for (int64_t j = 0; j < n; j++) {
    if (mask && !mask[j]) continue;
    const float *k = K + j * d, *v = V + j * dv;
    float ns;
    features(k, d, W, m, kind, xscale, normalize, feat, &ns);
    if (favor) {
      const float half_sq = 0.5f * xscale * xscale * ns * ns * dot(k, k, d);
      for (int64_t i = 0; i < m; i++) {
        const float l = feat[i] - half_sq;
        if (!RV_ISFINITE(l)) return RV_E_NONFINITE;
        feat[i] = l;
        if (l > kmax[i]) { /* per-feature running max: rescale that feature's sums */
          if (ksum[i] > 0.0f) {
            const float c = exp1(kmax[i] - l);
            ksum[i] *= c;
            scale_vec(kv + i * dv, c, dv);
          }
          kmax[i] = l;
        }
      }
      exp_minus(feat, kmax, m);
    }
    for (int64_t i = 0; i < m; i++) {
      if (!RV_ISFINITE(feat[i])) return RV_E_NONFINITE;
      ksum[i] += feat[i];
      axpy(kv + i * dv, v, feat[i], dv);
    }
  }
  return all_finite(kv, m * dv) ? RV_OK : RV_E_NONFINITE;
}

int RV_FN(linear_query)(const float *Q, int64_t b, int64_t d, const float *W, int64_t m, int kind,
                        float xscale, int normalize, const float *kv, const float *ksum,
                        const float *kmax, int64_t dv, float *feat, float *out) {
  if (linear_bad(d, dv, W, m, kind) || b < 0 || (b && (!Q || !out)) || !kv || !ksum || !kmax ||
      !feat)
    return RV_E_ARG;
  int live = 0;
  for (int64_t i = 0; i < m && !live; i++) live = ksum[i] > 0.0f;
  for (int64_t r = 0; r < b; r++) {
    float *o = out + r * dv;
    zero_vec(o, dv);
    if (!live) continue; /* no live key: zeros */
    float ns;
    features(Q + r * d, d, W, m, kind, xscale, normalize, feat, &ns);
    if (kind == RV_FEATURE_FAVOR) {
      /* phi_i(q) * exp(kmax_i) up to a factor common to every feature (exp(-|q'|^2/2),
       * 1/sqrt(M), exp(-max)), which cancels between numerator and denominator */
      float mx = -RV_INF;
      for (int64_t i = 0; i < m; i++) {
        if (!RV_ISFINITE(feat[i])) return RV_E_NONFINITE;
        feat[i] = ksum[i] > 0.0f ? feat[i] + kmax[i] : -RV_INF;
        if (feat[i] > mx) mx = feat[i];
      }
      for (int64_t i = 0; i < m; i++) feat[i] = feat[i] == -RV_INF ? 0.0f : exp1(feat[i] - mx);
    }
    float den = 0.0f;
    for (int64_t i = 0; i < m; i++) {
      if (feat[i] == 0.0f) continue;
      den += feat[i] * ksum[i];
      axpy(o, kv + i * dv, feat[i], dv);
    }
    if (!(den > 0.0f) || !RV_ISFINITE(den)) return RV_E_NONFINITE;
    scale_vec(o, 1.0f / den, dv);
    if (!all_finite(o, dv)) return RV_E_NONFINITE;
  }
  return RV_OK;
}

int RV_FN(linear_weights)(const float *q, const float *K, const uint8_t *mask, int64_t n,
                          int64_t d, const float *W, int64_t m, int kind, float xscale,
                          int normalize, float *qfeat, float *feat, float *out) {
  if (linear_bad(d, 1, W, m, kind) || n < 0 || !q || (n && (!K || !out)) || !qfeat || !feat)
    return RV_E_ARG;
  const int favor = kind == RV_FEATURE_FAVOR;
  float ns;
  features(q, d, W, m, kind, xscale, normalize, qfeat, &ns);
  if (!all_finite(qfeat, m)) return RV_E_NONFINITE;
  /* favor: log of phi(q).phi(k_j) up to factors common to every key (exp(-|q'|^2/2),
   * 1/M), as a log-sum-exp over features so no term underflows; relu / elu: the dot */
  float top = -RV_INF;
  for (int64_t j = 0; j < n; j++) {
    if (mask && !mask[j]) { out[j] = -RV_INF; continue; }
    const float *k = K + j * d;
    features(k, d, W, m, kind, xscale, normalize, feat, &ns);
    float s;
    if (favor) {
      const float half_sq = 0.5f * xscale * xscale * ns * ns * dot(k, k, d);
      float mx = -RV_INF;
      for (int64_t i = 0; i < m; i++) {
        feat[i] += qfeat[i] - half_sq;
        if (feat[i] > mx) mx = feat[i];
      }
      if (!RV_ISFINITE(mx)) return RV_E_NONFINITE;
      float sum = 0.0f;
      for (int64_t i = 0; i < m; i++) sum += exp1(feat[i] - mx);
      s = mx + __builtin_logf(sum);
    } else {
      s = dot(qfeat, feat, m);
    }
    if (!RV_ISFINITE(s)) return RV_E_NONFINITE;
    out[j] = s;
    if (s > top) top = s;
  }
  if (top == -RV_INF) { /* every key masked */
    zero_vec(out, n);
    return RV_OK;
  }
  float total = 0.0f;
  for (int64_t j = 0; j < n; j++) {
    if (out[j] == -RV_INF) { out[j] = 0.0f; continue; }
    out[j] = favor ? exp1(out[j] - top) : out[j];
    total += out[j];
  }
  if (!(total > 0.0f) || !RV_ISFINITE(total)) return RV_E_NONFINITE;
  scale_vec(out, 1.0f / total, n);
  return RV_OK;
}

int RV_FN(orthonormalize)(float *W, int64_t r, int64_t d) {
  if (d <= 0 || r < 0 || r > d || (r && !W)) return RV_E_ARG;
  for (int64_t i = 0; i < r; i++) {
    float *w = W + i * d;
    for (int pass = 0; pass < 2; pass++) /* twice: float32 loses orthogonality once */
      for (int64_t j = 0; j < i; j++) axpy(w, W + j * d, -dot(w, W + j * d, d), d);
    const float norm = __builtin_sqrtf(dot(w, w, d));
    if (!(norm > 0.0f) || !RV_ISFINITE(norm)) return RV_E_NONFINITE;
    scale_vec(w, 1.0f / norm, d);
  }
  return RV_OK;
}

/* ---------------------------------------------------------------- gathered (CSR) attention */

int RV_FN(csr_check)(const int64_t *indptr, const int64_t *indices, int64_t num_rows,
                     int64_t nnz, int64_t num_src) {
  return check_csr(indptr, indices, num_rows, nnz, num_src, 0, num_rows);
}

int RV_FN(attend_csr)(const float *Q, const float *K, const float *V, const int64_t *indptr,
                      const int64_t *indices, int64_t num_rows, int64_t nnz, int64_t n, int64_t d,
                      int64_t dv, float scale, int64_t row_begin, int64_t row_end, float *out,
                      float *weights) {
  if (bad_sizes(n, d, dv) || (row_end > row_begin && (!Q || !out)) || (nnz && (!K || !V)))
    return RV_E_ARG;
  int rc = check_csr(indptr, indices, num_rows, nnz, n, row_begin, row_end);
  softmax_state st;
  for (int64_t i = row_begin; i < row_end && !rc; i++)
    rc = attend_group(Q + i * d, 1, K, V, indices + indptr[i], NULL, NULL, indptr[i + 1] - indptr[i],
                      d, dv, scale, 0.0f, 0, out + i * dv, weights ? weights + indptr[i] : NULL, &st);
  return rc;
}
