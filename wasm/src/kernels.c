/*
 * The core attention kernels (scaled dot-product, multi-head, batches, CSR
 * graphs, backward, small linear algebra), written once against simd.h and
 * compiled once per ISA (the build defines RV_ISA_<NAME> and
 * RV_ISA_SUFFIX=<name>). Every .c file of src/ but cpu.c is built the same way, one
 * file per mechanism family, sharing vec.h and softmax.h.
 *
 * Shapes: N keys, D key width, DV value width, H queries / heads.
 */
#include "softmax.h"

/* ---------------------------------------------------------------- exported: attention */

int RV_FN(attend_bias)(const float *q, const float *K, const float *V, const uint8_t *mask,
                       const float *bias, int64_t n, int64_t d, int64_t dv, float scale,
                       float drop_p, uint64_t drop_seed, float *out, float *weights) {
  if (bad_sizes(n, d, dv) || !q || !out || (n && (!K || !V)) || !(drop_p >= 0.0f && drop_p < 1.0f))
    return RV_E_ARG;
  softmax_state st;
  return attend_group(q, 1, K, V, NULL, mask, bias, n, d, dv, scale, drop_p, drop_seed, out,
                           weights, &st);
}

int RV_FN(attend)(const float *q, const float *K, const float *V, const uint8_t *mask, int64_t n,
                  int64_t d, int64_t dv, float scale, float drop_p, uint64_t drop_seed, float *out,
                  float *weights) {
  return RV_FN(attend_bias)(q, K, V, mask, NULL, n, d, dv, scale, drop_p, drop_seed, out, weights);
}

int RV_FN(attend_multi)(const float *Q, int64_t h, const float *K, const float *V,
                        const uint8_t *mask, int64_t n, int64_t d, int64_t dv, float scale,
                        float *out, float *weights) {
  if (bad_sizes(n, d, dv) || h < 1 || !Q || !out || (n && (!K || !V))) return RV_E_ARG;
  return attend_multi_impl(Q, h, K, V, NULL, mask, NULL, n, d, dv, scale, out, weights);
}

int RV_FN(attend_batch)(const float *Q, const float *K, const float *V, const uint8_t *mask,
                        int64_t b, int64_t n, int64_t d, int64_t dv, float scale, float *out) {
  if (bad_sizes(n, d, dv) || b < 0 || (b && (!Q || !out)) || (b && n && (!K || !V)))
    return RV_E_ARG;
  softmax_state st;
  for (int64_t i = 0; i < b; i++) {
    int rc = attend_group(Q + i * d, 1, K + i * n * d, V + i * n * dv, NULL,
                          mask ? mask + i * n : NULL, NULL, n, d, dv, scale, 0.0f, 0, out + i * dv,
                          NULL, &st);
    if (rc) return rc;
  }
  return RV_OK;
}

/* ---------------------------------------------------------------- exported: backward */

/* With a_j = softmax weight, m_j = dropout factor, o = sum_j a_j m_j v_j, g = dL/do:
 *   dL/dv_j = a_j m_j g;  ds_j = a_j (m_j g.v_j - g.o);
 *   dL/dq = scale sum_j ds_j k_j;  dL/dk_j = scale ds_j q. */
int RV_FN(attend_backward_bias)(const float *q, const float *K, const float *V,
                                const uint8_t *mask, const float *bias, int64_t n, int64_t d,
                                int64_t dv, float scale, float drop_p, uint64_t drop_seed,
                                const float *grad_out, float *grad_q, float *grad_K,
                                float *grad_V, float *work) {
  if (bad_sizes(n, d, dv) || !q || !grad_out || !grad_q || !work || !(drop_p >= 0.0f && drop_p < 1.0f) ||
      (n && (!K || !V || !grad_K || !grad_V)))
    return RV_E_ARG;
  softmax_state st;
  int rc = attend_group(q, 1, K, V, NULL, mask, bias, n, d, dv, scale, drop_p, drop_seed,
                             work, NULL, &st);
  if (rc) return rc;
  if (st.s == 0.0f) return RV_OK; /* no live key: the output is constant zero */
  const float inv = 1.0f / st.s;
  const float g_dot_o = dot(grad_out, work, dv);
  for (int64_t i = 0; i < n; i++) {
    if (mask && !mask[i]) continue;
    const float *k = K + i * d, *v = V + i * dv;
    const float a = exp1(scale * dot(q, k, d) + (bias ? bias[i] : 0.0f) - st.m) * inv;
    float keep = 1.0f;
    if (drop_p > 0.0f) keep = dropout_keep(drop_seed, i, drop_p) ? 1.0f / (1.0f - drop_p) : 0.0f;
    axpy(grad_V + i * dv, grad_out, a * keep, dv);
    const float ds = a * (keep * dot(grad_out, v, dv) - g_dot_o);
    axpy(grad_q, k, scale * ds, d);
    axpy(grad_K + i * d, q, scale * ds, d);
  }
  return all_finite(grad_q, d) ? RV_OK : RV_E_NONFINITE;
}

int RV_FN(attend_backward)(const float *q, const float *K, const float *V, const uint8_t *mask,
                           int64_t n, int64_t d, int64_t dv, float scale, float drop_p,
                           uint64_t drop_seed, const float *grad_out, float *grad_q,
                           float *grad_K, float *grad_V, float *work) {
  return RV_FN(attend_backward_bias)(q, K, V, mask, NULL, n, d, dv, scale, drop_p, drop_seed,
                                     grad_out, grad_q, grad_K, grad_V, work);
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
                    const uint8_t *mask, const float *bias, int64_t n, int64_t d, int64_t dv, int64_t h,
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
  int rc = attend_multi_impl(U, h, K, V, idx, mask, bias, n, d, dv, scale, S, weights);
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

int RV_FN(mha_forward)(const float *Q, const float *K, const float *V, const int64_t *indptr,
                       const int64_t *indices, const uint8_t *mask, const float *bias,
                       int64_t num_rows, int64_t nnz, int64_t n, int64_t d, int64_t dv, int64_t h,
                       const float *Wq, const float *bq, const float *Wk, const float *Wv,
                       const float *bv, const float *Wo, const float *bo, int64_t row_begin,
                       int64_t row_end, float *scratch, float *out, float *weights) {
  if (mha_bad_args(n, d, dv, h, Wq, Wk, Wv, Wo, scratch) || (row_end > row_begin && (!Q || !out)) ||
      (n && (!K || !V)) || (indptr && (mask || bias || weights)))
    return RV_E_ARG;
  int rc = check_rows(indptr, indices, num_rows, nnz, n, row_begin, row_end);
  for (int64_t i = row_begin; i < row_end && !rc; i++) {
    const int64_t *idx, len = row_keys(indptr, indices, n, i, &idx);
    rc = mha_impl(Q + i * d, K, V, idx, mask, bias, len, d, dv, h, Wq, bq, Wk, Wv, bv, Wo, bo,
                  scratch, out + i * d, weights ? weights + i * h * n : NULL);
  }
  return rc;
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
