"""The sparse / efficient family's rows of the one tolerance table (tolerances.py);
imported by its tests. Pure Python (the numpy-hidden run uses it too)."""

from tolerances import TOLERANCES

# this family's rows of the one tolerance table (see tolerances.py for the paths).
# flash: the same f32 online softmax as SDPA, in blocks; measured worst 1.6e-7.
# linear vs its twin: f32 feature exps and O(N) summaries, measured worst 4e-6 relative;
# its implied weights (N up to 5000, each ~1/N) get an absolute floor far below 1/N.
# local-global: SDPA over <= L + G gathered keys.
TOLERANCES.update({
    ("flash", "forward"): (1e-5, 1e-5),
    ("flash", "torch"): (1e-5, 1e-5),
    ("flash", "backward"): (5e-5, 5e-6),
    ("flash", "fixture"): (1e-4, 1e-5),
    ("linear", "forward"): (2e-4, 2e-5),
    ("linear", "fixture"): (2e-4, 2e-5),
    ("linear", "weights"): (2e-4, 1e-8),
    ("local_global", "forward"): (3e-5, 5e-6),
    ("local_global", "fixture"): (1e-4, 1e-5),
})
