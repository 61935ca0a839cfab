/*
 * Vector helpers shared by every kernel file (kernels.c, and one file per
 * mechanism family), written once against simd.h. Static inline: each
 * per-ISA translation unit gets its own copy.
 */
#ifndef RV_VEC_H
#define RV_VEC_H

#include "simd.h"

#include <stddef.h>

#define RV_CAT_(a, b) a##_##b
#define RV_CAT(a, b) RV_CAT_(a, b)
#define RV_FN(name) RV_CAT(rv_##name, RV_ISA_SUFFIX) /* rv_attend -> rv_attend_avx2 */

#define RV_INF __builtin_inff()

/* Build a function for size, where the wasm kernel's gzip budget matters more than its
   speed (clang's minsize; GCC, which builds only native kernels, has no such attribute). */
#if defined(__clang__)
#define RV_MINSIZE __attribute__((minsize))
#else
#define RV_MINSIZE
#endif
#define RV_ISFINITE(x) __builtin_isfinite(x)

static inline float dot(const float *a, const float *b, int64_t n) {
  rv_v s0 = rv_zero(), s1 = rv_zero();
  int64_t i = 0;
  for (; i + 2 * RV_W <= n; i += 2 * RV_W) {
    s0 = rv_fma(rv_load(a + i), rv_load(b + i), s0);
    s1 = rv_fma(rv_load(a + i + RV_W), rv_load(b + i + RV_W), s1);
  }
  for (; i + RV_W <= n; i += RV_W) s0 = rv_fma(rv_load(a + i), rv_load(b + i), s0);
  float s = rv_hsum(rv_add(s0, s1));
  for (; i < n; i++) s += a[i] * b[i];
  return s;
}

/* Four dot products sharing the loads of q. */
static inline void dot4(const float *q, const float *const *k, int64_t n, float *out) {
  rv_v s0 = rv_zero(), s1 = rv_zero(), s2 = rv_zero(), s3 = rv_zero();
  int64_t i = 0;
  for (; i + RV_W <= n; i += RV_W) {
    rv_v x = rv_load(q + i);
    s0 = rv_fma(x, rv_load(k[0] + i), s0);
    s1 = rv_fma(x, rv_load(k[1] + i), s1);
    s2 = rv_fma(x, rv_load(k[2] + i), s2);
    s3 = rv_fma(x, rv_load(k[3] + i), s3);
  }
  out[0] = rv_hsum(s0);
  out[1] = rv_hsum(s1);
  out[2] = rv_hsum(s2);
  out[3] = rv_hsum(s3);
  for (; i < n; i++) {
    out[0] += q[i] * k[0][i];
    out[1] += q[i] * k[1][i];
    out[2] += q[i] * k[2][i];
    out[3] += q[i] * k[3][i];
  }
}

/* Eight dot products sharing the loads of q: eight independent FMA chains hide
 * the FMA latency (one chain per key would stall on it). */
static inline void dot8(const float *q, const float *const *k, int64_t n, float *out) {
  rv_v s[8];
  for (int j = 0; j < 8; j++) s[j] = rv_zero();
  int64_t i = 0;
  for (; i + RV_W <= n; i += RV_W) {
    rv_v x = rv_load(q + i);
    for (int j = 0; j < 8; j++) s[j] = rv_fma(x, rv_load(k[j] + i), s[j]);
  }
  rv_hsum8(s, out);
  if (i < n)
    for (int j = 0; j < 8; j++)
      for (int64_t t = i; t < n; t++) out[j] += q[t] * k[j][t];
}

/* y += a * x */
static inline void axpy(float *y, const float *x, float a, int64_t n) {
  rv_v va = rv_set1(a);
  int64_t i = 0;
  for (; i + RV_W <= n; i += RV_W) rv_store(y + i, rv_fma(va, rv_load(x + i), rv_load(y + i)));
  for (; i < n; i++) y[i] += a * x[i];
}

static inline void scale_vec(float *y, float a, int64_t n) {
  rv_v va = rv_set1(a);
  int64_t i = 0;
  for (; i + RV_W <= n; i += RV_W) rv_store(y + i, rv_mul(va, rv_load(y + i)));
  for (; i < n; i++) y[i] *= a;
}

static inline void zero_vec(float *y, int64_t n) {
  for (int64_t i = 0; i < n; i++) y[i] = 0.0f;
}

static inline float exp1(float x) {
  float t[RV_W];
  rv_store(t, rv_exp(rv_set1(x)));
  return t[0];
}

static inline int all_finite(const float *x, int64_t n) {
  for (int64_t i = 0; i < n; i++)
    if (!RV_ISFINITE(x[i])) return 0;
  return 1;
}

/* Dropout decision for key position `pos`: splitmix64 of (seed, pos), 24 bits. */
static inline int dropout_keep(uint64_t seed, int64_t pos, float p) {
  uint64_t z = seed + (uint64_t)(pos + 1) * 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  z ^= z >> 31;
  return (float)(z >> 40) * (1.0f / 16777216.0f) >= p;
}

#endif
