/*
 * Geometric attention kernels (src/geometric.c): kappa-stereographic math
 * (Poincare ball for k < 0, Euclidean at k = 0, stereographic sphere for k > 0),
 * hyperbolic / mixed-curvature / manifold attention in one fused pass, and the
 * GAT neighbourhood aggregation of EdgeFeaturedAttention.
 *
 * Conventions as ruvector.h. Curvature is a signed k (geoopt's convention): the
 * ball for k < 0 has radius 1/sqrt(-k).
 */
#ifndef RV_GEOMETRIC_H
#define RV_GEOMETRIC_H

#include "ruvector.h"

/* Named guards (mirrored in ruvector_attention/numerics.py; a test checks). */
#define RV_GEO_MIN_NORM 1e-15f      /* norms and conformal factors are clamped above 0 */
#define RV_GEO_TANH_CLAMP 15.0f     /* tanh(15) == 1 in float32: larger arguments add nothing */
#define RV_GEO_ARTANH_CLAMP 0.9999999f /* artanh argument clamp (geoopt: 1 - 1e-7) */
#define RV_GEO_BALL_EPS 4e-3f       /* float32 ball margin: max norm (1 - eps)/sqrt(-k) (geoopt) */
#define RV_GEO_SERIES_LIMIT 1e-3f   /* |k| x^2 below this: Taylor series in k (continuous at k = 0) */
#define RV_GEO_MIN_DENOM 1e-10f     /* |sum w (lambda - 1)| of the gyromidpoint, sign kept */
#define RV_GEO_PULL 1               /* project: pull points within the margin into the ball */
#define RV_GEO_PULL_OR_REFUSE 2     /* ... and RV_E_ARG for a point outside (JS's direct path) */

/* Row operations of rv_geo_rows (op argument). */
#define RV_GEO_OP_DIST 0      /* out(N)   = d_k(X_i, Y_i) */
#define RV_GEO_OP_MOBIUS_ADD 1 /* out(N,D) = X_i (+)_k Y_i */
#define RV_GEO_OP_EXP 2       /* out(N,D) = exp_{X_i}(Y_i) */
#define RV_GEO_OP_LOG 3       /* out(N,D) = log_{X_i}(Y_i) */
#define RV_GEO_OP_EXP0 4      /* out(N,D) = exp_0(Y_i) */
#define RV_GEO_OP_LOG0 5      /* out(N,D) = log_0(Y_i) */
#define RV_GEO_OP_SCALAR_MUL 6 /* out(N,D) = r (x)_k Y_i */
#define RV_GEO_OP_PROJECT 7   /* out(N,D) = Y_i pulled inside the ball, margin r */
#define RV_GEO_OP_NORM 8      /* out(N)   = |Y_i| */

#define RV_DECLARE_GEOMETRIC(isa)                                                        \
  /* One op (RV_GEO_OP_*) per row. x_stride / y_stride are 0 (broadcast one row) or D. \
     Point-valued results are projected into the ball (k < 0) with RV_GEO_BALL_EPS. */ \
  int rv_geo_rows_##isa(int op, const float *X, int64_t x_stride, const float *Y,       \
                        int64_t y_stride, int64_t n, int64_t d, float k, float r,       \
                        float *out);                                                    \
  /* Weighted gyromidpoint of X (N,D) with weights w (N): 1/2 (x)_k (sum w l x /        \
     sum w (l - 1)), l = 2/(1 + k|x|^2). out (D). */                                    \
  int rv_geo_midpoint_##isa(const float *X, const float *w, int64_t n, int64_t d,       \
                            float k, float *out);                                       \
  /* Attention over a product space E^de x M_k^dh for rows [row_begin, row_end) of Q    \
     (num_rows, de + dh): row i attends to its CSR neighbours K[indices[indptr[i]:       \
     indptr[i+1]]] or, with indptr and indices NULL, to all N keys (then mask optional   \
     (N)). score_j = we <q_e, K_je> - wh d_k(q_h, K_jh); online softmax; out (num_rows,  \
     dve + dvh) = [sum a_j V_je, gyromidpoint_k(V_jh; a)]. project: RV_GEO_PULL pulls    \
     q, K, V into the ball (k < 0); RV_GEO_PULL_OR_REFUSE also refuses one outside it    \
     (RV_E_ARG). weights optional: (nnz) aligned with indices, or (num_rows, N).         \
     scratch: de + dh floats. */                                                         \
  int rv_geo_attend_##isa(const float *Q, const float *K, const float *V,               \
                          const int64_t *indptr, const int64_t *indices,                \
                          const uint8_t *mask, int64_t num_rows, int64_t nnz, int64_t n, \
                          int64_t de, int64_t dh, int64_t dve, int64_t dvh, float k,    \
                          float we, float wh, int project, int64_t row_begin,           \
                          int64_t row_end, float *scratch, float *out, float *weights); \
  /* Gradients of <out, g> of rv_geo_attend (one query, no idx), in double: gq (de+dh), \
     gK (N, de+dh), gV (N, dve+dvh) (zero rows where masked), params = [d/d we, d/d wh, \
     d/dk (want_k, k != 0; else 0)]. work: 10 N + de + 4 dh + 5 dvh doubles. */         \
  int rv_geo_backward_##isa(const float *q, const float *K, const float *V,             \
                            const uint8_t *mask, int64_t n, int64_t de, int64_t dh,     \
                            int64_t dve, int64_t dvh, double k, double we, double wh,   \
                            int project, const float *g, float *gq, float *gK,          \
                            float *gV, int want_k, double *params, double *work);       \
  /* GAT aggregation (PyG GATConv): for target rows [row_begin, row_end) of a CSR of    \
     num_dst targets over num_src sources (nnz edges) and head h, e_ij = LeakyReLU(       \
     a_src[j,h] + a_dst[i,h] + a_edge[e,h]), softmax over the CSR row, out_i,h = sum_j   \
     a_ij Y[j,h,:]; heads concatenated (H*C) or averaged (C); plus bias (optional).      \
     weights (E,H) receives the a_ij (each logit is computed once, into it); a_edge      \
     optional. Isolated row -> bias only. */                                             \
  int rv_gat_aggregate_##isa(const float *a_src, const float *a_dst, const float *a_edge, \
                             const float *Y, const int64_t *indptr,                      \
                             const int64_t *indices, int64_t num_dst, int64_t nnz,       \
                             int64_t num_src, int64_t h, int64_t c, float negative_slope, \
                             int concat, const float *bias, int64_t row_begin,           \
                             int64_t row_end, float *out, float *weights);

RV_FOR_EACH_ISA(RV_DECLARE_GEOMETRIC)

#endif
