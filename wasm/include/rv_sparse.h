/*
 * Sparse and efficient attention kernels (src/sparse.c): flash (tiled, exact),
 * linear attention (random-feature summaries), and gathered / CSR-indexed
 * attention (graphs, local+global and sparse masks). Same conventions as ruvector.h.
 *
 * Shapes: B queries, N keys, D key width, DV value width, M features, T block.
 */
#ifndef RV_SPARSE_H
#define RV_SPARSE_H

#include "ruvector.h"

#define RV_FLASH_TILE_Q 8     /* queries that share one key block while it is in cache */
#define RV_LINEAR_RELU_EPS 1e-3f /* added to relu features (Performer): no 0/0 denominator */
#define RV_EXP_ZERO 2e-38f /* exp at the floor (FLT_MIN): a dead key's weight, set to exactly 0 */

/* Linear-attention feature kinds. */
#define RV_FEATURE_FAVOR 0 /* exp(w.x' - |x'|^2/2), x' = x * xscale  (softmax kernel) */
#define RV_FEATURE_RELU 1  /* relu(w.x') + RV_LINEAR_RELU_EPS */
#define RV_FEATURE_ELU 2   /* elu(x_i) + 1 on the input itself (M = D, W unused) */

#define RV_DECLARE_SPARSE(isa)                                                             \
  /* Flash attention: B queries Q (B,D) over shared K (N,D), V (N,DV), key blocks of   \
     `block` rows, query tiles of RV_FLASH_TILE_Q. mask: NULL, (N) shared              \
     (mask_stride 0) or (B,N) per query (mask_stride N). causal: query i sees keys     \
     j <= qpos0 + i. scratch: block floats. out (B,DV); lse optional (B):              \
     running max + log(sum) (-inf for a query with no live key). */                      \
  int rv_flash_forward_##isa(const float *Q, int64_t b, const float *K, const float *V,  \
                             const uint8_t *mask, int64_t mask_stride, int64_t n,         \
                             int64_t d, int64_t dv, float scale, int64_t block,           \
                             int causal, int64_t qpos0, float *scratch, float *out,       \
                             float *lse);                                                  \
  /* Backward of rv_flash_forward by recomputation (no stored weights): accumulates     \
     into grad_Q (B,D), grad_K (N,D), grad_V (N,DV). scratch: block + DV floats.    */ \
  int rv_flash_backward_##isa(const float *Q, int64_t b, const float *K, const float *V, \
                              const uint8_t *mask, int64_t mask_stride, int64_t n,        \
                              int64_t d, int64_t dv, float scale, int64_t block,          \
                              int causal, int64_t qpos0, const float *grad_out,           \
                              float *grad_Q,                                              \
                              float *grad_K, float *grad_V, float *scratch);              \
  /* Linear attention key summaries: kv (M,DV) = sum_j phi(k_j) v_j, ksum (M) =        \
     sum_j phi(k_j), with favor features stored relative to the per-feature running   \
     max kmax (M) (0 for relu / elu). mask optional (N). feat: M floats of scratch.     \
     normalize: every input is first scaled to unit length. */                         \
  int rv_linear_prepare_##isa(const float *K, const float *V, const uint8_t *mask,        \
                              int64_t n, int64_t d, int64_t dv, const float *W, int64_t m, \
                              int kind, float xscale, int normalize, float *feat,         \
                              float *kv, float *ksum, float *kmax);                       \
  /* Linear attention for B queries from prepared summaries: out (B,DV) =             \
     sum_i phi_i(q) kv_i / sum_i phi_i(q) ksum_i, stabilised by the max over i of      \
     the favor log-features + kmax. No live key: zeros. feat: M floats of scratch. */   \
  int rv_linear_query_##isa(const float *Q, int64_t b, int64_t d, const float *W,         \
                            int64_t m, int kind, float xscale, int normalize,             \
                            const float *kv,                                              \
                            const float *ksum, const float *kmax, int64_t dv, float *feat, \
                            float *out);                                                  \
  /* The weights linear attention implies for query q over K (N,D): out (N) =          \
     phi(q).phi(k_j) / sum_l phi(q).phi(k_l), favor in log space (no underflow), one    \
     pass O(N M D). Masked keys 0; every key masked: zeros. qfeat, feat: M floats. */   \
  int rv_linear_weights_##isa(const float *q, const float *K, const uint8_t *mask,        \
                              int64_t n, int64_t d, const float *W, int64_t m, int kind,  \
                              float xscale, int normalize, float *qfeat, float *feat,      \
                              float *out);                                                \
  /* Orthonormalise the r <= D rows of W (R,D) in place (Gram-Schmidt, twice). */       \
  int rv_orthonormalize_##isa(float *W, int64_t r, int64_t d);                            \
  /* The whole-array check of a CSR graph of num_rows rows over num_src sources, with  \
     nnz indices: RV_E_ARG for bad offsets, RV_E_INDEX for an id outside [0, num_src). */ \
  int rv_csr_check_##isa(const int64_t *indptr, const int64_t *indices, int64_t num_rows, \
                         int64_t nnz, int64_t num_src);                                   \
  /* Gathered attention: for rows i in [row_begin, row_end) of a CSR of num_rows rows,  \
     query Q_i (row i of Q (num_rows, D)) attends K[indices[indptr[i]:indptr[i+1]]] of   \
     K (N,D), values V (N,DV); out (num_rows, DV) row i written; weights optional (nnz), \
     aligned with indices. Cost O(row length). An empty row gives zeros. */              \
  int rv_attend_csr_##isa(const float *Q, const float *K, const float *V,                 \
                          const int64_t *indptr, const int64_t *indices, int64_t num_rows,  \
                          int64_t nnz, int64_t n, int64_t d, int64_t dv, float scale,       \
                          int64_t row_begin, int64_t row_end, float *out, float *weights);

RV_FOR_EACH_ISA(RV_DECLARE_SPARSE)

#endif
