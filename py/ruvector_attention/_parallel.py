"""Row-parallel kernel calls on native threads (ctypes releases the GIL per call).

Inside Pyodide there are no threads: everything runs on the calling thread."""

import os
import sys

from .errors import InvalidConfigError
from .numerics import MIN_ROWS_PER_THREAD

_THREADS_POSSIBLE = sys.platform != "emscripten"
_num_threads = (os.cpu_count() or 1) if _THREADS_POSSIBLE else 1
_pool = None


def set_num_threads(n):
    """Threads used by forward_batch / forward_graph (like ``torch.set_num_threads``)."""
    global _num_threads, _pool
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise InvalidConfigError(f"num_threads must be an int >= 1, got {n!r}", field="num_threads")
    n = n if _THREADS_POSSIBLE else 1
    if n != _num_threads and _pool is not None:
        _pool.shutdown(wait=True)
        _pool = None
    _num_threads = n


def get_num_threads():
    return _num_threads


def run_rows(num_rows, call):
    """Run ``call(begin, end) -> status`` over [0, num_rows) split across threads;
    return the first non-zero status in row order (0 when all succeeded)."""
    global _pool
    chunks = min(_num_threads, max(1, num_rows // MIN_ROWS_PER_THREAD))
    if chunks <= 1:
        return call(0, num_rows)
    if _pool is None:
        # imported here: Pyodide (no threads) never needs it, and it costs ~15 ms to import there
        from concurrent.futures import ThreadPoolExecutor
        _pool = ThreadPoolExecutor(max_workers=_num_threads, thread_name_prefix="ruvector")
    bounds = [num_rows * i // chunks for i in range(chunks + 1)]
    futures = [_pool.submit(call, bounds[i], bounds[i + 1]) for i in range(chunks)]
    statuses = [f.result() for f in futures]
    return next((s for s in statuses if s), 0)
