/*
 * Geometric kernels: kappa-stereographic math and attention (hyperbolic, mixed
 * curvature, manifold), and the GAT aggregation of edge-featured attention.
 * Written once against simd.h via vec.h / softmax.h, compiled once per ISA.
 *
 * Math follows geoopt.manifolds.stereographic.math with a signed curvature k:
 *   tan_k / artan_k / arsin_k = tanh / artanh / arsinh (k < 0), tan / atan / asin (k > 0),
 *   and their Taylor series in k near 0 (so every function is continuous at k = 0);
 *   d_k(x, y) = 2 arsin_k(|x - y| / sqrt((1 + k|x|^2)(1 + k|y|^2)))
 *             (= 2 artan_k(|(-x) (+)_k y|), exact 0 at x = y, no cancellation).
 * Per-row scalars are computed in double (a handful per row); vectors in float.
 *
 * Shapes: N rows / keys, D width, de / dh Euclidean / curved widths, H heads, C channels.
 */
#include <math.h>

#include "rv_geometric.h"
#include "softmax.h"

/* ------------------------------------------------------------- scalar helpers */

/* Near k = 0 every kappa function is its series (approx.h); one table serves the functions
   and their partial derivatives. */
static int near_zero(double x, double k) { return fabs(k) * x * x < RV_GEO_SERIES_LIMIT; }

static double kappa_series(int fn, double x, double k) {
  return x + RV_KAPPA_SERIES[fn][0] * k * x * x * x + RV_KAPPA_SERIES[fn][1] * k * k * pow(x, 5);
}

static double tan_k(double x, double k) {
  if (near_zero(x, k)) return kappa_series(RV_TAN_K, x, k);
  const double s = sqrt(fabs(k));
  if (k < 0) return tanh(fmin(s * x, RV_GEO_TANH_CLAMP)) / s;
  return tan(s * x) / s;
}

static double artan_k(double x, double k) {
  if (near_zero(x, k)) return kappa_series(RV_ARTAN_K, x, k);
  const double s = sqrt(fabs(k));
  if (k < 0) return atanh(fmin(s * x, RV_GEO_ARTANH_CLAMP)) / s;
  return atan(s * x) / s;
}

static double arsin_k(double x, double k) {
  if (near_zero(x, k)) return kappa_series(RV_ARSIN_K, x, k);
  const double s = sqrt(fabs(k));
  if (k < 0) return asinh(s * x) / s;
  return asin(fmin(s * x, 1.0)) / s;
}

/* 1 + k|x|^2 clamped above 0 (2 / this is the conformal factor lambda_x). */
static double conformal(double x2, double k) { return fmax(1.0 + k * x2, RV_GEO_MIN_NORM); }

static double dist_k(double x2, double y2, double diff2, double k) {
  return 2.0 * arsin_k(sqrt(diff2 / (conformal(x2, k) * conformal(y2, k))), k);
}

/* Scale factor that pulls a point of squared norm x2 inside the ball (1 if inside), in
   double (the backward's) and as the float the forward kernels multiply by. */
static double pull_scale(double x2, double k, double eps) {
  if (k >= 0) return 1.0;
  const double maxnorm = (1.0 - eps) / sqrt(-k), norm = sqrt(x2);
  return norm > maxnorm ? maxnorm / norm : 1.0;
}

static float ball_scale(double x2, double k, double eps) { return (float)pull_scale(x2, k, eps); }

/* |a - b|^2 and |b|^2 in one pass over b. */
static double sq_diff_norm(const float *a, const float *b, int64_t d, double *b2) {
  rv_v s = rv_zero(), t2 = rv_zero();
  int64_t i = 0;
  for (; i + RV_W <= d; i += RV_W) {
    const rv_v vb = rv_load(b + i), t = rv_sub(rv_load(a + i), vb);
    s = rv_fma(t, t, s);
    t2 = rv_fma(vb, vb, t2);
  }
  double r = rv_hsum(s), n2 = rv_hsum(t2);
  for (; i < d; i++) {
    r += (double)(a[i] - b[i]) * (a[i] - b[i]);
    n2 += (double)b[i] * b[i];
  }
  *b2 = n2;
  return r;
}

/* x (+)_k y = a x + b y, the coefficients from |x|^2, |y|^2 and <x, y>. */
static void mobius_coefs(double x2, double y2, double xy, double k, double *a, double *b) {
  const double den = fmax(1.0 - 2.0 * k * xy + k * k * x2 * y2, RV_GEO_MIN_NORM);
  *a = (1.0 - 2.0 * k * xy - k * y2) / den;
  *b = (1.0 + k * x2) / den;
}

/* out = x (+)_k y, element-wise (out may be y). */
static void mobius_add(const float *x, const float *y, int64_t d, double k, float *out) {
  double a, b;
  mobius_coefs(dot(x, x, d), dot(y, y, d), dot(x, y, d), k, &a, &b);
  for (int64_t i = 0; i < d; i++) out[i] = (float)a * x[i] + (float)b * y[i];
}

/* out = f(|y|) y / |y|, the shape of exp0, log0 and the scalar product. */
static void radial(const float *y, int64_t d, double k, int op, double r, float *out) {
  const double norm = fmax(sqrt((double)dot(y, y, d)), RV_GEO_MIN_NORM);
  double f;
  if (op == RV_GEO_OP_EXP0) f = tan_k(norm, k);
  else if (op == RV_GEO_OP_LOG0) f = artan_k(norm, k);
  else f = tan_k(r * artan_k(norm, k), k);
  const float s = (float)(f / norm);
  for (int64_t i = 0; i < d; i++) out[i] = s * y[i];
}

static void project_row(float *x, int64_t d, double k, double eps) {
  const float s = ball_scale(dot(x, x, d), k, eps);
  if (s != 1.0f) scale_vec(x, s, d);
}

static int geo_row(int op, const float *x, const float *y, int64_t d, double k, double r,
                   float *out) {
  switch (op) {
    case RV_GEO_OP_DIST: {
      double y2, diff2 = sq_diff_norm(x, y, d, &y2);
      *out = (float)dist_k(dot(x, x, d), y2, diff2, k);
      return RV_ISFINITE(*out) ? RV_OK : RV_E_NONFINITE;
    }
    case RV_GEO_OP_NORM: *out = sqrtf(dot(y, y, d)); return RV_OK;
    case RV_GEO_OP_MOBIUS_ADD: mobius_add(x, y, d, k, out); break;
    case RV_GEO_OP_EXP: { /* x (+) tan_k(lambda_x |u| / 2) u / |u| */
      const double un = fmax(sqrt((double)dot(y, y, d)), RV_GEO_MIN_NORM);
      const double lam = 2.0 / conformal(dot(x, x, d), k);
      const float s = (float)(tan_k(0.5 * lam * un, k) / un);
      for (int64_t i = 0; i < d; i++) out[i] = s * y[i]; /* the second term, then x (+) it */
      mobius_add(x, out, d, k, out);
      break;
    }
    case RV_GEO_OP_LOG: { /* 2/lambda_x artan_k(|(-x) (+) y|) sub / |sub| */
      const double x2 = dot(x, x, d);
      double a, b;
      mobius_coefs(x2, dot(y, y, d), -(double)dot(x, y, d), k, &a, &b);
      for (int64_t i = 0; i < d; i++) out[i] = (float)(-a * x[i] + b * y[i]);
      const double sn = fmax(sqrt((double)dot(out, out, d)), RV_GEO_MIN_NORM);
      scale_vec(out, (float)(conformal(x2, k) * artan_k(sn, k) / sn), d);
      return all_finite(out, d) ? RV_OK : RV_E_NONFINITE;
    }
    case RV_GEO_OP_EXP0:
    case RV_GEO_OP_SCALAR_MUL: radial(y, d, k, op, r, out); break;
    case RV_GEO_OP_LOG0:
      radial(y, d, k, op, r, out);
      return all_finite(out, d) ? RV_OK : RV_E_NONFINITE;
    case RV_GEO_OP_PROJECT:
      for (int64_t i = 0; i < d; i++) out[i] = y[i];
      project_row(out, d, k, r);
      return all_finite(out, d) ? RV_OK : RV_E_NONFINITE;
    default: return RV_E_ARG;
  }
  project_row(out, d, k, RV_GEO_BALL_EPS);
  return all_finite(out, d) ? RV_OK : RV_E_NONFINITE;
}

/* ------------------------------------------------------------- exported: math */

int RV_FN(geo_rows)(int op, const float *X, int64_t x_stride, const float *Y, int64_t y_stride,
                    int64_t n, int64_t d, float k, float r, float *out) {
  if (n < 0 || d <= 0 || !Y || !out || (x_stride != 0 && x_stride != d) ||
      (y_stride != 0 && y_stride != d) || op < 0 || op > RV_GEO_OP_NORM)
    return RV_E_ARG;
  const int needs_x = op <= RV_GEO_OP_LOG;
  if (needs_x && !X) return RV_E_ARG;
  const int scalar_out = op == RV_GEO_OP_DIST || op == RV_GEO_OP_NORM;
  for (int64_t i = 0; i < n; i++) {
    int rc = geo_row(op, needs_x ? X + i * x_stride : NULL, Y + i * y_stride, d, k, r,
                     scalar_out ? out + i : out + i * d);
    if (rc) return rc;
  }
  return RV_OK;
}

/* out = 1/2 (x)_k (num / clamp_abs(den)): the last step of every gyromidpoint. */
static void midpoint_finish(float *num, double den, int64_t d, double k) {
  if (fabs(den) < RV_GEO_MIN_DENOM) den = den < 0 ? -RV_GEO_MIN_DENOM : RV_GEO_MIN_DENOM;
  scale_vec(num, (float)(1.0 / den), d);
  radial(num, d, k, RV_GEO_OP_SCALAR_MUL, 0.5, num);
  project_row(num, d, k, RV_GEO_BALL_EPS);
}

int RV_FN(geo_midpoint)(const float *X, const float *w, int64_t n, int64_t d, float k,
                        float *out) {
  if (n < 1 || d <= 0 || !X || !w || !out) return RV_E_ARG;
  zero_vec(out, d);
  double den = 0.0;
  for (int64_t i = 0; i < n; i++) {
    const double lam = 2.0 / conformal(dot(X + i * d, X + i * d, d), k);
    axpy(out, X + i * d, (float)(w[i] * lam), d);
    den += w[i] * (lam - 1.0);
  }
  midpoint_finish(out, den, d, k);
  return all_finite(out, d) ? RV_OK : RV_E_NONFINITE;
}

/* ------------------------------------------------------------- attention */

/* RV_GEO_PULL_OR_REFUSE: a point with |x| >= 1/sqrt(-k) is not one of the ball. */
static int refuses_outside(int project, double x2, double k) {
  return project == RV_GEO_PULL_OR_REFUSE && k < 0 && !(x2 * -k < 1.0);
}

static int geo_attend_impl(const float *q, const float *K, const float *V, const int64_t *idx,
                           const uint8_t *mask, int64_t n, int64_t de, int64_t dh, int64_t dve,
                           int64_t dvh, double k, float we, float wh, int project,
                           float *qh, float *out, float *weights) {
  const int64_t d = de + dh, dv = dve + dvh;
  /* the curved part of the query, pulled into the ball once */
  for (int64_t i = 0; i < dh; i++) qh[i] = q[de + i];
  if (refuses_outside(project, dh ? dot(qh, qh, dh) : 0.0, k)) return RV_E_ARG;
  if (project && dh) project_row(qh, dh, k, RV_GEO_BALL_EPS);
  const double q2 = dh ? dot(qh, qh, dh) : 0.0;
  softmax_state st;
  state_init(&st, out, weights, dv);
  double den = 0.0; /* sum_j p_j (lambda_j - 1) of the value midpoint */
  float *scores[1] = {weights};
  key_block blk;
  int64_t i = 0;
  while (i < n) {
    next_block(&blk, &i, n, K, V, idx, mask, d, dv, scores, 1);
    if (!blk.count) break;
    float sc[RV_KEY_BLOCK], lam[RV_KEY_BLOCK], vs[RV_KEY_BLOCK];
    float bm = -RV_INF;
    for (int j = 0; j < blk.count; j++) {
      const float *kj = blk.k[j];
      double s = de ? we * dot(q, kj, de) : 0.0;
      if (dh) {
        const float *kh = kj + de;
        double k2, diff2 = sq_diff_norm(qh, kh, dh, &k2);
        if (refuses_outside(project, k2, k)) return RV_E_ARG;
        const float sk = project ? ball_scale(k2, k, RV_GEO_BALL_EPS) : 1.0f;
        if (sk != 1.0f) { /* rare: a key outside the ball, measured again once pulled in */
          diff2 = 0.0;
          for (int64_t t = 0; t < dh; t++) {
            const double e = (double)qh[t] - (double)sk * kh[t];
            diff2 += e * e;
          }
          k2 *= (double)sk * sk;
        }
        s -= wh * dist_k(q2, k2, diff2, k);
      }
      sc[j] = (float)s;
      if (!RV_ISFINITE(sc[j])) return RV_E_NONFINITE;
      if (sc[j] > bm) bm = sc[j];
      if (dvh) {
        const float *vh = blk.v[j] + dve;
        double v2 = dot(vh, vh, dvh);
        if (refuses_outside(project, v2, k)) return RV_E_ARG;
        vs[j] = project ? ball_scale(v2, k, RV_GEO_BALL_EPS) : 1.0f;
        v2 *= (double)vs[j] * vs[j];
        lam[j] = (float)(2.0 / conformal(v2, k));
      }
    }
    if (st.scores)
      for (int j = 0; j < blk.count; j++) st.scores[blk.pos[j]] = sc[j];
    if (bm > st.m) { /* the online-softmax rescale (softmax.h discipline) */
      if (st.s > 0.0f) {
        const float c = exp1(st.m - bm);
        st.s *= c;
        den *= c;
        scale_vec(st.acc, c, dv);
      }
      st.m = bm;
    }
    for (int j = 0; j < blk.count; j++) {
      const float p = exp1(sc[j] - st.m);
      st.s += p;
      if (dve) axpy(st.acc, blk.v[j], p, dve);
      if (dvh) {
        axpy(st.acc + dve, blk.v[j] + dve, p * lam[j] * vs[j], dvh);
        den += p * (lam[j] - 1.0);
      }
    }
  }
  const float s_total = st.s;
  int rc = state_finish(&st, dv, n);
  if (rc || s_total == 0.0f || !dvh) return rc;
  midpoint_finish(out + dve, den / s_total, dvh, k);
  return all_finite(out, dv) ? RV_OK : RV_E_NONFINITE;
}

static int geo_bad(int64_t n, int64_t de, int64_t dh, int64_t dve, int64_t dvh) {
  return n < 0 || de < 0 || dh < 0 || dve < 0 || dvh < 0 || de + dh < 1 || dve + dvh < 1;
}

int RV_FN(geo_attend)(const float *Q, const float *K, const float *V, const int64_t *indptr,
                      const int64_t *indices, const uint8_t *mask, int64_t num_rows, int64_t nnz,
                      int64_t n, int64_t de, int64_t dh, int64_t dve, int64_t dvh, float k,
                      float we, float wh, int project, int64_t row_begin, int64_t row_end,
                      float *scratch, float *out, float *weights) {
  if (geo_bad(n, de, dh, dve, dvh) || (row_end > row_begin && (!Q || !out)) ||
      (dh && !scratch) || (n && (!K || !V)) || (mask && indptr))
    return RV_E_ARG;
  int rc = check_rows(indptr, indices, num_rows, nnz, n, row_begin, row_end);
  const int64_t d = de + dh, dv = dve + dvh;
  for (int64_t r = row_begin; r < row_end && !rc; r++) {
    const int64_t *idx, len = row_keys(indptr, indices, n, r, &idx);
    float *w = weights ? weights + (indptr ? indptr[r] : r * n) : NULL;
    rc = geo_attend_impl(Q + r * d, K, V, idx, mask, len, de, dh, dve, dvh, k, we, wh, project,
                         scratch, out + r * dv, w);
  }
  return rc;
}

/* ------------------------------------------------------------- attention backward */

static double dot_d(const double *a, const double *b, int64_t d) {
  double s = 0.0;
  for (int64_t i = 0; i < d; i++) s += a[i] * b[i];
  return s;
}

static double dot_fd(const float *a, const double *b, int64_t d) {
  double s = 0.0;
  for (int64_t i = 0; i < d; i++) s += a[i] * b[i];
  return s;
}

static double dot_ff(const float *a, const float *b, int64_t d) { /* summed in double */
  double s = 0.0;
  for (int64_t i = 0; i < d; i++) s += (double)a[i] * b[i];
  return s;
}

/* out = J_P(x)^T grad for the pull P x = x * scale: with scale s < 1 at |x| = r,
   s (grad - u <u, grad>), u = x / r; the identity when the point was inside. */
RV_MINSIZE static void pull_transpose(const float *x, double scale, const double *grad,
                                      int64_t d, float *out) {
  if (scale == 1.0) {
    for (int64_t i = 0; i < d; i++) out[i] = (float)grad[i];
    return;
  }
  const double c = dot_fd(x, grad, d) / dot_ff(x, x, d); /* <u, grad> / r */
  for (int64_t i = 0; i < d; i++) out[i] = (float)(scale * (grad[i] - x[i] * c));
}

/* (d/dx, d/dk) of arsin_k, artan_k or tan_k at x, with value f: the series switch of the
   functions; otherwise d/dk = (x d/dx - f) / (2k), as f = F(s x) / s, s^2 = |k|. */
RV_MINSIZE static void kappa_partials(int fn, double x, double k, double f, double *fx,
                                      double *fk) {
  const double x2 = x * x, A = RV_KAPPA_SERIES[fn][0], B = RV_KAPPA_SERIES[fn][1];
  if (near_zero(x, k)) { /* f = x + A k x^3 + B k^2 x^5 */
    *fx = 1.0 + 3.0 * A * k * x2 + 5.0 * B * k * k * x2 * x2;
    *fk = A * x2 * x + 2.0 * B * k * x2 * x2 * x;
    return;
  }
  const double kx2 = k * x2, kf2 = k * f * f;
  *fx = fn == RV_ARSIN_K ? 1.0 / sqrt(1.0 - kx2) : fn == RV_ARTAN_K ? 1.0 / (1.0 + kx2) : 1.0 + kf2;
  *fk = (x * *fx - f) / (2.0 * k);
}

/* One rv_geo_backward call: its inputs, the forward kept in double, and d<out, g>/d(.)
   as the phases fill them. Per key (N): alpha the weights, galpha d/d alpha, sk / sv the
   key / value ball pulls, bq = 1 + k|k_h|^2, wq = |q_h - k_h|^2 / (a bq), zq = sqrt(wq),
   dist = 2 arsin_k(zq), lam the value conformal factors, sdot = d score / dk. */
typedef struct {
  const float *q, *K, *V, *g;
  const uint8_t *mask;
  int64_t n, de, dh, dve, dvh, d, dv;
  double k, we, wh, sq, a, sbar, g_k; /* sq: the query's pull, a = 1 + k|q_h|^2 */
  int project, want_k;
  double *alpha, *galpha, *sk, *bq, *wq, *zq, *dist, *sv, *lam, *sdot; /* (N) each */
  double *gqe, *qh, *gqh, *gkh, *qdot, *N, *t, *gt, *Ndot, *tdot; /* de, 4 x dh, 5 x dvh */
} geo_grad;

static int masked(const geo_grad *b, int64_t j) { return b->mask && !b->mask[j]; }

/* Phase 1, the forward again: scores (and, want_k, their k-derivatives by forward mode,
   x' = dx/dk; a ball pull scale maxnorm / |x| has derivative -scale / (2k) through
   maxnorm = (1 - eps)/sqrt(-k)), then the softmax weights. Returns the live key count. */
RV_MINSIZE static int64_t grad_scores(geo_grad *b) {
  const int64_t de = b->de, dh = b->dh;
  const double k = b->k, *qh = b->qh;
  double *sk = b->sk, *bq = b->bq, *wq = b->wq, *zq = b->zq, *dist = b->dist;
  b->sq = b->project ? pull_scale(dot_ff(b->q + de, b->q + de, dh), k, RV_GEO_BALL_EPS) : 1.0;
  for (int64_t i = 0; i < dh; i++) b->qh[i] = b->q[de + i] * b->sq;
  b->a = fmax(1.0 + k * dot_d(qh, qh, dh), RV_GEO_MIN_NORM);
  const double sqdot = b->want_k && b->sq != 1.0 ? -b->sq / (2.0 * k) : 0.0;
  for (int64_t i = 0; i < dh; i++) b->qdot[i] = b->q[de + i] * sqdot;
  const double adot = b->want_k ? dot_d(qh, qh, dh) + 2.0 * k * dot_d(qh, b->qdot, dh) : 0.0;
  double smax = -INFINITY;
  int64_t live = 0;
  for (int64_t j = 0; j < b->n; j++) {
    b->sdot[j] = 0.0;
    if (masked(b, j)) { b->alpha[j] = -INFINITY; continue; }
    const float *kj = b->K + j * b->d, *kh = kj + de;
    double s = b->we * dot_ff(b->q, kj, de);
    if (dh) {
      const double k2raw = dot_ff(kh, kh, dh);
      sk[j] = b->project ? pull_scale(k2raw, k, RV_GEO_BALL_EPS) : 1.0;
      double diff2 = 0.0;
      for (int64_t i = 0; i < dh; i++) { const double e = qh[i] - kh[i] * sk[j]; diff2 += e * e; }
      bq[j] = 1.0 + k * k2raw * sk[j] * sk[j];
      wq[j] = diff2 / (b->a * bq[j]);
      zq[j] = sqrt(wq[j]);
      dist[j] = 2.0 * arsin_k(zq[j], k);
      s -= b->wh * dist[j];
      if (b->want_k) {
        const double skdot = sk[j] != 1.0 ? -sk[j] / (2.0 * k) : 0.0;
        double kk = 0.0, kkd = 0.0, eed = 0.0;
        for (int64_t i = 0; i < dh; i++) {
          const double khi = kh[i] * sk[j], khd = kh[i] * skdot, e = qh[i] - khi;
          kk += khi * khi;
          kkd += khi * khd;
          eed += e * (b->qdot[i] - khd);
        }
        const double bdot = kk + 2.0 * k * kkd;
        const double wdot = 2.0 * eed / (b->a * bq[j]) - wq[j] * (adot / b->a + bdot / bq[j]);
        const double zdot = zq[j] > 0.0 ? wdot / (2.0 * zq[j]) : 0.0;
        double fx, fk;
        kappa_partials(RV_ARSIN_K, zq[j], k, 0.5 * dist[j], &fx, &fk);
        b->sdot[j] = -b->wh * 2.0 * (fx * zdot + fk);
      }
    }
    b->alpha[j] = s;
    if (s > smax) smax = s;
    live++;
  }
  if (!live) return 0;
  double total = 0.0; /* exp(-inf) = 0 for the masked keys */
  for (int64_t j = 0; j < b->n; j++) total += b->alpha[j] = exp(b->alpha[j] - smax);
  b->sbar = 0.0; /* alpha_j' = alpha_j (s_j' - sbar), sbar = sum alpha s' */
  for (int64_t j = 0; j < b->n; j++) b->sbar += (b->alpha[j] /= total) * b->sdot[j];
  return live;
}

/* Phase 2, the Euclidean values: the output is linear in alpha. */
RV_MINSIZE static void grad_euclidean_values(geo_grad *b, float *gV) {
  for (int64_t j = 0; j < b->n; j++) {
    b->galpha[j] = 0.0;
    if (masked(b, j)) continue;
    b->galpha[j] = dot_ff(b->V + j * b->dv, b->g, b->dve);
    for (int64_t i = 0; i < b->dve; i++) gV[j * b->dv + i] = (float)(b->alpha[j] * b->g[i]);
    b->g_k += b->alpha[j] * (b->sdot[j] - b->sbar) * b->galpha[j]; /* <g_e, sum alpha_j' v_je> */
  }
}

/* Phase 3, the curved values: the gyromidpoint 1/2 (x)_k (N / Dn), pulled into the ball. */
RV_MINSIZE static void grad_midpoint(geo_grad *b, float *gV) {
  const int64_t dvh = b->dvh, dv = b->dv;
  const double k = b->k, *alpha = b->alpha;
  const float *gh = b->g + b->dve;
  double *sv = b->sv, *lam = b->lam, *N = b->N, *t = b->t, *gt = b->gt, Dn = 0.0, Dndot = 0.0;
  for (int64_t i = 0; i < dvh; i++) N[i] = b->Ndot[i] = 0.0;
  for (int64_t j = 0; j < b->n; j++) {
    if (masked(b, j)) continue;
    const float *vh = b->V + j * dv + b->dve;
    const double v2raw = dot_ff(vh, vh, dvh);
    sv[j] = b->project ? pull_scale(v2raw, k, RV_GEO_BALL_EPS) : 1.0;
    lam[j] = 2.0 / (1.0 + k * v2raw * sv[j] * sv[j]);
    for (int64_t i = 0; i < dvh; i++) N[i] += alpha[j] * lam[j] * vh[i] * sv[j];
    Dn += alpha[j] * (lam[j] - 1.0);
    if (b->want_k) {
      const double svdot = sv[j] != 1.0 ? -sv[j] / (2.0 * k) : 0.0;
      const double v2 = v2raw * sv[j] * sv[j], v2d = v2raw * sv[j] * svdot;
      const double lamdot = -0.5 * lam[j] * lam[j] * (v2 + 2.0 * k * v2d);
      const double ad = alpha[j] * (b->sdot[j] - b->sbar);
      const double c = (ad * lam[j] + alpha[j] * lamdot) * sv[j] + alpha[j] * lam[j] * svdot;
      for (int64_t i = 0; i < dvh; i++) b->Ndot[i] += c * vh[i];
      Dndot += ad * (lam[j] - 1.0) + alpha[j] * lamdot;
    }
  }
  if (fabs(Dn) < RV_GEO_MIN_DENOM) {
    Dn = Dn >= 0 ? RV_GEO_MIN_DENOM : -RV_GEO_MIN_DENOM;
    Dndot = 0.0;
  }
  for (int64_t i = 0; i < dvh; i++) t[i] = N[i] / Dn;
  const double tnorm = sqrt(dot_d(t, t, dvh)), r = fmax(tnorm, RV_GEO_MIN_NORM);
  const double y = 0.5 * artan_k(r, k), f = tan_k(y, k), fr = f / r;
  /* the output is P(mid), mid = f / r t: its squared norm, pull scale and <mid, g_h> */
  const double m2 = fr * fr * tnorm * tnorm, so = pull_scale(m2, k, RV_GEO_BALL_EPS);
  double mg = 0.0;
  for (int64_t i = 0; i < dvh; i++) mg += fr * t[i] * gh[i];
  if (b->want_k) { /* d<P(mid), g_h>/dk */
    for (int64_t i = 0; i < dvh; i++) b->tdot[i] = (b->Ndot[i] - t[i] * Dndot) / Dn;
    const double rdot = tnorm > RV_GEO_MIN_NORM ? dot_d(t, b->tdot, dvh) / r : 0.0;
    double fx, fk;
    kappa_partials(RV_ARTAN_K, r, k, 2.0 * y, &fx, &fk);
    const double ydot = 0.5 * (fx * rdot + fk);
    kappa_partials(RV_TAN_K, y, k, f, &fx, &fk);
    const double fdot = fx * ydot + fk;
    double mmd = 0.0, gmd = 0.0; /* <mid, mid'>, <g_h, mid'> */
    for (int64_t i = 0; i < dvh; i++) {
      const double middot = (fdot / r - f * rdot / (r * r)) * t[i] + fr * b->tdot[i];
      mmd += fr * t[i] * middot;
      gmd += gh[i] * middot;
    }
    const double sodot = so != 1.0 ? so * (-1.0 / (2.0 * k) - mmd / m2) : 0.0;
    b->g_k += gmd * so + mg * sodot;
  }
  /* gm = the output pull's transpose applied to g_h (kept in gt) */
  for (int64_t i = 0; i < dvh; i++) gt[i] = so == 1.0 ? gh[i] : so * (gh[i] - fr * t[i] * mg / m2);
  const double fprime = (1.0 + k * f * f) * 0.5 / (1.0 + k * r * r);
  const double c = (fprime - fr) * dot_d(t, gt, dvh) / r;
  for (int64_t i = 0; i < dvh; i++) gt[i] = fr * gt[i] + c * t[i] / r; /* d<out_h, g>/dt */
  const double gDn = -dot_d(N, gt, dvh) / (Dn * Dn);
  for (int64_t j = 0; j < b->n; j++) { /* gN = gt / Dn */
    if (masked(b, j)) continue;
    const float *vh = b->V + j * dv + b->dve;
    const double vg = dot_fd(vh, gt, dvh) * sv[j] / Dn;
    b->galpha[j] += lam[j] * vg + (lam[j] - 1.0) * gDn;
    const double glam = alpha[j] * (vg + gDn), cl = glam * k * lam[j] * lam[j];
    for (int64_t i = 0; i < dvh; i++) N[i] = alpha[j] * lam[j] * gt[i] / Dn - cl * vh[i] * sv[j];
    pull_transpose(vh, sv[j], N, dvh, gV + j * dv + b->dve);
  }
}

/* Phase 4, the scores: through the softmax to the Euclidean product and the curved
   distance, into gq (via gqe / gqh), gK and d/d we, d/d wh. */
RV_MINSIZE static void grad_keys(geo_grad *b, float *gK, double *params) {
  const int64_t de = b->de, dh = b->dh;
  const double k = b->k;
  double mean = 0.0;
  for (int64_t j = 0; j < b->n; j++) mean += b->alpha[j] * b->galpha[j];
  for (int64_t j = 0; j < b->n; j++) {
    if (masked(b, j)) continue;
    const double gs = b->alpha[j] * (b->galpha[j] - mean);
    const float *kj = b->K + j * b->d;
    float *gkj = gK + j * b->d;
    if (de) {
      params[0] += gs * dot_ff(b->q, kj, de);
      for (int64_t i = 0; i < de; i++) {
        b->gqe[i] += gs * b->we * kj[i];
        gkj[i] = (float)(gs * b->we * b->q[i]);
      }
    }
    if (dh) {
      params[1] -= gs * b->dist[j];
      if (b->zq[j] > 0.0) {
        const double zq = b->zq[j], wq = b->wq[j], bq = b->bq[j];
        const double gz = -b->wh * gs * 2.0 / sqrt(1.0 - k * zq * zq), gw = gz / (2.0 * zq);
        const double gD2 = gw / (b->a * bq), ga = -gw * wq / b->a, gb = -gw * wq / bq;
        for (int64_t i = 0; i < dh; i++) {
          const double kh = kj[de + i] * b->sk[j], e = b->qh[i] - kh;
          b->gqh[i] += 2.0 * gD2 * e + ga * 2.0 * k * b->qh[i];
          b->gkh[i] = -2.0 * gD2 * e + gb * 2.0 * k * kh;
        }
        pull_transpose(kj + de, b->sk[j], b->gkh, dh, gkj + de);
      }
    }
  }
}

/* Scalar float64 code with no SIMD to gain: built for size (the wasm kernel's budget). */
RV_MINSIZE int RV_FN(geo_backward)(
    const float *q, const float *K, const float *V, const uint8_t *mask, int64_t n, int64_t de,
    int64_t dh, int64_t dve, int64_t dvh, double k, double we, double wh, int project,
    const float *g, float *gq, float *gK, float *gV, int want_k, double *params, double *work) {
  if (geo_bad(n, de, dh, dve, dvh) || !q || !g || !gq || !params || !work || (want_k && k == 0.0) ||
      (n && (!K || !V || !gK || !gV)))
    return RV_E_ARG;
  geo_grad b = {.q = q, .K = K, .V = V, .g = g, .mask = mask, .n = n, .de = de, .dh = dh,
                .dve = dve, .dvh = dvh, .d = de + dh, .dv = dve + dvh, .k = k, .we = we, .wh = wh,
                .project = project, .want_k = want_k};
  double **per_key[] = {&b.alpha, &b.galpha, &b.sk, &b.bq, &b.wq, &b.zq, &b.dist, &b.sv, &b.lam,
                        &b.sdot};
  double **vectors[] = {&b.gqe, &b.qh, &b.gqh, &b.gkh, &b.qdot,
                        &b.N, &b.t, &b.gt, &b.Ndot, &b.tdot};
  const int64_t widths[] = {de, dh, dh, dh, dh, dvh, dvh, dvh, dvh, dvh};
  for (int i = 0; i < 10; i++) *per_key[i] = work + i * n; /* work: 10 N, then the vectors */
  double *w = work + 10 * n;
  for (int i = 0; i < 10; i++) { *vectors[i] = w; w += widths[i]; }
  zero_vec(gq, b.d);
  zero_vec(gK, n * b.d);
  zero_vec(gV, n * b.dv);
  params[0] = params[1] = params[2] = 0.0;
  for (int64_t i = 0; i < de; i++) b.gqe[i] = 0.0;
  for (int64_t i = 0; i < dh; i++) b.gqh[i] = 0.0;
  if (!grad_scores(&b)) return RV_OK; /* every key masked: the output is constant zero */
  grad_euclidean_values(&b, gV);
  if (dvh) grad_midpoint(&b, gV);
  grad_keys(&b, gK, params);
  for (int64_t i = 0; i < de; i++) gq[i] = (float)b.gqe[i];
  pull_transpose(q + de, b.sq, b.gqh, dh, gq + de);
  params[2] = b.g_k;
  const int finite = all_finite(gq, b.d) && all_finite(gK, n * b.d) && all_finite(gV, n * b.dv)
                     && isfinite(params[0]) && isfinite(params[1]) && isfinite(b.g_k);
  return finite ? RV_OK : RV_E_NONFINITE;
}

/* ------------------------------------------------------------- GAT aggregation */

static inline float leaky(float x, float slope) { return x > 0.0f ? x : slope * x; }

int RV_FN(gat_aggregate)(const float *a_src, const float *a_dst, const float *a_edge,
                         const float *Y, const int64_t *indptr, const int64_t *indices,
                         int64_t num_dst, int64_t nnz, int64_t num_src, int64_t h, int64_t c,
                         float negative_slope, int concat, const float *bias, int64_t row_begin,
                         int64_t row_end, float *out, float *weights) {
  if (h < 1 || c < 1 || !a_src || !a_dst || !Y || !out || (nnz && !weights)) return RV_E_ARG;
  /* rows are the num_dst targets, indices point at the num_src sources */
  int rc = check_csr(indptr, indices, num_dst, nnz, num_src, row_begin, row_end);
  if (rc) return rc;
  const int64_t width = concat ? h * c : c;
  const float head_scale = concat ? 1.0f : 1.0f / (float)h;
  for (int64_t r = row_begin; r < row_end; r++) {
    float *o = out + r * width;
    zero_vec(o, width);
    const int64_t e0 = indptr[r], e1 = indptr[r + 1];
    for (int64_t hh = 0; hh < h && e1 > e0; hh++) {
      float m = -RV_INF, *w = weights + hh; /* w[e * h]: the logit of edge e, then its weight */
      for (int64_t e = e0; e < e1; e++) {
        w[e * h] = leaky(a_src[indices[e] * h + hh] + a_dst[r * h + hh] +
                         (a_edge ? a_edge[e * h + hh] : 0.0f), negative_slope);
        if (!RV_ISFINITE(w[e * h])) return RV_E_NONFINITE;
        if (w[e * h] > m) m = w[e * h];
      }
      double s = 0.0;
      for (int64_t e = e0; e < e1; e++) s += w[e * h] = exp1(w[e * h] - m);
      const float inv = (float)(1.0 / s);
      float *oh = concat ? o + hh * c : o;
      for (int64_t e = e0; e < e1; e++) {
        w[e * h] *= inv;
        axpy(oh, Y + indices[e] * h * c + hh * c, w[e * h] * head_scale, c);
      }
    }
    if (bias) axpy(o, bias, 1.0f, width);
    if (!all_finite(o, width)) return RV_E_NONFINITE;
  }
  return RV_OK;
}
