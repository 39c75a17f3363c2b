"""kerneldata: training data for models that write GPU kernels.

The package is split by layer (see DESIGN.md section 2): `kerneldata.core` is the shared vocabulary,
`generators`, `filters` and `shards` are the stage packages, and `kerneldata.pipeline` / `kerneldata.cli`
compose them. Importing this package does no work.
"""

__version__ = "0.1.0"
