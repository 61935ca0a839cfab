/*
 * The coefficients of every function approximation in the kernel, named once. The wasm
 * side module imports no libm for the hot paths, so exp, sin and cos are polynomials;
 * the kappa-stereographic functions switch to their Taylor series in k near k = 0.
 * Python evaluates none of these itself, so numerics.py mirrors none of them (a test
 * checks that no other kernel file spells out such a constant).
 */
#ifndef RV_APPROX_H
#define RV_APPROX_H

/* exp(x) = 2^n exp(r), n = round(x log2 e), r = x - n ln 2 (Cody-Waite: ln 2 = HI + LO,
 * HI exact in 9 bits so n HI is exact), exp(r) by Cephes expf's degree-6 polynomial
 * 1 + r + r^2 (P0 r^5 + P1 r^4 + ... + P5): within 2 ulp of expf (simd.h rv_exp). */
#define RV_EXP_LOG2E 1.44269504088896341f
#define RV_EXP_LN2_HI 0.693359375f
#define RV_EXP_LN2_LO (-2.12194440e-4f)
#define RV_EXP_P0 1.9875691500e-4f
#define RV_EXP_P1 1.3981999507e-3f
#define RV_EXP_P2 8.3334519073e-3f
#define RV_EXP_P3 4.1665795894e-2f
#define RV_EXP_P4 1.6666665459e-1f
#define RV_EXP_P5 5.0000001201e-1f

/* sin / cos (graph.c, GraphRoPE): the angle a is reduced in double to r = a - k pi/2,
 * |r| <= pi/4, with pi/2 = HI + LO (~1e-16 |k| absolute error) and k rounded by adding
 * and subtracting 1.5 * 2^52; then Cephes sinf / cosf minimax polynomials in float
 * (absolute error < 1e-7): sin r = r + r z (S0 z^2 + S1 z + S2), cos r = 1 - z/2 +
 * z^2 (C0 z^2 + C1 z + C2), z = r^2. */
#define RV_HALF_PI_HI 1.5707963267948966
#define RV_HALF_PI_LO 6.123233995736766e-17
#define RV_TWO_OVER_PI 0.63661977236758134308
#define RV_ROUND_MAGIC 6755399441055744.0 /* (x + M) - M rounds |x| < 2^51 to an integer */
#define RV_SIN_S0 (-1.9515295891e-4f)
#define RV_SIN_S1 8.3321608736e-3f
#define RV_SIN_S2 (-1.6666654611e-1f)
#define RV_COS_C0 2.443315711809948e-5f
#define RV_COS_C1 (-1.388731625493765e-3f)
#define RV_COS_C2 4.166664568298827e-2f

/* Taylor series in k (geometric.c) where |k| x^2 < RV_GEO_SERIES_LIMIT, so each function
 * is continuous at k = 0: f(x) = x + A k x^3 + B k^2 x^5. */
#define RV_TAN_K_A (1.0 / 3.0) /* tan_k: tan (k > 0) / tanh (k < 0) of sqrt|k| x, / sqrt|k| */
#define RV_TAN_K_B (2.0 / 15.0)
#define RV_ARTAN_K_A (-1.0 / 3.0) /* artan_k: atan / artanh */
#define RV_ARTAN_K_B (1.0 / 5.0)
#define RV_ARSIN_K_A (1.0 / 6.0) /* arsin_k: asin / arsinh */
#define RV_ARSIN_K_B (3.0 / 40.0)

#endif
