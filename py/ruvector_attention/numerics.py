"""Every named numeric constant, once. The block marked "mirrors ruvector.h" must
equal the ``RV_*`` defines of ``wasm/include/ruvector.h`` (a test checks)."""

# --- mirrors ruvector.h -------------------------------------------------------
OK = 0
E_NONFINITE = -1  # a score, sum or output is NaN / inf
E_ARG = -2  # a size or pointer argument is invalid
E_INDEX = -3  # a CSR neighbour index is out of range
EXP_FLOOR = -87.33654475  # ln(FLT_MIN): softmax exponents below are clamped, never denormal
MAX_HEADS = 16  # multi-head supports 1..16 heads
KEY_BLOCK = 32  # keys scored together in one online-softmax step (amortises max / exp)

# --- Python side ----------------------------------------------------------------
FLOAT32_BYTES = 4
# Rows per thread below which forward_batch / forward_graph stay on one thread:
# a thread hand-off costs ~50 µs, about 20 single-query calls at n = 100.
MIN_ROWS_PER_THREAD = 16
# Dropout draws: seed and call counter share one 64-bit kernel seed.
DROPOUT_SEED_SHIFT = 32
