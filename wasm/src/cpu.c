/* The ISA-independent part of the kernel: version and CPU feature detection. */
#include "ruvector.h"

#ifndef RV_VERSION
#error "the build passes -DRV_VERSION=\"x.y.z\" (read from ruvector_attention/_version.py)"
#endif

const char *rv_version(void) { return RV_VERSION; }

int rv_cpu_features(void) {
  int f = 0;
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) f |= RV_CPU_AVX2_FMA;
#endif
#if defined(__aarch64__)
  f |= RV_CPU_NEON; /* NEON is part of the AArch64 base ISA */
#endif
#if defined(__wasm_simd128__)
  f |= RV_CPU_WASM128; /* a module using SIMD128 only validates where it is supported */
#endif
  return f;
}
