"""Geometric attention (spec FR-002): Poincaré / κ-stereographic math, hyperbolic,
mixed-curvature, manifold and edge-featured (GAT) attention."""

from .edge_featured import EdgeFeaturedAttention
from .hyperbolic import HyperbolicAttention, ManifoldAttention
from .inputs import InputMode
from .mixed import MixedCurvatureAttention
from .poincare import (
                       exp_map,
                       exp_map0,
                       gyromidpoint,
                       log_map,
                       log_map0,
                       mobius_add,
                       mobius_scalar_mul,
                       poincare_distance,
                       project_to_ball,
)

__all__ = ["EdgeFeaturedAttention", "HyperbolicAttention", "ManifoldAttention", "MixedCurvatureAttention", "InputMode",
           "poincare_distance", "mobius_add", "mobius_scalar_mul", "exp_map", "log_map",
           "exp_map0", "log_map0", "project_to_ball", "gyromidpoint"]
