/* Runs every kernel of one ISA against the scalar ISA on the same inputs and
 * prints the largest relative difference; used by test_isa_cross.py to check the
 * NEON path under qemu-aarch64 (this project's CI machines are x86-64). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ruvector.h"

#define CAT_(a, b) a##_##b
#define CAT(a, b) CAT_(a, b)
#define SIMD(name) CAT(rv_##name, ISA)

static unsigned long long rng = 88172645463325252ull;
static float uniform(void) { /* xorshift64: the same data on every platform */
  rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17;
  return (float)((rng >> 40) * (1.0 / 16777216.0)) * 2.0f - 1.0f;
}
static float *rand_vec(long n) {
  float *x = malloc(sizeof(float) * (n ? n : 1));
  for (long i = 0; i < n; i++) x[i] = uniform();
  return x;
}
static double worst = 0;
static void compare(const char *what, const float *a, const float *b, long n) {
  for (long i = 0; i < n; i++) {
    double e = fabs((double)a[i] - b[i]) / fmax(fabs((double)b[i]), 0.1); /* abs. near 0 */
    if (e > worst) worst = e;
    if (!(e < 1e-4)) printf("%s[%ld]: %g vs %g\n", what, i, a[i], b[i]);
  }
}

int main(void) {
  const long sizes[][3] = {{1, 1, 1}, {3, 7, 5}, {17, 33, 17}, {40, 128, 128}, {127, 13, 9}};
  for (int s = 0; s < 5; s++) {
    const long n = sizes[s][0], d = sizes[s][1], dv = sizes[s][2];
    float *q = rand_vec(4 * d), *K = rand_vec(n * d), *V = rand_vec(n * dv), *g = rand_vec(dv);
    float o1[512], o2[512], w1[4096], w2[4096];
    unsigned char mask[256];
    for (long i = 0; i < n; i++) mask[i] = (i % 3) != 1;
    if (SIMD(attend)(q, K, V, mask, n, d, dv, 0.3f, 0.25f, 7, o1, w1) ||
        rv_attend_scalar(q, K, V, mask, n, d, dv, 0.3f, 0.25f, 7, o2, w2)) return 2;
    compare("attend.out", o1, o2, dv);
    compare("attend.weights", w1, w2, n);
    if (SIMD(attend_multi)(q, 4, K, V, NULL, n, d, dv, 0.3f, o1, w1) ||
        rv_attend_multi_scalar(q, 4, K, V, NULL, n, d, dv, 0.3f, o2, w2)) return 2;
    compare("multi.out", o1, o2, 4 * dv);
    compare("multi.weights", w1, w2, 4 * n);
    float *gk1 = calloc(n * d, 4), *gk2 = calloc(n * d, 4), *gv1 = calloc(n * dv, 4),
          *gv2 = calloc(n * dv, 4), gq1[256] = {0}, gq2[256] = {0}, work[512];
    if (SIMD(attend_backward)(q, K, V, NULL, n, d, dv, 0.3f, 0, 0, g, gq1, gk1, gv1, work) ||
        rv_attend_backward_scalar(q, K, V, NULL, n, d, dv, 0.3f, 0, 0, g, gq2, gk2, gv2, work))
      return 2;
    compare("backward.q", gq1, gq2, d);
    compare("backward.K", gk1, gk2, n * d);
    compare("backward.V", gv1, gv2, n * dv);
    {
      float *W = rand_vec(4 * d * d + d * dv), scratch[4096];
      const float *Wq = W, *Wk = W + d * d, *Wo = W + 2 * d * d, *Wv = W + 3 * d * d;
      if (SIMD(mha_forward)(q, K, V, NULL, NULL, NULL, NULL, 1, 0, n, d, dv, 1, Wq, NULL, Wk, Wv, NULL,
                            Wo, NULL, 0, 1, scratch, o1, NULL) ||
          rv_mha_forward_scalar(q, K, V, NULL, NULL, NULL, NULL, 1, 0, n, d, dv, 1, Wq, NULL, Wk, Wv,
                                NULL, Wo, NULL, 0, 1, scratch, o2, NULL))
        return 2;
      compare("mha.out", o1, o2, d);
      free(W);
    }
    free(q); free(K); free(V); free(g); free(gk1); free(gk2); free(gv1); free(gv2);
  }
  printf("max relative difference %.3g\n", worst);
  return worst < 1e-4 ? 0 : 1;
}
