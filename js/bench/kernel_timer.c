/* Times the fused single-query kernel (rv_attend_<isa>) without any host layer.
 *
 * Compiled twice from this one file by bench.mjs: natively (AVX2, a main()
 * that prints JSON) and to a standalone wasm module (no main; bench.mjs calls
 * rv_attend_wasm128 from JavaScript around the same buffers). Both time
 * batches of calls and report per-call p50 / p95, so the two numbers compare
 * the kernels alone.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "ruvector.h"

#ifndef RV_BENCH_ISA
#define RV_BENCH_ISA avx2
#endif
#define CAT_(a, b) a##_##b
#define CAT(a, b) CAT_(a, b)
#define ATTEND CAT(rv_attend, RV_BENCH_ISA)

static double now_us(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static float uniform(uint64_t *s) { /* xorshift64*: deterministic inputs in [-1, 1) */
  *s ^= *s >> 12; *s ^= *s << 25; *s ^= *s >> 27;
  return (float)((*s * 2685821657736338717ULL) >> 40) / (float)(1 << 24) * 2.0f - 1.0f;
}

int main(int argc, char **argv) {
  if (argc < 2) { fprintf(stderr, "usage: kernel_timer n [n ...]\n"); return 2; }
  const int64_t d = 128, dv = 128;
  printf("[");
  for (int a = 1; a < argc; a++) {
    int64_t n = atoll(argv[a]);
    float *q = malloc(d * 4), *K = malloc(n * d * 4), *V = malloc(n * dv * 4), *out = malloc(dv * 4);
    uint64_t s = 88172645463325252ULL;
    for (int64_t i = 0; i < d; i++) q[i] = uniform(&s);
    for (int64_t i = 0; i < n * d; i++) K[i] = uniform(&s);
    for (int64_t i = 0; i < n * dv; i++) V[i] = uniform(&s);
    const float scale = 0.08838834764831845f; /* 1/sqrt(128) */
    int reps = n >= 10000 ? 1 : n >= 1000 ? 4 : 40, samples = 400;
    for (int i = 0; i < 50 * reps; i++) ATTEND(q, K, V, NULL, n, d, dv, scale, 0.0f, 0, out, NULL);
    double *t = malloc(samples * sizeof(double));
    for (int k = 0; k < samples; k++) {
      double t0 = now_us();
      for (int r = 0; r < reps; r++) ATTEND(q, K, V, NULL, n, d, dv, scale, 0.0f, 0, out, NULL);
      t[k] = (now_us() - t0) / reps;
    }
    qsort(t, samples, sizeof(double), cmp);
    printf("%s{\"n\": %lld, \"p50\": %.3f, \"p95\": %.3f, \"check\": %.6f}", a > 1 ? ", " : "",
           (long long)n, t[samples / 2], t[samples * 95 / 100], out[0]);
    free(q); free(K); free(V); free(out); free(t);
  }
  printf("]\n");
  return 0;
}
