/* Every CSR kernel, given a broken CSR (or a thread's slice of one), refuses it before it
 * reads an index: test_kernel_sanitizers.py builds this with AddressSanitizer and UBSan
 * around the kernels of one ISA, every buffer allocated to its exact size, so one read past
 * `indices` (or any other array) aborts the run. Prints "ok" when every status matches. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rv_geometric.h"
#include "rv_graph.h"
#include "rv_sparse.h"

#ifndef ISA
#define ISA scalar /* the ISA under test: -DISA=avx2 calls rv_<name>_avx2 */
#endif
#define CAT_(a, b) a##_##b
#define CAT(a, b) CAT_(a, b)
#define KERNEL(name) CAT(rv_##name, ISA)
#define D 4 /* key width = value width everywhere */

typedef struct {
  const char *what;
  int64_t rows, nnz, begin, end; /* the kernels run rows [begin, end) of `rows` */
  const int64_t *indptr;         /* rows + 1 offsets */
  const int64_t *indices;        /* nnz ids, or NULL: (i + 1) % rows */
  int expect;
} csr_case;

static float *floats(int64_t n) { /* exact size, filled with small values */
  float *x = malloc(sizeof(float) * (size_t)(n ? n : 1));
  for (int64_t i = 0; i < n; i++) x[i] = 0.25f * (float)((i * 7) % 5) - 0.5f;
  return x;
}

static int64_t *ids(const csr_case *c) { /* exactly nnz entries: ASan sees one more */
  if (!c->nnz) return NULL;
  int64_t *ix = malloc(sizeof(int64_t) * (size_t)c->nnz);
  for (int64_t e = 0; e < c->nnz; e++) ix[e] = c->indices ? c->indices[e] : (e + 1) % c->rows;
  return ix;
}

static int64_t *offsets(const csr_case *c) {
  int64_t *ip = malloc(sizeof(int64_t) * (size_t)(c->rows + 1));
  memcpy(ip, c->indptr, sizeof(int64_t) * (size_t)(c->rows + 1));
  return ip;
}

static const char *const KERNELS[] = {"csr_check", "attend_csr", "mha_forward", "rope_attend",
                                       "hnsw_attend", "struct_attend", "geo_attend",
                                       "gat_aggregate"};

/* One kernel on one case: allocate what it reads, exactly, then call it. */
static int run(int kernel, const csr_case *c) {
  const int64_t n = c->rows, e = c->nnz, b = c->begin, r = c->end;
  int64_t *ip = offsets(c), *ix = ids(c);
  float *X = floats(n * D), *V = floats(n * D), *out = floats(n * 2 * D), *w = floats(e * 2);
  float *scratch = floats(e * 2 + RV_ROPE_SLOTS * (D + 1) + 4 * D + 2 * 2 * D);
  int rc = RV_E_ARG;
  switch (kernel) {
    case 0:
      rc = KERNEL(csr_check)(ip, ix, n, e, n);
      break;
    case 1:
      rc = KERNEL(attend_csr)(X, X, V, ip, ix, n, e, n, D, D, 0.5f, b, r, out, w);
      break;
    case 2: {
      float *W = floats(4 * D * D), *bias = floats(3 * D);
      rc = KERNEL(mha_forward)(X, X, V, ip, ix, NULL, NULL, n, e, n, D, D, 2, W, bias, W + D * D,
                               W + 2 * D * D, bias + D, W + 3 * D * D, bias + 2 * D, b, r, scratch,
                               out, NULL);
      free(W), free(bias);
      break;
    }
    case 3: {
      double inv_freq[D / 2] = {1.0, 0.01};
      float *pos = floats(e);
      rc = KERNEL(rope_attend)(X, X, V, ip, ix, pos, n, e, n, D, D, inv_freq, 0.0f, 0.5f, b, r,
                               scratch, out);
      free(pos);
      break;
    }
    case 4: {
      int64_t *layers = calloc((size_t)(n ? n : 1), sizeof(int64_t));
      float *E = floats(2 * D), *B = floats(2);
      rc = KERNEL(hnsw_attend)(X, X, V, layers, ip, ix, n, e, n, D, D, 1, E, B, 2, 0.5f, b, r,
                               scratch, out);
      free(layers), free(E), free(B);
      break;
    }
    case 5: {
      float *U = floats(n * 3), *F = floats(n * 3);
      rc = KERNEL(struct_attend)(X, U, X, F, V, ip, ix, n, e, n, D, 3, D, 0.5f, b, r, scratch,
                                 out);
      free(U), free(F);
      break;
    }
    case 6:
      rc = KERNEL(geo_attend)(X, X, V, ip, ix, NULL, n, e, n, 2, 2, 2, 2, -1.0f, 1.0f, 1.0f, 1,
                              b, r, scratch, out, w);
      break;
    case 7: {
      float *a_src = floats(n * 2), *a_dst = floats(n * 2), *Y = floats(n * 2 * 2);
      rc = KERNEL(gat_aggregate)(a_src, a_dst, NULL, Y, ip, ix, n, e, n, 2, 2, 0.2f, 1, NULL,
                                   b, r, out, w);
      free(a_src), free(a_dst), free(Y);
      break;
    }
  }
  free(ip), free(ix), free(X), free(V), free(out), free(w), free(scratch);
  return rc;
}

int main(void) {
  static int64_t spike[65], chain[65];
  for (int i = 0; i <= 64; i++) spike[i] = chain[i] = i;
  spike[16] = 100000; /* a spike where one thread's rows end and the next one's begin */
  static const int64_t backwards[] = {0, 5, 2}, dips[] = {0, 2, 1, 3}, negative[] = {0, -4, 2},
                       short_end[] = {0, 1, 3}, two[] = {0, 1, 2};
  static const int64_t past[] = {0, 7}, below[] = {-1, 0};
  const csr_case cases[] = {
      {"spike, first thread's rows", 64, 64, 0, 16, spike, NULL, RV_E_ARG},
      {"spike, second thread's rows", 64, 64, 16, 32, spike, NULL, RV_E_ARG},
      {"indptr past nnz, then back", 2, 2, 0, 2, backwards, NULL, RV_E_ARG},
      {"indptr dips inside [0, nnz]", 3, 3, 0, 3, dips, NULL, RV_E_ARG},
      {"a slice starting at a negative offset", 2, 2, 1, 2, negative, NULL, RV_E_ARG},
      {"indptr[N] != nnz", 2, 2, 0, 2, short_end, NULL, RV_E_ARG},
      {"an index past the sources", 2, 2, 0, 2, two, past, RV_E_INDEX},
      {"a negative index", 2, 2, 0, 2, two, below, RV_E_INDEX},
      {"a valid ring, a thread's rows", 64, 64, 16, 32, chain, NULL, RV_OK},
      {"a valid ring, every row", 64, 64, 0, 64, chain, NULL, RV_OK},
  };
  int failures = 0, calls = 0;
  for (size_t t = 0; t < sizeof cases / sizeof cases[0]; t++) {
    const csr_case *c = &cases[t];
    for (int kernel = 0; kernel < (int)(sizeof KERNELS / sizeof KERNELS[0]); kernel++) {
      const int rc = run(kernel, c);
      calls++;
      if (rc != c->expect) {
        printf("%s: %s gave %d, expected %d\n", KERNELS[kernel], c->what, rc, c->expect);
        failures++;
      }
    }
  }
  printf("%s (%d calls)\n", failures ? "FAILED" : "ok", calls);
  return failures != 0;
}
