"""The one place the package version is written (pyproject, CMake and the wasm build read it)."""

__version__ = "0.1.0"
