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
# sparse / efficient attention (rv_sparse.h)
FLASH_TILE_Q = 8  # flash: queries sharing one key block while it is in cache
LINEAR_RELU_EPS = 1e-3  # relu features + eps (Performer): the denominator is never 0
EXP_ZERO = 2e-38  # exp at the floor (FLT_MIN) is a dead key's weight: set to exactly 0
FEATURE_FAVOR = 0  # linear attention feature kinds (kernel ids)
FEATURE_RELU = 1
FEATURE_ELU = 2
# end sparse
# geometric attention (rv_geometric.h)
GEO_MIN_NORM = 1e-15  # norms and conformal factors are clamped above 0 (geoopt MIN_NORM)
GEO_TANH_CLAMP = 15.0  # tanh(15) == 1 in float32: larger arguments add nothing
GEO_ARTANH_CLAMP = 0.9999999  # artanh argument clamp (geoopt: 1 - 1e-7)
GEO_BALL_EPS = 4e-3  # float32 ball margin: max norm (1 - eps)/sqrt(-k) (geoopt BALL_EPS)
GEO_SERIES_LIMIT = 1e-3  # |k| x^2 below: Taylor series in k, continuous at k = 0
GEO_MIN_DENOM = 1e-10  # |sum w (lambda - 1)| of the gyromidpoint, sign kept (geoopt)
GEO_OP_DIST = 0  # rv_geo_rows operations (kernel ids)
GEO_OP_MOBIUS_ADD = 1
GEO_OP_EXP = 2
GEO_OP_LOG = 3
GEO_OP_EXP0 = 4
GEO_OP_LOG0 = 5
GEO_OP_SCALAR_MUL = 6
GEO_OP_PROJECT = 7
GEO_OP_NORM = 8
GEO_PULL = 1  # rv_geo_attend project: pull points within the margin into the ball
GEO_PULL_OR_REFUSE = 2  # ... and refuse one outside it with E_ARG (JS's direct path)
# end geometric
# graph-aware attention (rv_graph.h)
ROPE_SLOT_BITS = 5  # GraphRoPE caches 2^5 rotated queries, one per distinct distance
ROPE_SLOTS = 32  # = 1 << ROPE_SLOT_BITS
ROPE_MAX_DISTANCE = 1e9  # |distance| above: the float angle reduction loses accuracy
# end graph

# --- Python side ----------------------------------------------------------------
FLOAT32_BYTES = 4
JS_HEAP_LIMIT = 1 << 31  # bytes of the wasm heap Pyodide's getBuffer can view (signed 32-bit)
# One bridge buffer at most a quarter of that, refused before allocating: the heap never
# grows past the limit because of one input.
MAX_BRIDGE_BYTES = JS_HEAP_LIMIT // 4
FLOAT32_MAX = 3.4028234663852886e38  # largest finite float32: config numbers must fit
FLOAT32_MIN_NORMAL = 1.1754943508222875e-38  # smaller non-zero |x| lose precision or round to 0
# Upper bound of every integer size option (widths, layers, features, windows, blocks):
# far above any real layer, so a mistyped size fails at once instead of allocating for minutes.
MAX_SIZE = 1 << 24
MAX_SEED = (1 << 32) - 1  # seeds share a 64-bit kernel seed with a 32-bit call counter
# float32 values a mechanism's parameters may hold (256 MiB; multi-head up to D = 4096):
# they are drawn in Python, about 1 µs each.
MAX_PARAMETERS = 1 << 26
FLOAT64_BYTES = 8  # double: the kernel's float64 work buffers
# Rows per thread below which forward_batch / forward_graph stay on one thread:
# a thread hand-off costs ~50 µs, about 20 single-query calls at n = 100.
MIN_ROWS_PER_THREAD = 16
# Dropout draws: seed and call counter share one 64-bit kernel seed.
DROPOUT_SEED_SHIFT = 32
