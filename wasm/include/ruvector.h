/*
 * ruvector-attention kernel: the public C ABI.
 *
 * Every kernel below is compiled once per instruction set from src/kernels.c
 * and exported as rv_<name>_<isa> (isa: scalar, sse, avx2, neon, wasm128);
 * ruvector_attention/_kernel.py picks one set at load time. Mechanism families
 * beyond the core declare theirs in include/rv_<family>.h the same way.
 *
 * Conventions: row-major contiguous float32 arrays; sizes and indices are
 * int64_t; masks are uint8_t with 1 = the key takes part; every function
 * returns an int status (RV_OK or a negative RV_E_*), never aborts, never
 * prints, holds no global state and allocates nothing. A CSR graph of R rows is
 * indptr (R+1) and indices (nnz); a CSR kernel given rows [row_begin, row_end) checks
 * them against the whole array (indptr[0] == 0, indptr[R] == nnz, offsets never
 * decreasing, ids in range) before it reads an index (rv_csr_check: every row).
 *
 * Shapes: N keys, D key width, DV value width, H heads / queries, B batch.
 */
#ifndef RUVECTOR_H
#define RUVECTOR_H

#include <stdint.h>

/* Status codes (mirrored in ruvector_attention/numerics.py). */
#define RV_OK 0
#define RV_E_NONFINITE (-1) /* a score, sum or output is NaN / inf */
#define RV_E_ARG (-2)       /* a size or pointer argument is invalid */
#define RV_E_INDEX (-3)     /* a CSR neighbour index is out of range */

/* Named numerics (mirrored in ruvector_attention/numerics.py; a test checks). */
#define RV_EXP_FLOOR (-87.33654475f) /* ln(FLT_MIN): exp below this is clamped, never denormal */
#define RV_MAX_HEADS 16              /* multi-head supports 1..16 heads */
#define RV_KEY_BLOCK 32              /* keys scored together in one online-softmax step */

/* rv_cpu_features() bits. */
#define RV_CPU_AVX2_FMA 1
#define RV_CPU_NEON 2
#define RV_CPU_WASM128 4

/* ISA-independent (src/cpu.c). */
const char *rv_version(void);
int rv_cpu_features(void);

#define RV_DECLARE_KERNELS(isa)                                                          \
  /* out(DV) = softmax(scale * K q) . V, one fused pass (online softmax).            \
     mask: optional (N). weights: optional (N) softmax weights (masked -> 0).          \
     drop_p > 0: dropout of the weights, each kept with probability 1 - drop_p and     \
     scaled by 1/(1 - drop_p), decided by (drop_seed, key position). */                \
  int rv_attend_##isa(const float *q, const float *K, const float *V,                   \
                      const uint8_t *mask, int64_t n, int64_t d, int64_t dv, float scale, \
                      float drop_p, uint64_t drop_seed, float *out, float *weights);      \
  /* rv_attend with bias (N) added to the scores: torch SDPA's float attn_mask. */     \
  int rv_attend_bias_##isa(const float *q, const float *K, const float *V,              \
                           const uint8_t *mask, const float *bias, int64_t n, int64_t d,  \
                           int64_t dv, float scale, float drop_p, uint64_t drop_seed,     \
                           float *out, float *weights);                                   \
  /* H queries Q(H,D) over shared keys, one pass over K and V. out (H,DV); weights    \
     optional (H,N). Any H >= 1 (processed in groups of RV_MAX_HEADS). */              \
  int rv_attend_multi_##isa(const float *Q, int64_t h, const float *K, const float *V,   \
                            const uint8_t *mask, int64_t n, int64_t d, \
                            int64_t dv, float scale, float *out, float *weights);         \
  /* B queries, each with its own keys: K (B,N,D), V (B,N,DV), mask (B,N) or NULL. */  \
  int rv_attend_batch_##isa(const float *Q, const float *K, const float *V,             \
                            const uint8_t *mask, int64_t b, int64_t n, int64_t d,        \
                            int64_t dv, float scale, float *out);                         \
  /* Backward of rv_attend (same dropout decisions). Accumulates (+=) into grad_q (D), \
     grad_K (N,D) and grad_V (N,DV), rows by position; work: DV floats of scratch. */   \
  int rv_attend_backward_##isa(const float *q, const float *K, const float *V,          \
                               const uint8_t *mask, int64_t n, int64_t d, int64_t dv,     \
                               float scale, float drop_p, uint64_t drop_seed,             \
                               const float *grad_out, float *grad_q, float *grad_K,       \
                               float *grad_V, float *work);                               \
  /* rv_attend_backward of rv_attend_bias. */                                         \
  int rv_attend_backward_bias_##isa(const float *q, const float *K, const float *V,     \
                                    const uint8_t *mask, const float *bias, int64_t n,    \
                                    int64_t d, int64_t dv, float scale, float drop_p,     \
                                    uint64_t drop_seed, const float *grad_out,            \
                                    float *grad_q, float *grad_K, float *grad_V,          \
                                    float *work);                                         \
  /* Multi-head attention without projecting the keys, for rows [row_begin, row_end)  \
     of Q (num_rows, D): row i attends to its CSR neighbours K[indices[indptr[i]:       \
     indptr[i+1]]] or, with indptr and indices NULL, to all N keys (mask optional (N),   \
     bias optional (N) added to every head's scores (a float attn_mask), weights         \
     optional (num_rows, H, N): dense rows only). u_h = Wk_h^T (Wq q + bq)_h,            \
     a_h = softmax(K u_h / sqrt(D/H)), out_i = Wo concat_h(Wv_h (a_h V) + bv_h) + bo     \
     (torch nn.MultiheadAttention). Wq, Wk (D,D), Wv (D,DV), Wo (D,D); biases may be     \
     NULL (bk cancels in the softmax). scratch: 2D + H*D + H*DV floats (q', U, S,        \
     concat; concat = the last row's head outputs). A row with no live key gives zeros. */ \
  int rv_mha_forward_##isa(const float *Q, const float *K, const float *V,              \
                           const int64_t *indptr, const int64_t *indices,              \
                           const uint8_t *mask, const float *bias, int64_t num_rows,    \
                           int64_t nnz, int64_t n, int64_t d, int64_t dv, int64_t h,    \
                           const float *Wq, const float *bq, const float *Wk,           \
                           const float *Wv, const float *bv, const float *Wo,           \
                           const float *bo, int64_t row_begin, int64_t row_end,         \
                           float *scratch, float *out, float *weights);                 \
  /* Y(M,N) (+)= X(M,K) W(N,K)^T + b(N)  (torch F.linear; b may be NULL). */           \
  int rv_linear_##isa(const float *X, const float *W, const float *b, float *Y,          \
                      int64_t m, int64_t k, int64_t n, int accumulate);                  \
  /* Y(M,K) (+)= X(M,N) W(N,K). */                                                      \
  int rv_matmul_##isa(const float *X, const float *W, float *Y, int64_t m, int64_t n,    \
                      int64_t k, int accumulate);                                         \
  /* Y(N,K) (+)= G(M,N)^T X(M,K)   (weight gradients). */                               \
  int rv_matmul_tn_##isa(const float *G, const float *X, float *Y, int64_t m, int64_t n, \
                         int64_t k, int accumulate);                                      \
  /* Index of the first NaN / inf in x (N), or -1. */                                   \
  int64_t rv_find_nonfinite_##isa(const float *x, int64_t n);                             \
  /* Sum of x (N) read once with vector loads: the memory-streaming bound. */            \
  int rv_stream_sum_##isa(const float *x, int64_t n, float *out);

/* Every kernel family declares its functions once per ISA with this. A family
 * (one src/<family>.c) puts its RV_DECLARE_<FAMILY> macro and this line in its
 * own include/rv_<family>.h, which includes this header. */
#define RV_FOR_EACH_ISA(X) X(scalar) X(sse) X(avx2) X(neon) X(wasm128)

RV_FOR_EACH_ISA(RV_DECLARE_KERNELS)

#endif
