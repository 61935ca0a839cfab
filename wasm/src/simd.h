/*
 * One SIMD macro table per instruction set; kernels.c is written once against it.
 *
 *   RV_W              floats per vector
 *   rv_v              vector type
 *   rv_load/rv_store  unaligned load / store of RV_W floats
 *   rv_set1/rv_zero   broadcast / zero
 *   rv_add/rv_sub/rv_mul/rv_max/rv_min   lane-wise (max / min: NaN handling is
 *                     ISA-specific; callers never rely on it)
 *   rv_fma(a, b, c)   a * b + c (fused where the ISA has it)
 *   rv_floor_lo(x)    max(x, RV_EXP_FLOOR) keeping NaN (so bad scores stay visible)
 *   rv_hsum(v)        horizontal sum
 *   rv_hsum8(s, out)  out[0..7] = horizontal sums of the 8 vectors s[0..7]
 *   rv_hsum4x(a,b,c,d) (4-lane ISAs) one vector of the four horizontal sums
 *   RV_DOT8           1 when scoring eight keys per pass pays (register-rich targets)
 *   rv_round(x)       round to nearest integer (as float)
 *   rv_pow2(n)        2^n for integral float n in [-126, 127]
 *
 * Select with RV_ISA_AVX2, RV_ISA_SSE, RV_ISA_NEON, RV_ISA_WASM128 or RV_ISA_SCALAR.
 */
#ifndef RV_SIMD_H
#define RV_SIMD_H

#include "approx.h"
#include "ruvector.h"

#if defined(RV_ISA_AVX2)
#include <immintrin.h>
#define RV_W 8
typedef __m256 rv_v;
#define rv_load(p) _mm256_loadu_ps(p)
#define rv_store(p, x) _mm256_storeu_ps(p, x)
#define rv_set1(x) _mm256_set1_ps(x)
#define rv_zero() _mm256_setzero_ps()
#define rv_add(a, b) _mm256_add_ps(a, b)
#define rv_mul(a, b) _mm256_mul_ps(a, b)
#define rv_sub(a, b) _mm256_sub_ps(a, b)
#define rv_max(a, b) _mm256_max_ps(a, b)
#define rv_min(a, b) _mm256_min_ps(a, b)
#define rv_fma(a, b, c) _mm256_fmadd_ps(a, b, c)
/* maxps returns its second operand when either is NaN: put x second. */
#define rv_floor_lo(x) _mm256_max_ps(_mm256_set1_ps(RV_EXP_FLOOR), x)
#define rv_round(x) _mm256_round_ps(x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)
#define rv_pow2(n) \
  _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23))
static inline float rv_hsum(rv_v v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

/* Eight horizontal sums at once: two rounds of hadd and one lane swap. */
static inline void rv_hsum8(const rv_v *s, float *out) {
  __m256 u0 = _mm256_hadd_ps(_mm256_hadd_ps(s[0], s[1]), _mm256_hadd_ps(s[2], s[3]));
  __m256 u1 = _mm256_hadd_ps(_mm256_hadd_ps(s[4], s[5]), _mm256_hadd_ps(s[6], s[7]));
  _mm256_storeu_ps(out, _mm256_add_ps(_mm256_permute2f128_ps(u0, u1, 0x20),
                                      _mm256_permute2f128_ps(u0, u1, 0x31)));
}
#define RV_HAVE_HSUM8 1

#elif defined(RV_ISA_SSE)
#include <emmintrin.h>
#define RV_W 4
typedef __m128 rv_v;
#define rv_load(p) _mm_loadu_ps(p)
#define rv_store(p, x) _mm_storeu_ps(p, x)
#define rv_set1(x) _mm_set1_ps(x)
#define rv_zero() _mm_setzero_ps()
#define rv_add(a, b) _mm_add_ps(a, b)
#define rv_mul(a, b) _mm_mul_ps(a, b)
#define rv_sub(a, b) _mm_sub_ps(a, b)
#define rv_max(a, b) _mm_max_ps(a, b)
#define rv_min(a, b) _mm_min_ps(a, b)
#define rv_fma(a, b, c) _mm_add_ps(_mm_mul_ps(a, b), c)
#define rv_floor_lo(x) _mm_max_ps(_mm_set1_ps(RV_EXP_FLOOR), x)
/* cvtps rounds to nearest under the default MXCSR mode (SSE2 has no roundps). */
#define rv_round(x) _mm_cvtepi32_ps(_mm_cvtps_epi32(x))
#define rv_pow2(n) \
  _mm_castsi128_ps(_mm_slli_epi32(_mm_add_epi32(_mm_cvtps_epi32(n), _mm_set1_epi32(127)), 23))
static inline float rv_hsum(rv_v v) {
  __m128 s = _mm_add_ps(v, _mm_movehl_ps(v, v));
  s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 0x55));
  return _mm_cvtss_f32(s);
}

/* Four horizontal sums at once (two rounds of pairwise adds), twice. */
static inline rv_v rv_hsum4x(rv_v a, rv_v b, rv_v c, rv_v d) {
  rv_v ab = _mm_add_ps(_mm_shuffle_ps(a, b, 0x88), _mm_shuffle_ps(a, b, 0xDD));
  rv_v cd = _mm_add_ps(_mm_shuffle_ps(c, d, 0x88), _mm_shuffle_ps(c, d, 0xDD));
  return _mm_add_ps(_mm_shuffle_ps(ab, cd, 0x88), _mm_shuffle_ps(ab, cd, 0xDD));
}
#define RV_HAVE_HSUM4X 1

#elif defined(RV_ISA_NEON)
#include <arm_neon.h>
#define RV_W 4
typedef float32x4_t rv_v;
#define rv_load(p) vld1q_f32(p)
#define rv_store(p, x) vst1q_f32(p, x)
#define rv_set1(x) vdupq_n_f32(x)
#define rv_zero() vdupq_n_f32(0.0f)
#define rv_add(a, b) vaddq_f32(a, b)
#define rv_mul(a, b) vmulq_f32(a, b)
#define rv_sub(a, b) vsubq_f32(a, b)
#define rv_max(a, b) vmaxq_f32(a, b)
#define rv_min(a, b) vminq_f32(a, b)
#define rv_fma(a, b, c) vfmaq_f32(c, a, b)
#define rv_floor_lo(x) vmaxq_f32(x, vdupq_n_f32(RV_EXP_FLOOR)) /* vmaxq propagates NaN */
#define rv_round(x) vrndnq_f32(x)
#define rv_pow2(n) \
  vreinterpretq_f32_s32(vshlq_n_s32(vaddq_s32(vcvtq_s32_f32(n), vdupq_n_s32(127)), 23))
static inline float rv_hsum(rv_v v) { return vaddvq_f32(v); }
static inline rv_v rv_hsum4x(rv_v a, rv_v b, rv_v c, rv_v d) {
  return vpaddq_f32(vpaddq_f32(a, b), vpaddq_f32(c, d));
}
#define RV_HAVE_HSUM4X 1

#elif defined(RV_ISA_WASM128)
#include <wasm_simd128.h>
#define RV_W 4
typedef v128_t rv_v;
#define rv_load(p) wasm_v128_load(p)
#define rv_store(p, x) wasm_v128_store(p, x)
#define rv_set1(x) wasm_f32x4_splat(x)
#define rv_zero() wasm_f32x4_splat(0.0f)
#define rv_add(a, b) wasm_f32x4_add(a, b)
#define rv_mul(a, b) wasm_f32x4_mul(a, b)
#define rv_sub(a, b) wasm_f32x4_sub(a, b)
#define rv_max(a, b) wasm_f32x4_pmax(a, b)
#define rv_min(a, b) wasm_f32x4_pmin(a, b)
#define rv_fma(a, b, c) wasm_f32x4_add(wasm_f32x4_mul(a, b), c)
#define rv_floor_lo(x) wasm_f32x4_max(x, wasm_f32x4_splat(RV_EXP_FLOOR)) /* propagates NaN */
#define rv_round(x) wasm_f32x4_nearest(x)
#define rv_pow2(n) \
  wasm_i32x4_shl(wasm_i32x4_add(wasm_i32x4_trunc_sat_f32x4(n), wasm_i32x4_splat(127)), 23)
static inline float rv_hsum(rv_v v) {
  return wasm_f32x4_extract_lane(v, 0) + wasm_f32x4_extract_lane(v, 1) +
         wasm_f32x4_extract_lane(v, 2) + wasm_f32x4_extract_lane(v, 3);
}
/* Four horizontal sums at once: lane extraction is slow in V8, shuffles are not. */
static inline rv_v rv_hsum4x(rv_v a, rv_v b, rv_v c, rv_v d) {
  rv_v ab = wasm_f32x4_add(wasm_i32x4_shuffle(a, b, 0, 2, 4, 6), wasm_i32x4_shuffle(a, b, 1, 3, 5, 7));
  rv_v cd = wasm_f32x4_add(wasm_i32x4_shuffle(c, d, 0, 2, 4, 6), wasm_i32x4_shuffle(c, d, 1, 3, 5, 7));
  return wasm_f32x4_add(wasm_i32x4_shuffle(ab, cd, 0, 2, 4, 6), wasm_i32x4_shuffle(ab, cd, 1, 3, 5, 7));
}
#define RV_HAVE_HSUM4X 1
/* V8 spills with eight dot-product chains in flight; four are faster (measured). */
#define RV_DOT8 0

#elif defined(RV_ISA_SCALAR)
#define RV_W 1
typedef float rv_v;
#define rv_load(p) (*(p))
#define rv_store(p, x) (*(p) = (x))
#define rv_set1(x) (x)
#define rv_zero() 0.0f
#define rv_add(a, b) ((a) + (b))
#define rv_mul(a, b) ((a) * (b))
#define rv_sub(a, b) ((a) - (b))
#define rv_max(a, b) ((a) < (b) ? (b) : (a))
#define rv_min(a, b) ((b) < (a) ? (b) : (a))
#define rv_fma(a, b, c) ((a) * (b) + (c))
#define rv_floor_lo(x) ((x) < RV_EXP_FLOOR ? RV_EXP_FLOOR : (x)) /* NaN compares false: kept */
#define rv_round(x) __builtin_rintf(x)
static inline float rv_pow2(float n) {
  union { int32_t i; float f; } u;
  /* the range check keeps NaN away from the float->int cast (it traps in wasm) */
  u.i = ((n >= -127.0f && n <= 127.0f ? (int32_t)n : 0) + 127) << 23;
  return u.f;
}
#define rv_hsum(v) (v)

#else
#error "define one of RV_ISA_AVX2, RV_ISA_SSE, RV_ISA_NEON, RV_ISA_WASM128, RV_ISA_SCALAR"
#endif

#ifndef RV_DOT8
#define RV_DOT8 1 /* score eight keys per pass over the query (dot8) */
#endif

#if !defined(RV_HAVE_HSUM8) && defined(RV_HAVE_HSUM4X)
static inline void rv_hsum8(const rv_v *s, float *out) {
  rv_store(out, rv_hsum4x(s[0], s[1], s[2], s[3]));
  rv_store(out + 4, rv_hsum4x(s[4], s[5], s[6], s[7]));
}
#elif !defined(RV_HAVE_HSUM8)
static inline void rv_hsum8(const rv_v *s, float *out) {
  for (int j = 0; j < 8; j++) out[j] = rv_hsum(s[j]);
}
#endif

/* Horizontal max / min through memory: once per key block, not worth an ISA table. */
static inline float rv_hmax(rv_v v) {
  float t[RV_W], m;
  rv_store(t, v);
  m = t[0];
  for (int i = 1; i < RV_W; i++) m = t[i] > m ? t[i] : m;
  return m;
}
static inline float rv_hmin(rv_v v) {
  float t[RV_W], m;
  rv_store(t, v);
  m = t[0];
  for (int i = 1; i < RV_W; i++) m = t[i] < m ? t[i] : m;
  return m;
}

/* exp(x) on RV_W lanes, any finite x <= 88 (softmax only feeds x <= 0):
 * Cody-Waite range reduction x = n ln2 + r, then Cephes' degree-6 polynomial
 * (coefficients in approx.h); x below RV_EXP_FLOOR is clamped there. */
static inline rv_v rv_exp(rv_v x) {
  x = rv_floor_lo(x);
  rv_v n = rv_round(rv_mul(x, rv_set1(RV_EXP_LOG2E)));
  rv_v r = rv_fma(n, rv_set1(-RV_EXP_LN2_HI), x);
  r = rv_fma(n, rv_set1(-RV_EXP_LN2_LO), r);
  rv_v p = rv_set1(RV_EXP_P[0]);
  p = rv_fma(p, r, rv_set1(RV_EXP_P[1]));
  p = rv_fma(p, r, rv_set1(RV_EXP_P[2]));
  p = rv_fma(p, r, rv_set1(RV_EXP_P[3]));
  p = rv_fma(p, r, rv_set1(RV_EXP_P[4]));
  p = rv_fma(p, r, rv_set1(RV_EXP_P[5]));
  p = rv_fma(p, rv_mul(r, r), rv_add(r, rv_set1(1.0f)));
  return rv_mul(p, rv_pow2(n));
}

#endif
