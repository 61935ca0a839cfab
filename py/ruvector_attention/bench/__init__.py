"""The project's benchmark (DESIGN.md section 8; ``python -m ruvector_attention
benchmark``): one section per family, listed in ``SECTIONS``, all in one run on the
same seeded inputs (d = 128, float32). It reaches the mechanisms through the public
API only; the raw kernel rows (the bound, "kernel only", the thread calibration) call
the kernel itself.

Sections (each a module with ``run(inputs, *, quick, seconds)`` and
``format_section(result)``; the result's key names it):

* ``single_query`` (core.py): SDPA / multi-head speed and memory, the physical bound.
* ``threads`` (threads.py): forward_batch / forward_graph on 1 vs 2 threads.
* ``sparse_scaling`` (sparse.py): time and memory vs n of the sparse mechanisms.
* ``graph`` (graph.py): the graph-aware mechanisms next to SDPA.
* ``geometric`` (geometric.py): hyperbolic / edge-featured next to SDPA.
"""

import os
import platform

import ruvector_attention as ra

from . import core, geometric, graph, sparse, threads
from .harness import DIM, Inputs, np, torch_module

#: result key -> section module, in run (and report) order.
SECTIONS = {"single_query": core, "threads": threads, "sparse_scaling": sparse, "graph": graph,
            "geometric": geometric}


def run(*, quick=False, seconds=None):
    """Run every section; returns a JSON-ready dict {meta, <section key>: result, ...}."""
    load_at_start = _load_average()
    seconds = seconds if seconds is not None else (0.05 if quick else 0.5)
    inputs = Inputs(seed=0)
    results = {key: section.run(inputs, quick=quick, seconds=seconds) for key, section in SECTIONS.items()}
    meta = _meta(torch_module(), quick, seconds)
    meta["load_average_at_start"] = load_at_start
    return {"meta": meta, **results}


def _load_average():
    """1-minute load average (None where the OS has none): other work on the machine
    shows up here, and thread scaling is meaningless when the cores are busy."""
    try:
        return os.getloadavg()[0]
    except (AttributeError, OSError):
        return None


def _meta(torch, quick, seconds):
    info = ra.kernel_info()
    return {
        "version": ra.__version__, "kernel_isa": info["isa"], "kernel_available": info["available"],
        "dim": DIM, "cpus": os.cpu_count(), "machine": platform.machine(),
        "python": platform.python_version(),
        "numpy": getattr(np, "__version__", None), "torch": getattr(torch, "__version__", None),
        "blas_threads_env": {k: os.environ.get(k) for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                                                              "MKL_NUM_THREADS")},
        "quick": quick, "seconds_per_case": seconds,
    }


def format_table(result):
    """A readable plain-text report of ``run()``'s result."""
    m = result["meta"]
    lines = [
        f"ruvector-attention {m['version']} benchmark: kernel {m['kernel_isa']}, {m['cpus']} CPUs "
        f"({m['machine']}), python {m['python']}, numpy {m['numpy'] or '-'}, torch {m['torch'] or '-'}",
        f"single query, d = {m['dim']}, float32, one core (numpy/torch pinned to 1 thread)",
    ]
    load = m.get("load_average_at_start")
    if load is not None and m["cpus"] and load > 0.5:
        lines.append(f"WARNING: load average {load:.2f} at start: other work shares the CPUs, "
                     "timings and thread scaling are pessimistic")
    lines += [section.format_section(result[key]) for key, section in SECTIONS.items() if key in result]
    return "\n".join(lines)
