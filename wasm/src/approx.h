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
 * 1 + r + r^2 (P[0] r^5 + P[1] r^4 + ... + P[5]): within 2 ulp of expf (simd.h rv_exp). */
#define RV_EXP_LOG2E 1.44269504088896341f
#define RV_EXP_LN2_HI 0.693359375f
#define RV_EXP_LN2_LO (-2.12194440e-4f)
static const float RV_EXP_P[6] = {1.9875691500e-4f, 1.3981999507e-3f, 8.3334519073e-3f,
                                  4.1665795894e-2f, 1.6666665459e-1f, 5.0000001201e-1f};

/* sin / cos (graph.c, GraphRoPE): the angle a is reduced in double to r = a - k pi/2,
 * |r| <= pi/4, with pi/2 = HI + LO (~1e-16 |k| absolute error) and k rounded by adding
 * and subtracting 1.5 * 2^52; then Cephes sinf / cosf minimax polynomials in float
 * (absolute error < 1e-7): sin r = r + r z (S[0] z^2 + S[1] z + S[2]), cos r = 1 - z/2 +
 * z^2 (C[0] z^2 + C[1] z + C[2]), z = r^2. */
#define RV_HALF_PI_HI 1.5707963267948966
#define RV_HALF_PI_LO 6.123233995736766e-17
#define RV_TWO_OVER_PI 0.63661977236758134308
#define RV_ROUND_MAGIC 6755399441055744.0 /* (x + M) - M rounds |x| < 2^51 to an integer */
static const float RV_SIN_S[3] = {-1.9515295891e-4f, 8.3321608736e-3f, -1.6666654611e-1f};
static const float RV_COS_C[3] = {2.443315711809948e-5f, -1.388731625493765e-3f,
                                  4.166664568298827e-2f};

/* Taylor series in k (geometric.c) where |k| x^2 < RV_GEO_SERIES_LIMIT, so each function
 * is continuous at k = 0: f(x) = x + A k x^3 + B k^2 x^5, {A, B} per function: arsin_k
 * (asin / arsinh), artan_k (atan / artanh), tan_k (tan / tanh of sqrt|k| x, / sqrt|k|). */
enum { RV_ARSIN_K, RV_ARTAN_K, RV_TAN_K };
static const double RV_KAPPA_SERIES[3][2] = {
    {1.0 / 6.0, 3.0 / 40.0}, {-1.0 / 3.0, 1.0 / 5.0}, {1.0 / 3.0, 2.0 / 15.0}};

#endif
