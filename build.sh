#!/usr/bin/env bash
# The one entry point: ./build.sh [all|test|demo|wasm|dist|bench|native|deps]
#   all    build the native package, the wasm kernel, the wheel, dist/ (default)
#   test   build everything, then pytest, the Node tests and the Playwright tests
#   demo   build everything, then serve the visualizer on 127.0.0.1
#   wasm   build only the wasm side module (build/wasm/libruvector_kernel.so)
#   dist   wasm + Pyodide wheel + dist/pyodide + the JS bundle + types
#   bench  build, then the Python (native) and Node benchmarks
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$PWD
PY=${PYTHON:-python3}
# Test-only oracles; torch 2.13.0 is the CPU build available for Python 3.11.
PY_TEST_DEPS=(numpy pytest hypothesis safetensors "torch==2.13.0" pytest-timeout networkx rotary-embedding-torch geoopt torch_geometric)
# their import names: build.sh installs the list when any one is missing
PY_TEST_MODULES="numpy pytest hypothesis safetensors torch pytest_timeout networkx rotary_embedding_torch geoopt torch_geometric"
PY_BUILD_DEPS=(scikit-build-core "cmake>=3.18" ninja build wheel)

log() { printf '\033[1m==> %s\033[0m (at %ds)\n' "$*" "$SECONDS"; }

need_apt() {  # need_apt <command> <debian package>...
  command -v "$1" >/dev/null 2>&1 && return 0
  if [ "$(id -u)" = 0 ]; then
    log "installing Debian package(s) ${*:2}"
    [ -n "${APT_UPDATED:-}" ] || { apt-get update -qq; APT_UPDATED=1; }
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${@:2}" >/dev/null
  else
    echo "missing '$1': run 'sudo apt-get install ${*:2}' and try again" >&2; exit 1
  fi
}

deps_build() {
  need_apt cmake cmake
  need_apt emcc emscripten
  need_apt node nodejs
  $PY -c 'import scikit_build_core, build' 2>/dev/null \
    || $PY -m pip install -q "${PY_BUILD_DEPS[@]}"
  if [ ! -d node_modules ] || [ package.json -nt node_modules/.package-lock.json ] \
     || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    log "npm install"; npm install --no-audit --no-fund --loglevel=error
  fi
}

deps_test() {
  need_apt chromium chromium
  # the NEON kernels are checked under qemu (tests/python/test_isa_cross.py)
  need_apt aarch64-linux-gnu-gcc gcc-aarch64-linux-gnu libc6-dev-arm64-cross
  need_apt qemu-aarch64 qemu-user
  $PY -c "import ${PY_TEST_MODULES// /, }" 2>/dev/null \
    || $PY -m pip install -q "${PY_TEST_DEPS[@]}"
}

build_native() {
  log "native package (pip install .)"
  $PY -m pip install -q --no-build-isolation --no-deps --force-reinstall . >/dev/null
}

build_wasm() {
  log "wasm side module"
  bash wasm/build-wasm.sh build/wasm
}

build_dist() {
  build_wasm
  log "Pyodide wheel, dist/pyodide, JS bundle, types"
  node js/build/dist.mjs
}

build_all() { deps_build; build_native; build_dist; }

run_tests() {
  deps_test
  log "pytest (native)"
  $PY -m pytest -q tests/python
  log "pytest with numpy hidden"
  RUVECTOR_HIDE_NUMPY=1 $PY -m pytest -q -m nonumpy tests/python
  log "node tests"
  node --test tests/js/
  log "Playwright tests (headless Chromium)"
  node --test tests/e2e/
}

case "${1:-all}" in
  deps)   deps_build; deps_test ;;
  native) deps_build; build_native ;;
  wasm)   need_apt emcc emscripten; build_wasm ;;
  dist)   deps_build; build_dist ;;
  all)    build_all ;;
  test)   build_all; run_tests ;;
  demo)   build_all; node web-demo/serve.mjs "${@:2}" ;;
  bench)  build_all; deps_test
          $PY -m ruvector_attention benchmark
          node js/bench/bench.mjs ;;
  *) echo "usage: ./build.sh [all|test|demo|wasm|dist|bench|native|deps]" >&2; exit 2 ;;
esac
