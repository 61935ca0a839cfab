#!/usr/bin/env bash
# Build the kernel as an Emscripten side module that Pyodide loads under ctypes:
#   build-wasm.sh OUT_DIR  ->  OUT_DIR/libruvector_kernel.so
# It imports only plain libc symbols, resolved from Pyodide's main module.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-build/wasm}
mkdir -p "$out"
version=$(sed -n 's/^__version__ = "\(.*\)"/\1/p' "$here/../py/ruvector_attention/_version.py")
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
flags=(-O3 -fno-math-errno -I"$here/include" -DRV_VERSION="\"$version\"" -fPIC)
emcc "${flags[@]}" -msimd128 -c "$here/src/cpu.c" -o "$tmp/cpu.o"
# every kernel file (src/*.c but cpu.c) once per ISA: SIMD128, and scalar for RUVECTOR_FORCE_SCALAR
for src in "$here"/src/*.c; do
  name=$(basename "$src" .c)
  [ "$name" = cpu ] && continue
  emcc "${flags[@]}" -msimd128 -DRV_ISA_WASM128 -DRV_ISA_SUFFIX=wasm128 -c "$src" -o "$tmp/$name.wasm128.o"
  emcc "${flags[@]}" -fno-vectorize -fno-slp-vectorize -DRV_ISA_SCALAR -DRV_ISA_SUFFIX=scalar \
    -c "$src" -o "$tmp/$name.scalar.o"
done
# WASM_BIGINT: int64_t arguments stay i64 in the exports. Without it emcc 3.1.6 splits them
# into i32 pairs, and Pyodide's ctypes (which passes BigInts) aborts with a fatal error.
emcc -O3 -msimd128 -sSIDE_MODULE=1 -sWASM_BIGINT "$tmp"/*.o -o "$out/libruvector_kernel.so"
echo "built $out/libruvector_kernel.so ($(stat -c %s "$out/libruvector_kernel.so") bytes)"
