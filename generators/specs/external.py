"""External problem sets as a spec source: a directory of KernelBench-format `.py` files, or a Hub dataset
with a `code` column (KernelBench's `ScalingIntelligence/KernelBench` has `code` and `name`), named
`hf:ORG/NAME` where the Hub is reachable.

Each problem keeps its origin (`external:<dir name>/<path inside it>`, or `hf:<id>/<split>/<name>`), which
decontamination matches against benchmarks. Shapes and dtypes come from running `get_inputs()` on PyTorch's
meta device, so a problem with gigabyte inputs costs nothing to load. Input domains are not declared by
such files: float inputs are `unspecified`, integer ones `index`, booleans `mask`.

Guarantees: files are read in sorted path order, so the same directory gives the same specs; a file that
is not a usable problem is reported with its reason, never silently skipped. Limits: the source is executed
(module level and `get_inputs()`), so load only problem sets you trust, as you would to run them.
"""

from __future__ import annotations

import ast
import types
from pathlib import Path

from kerneldata.core.spec import TOLERANCES, Spec

EXTERNAL_FAMILY = "external"
_REQUIRED = ("Model", "get_inputs", "get_init_inputs")


class ExternalError(ValueError):
    """A problem source that cannot be read at all (a missing directory, an unreachable Hub dataset)."""


def load_external(source: str) -> tuple[list[Spec], list[tuple[str, str]]]:
    """(specs, [(origin, reason)] for problems that could not be used) from a directory or `hf:ID`."""
    if source.startswith("hf:"):
        return load_hub(source[3:])
    return load_dir(Path(source))


def load_dir(root: Path) -> tuple[list[Spec], list[tuple[str, str]]]:
    root = Path(root)
    if not root.is_dir():
        raise ExternalError(f"specs.external: {root} is not a directory of KernelBench-format problems")
    specs, problems = [], []
    for path in sorted(root.rglob("*.py")):
        origin = f"external:{root.resolve().name}/{path.relative_to(root).as_posix()}"
        try:
            source = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as err:
            problems.append((origin, f"cannot read: {err}"))
            continue
        spec, reason = spec_from_source(source, name=path.stem, origin=origin)
        if spec is None:
            problems.append((origin, reason))
        else:
            specs.append(spec)
    return specs, problems


def load_hub(dataset_id: str) -> tuple[list[Spec], list[tuple[str, str]]]:
    """Every split of a Hub dataset (or a local dataset directory) with a `code` column."""
    try:
        import datasets

        loaded = datasets.load_dataset(dataset_id)
    except Exception as err:  # the Hub unreachable, no such dataset: the user's input, one line
        raise ExternalError(f"specs.external: cannot load Hub dataset {dataset_id!r}: "
                            f"{' '.join(str(err).split())[:200]}") from None
    specs, problems = [], []
    for split in sorted(loaded):
        table = loaded[split]
        if "code" not in table.column_names:
            raise ExternalError(f"specs.external: Hub dataset {dataset_id!r} split {split!r} has no 'code' column")
        for index, row in enumerate(table):
            name = str(row.get("name") or row.get("problem_id") or index)
            origin = f"hf:{dataset_id}/{split}/{name}"
            spec, reason = spec_from_source(row["code"], name=Path(name).stem, origin=origin)
            if spec is None:
                problems.append((origin, reason))
            else:
                specs.append(spec)
    return specs, problems


def spec_from_source(source: str, *, name: str, origin: str) -> tuple[Spec | None, str]:
    """A spec for one KernelBench-format source, or (None, why not)."""
    try:
        tree = ast.parse(source)
    except SyntaxError as err:
        return None, f"not valid Python: {err.msg} at line {err.lineno}"
    defined = {node.name for node in tree.body if isinstance(node, (ast.ClassDef, ast.FunctionDef))}
    missing = [n for n in _REQUIRED if n not in defined]
    if missing:
        return None, f"lacks {', '.join(missing)} (KernelBench format)"
    import torch

    module = types.ModuleType("external_problem")
    try:
        exec(compile(source, origin, "exec"), module.__dict__)  # noqa: S102 - a problem set the user chose
        with torch.device("meta"):
            inputs = list(module.get_inputs())
    except Exception as err:
        return None, f"get_inputs() fails on the meta device: {type(err).__name__}: {' '.join(str(err).split())[:160]}"
    shapes, domains, dtype = [], [], None
    for value in inputs:
        if isinstance(value, torch.Tensor):
            shapes.append(tuple(int(d) for d in value.shape))
            if value.is_floating_point():
                domains.append("unspecified")
                dtype = dtype or str(value.dtype).removeprefix("torch.")
            else:
                domains.append("mask" if value.dtype == torch.bool else "index")
        else:
            shapes.append(())
            domains.append("unspecified")
    dtype = dtype or "float32"
    if dtype not in TOLERANCES:
        return None, f"inputs of dtype {dtype} are not supported; supported: {', '.join(TOLERANCES)}"
    return Spec(family=EXTERNAL_FAMILY, ops=(name,), dtype=dtype, shapes=tuple(shapes), source=source,
                origin=origin, input_domains=tuple(domains), layouts=("contiguous",) * len(shapes)), "ok"
