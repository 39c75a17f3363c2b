"""Local paths in what a run shows the world (its dataset card, the folder `publish` uploads), named without
the filesystem they come from.

A run's config and manifest hold paths of the machine that made it: the run directory (`run.out`),
benchmarks (`decontamination.benchmarks`, and the manifest's `decontamination_config` after `kerneldata
decontaminate`), a documentation index (`teacher.prompt.docs_index`), the teacher cache (`teacher.cache`, the
manifest's `teacher_cache.dir`), external problem sets (`specs.external`), a vLLM model directory. Such a
path is shown by its last component only: `/home/alice/KernelBench/level1` -> `level1`, the name
decontamination already gives a benchmark directory or file in the `contamination_benchmark` column, so a
benchmark has one name in the card's text, its table and the rows; and a parent directory (a home, a user
name, a mount) is never shown. Name the directory for what it holds when the last component alone says
too little (`KernelBench-level1`).

A path is local when it is absolute (`/...`, `~...`, `C:\\...`, `\\\\server\\...`), starts with `./` or
`../`, or is a `file:` URI. Anything else is kept as written: a Hub id (`ORG/NAME`), a bare name, a
relative path (it names nothing above the directory the run started in; `KernelBench/level1` could as well
be a Hub id), a remote URI (`s3://bucket/run`, `https://...`), the `{run_dir}` placeholder.

What this does not do: find a path inside longer text (a sentence, a traceback), or touch the Parquet
shards (the data is published as it is). The text of rows that came from a candidate's process (`reason`,
`error_detail`) was scrubbed of paths, secrets and token-shaped strings when its verdict was made
(`kerneldata.core.scrub`).
"""

from __future__ import annotations

import re

_LOCAL = re.compile(r"^(?:/|~|\.\.?[\\/]|file:|[A-Za-z]:[\\/]|\\\\)")
_SEPARATORS = re.compile(r"[\\/]+")


def is_local_path(value: str) -> bool:
    return bool(_LOCAL.match(value))


def public_name(value: str) -> str:
    """A local path's last component (see the module docstring); anything else as it is."""
    if not is_local_path(value):
        return value
    parts = [part for part in _SEPARATORS.split(value) if part not in ("", ".", "..")]
    return parts[-1] if parts else value


def without_local_paths(node):
    """A JSON-like value (a parsed config or manifest) with every string that is a local path replaced by its
    public name; keys and other values as they are."""
    if isinstance(node, dict):
        return {key: without_local_paths(value) for key, value in node.items()}
    if isinstance(node, list):
        return [without_local_paths(value) for value in node]
    return public_name(node) if isinstance(node, str) else node
