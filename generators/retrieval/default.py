"""The default corpus: short GPU hardware and Triton notes shipped with kerneldata (`gpu_notes/*.md`).

Written for this project in its own words, so it can ship under the project's licence; it is small (a few
hundred lines), so its index is built in memory on first use (tens of milliseconds) rather than stored,
and can never be stale.
"""

from __future__ import annotations

import functools
from pathlib import Path

from generators.retrieval.index import DocIndex

DEFAULT_CORPUS = Path(__file__).resolve().parent / "gpu_notes"


@functools.cache
def default_index() -> DocIndex:
    """The index of the shipped GPU notes, built once per process."""
    return DocIndex.build([DEFAULT_CORPUS])
