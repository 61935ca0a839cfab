/*
 * Graph-aware attention kernels (src/graph.c): rotary encoding of graph distance
 * (GraphRoPE), HNSW-layer score biases and layer embeddings, structural-feature
 * scores, and row-wise fusion.
 * Same conventions as ruvector.h.
 *
 * Shapes: N keys (or nodes), D key width, DV value width, H heads, L HNSW layers,
 * S structural features, E edges. inv_freq (D/2, double): base^(-2i/D).
 * The scratch `w` of every single-query kernel receives the softmax weights.
 */
#ifndef RV_GRAPH_H
#define RV_GRAPH_H

#include "ruvector.h"

#define RV_ROPE_SLOT_BITS 5  /* GraphRoPE caches 2^5 rotated queries (distinct distances) */
#define RV_ROPE_SLOTS 32     /* = 1 << RV_ROPE_SLOT_BITS */
#define RV_ROPE_MAX_DISTANCE 1e9 /* |distance| above: the angle reduction loses accuracy */

#define RV_DECLARE_GRAPH(isa)                                                             \
  /* out_j = R(pos_j) x_j: pairs (2i, 2i+1) rotated by pos_j * inv_freq[i]. */            \
  int rv_rope_rotate_##isa(const float *X, const float *pos, int64_t n, int64_t d,         \
                           const double *inv_freq, float *out);                            \
  /* Rows [row_begin, row_end) of Q (num_rows, D): row i attends to its CSR neighbours  \
     K[indices[e]] at distance pos[e], e in [indptr[i], indptr[i+1]) or, with indptr and  \
     indices NULL, to all N keys at pos[j] (N); out_i = softmax(scale <R(qpos) q_i,       \
     R(pos) k>) . V; |pos - qpos| > RV_ROPE_MAX_DISTANCE: E_ARG. scratch: RV_ROPE_SLOTS   \
     * (D + 1) (the rotated-query cache) + the longest row floats, which end with the     \
     last row's weights. */                                                               \
  int rv_rope_attend_##isa(const float *Q, const float *K, const float *V,                 \
                           const int64_t *indptr, const int64_t *indices, const float *pos,  \
                           int64_t num_rows, int64_t nnz, int64_t n, int64_t d, int64_t dv,  \
                           const double *inv_freq, float qpos, float scale,                 \
                           int64_t row_begin, int64_t row_end, float *scratch, float *out); \
  /* Rows [row_begin, row_end) of Q (num_rows, D): row i attends to its CSR neighbours  \
     K[indices[indptr[i]:indptr[i+1]]] or, with indptr and indices NULL, to all N keys.   \
     Heads split D and DV evenly (no projection): score_hj = scale q_h.(k_jh + E[l_j]_h) \
     + B[l_j, h]; layers (N) int64 in [0, L); E (L, D), B (L, H); out (num_rows, DV),    \
     each row the heads' outputs side by side. scratch: L*H (the layer terms) + H * the   \
     longest row floats; it ends with the last row's weights (H, its length). */          \
  int rv_hnsw_attend_##isa(const float *Q, const float *K, const float *V,                 \
                           const int64_t *layers, const int64_t *indptr,                   \
                           const int64_t *indices, int64_t num_rows, int64_t nnz, int64_t n, \
                           int64_t d, int64_t dv, int64_t h, const float *E, const float *B, \
                           int64_t num_layers, float scale, int64_t row_begin,              \
                           int64_t row_end, float *scratch, float *out);                    \
  /* Backward of rv_hnsw_attend for one query over all N keys: accumulates (+=) into     \
     grad_q (D), grad_K (N,D), grad_V (N,DV), grad_E (L,D), grad_B (L,H); scratch        \
     (L*H + H*N), work (DV). */                                                           \
  int rv_hnsw_backward_##isa(const float *q, const float *K, const float *V,               \
                             const int64_t *layers, int64_t n, int64_t d, int64_t dv,       \
                             int64_t h, const float *E, const float *B, int64_t num_layers,  \
                             float scale, const float *grad_out, float *grad_q,             \
                             float *grad_K, float *grad_V, float *grad_E, float *grad_B,     \
                             float *scratch, float *work);                                   \
  /* Rows as rv_hnsw_attend's: score_ij = scale (q_i.k_j + u_i.f_j); U (num_rows, S) the \
     rows' structural projections, F (N,S) the keys' features; w: the longest row floats, \
     left holding the last row's weights. */                                             \
  int rv_struct_attend_##isa(const float *Q, const float *U, const float *K, const float *F, \
                             const float *V, const int64_t *indptr, const int64_t *indices, \
                             int64_t num_rows, int64_t nnz, int64_t n, int64_t d, int64_t s, \
                             int64_t dv, float scale, int64_t row_begin, int64_t row_end,   \
                             float *w, float *out);                                          \
  /* out_i = sum_k coef[i,k] X_k[i], X0..X2 (N,D), coef (N,3); out may alias an X_k. */   \
  int rv_fuse_rows_##isa(const float *X0, const float *X1, const float *X2,                \
                         const float *coef, int64_t n, int64_t d, float *out);            \
  /* Datasets: for each query row queries[t] of X (N,D), the `count` nearest candidates   \
     (cands ascending ids), itself skipped, nearest first, ties by id; squared distances  \
     in double summed in index order. out_idx / out_dist (NQ, count), -1 / inf past the   \
     last. Called in the scalar build, whose bits are the same on every machine. */       \
  int rv_nearest_##isa(const float *X, int64_t num_rows, int64_t d, const int64_t *queries, \
                       int64_t nq, const int64_t *cands, int64_t nc, int64_t count,        \
                       int64_t *out_idx, double *out_dist);

RV_FOR_EACH_ISA(RV_DECLARE_GRAPH)

#endif
