"""Command line: ``ruvector-attention benchmark`` / ``python -m ruvector_attention benchmark``.

    ruvector-attention benchmark [--json] [--quick] [--seconds S]
    ruvector-attention info

The benchmark compares single-core numbers, so numpy's BLAS and torch must run
on one thread. BLAS libraries read their thread count when numpy is first
imported (this package imports numpy when it is installed), so the command
re-executes itself once with the thread variables set to 1 rather than
depending on threadpoolctl.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

from . import bench
from ._kernel import kernel_info
from ._version import __version__

# BLAS / OpenMP thread counts, read once when numpy or torch load their libraries.
THREAD_ENV = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
              "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS")


def _parser():
    parser = argparse.ArgumentParser(prog="ruvector-attention",
                                     description="ruvector-attention command line tools")
    sub = parser.add_subparsers(dest="command", required=True)
    bench = sub.add_parser("benchmark", help="speed, memory and thread scaling of the core mechanisms")
    bench.add_argument("--json", action="store_true", help="print the results as JSON")
    bench.add_argument("--quick", action="store_true",
                       help="short timing budget and smaller thread-scaling cases (smoke run)")
    bench.add_argument("--seconds", type=float, default=None,
                       help="timing budget per case (default 0.5, or 0.05 with --quick)")
    sub.add_parser("info", help="version and the live SIMD path of the kernel")
    return parser


def _pin_blas_to_one_thread(argv):
    """Re-execute once with every BLAS thread variable set to 1 (no-op if already set)."""
    if all(os.environ.get(k) == "1" for k in THREAD_ENV) or sys.platform == "emscripten":
        return
    env = dict(os.environ)
    env.update({k: "1" for k in THREAD_ENV})
    sys.stdout.flush()
    os.execve(sys.executable, [sys.executable, "-m", "ruvector_attention", *argv], env)


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    args = _parser().parse_args(argv)
    if args.command == "info":
        print(json.dumps({"version": __version__, **kernel_info()}, indent=2))
        return 0
    if args.seconds is not None and not args.seconds > 0:
        print("ruvector-attention benchmark: --seconds must be > 0", file=sys.stderr)
        return 2
    _pin_blas_to_one_thread(argv)
    result = bench.run(quick=args.quick, seconds=args.seconds)
    print(json.dumps(result, indent=2) if args.json else bench.format_table(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
