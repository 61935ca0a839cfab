/*
 * Graph-aware attention kernels (declared in include/rv_graph.h): scores are
 * filled into a caller-provided row `w` by a mechanism-specific pass over the
 * keys, then softmax_row() turns them into weights and accumulates the values.
 * Two passes (keys, then values), no N x D temporary.
 *
 * Shapes: N keys, D key width, DV value width, H heads, L layers, S features.
 */
#include "rv_graph.h"
#include "softmax.h"

#define RV_ROPE_CHUNK 64 /* frequencies per sincos batch (stack arrays) */

/* sin and cos of t * f[i], i < m <= RV_ROPE_CHUNK, without libm (approx.h): the angle is
 * formed and reduced by k pi/2 in double, so any distance |t| <= RV_ROPE_MAX_DISTANCE
 * keeps ~1e-16 relative accuracy; the reduced |r| <= pi/4 goes through float
 * polynomials. Both loops are branch-free and vectorise. */
static void rope_sincos(double t, const double *f, int64_t m, float *sn, float *cs) {
  for (int64_t i = 0; i < m; i++) {
    const double a = t * f[i];
    const double k = (a * RV_TWO_OVER_PI + RV_ROUND_MAGIC) - RV_ROUND_MAGIC;
    const double k4 = (k * 0.25 + RV_ROUND_MAGIC) - RV_ROUND_MAGIC;
    sn[i] = (float)((a - k * RV_HALF_PI_HI) - k * RV_HALF_PI_LO); /* r */
    cs[i] = (float)(k - 4.0 * k4);                               /* k mod 4, in [-2, 2] */
  }
  for (int64_t i = 0; i < m; i++) {
    const float r = sn[i], z = r * r;
    const int quadrant = (int)cs[i] & 3;
    const float ps = r + r * z * ((RV_SIN_S[0] * z + RV_SIN_S[1]) * z + RV_SIN_S[2]);
    const float pc = 1.0f - 0.5f * z + z * z * ((RV_COS_C[0] * z + RV_COS_C[1]) * z + RV_COS_C[2]);
    /* sin(r + q pi/2), cos(r + q pi/2) */
    const float s = (quadrant & 1) ? pc : ps, c = (quadrant & 1) ? ps : pc;
    sn[i] = (quadrant & 2) ? -s : s;
    cs[i] = ((quadrant + 1) & 2) ? -c : c;
  }
}

/* out = R(t) x: pairs (x0, x1) -> (c x0 - s x1, s x0 + c x1), (s, c) = sincos(t f_i).
 * R(-t) q scores <q, R(t) k> as <R(-t) q, k> (sincos(-a) is exactly (-s, c)). */
static void rope_turn(const float *x, int64_t d, const double *inv_freq, double t, float *out) {
  float sn[RV_ROPE_CHUNK], cs[RV_ROPE_CHUNK];
  for (int64_t i0 = 0; i0 < d / 2; i0 += RV_ROPE_CHUNK) {
    const int64_t m = d / 2 - i0 < RV_ROPE_CHUNK ? d / 2 - i0 : RV_ROPE_CHUNK;
    rope_sincos(t, inv_freq + i0, m, sn, cs);
    for (int64_t i = 0; i < m; i++) {
      const float x0 = x[2 * (i0 + i)], x1 = x[2 * (i0 + i) + 1];
      out[2 * (i0 + i)] = x0 * cs[i] - x1 * sn[i];
      out[2 * (i0 + i) + 1] = x0 * sn[i] + x1 * cs[i];
    }
  }
}

static int rope_distance_ok(double t) { return t <= RV_ROPE_MAX_DISTANCE && t >= -RV_ROPE_MAX_DISTANCE; }

/* w (N) raw scores -> softmax weights; out (DV) = sum_j w_j V[r_j] where row r_j =
 * idx ? idx[j] : j and the row starts at V + r_j * ldv. N == 0 gives zeros. */
static int softmax_row(float *w, int64_t n, const float *V, const int64_t *idx, int64_t ldv,
                       int64_t dv, float *out) {
  zero_vec(out, dv);
  if (n == 0) return RV_OK;
  float m = -RV_INF;
  for (int64_t j = 0; j < n; j++) {
    if (!RV_ISFINITE(w[j])) return RV_E_NONFINITE;
    if (w[j] > m) m = w[j];
  }
  const rv_v vm = rv_set1(m);
  int64_t j = 0;
  for (; j + RV_W <= n; j += RV_W) rv_store(w + j, rv_exp(rv_sub(rv_load(w + j), vm)));
  for (; j < n; j++) w[j] = exp1(w[j] - m);
  float s = 0.0f;
  for (j = 0; j < n; j++) s += w[j];
  const float inv = 1.0f / s; /* s >= 1: the max key contributes exp(0) */
  for (j = 0; j < n; j++) {
    w[j] *= inv;
    axpy(out, V + (idx ? idx[j] : j) * ldv, w[j], dv);
  }
  return all_finite(out, dv) ? RV_OK : RV_E_NONFINITE;
}

/* ---------------------------------------------------------------- GraphRoPE */

int RV_FN(rope_rotate)(const float *X, const float *pos, int64_t n, int64_t d,
                       const double *inv_freq, float *out) {
  if (n < 0 || d <= 0 || d % 2 || (n && (!X || !pos || !out || !inv_freq))) return RV_E_ARG;
  for (int64_t j = 0; j < n; j++) {
    if (!RV_ISFINITE(pos[j])) return RV_E_NONFINITE;
    if (!rope_distance_ok(pos[j])) return RV_E_ARG;
    rope_turn(X + j * d, d, inv_freq, pos[j], out + j * d);
  }
  return RV_OK;
}

/* Scores of one query: key j at distance pos[j] - qpos is scored as <R(qpos - pos[j]) q, k_j>,
 * one rotation of q per distinct distance. cache: RV_ROPE_SLOTS tags (the key distance,
 * +inf = empty) then RV_ROPE_SLOTS rotated queries of D floats, direct-mapped on the
 * bits of pos[j]; hop distances (few distinct values) cost one SDPA pass plus a few
 * rotations, all-distinct distances one rotation per key. */
static int rope_row(const float *q, const float *X, const float *V, const int64_t *idx,
                    const float *pos, int64_t n, int64_t d, int64_t dv, const double *inv_freq,
                    double qpos, float scale, float *w, float *cache, float *out) {
  float *tags = cache, *rotated = cache + RV_ROPE_SLOTS;
  for (int s = 0; s < RV_ROPE_SLOTS; s++) tags[s] = RV_INF;
  for (int64_t j = 0; j < n; j++) {
    const float p = pos[j];
    if (!RV_ISFINITE(p)) return RV_E_NONFINITE;
    const double t = (double)p - qpos;
    if (!rope_distance_ok(t)) return RV_E_ARG;
    uint32_t bits;
    __builtin_memcpy(&bits, &p, sizeof bits);
    const uint32_t slot = (bits * 2654435761u) >> (32 - RV_ROPE_SLOT_BITS);
    float *qr = rotated + slot * d;
    if (tags[slot] != p) {
      rope_turn(q, d, inv_freq, -t, qr);
      tags[slot] = p;
    }
    w[j] = scale * dot(qr, X + (idx ? idx[j] : j) * d, d);
  }
  return softmax_row(w, n, V, idx, dv, dv, out);
}

int RV_FN(rope_attend)(const float *Q, const float *K, const float *V, const int64_t *indptr,
                       const int64_t *indices, const float *pos, int64_t num_rows, int64_t nnz,
                       int64_t n, int64_t d, int64_t dv, const double *inv_freq, float qpos,
                       float scale, int64_t row_begin, int64_t row_end, float *scratch,
                       float *out) {
  if (bad_sizes(n, d, dv) || d % 2 || !inv_freq || !scratch ||
      (row_end > row_begin && (!Q || !out)) || (n && (!K || !V || !pos)))
    return RV_E_ARG;
  int rc = check_rows(indptr, indices, num_rows, nnz, n, row_begin, row_end);
  float *cache = scratch, *w = scratch + RV_ROPE_SLOTS * (d + 1);
  for (int64_t i = row_begin; i < row_end && !rc; i++) {
    const int64_t *idx, len = row_keys(indptr, indices, n, i, &idx);
    rc = rope_row(Q + i * d, K, V, idx, pos + (indptr ? indptr[i] : 0), len, d, dv, inv_freq,
                  qpos, scale, w, cache, out + i * dv);
  }
  return rc;
}

/* ---------------------------------------------------------------- HNSW-aware */

/* cache[l*H + h] = scale q_h . E[l]_h + B[l, h]: the whole layer term of a score. */
static void layer_terms(const float *q, int64_t d, int64_t h, const float *E, const float *B,
                        int64_t num_layers, float scale, float *cache) {
  const int64_t hd = d / h;
  for (int64_t l = 0; l < num_layers; l++)
    for (int64_t t = 0; t < h; t++)
      cache[l * h + t] = scale * dot(q + t * hd, E + l * d + t * hd, hd) + B[l * h + t];
}

static int hnsw_row(const float *q, const float *X, const float *V, const int64_t *idx,
                    const int64_t *layers, int64_t n, int64_t d, int64_t dv, int64_t h,
                    int64_t num_layers, const float *cache, float scale, float *w, float *out) {
  const int64_t hd = d / h, hdv = dv / h;
  for (int64_t j = 0; j < n; j++) {
    const int64_t r = idx ? idx[j] : j, l = layers[r];
    if (l < 0 || l >= num_layers) return RV_E_INDEX;
    for (int64_t t = 0; t < h; t++)
      w[t * n + j] = scale * dot(q + t * hd, X + r * d + t * hd, hd) + cache[l * h + t];
  }
  for (int64_t t = 0; t < h; t++) {
    int rc = softmax_row(w + t * n, n, V + t * hdv, idx, dv, hdv, out + t * hdv);
    if (rc) return rc;
  }
  return RV_OK;
}

static int bad_heads(int64_t d, int64_t dv, int64_t h, int64_t num_layers, const float *E,
                     const float *B) {
  return h < 1 || d % h || dv % h || num_layers < 1 || !E || !B;
}

int RV_FN(hnsw_attend)(const float *Q, const float *K, const float *V, const int64_t *layers,
                       const int64_t *indptr, const int64_t *indices, int64_t num_rows,
                       int64_t nnz, int64_t n, int64_t d, int64_t dv, int64_t h, const float *E,
                       const float *B, int64_t num_layers, float scale, int64_t row_begin,
                       int64_t row_end, float *scratch, float *out) {
  if (bad_sizes(n, d, dv) || bad_heads(d, dv, h, num_layers, E, B) || !scratch ||
      (row_end > row_begin && (!Q || !out)) || (n && (!K || !V || !layers)))
    return RV_E_ARG;
  int rc = check_rows(indptr, indices, num_rows, nnz, n, row_begin, row_end);
  float *cache = scratch, *w = scratch + num_layers * h;
  for (int64_t i = row_begin; i < row_end && !rc; i++) {
    const int64_t *idx, len = row_keys(indptr, indices, n, i, &idx);
    layer_terms(Q + i * d, d, h, E, B, num_layers, scale, cache);
    rc = hnsw_row(Q + i * d, K, V, idx, layers, len, d, dv, h, num_layers, cache, scale, w,
                  out + i * dv);
  }
  return rc;
}

/* With a = weights, o_h = sum_j a_hj v_jh, g = dL/dout:
 *   ds_hj = a_hj (g_h.v_jh - g_h.o_h) = dL/dscore_hj = dL/dB[l_j, h];
 *   dq_h += scale ds_hj (k_jh + E[l_j]_h); dk_jh += dE[l_j]_h += scale ds_hj q_h;
 *   dv_jh += a_hj g_h. */
int RV_FN(hnsw_backward)(const float *q, const float *K, const float *V, const int64_t *layers,
                         int64_t n, int64_t d, int64_t dv, int64_t h, const float *E,
                         const float *B, int64_t num_layers, float scale, const float *grad_out,
                         float *grad_q, float *grad_K, float *grad_V, float *grad_E,
                         float *grad_B, float *scratch, float *work) {
  if (!grad_out || !grad_q || !grad_E || !grad_B || !work || (n && (!grad_K || !grad_V)))
    return RV_E_ARG;
  int rc = RV_FN(hnsw_attend)(q, K, V, layers, NULL, NULL, 1, 0, n, d, dv, h, E, B, num_layers,
                              scale, 0, 1, scratch, work);
  if (rc) return rc;
  const float *w = scratch + num_layers * h;
  const int64_t hd = d / h, hdv = dv / h;
  for (int64_t t = 0; t < h; t++) {
    const float *g = grad_out + t * hdv, *qh = q + t * hd;
    const float go = dot(g, work + t * hdv, hdv);
    for (int64_t j = 0; j < n; j++) {
      const int64_t l = layers[j];
      const float a = w[t * n + j];
      const float ds = a * (dot(g, V + j * dv + t * hdv, hdv) - go);
      axpy(grad_V + j * dv + t * hdv, g, a, hdv);
      axpy(grad_K + j * d + t * hd, qh, scale * ds, hd);
      axpy(grad_E + l * d + t * hd, qh, scale * ds, hd);
      axpy(grad_q + t * hd, K + j * d + t * hd, scale * ds, hd);
      axpy(grad_q + t * hd, E + l * d + t * hd, scale * ds, hd);
      grad_B[l * h + t] += ds;
    }
  }
  return RV_OK;
}

/* ---------------------------------------------------------------- structural */

static int struct_row(const float *q, const float *u, const float *X, const float *F,
                      const float *V, const int64_t *idx, int64_t n, int64_t d, int64_t s,
                      int64_t dv, float scale, float *w, float *out) {
  for (int64_t j = 0; j < n; j++) {
    const int64_t r = idx ? idx[j] : j;
    w[j] = scale * (dot(q, X + r * d, d) + dot(u, F + r * s, s));
  }
  return softmax_row(w, n, V, idx, dv, dv, out);
}

int RV_FN(struct_attend)(const float *Q, const float *U, const float *K, const float *F,
                         const float *V, const int64_t *indptr, const int64_t *indices,
                         int64_t num_rows, int64_t nnz, int64_t n, int64_t d, int64_t s,
                         int64_t dv, float scale, int64_t row_begin, int64_t row_end, float *w,
                         float *out) {
  if (bad_sizes(n, d, dv) || s <= 0 || (row_end > row_begin && (!Q || !U || !out || !w)) ||
      (n && (!K || !F || !V)))
    return RV_E_ARG;
  int rc = check_rows(indptr, indices, num_rows, nnz, n, row_begin, row_end);
  for (int64_t i = row_begin; i < row_end && !rc; i++) {
    const int64_t *idx, len = row_keys(indptr, indices, n, i, &idx);
    rc = struct_row(Q + i * d, U + i * s, K, F, V, idx, len, d, s, dv, scale, w, out + i * dv);
  }
  return rc;
}

/* ---------------------------------------------------------------- cross-space fusion */

int RV_FN(fuse_rows)(const float *X0, const float *X1, const float *X2, const float *coef,
                     int64_t n, int64_t d, float *out) {
  if (n < 0 || d <= 0 || (n && (!X0 || !X1 || !X2 || !coef || !out))) return RV_E_ARG;
  for (int64_t i = 0; i < n; i++) { /* element-wise: out may alias any input */
    const float c0 = coef[3 * i], c1 = coef[3 * i + 1], c2 = coef[3 * i + 2];
    for (int64_t t = i * d; t < (i + 1) * d; t++) out[t] = c0 * X0[t] + c1 * X1[t] + c2 * X2[t];
  }
  return RV_OK;
}

/* ---------------------------------------------------------------- neighbour search (datasets) */

/* Plain float64 loops (the scalar build is the one called): built for size. */
RV_MINSIZE int RV_FN(nearest)(const float *X, int64_t num_rows, int64_t d,
                                            const int64_t *queries, int64_t nq,
                                            const int64_t *cands, int64_t nc, int64_t count,
                                            int64_t *out_idx, double *out_dist) {
  if (!X || num_rows < 0 || d < 1 || nq < 0 || nc < 0 || count < 1 ||
      (nq && (!queries || !out_idx || !out_dist)) || (nc && !cands))
    return RV_E_ARG;
  for (int64_t c = 0; c < nc; c++)
    if (cands[c] < 0 || cands[c] >= num_rows) return RV_E_INDEX;
  for (int64_t t = 0; t < nq; t++) {
    const int64_t i = queries[t];
    if (i < 0 || i >= num_rows) return RV_E_INDEX;
    const float *x = X + i * d;
    int64_t *best = out_idx + t * count, have = 0;
    double *bd = out_dist + t * count;
    for (int64_t c = 0; c < nc; c++) {
      const int64_t j = cands[c];
      if (j == i) continue;
      const float *y = X + j * d;
      double s = 0.0;
      for (int64_t k = 0; k < d; k++) {
        const double e = (double)x[k] - (double)y[k];
        s += e * e;
      }
      if (have == count && !(s < bd[count - 1])) continue; /* ties keep the earlier id */
      int64_t p = have < count ? have++ : count - 1;
      for (; p > 0 && bd[p - 1] > s; p--) {
        bd[p] = bd[p - 1];
        best[p] = best[p - 1];
      }
      bd[p] = s;
      best[p] = j;
    }
    for (int64_t p = have; p < count; p++) {
      best[p] = -1;
      bd[p] = (double)RV_INF;
    }
  }
  return RV_OK;
}
