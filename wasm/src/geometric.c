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

static double tan_k(double x, double k) {
  if (fabs(k) * x * x < RV_GEO_SERIES_LIMIT) return x + k * x * x * x / 3.0 + 2.0 * k * k * pow(x, 5) / 15.0;
  const double s = sqrt(fabs(k));
  if (k < 0) return tanh(fmin(s * x, RV_GEO_TANH_CLAMP)) / s;
  return tan(s * x) / s;
}

static double artan_k(double x, double k) {
  if (fabs(k) * x * x < RV_GEO_SERIES_LIMIT) return x - k * x * x * x / 3.0 + k * k * pow(x, 5) / 5.0;
  const double s = sqrt(fabs(k));
  if (k < 0) return atanh(fmin(s * x, RV_GEO_ARTANH_CLAMP)) / s;
  return atan(s * x) / s;
}

static double arsin_k(double x, double k) {
  if (fabs(k) * x * x < RV_GEO_SERIES_LIMIT) return x + k * x * x * x / 6.0 + 3.0 * k * k * pow(x, 5) / 40.0;
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

static double sq_diff(const float *a, const float *b, int64_t d) {
  rv_v s = rv_zero();
  int64_t i = 0;
  for (; i + RV_W <= d; i += RV_W) {
    rv_v t = rv_sub(rv_load(a + i), rv_load(b + i));
    s = rv_fma(t, t, s);
  }
  double r = rv_hsum(s);
  for (; i < d; i++) r += (double)(a[i] - b[i]) * (a[i] - b[i]);
  return r;
}

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

/* |a - sb b|^2 (a key pulled into the ball by sb). */
static double sq_diff_scaled(const float *a, const float *b, float sb, int64_t d) {
  double r = 0.0;
  for (int64_t i = 0; i < d; i++) {
    const double t = (double)a[i] - (double)sb * b[i];
    r += t * t;
  }
  return r;
}

/* out = a x + b y (out may alias neither). */
static void lincomb(float *out, float a, const float *x, float b, const float *y, int64_t d) {
  for (int64_t i = 0; i < d; i++) out[i] = a * x[i] + b * y[i];
}

static void mobius_add(const float *x, const float *y, int64_t d, double k, float *out) {
  const double x2 = dot(x, x, d), y2 = dot(y, y, d), xy = dot(x, y, d);
  const double den = fmax(1.0 - 2.0 * k * xy + k * k * x2 * y2, RV_GEO_MIN_NORM);
  lincomb(out, (float)((1.0 - 2.0 * k * xy - k * y2) / den), x, (float)((1.0 + k * x2) / den), y, d);
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
    case RV_GEO_OP_DIST:
      *out = (float)dist_k(dot(x, x, d), dot(y, y, d), sq_diff(x, y, d), k);
      return RV_ISFINITE(*out) ? RV_OK : RV_E_NONFINITE;
    case RV_GEO_OP_NORM: *out = sqrtf(dot(y, y, d)); return RV_OK;
    case RV_GEO_OP_MOBIUS_ADD: mobius_add(x, y, d, k, out); break;
    case RV_GEO_OP_EXP: { /* x (+) tan_k(lambda_x |u| / 2) u / |u| */
      const double un = fmax(sqrt((double)dot(y, y, d)), RV_GEO_MIN_NORM);
      const double lam = 2.0 / conformal(dot(x, x, d), k);
      const float s = (float)(tan_k(0.5 * lam * un, k) / un);
      for (int64_t i = 0; i < d; i++) out[i] = s * y[i]; /* out holds the second term */
      /* x (+) out in place: the coefficients only need dots of the second term */
      const double x2 = dot(x, x, d), y2 = dot(out, out, d), xy = dot(x, out, d);
      const double den = fmax(1.0 - 2.0 * k * xy + k * k * x2 * y2, RV_GEO_MIN_NORM);
      const float a = (float)((1.0 - 2.0 * k * xy - k * y2) / den), b = (float)((1.0 + k * x2) / den);
      for (int64_t i = 0; i < d; i++) out[i] = a * x[i] + b * out[i];
      break;
    }
    case RV_GEO_OP_LOG: { /* 2/lambda_x artan_k(|(-x) (+) y|) sub / |sub| */
      const double x2 = dot(x, x, d), y2 = dot(y, y, d), xy = -(double)dot(x, y, d);
      const double den = fmax(1.0 - 2.0 * k * xy + k * k * x2 * y2, RV_GEO_MIN_NORM);
      const double a = (1.0 - 2.0 * k * xy - k * y2) / den, b = (1.0 + k * x2) / den;
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
          diff2 = sq_diff_scaled(qh, kh, sk, dh);
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

int RV_FN(geo_attend)(const float *q, const float *K, const float *V, const int64_t *idx,
                      const uint8_t *mask, int64_t n, int64_t de, int64_t dh, int64_t dve,
                      int64_t dvh, float k, float we, float wh, int project, float *scratch,
                      float *out, float *weights) {
  if (geo_bad(n, de, dh, dve, dvh) || !q || !out || (dh && !scratch) || (n && (!K || !V)))
    return RV_E_ARG;
  return geo_attend_impl(q, K, V, idx, mask, n, de, dh, dve, dvh, k, we, wh, project, scratch,
                         out, weights);
}

int RV_FN(geo_graph)(const float *X, const float *V, const int64_t *indptr,
                     const int64_t *indices, int64_t num_nodes, int64_t de, int64_t dh,
                     int64_t dve, int64_t dvh, float k, float we, float wh, int project,
                     int64_t row_begin, int64_t row_end, float *scratch, float *out) {
  if (geo_bad(num_nodes, de, dh, dve, dvh) || !X || !V || !indptr || !out ||
      (dh && !scratch) || row_begin < 0 || row_end > num_nodes || row_begin > row_end)
    return RV_E_ARG;
  int rc = check_csr(indptr, indices, num_nodes, num_nodes, row_begin, row_end);
  if (rc) return rc;
  const int64_t d = de + dh, dv = dve + dvh;
  for (int64_t r = row_begin; r < row_end; r++) {
    rc = geo_attend_impl(X + r * d, X, V, indices + indptr[r], NULL, indptr[r + 1] - indptr[r],
                         de, dh, dve, dvh, k, we, wh, project, scratch, out + r * dv, NULL);
    if (rc) return rc;
  }
  return RV_OK;
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

/* out = J_P(x)^T grad for the pull P x = x * scale: with scale s < 1 at |x| = r,
   s (grad - u <u, grad>), u = x / r; the identity when the point was inside. */
RV_MINSIZE static void pull_transpose(const float *x, double scale,
                                                    const double *grad, int64_t d, float *out) {
  if (scale == 1.0) {
    for (int64_t i = 0; i < d; i++) out[i] = (float)grad[i];
    return;
  }
  double x2 = 0.0, xg = 0.0;
  for (int64_t i = 0; i < d; i++) { x2 += (double)x[i] * x[i]; xg += x[i] * grad[i]; }
  const double c = xg / x2;  /* <u, grad> / r */
  for (int64_t i = 0; i < d; i++) out[i] = (float)(scale * (grad[i] - x[i] * c));
}

/* (d/dx, d/dk) of arsin_k (op 0), artan_k (1) or tan_k (2) at x, with value f: the series
   switch of the functions; otherwise d/dk = (x d/dx - f) / (2k), as f = F(s x) / s, s^2 = |k|. */
RV_MINSIZE static void kappa_partials(int op, double x, double k, double f, double *fx,
                                                    double *fk) {
  const double x2 = x * x;
  if (fabs(k) * x2 < RV_GEO_SERIES_LIMIT) {
    static const double c[3][4] = {{0.5, 0.375, 1.0 / 6.0, 0.15},       /* arsin */
                                   {-1.0, 1.0, -1.0 / 3.0, 0.4},        /* artan */
                                   {1.0, 2.0 / 3.0, 1.0 / 3.0, 4.0 / 15.0}}; /* tan */
    *fx = 1.0 + c[op][0] * k * x2 + c[op][1] * k * k * x2 * x2;
    *fk = c[op][2] * x2 * x + c[op][3] * k * x2 * x2 * x;
    return;
  }
  *fx = op == 0 ? 1.0 / sqrt(1.0 - k * x2) : op == 1 ? 1.0 / (1.0 + k * x2) : 1.0 + k * f * f;
  *fk = (x * *fx - f) / (2.0 * k);
}

/* Scalar float64 code with no SIMD to gain: built for size (the wasm kernel's budget). */
RV_MINSIZE int RV_FN(geo_backward)(
    const float *q, const float *K, const float *V, const uint8_t *mask, int64_t n, int64_t de,
    int64_t dh, int64_t dve, int64_t dvh, double k, double we, double wh, int project,
    const float *g, float *gq, float *gK, float *gV, int want_k, double *params, double *work) {
  if (geo_bad(n, de, dh, dve, dvh) || !q || !g || !gq || !params || !work || (want_k && k == 0.0) ||
      (n && (!K || !V || !gK || !gV)))
    return RV_E_ARG;
  const int64_t d = de + dh, dv = dve + dvh;
  /* work (doubles): 10 per row, then de + 4 dh + 5 dvh for the query and midpoint vectors */
  double *alpha = work, *galpha = work + n, *sk = work + 2 * n, *bq = work + 3 * n,
         *wq = work + 4 * n, *zq = work + 5 * n, *dist = work + 6 * n, *sv = work + 7 * n,
         *lam = work + 8 * n, *sdot = work + 9 * n, *gqe = work + 10 * n, *qh = gqe + de,
         *gqh = qh + dh, *gkh = gqh + dh, *qdot = gkh + dh, *N = qdot + dh, *t = N + dvh,
         *gt = t + dvh, *Ndot = gt + dvh, *tdot = Ndot + dvh;
  /* want_k: d<out, g>/dk by forward mode alongside the forward (x' = dx/dk); a ball pull
     scale maxnorm / |x| has derivative -scale / (2k) through maxnorm = (1 - eps)/sqrt(-k) */
  double g_k = 0.0;
  zero_vec(gq, d);
  zero_vec(gK, n * d);
  zero_vec(gV, n * dv);
  params[0] = params[1] = params[2] = 0.0;
  for (int64_t i = 0; i < de; i++) gqe[i] = 0.0;
  for (int64_t i = 0; i < dh; i++) gqh[i] = 0.0;

  /* the forward again, in double, keeping what the reverse pass needs */
  double q2raw = 0.0;
  for (int64_t i = 0; i < dh; i++) q2raw += (double)q[de + i] * q[de + i];
  const double sq = project ? pull_scale(q2raw, k, RV_GEO_BALL_EPS) : 1.0;
  for (int64_t i = 0; i < dh; i++) qh[i] = q[de + i] * sq;
  const double a = fmax(1.0 + k * dot_d(qh, qh, dh), RV_GEO_MIN_NORM);
  const double sqdot = want_k && sq != 1.0 ? -sq / (2.0 * k) : 0.0;
  for (int64_t i = 0; i < dh; i++) qdot[i] = q[de + i] * sqdot;
  const double adot = want_k ? dot_d(qh, qh, dh) + 2.0 * k * dot_d(qh, qdot, dh) : 0.0;
  double smax = -INFINITY;
  int64_t live = 0;
  for (int64_t j = 0; j < n; j++) {
    if (mask && !mask[j]) { alpha[j] = -INFINITY; continue; }
    const float *kj = K + j * d;
    double s = 0.0;
    for (int64_t i = 0; i < de; i++) s += (double)q[i] * kj[i];
    s *= we;
    sdot[j] = 0.0;
    if (dh) {
      double k2raw = 0.0;
      for (int64_t i = 0; i < dh; i++) k2raw += (double)kj[de + i] * kj[de + i];
      sk[j] = project ? pull_scale(k2raw, k, RV_GEO_BALL_EPS) : 1.0;
      double diff2 = 0.0;
      for (int64_t i = 0; i < dh; i++) { const double e = qh[i] - kj[de + i] * sk[j]; diff2 += e * e; }
      bq[j] = 1.0 + k * k2raw * sk[j] * sk[j];
      wq[j] = diff2 / (a * bq[j]);
      zq[j] = sqrt(wq[j]);
      dist[j] = 2.0 * arsin_k(zq[j], k);
      s -= wh * dist[j];
      if (want_k) {
        const double skdot = sk[j] != 1.0 ? -sk[j] / (2.0 * k) : 0.0;
        double kk = 0.0, kkd = 0.0, eed = 0.0;
        for (int64_t i = 0; i < dh; i++) {
          const double kh = kj[de + i] * sk[j], khd = kj[de + i] * skdot, e = qh[i] - kh;
          kk += kh * kh;
          kkd += kh * khd;
          eed += e * (qdot[i] - khd);
        }
        const double bdot = kk + 2.0 * k * kkd;
        const double wdot = 2.0 * eed / (a * bq[j]) - wq[j] * (adot / a + bdot / bq[j]);
        const double zdot = zq[j] > 0.0 ? wdot / (2.0 * zq[j]) : 0.0;
        double fx, fk;
        kappa_partials(0, zq[j], k, 0.5 * dist[j], &fx, &fk);
        sdot[j] = -wh * 2.0 * (fx * zdot + fk);
      }
    }
    alpha[j] = s;
    if (s > smax) smax = s;
    live++;
  }
  if (!live) return RV_OK; /* every key masked: the output is constant zero */
  double total = 0.0;
  for (int64_t j = 0; j < n; j++) total += alpha[j] = exp(alpha[j] - smax); /* exp(-inf) = 0 */
  for (int64_t j = 0; j < n; j++) alpha[j] /= total;
  double sbar = 0.0; /* alpha_j' = alpha_j (s_j' - sum alpha s') */
  for (int64_t j = 0; j < n; j++) sbar += alpha[j] * sdot[j];

  /* values: the Euclidean part is linear in alpha */
  const float *ge = g, *gh = g + dve;
  for (int64_t j = 0; j < n; j++) {
    galpha[j] = 0.0;
    if (mask && !mask[j]) continue;
    const float *vj = V + j * dv;
    for (int64_t i = 0; i < dve; i++) {
      galpha[j] += (double)vj[i] * ge[i];
      gV[j * dv + i] = (float)(alpha[j] * ge[i]);
    }
    g_k += alpha[j] * (sdot[j] - sbar) * galpha[j]; /* <g_e, sum alpha_j' v_je> */
  }
  if (dvh) { /* the gyromidpoint 1/2 (x)_k (N / Dn), pulled into the ball */
    double Dn = 0.0, Dndot = 0.0;
    for (int64_t i = 0; i < dvh; i++) N[i] = Ndot[i] = 0.0;
    for (int64_t j = 0; j < n; j++) {
      if (mask && !mask[j]) continue;
      const float *vh = V + j * dv + dve;
      double v2raw = 0.0;
      for (int64_t i = 0; i < dvh; i++) v2raw += (double)vh[i] * vh[i];
      sv[j] = project ? pull_scale(v2raw, k, RV_GEO_BALL_EPS) : 1.0;
      lam[j] = 2.0 / (1.0 + k * v2raw * sv[j] * sv[j]);
      for (int64_t i = 0; i < dvh; i++) N[i] += alpha[j] * lam[j] * vh[i] * sv[j];
      Dn += alpha[j] * (lam[j] - 1.0);
      if (want_k) {
        const double svdot = sv[j] != 1.0 ? -sv[j] / (2.0 * k) : 0.0;
        const double v2 = v2raw * sv[j] * sv[j], v2d = v2raw * sv[j] * svdot;
        const double lamdot = -0.5 * lam[j] * lam[j] * (v2 + 2.0 * k * v2d);
        const double ad = alpha[j] * (sdot[j] - sbar);
        const double c = (ad * lam[j] + alpha[j] * lamdot) * sv[j] + alpha[j] * lam[j] * svdot;
        for (int64_t i = 0; i < dvh; i++) Ndot[i] += c * vh[i];
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
    if (want_k) { /* d<P(mid), g_h>/dk */
      for (int64_t i = 0; i < dvh; i++) tdot[i] = (Ndot[i] - t[i] * Dndot) / Dn;
      const double rdot = tnorm > RV_GEO_MIN_NORM ? dot_d(t, tdot, dvh) / r : 0.0;
      double fx, fk;
      kappa_partials(1, r, k, 2.0 * y, &fx, &fk);
      const double ydot = 0.5 * (fx * rdot + fk);
      kappa_partials(2, y, k, f, &fx, &fk);
      const double fdot = fx * ydot + fk;
      double mmd = 0.0, gmd = 0.0; /* <mid, mid'>, <g_h, mid'> */
      for (int64_t i = 0; i < dvh; i++) {
        const double middot = (fdot / r - f * rdot / (r * r)) * t[i] + fr * tdot[i];
        mmd += fr * t[i] * middot;
        gmd += gh[i] * middot;
      }
      const double sodot = so != 1.0 ? so * (-1.0 / (2.0 * k) - mmd / m2) : 0.0;
      g_k += gmd * so + mg * sodot;
    }
    /* gm = the output pull's transpose applied to g_h (kept in gt) */
    for (int64_t i = 0; i < dvh; i++) gt[i] = so == 1.0 ? gh[i] : so * (gh[i] - fr * t[i] * mg / m2);
    const double fprime = (1.0 + k * f * f) * 0.5 / (1.0 + k * r * r);
    const double c = (fprime - fr) * dot_d(t, gt, dvh) / r;
    for (int64_t i = 0; i < dvh; i++) gt[i] = fr * gt[i] + c * t[i] / r; /* d<out_h, g>/dt */
    const double gDn = -dot_d(N, gt, dvh) / (Dn * Dn);
    for (int64_t j = 0; j < n; j++) { /* gN = gt / Dn */
      if (mask && !mask[j]) continue;
      const float *vh = V + j * dv + dve;
      const double vg = dot_fd(vh, gt, dvh) * sv[j] / Dn;
      galpha[j] += lam[j] * vg + (lam[j] - 1.0) * gDn;
      const double glam = alpha[j] * (vg + gDn), cl = glam * k * lam[j] * lam[j];
      for (int64_t i = 0; i < dvh; i++) N[i] = alpha[j] * lam[j] * gt[i] / Dn - cl * vh[i] * sv[j];
      pull_transpose(vh, sv[j], N, dvh, gV + j * dv + dve);
    }
  }

  /* scores: softmax, then the Euclidean product and the curved distance */
  double mean = 0.0;
  for (int64_t j = 0; j < n; j++) mean += alpha[j] * galpha[j];
  double g_we = 0.0, g_wh = 0.0;
  for (int64_t j = 0; j < n; j++) {
    if (mask && !mask[j]) continue;
    const double gs = alpha[j] * (galpha[j] - mean);
    const float *kj = K + j * d;
    float *gkj = gK + j * d;
    if (de) {
      double qk = 0.0;
      for (int64_t i = 0; i < de; i++) qk += (double)q[i] * kj[i];
      g_we += gs * qk;
      for (int64_t i = 0; i < de; i++) {
        gqe[i] += gs * we * kj[i];
        gkj[i] = (float)(gs * we * q[i]);
      }
    }
    if (dh) {
      g_wh -= gs * dist[j];
      if (zq[j] > 0.0) {
        const double gz = -wh * gs * 2.0 / sqrt(1.0 - k * zq[j] * zq[j]), gw = gz / (2.0 * zq[j]);
        const double gD2 = gw / (a * bq[j]), ga = -gw * wq[j] / a, gb = -gw * wq[j] / bq[j];
        for (int64_t i = 0; i < dh; i++) {
          const double kh = kj[de + i] * sk[j], e = qh[i] - kh;
          gqh[i] += 2.0 * gD2 * e + ga * 2.0 * k * qh[i];
          gkh[i] = -2.0 * gD2 * e + gb * 2.0 * k * kh;
        }
        pull_transpose(kj + de, sk[j], gkh, dh, gkj + de);
      }
    }
  }
  for (int64_t i = 0; i < de; i++) gq[i] = (float)gqe[i];
  pull_transpose(q + de, sq, gqh, dh, gq + de);
  params[0] = g_we;
  params[1] = g_wh;
  params[2] = g_k;
  const int finite = all_finite(gq, d) && all_finite(gK, n * d) && all_finite(gV, n * dv)
                     && isfinite(g_we) && isfinite(g_wh) && isfinite(g_k);
  return finite ? RV_OK : RV_E_NONFINITE;
}

/* ------------------------------------------------------------- GAT aggregation */

static inline float leaky(float x, float slope) { return x > 0.0f ? x : slope * x; }

int RV_FN(gat_aggregate)(const float *a_src, const float *a_dst, const float *a_edge,
                         const float *Y, const int64_t *indptr, const int64_t *indices,
                         int64_t num_src, int64_t h, int64_t c, float negative_slope, int concat,
                         const float *bias, int64_t row_begin, int64_t row_end, float *out,
                         float *weights) {
  if (h < 1 || c < 1 || num_src < 0 || !a_src || !a_dst || !Y || !indptr || !indices || !out ||
      row_begin < 0 || row_begin > row_end)
    return RV_E_ARG;
  /* rows are targets (row_end of them checked), indices point at the num_src sources */
  int rc = check_csr(indptr, indices, row_end, num_src, row_begin, row_end);
  if (rc) return rc;
  const int64_t width = concat ? h * c : c;
  for (int64_t r = row_begin; r < row_end; r++) {
    float *o = out + r * width;
    zero_vec(o, width);
    const int64_t e0 = indptr[r], e1 = indptr[r + 1];
    for (int64_t hh = 0; hh < h && e1 > e0; hh++) {
      float m = -RV_INF;
      for (int64_t e = e0; e < e1; e++) {
        const float l = leaky(a_src[indices[e] * h + hh] + a_dst[r * h + hh] +
                              (a_edge ? a_edge[e * h + hh] : 0.0f), negative_slope);
        if (!RV_ISFINITE(l)) return RV_E_NONFINITE;
        if (l > m) m = l;
      }
      double s = 0.0;
      for (int64_t e = e0; e < e1; e++)
        s += exp1(leaky(a_src[indices[e] * h + hh] + a_dst[r * h + hh] +
                        (a_edge ? a_edge[e * h + hh] : 0.0f), negative_slope) - m);
      const float inv = (float)(1.0 / s), head_scale = concat ? 1.0f : 1.0f / (float)h;
      float *oh = concat ? o + hh * c : o;
      for (int64_t e = e0; e < e1; e++) {
        const float a = exp1(leaky(a_src[indices[e] * h + hh] + a_dst[r * h + hh] +
                                   (a_edge ? a_edge[e * h + hh] : 0.0f), negative_slope) - m) * inv;
        if (weights) weights[e * h + hh] = a;
        axpy(oh, Y + indices[e] * h * c + hh * c, a * head_scale, c);
      }
    }
    if (bias) axpy(o, bias, 1.0f, width);
    if (!all_finite(o, width)) return RV_E_NONFINITE;
  }
  return RV_OK;
}
