"""The prompt builder: turns a spec row into the chat messages a teacher answers.

The wording lives in versioned template files under `generators/prompt_templates/` (`kernel-v1.md` is
`PROMPT_VERSION`), each holding a system part and a user part after marker lines (`=== system ===`,
`=== user ===`), with `$name` placeholders filled by `string.Template`. A changed wording is a new file and
a new version, so `prompt_version` in a candidate row always names the exact text that produced it.

Guarantees: the same spec row gives the same messages, byte for byte; a template with a missing part or an
unknown placeholder raises at build time. The prompt states the candidate contract of DESIGN section 3.1;
it does not retrieve documentation or describe the hardware (later stages may extend the messages).
"""

from __future__ import annotations

import ast
import functools
import string
from pathlib import Path

PROMPT_VERSION = "kernel-v1"

_TEMPLATE_DIR = Path(__file__).parent / "prompt_templates"
_MARKERS = {"=== system ===": "system", "=== user ===": "user"}


@functools.cache
def load_template(version: str = PROMPT_VERSION) -> dict[str, string.Template]:
    """The system and user templates of one prompt version. Text before the first marker (a comment
    describing the file) is ignored."""
    path = _TEMPLATE_DIR / f"{version}.md"
    if not path.is_file():
        known = sorted(p.stem for p in _TEMPLATE_DIR.glob("*.md"))
        raise ValueError(f"unknown prompt version {version!r}; known versions: {', '.join(known)}")
    parts: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in path.read_text(encoding="utf-8").splitlines():
        role = _MARKERS.get(line.strip())
        if role is not None:
            current = parts.setdefault(role, [])
        elif current is not None:
            current.append(line)
    missing = [role for role in _MARKERS.values() if role not in parts]
    if missing:
        raise ValueError(f"prompt template {path} lacks the {missing[0]!r} part (a '=== {missing[0]} ===' line)")
    return {role: string.Template("\n".join(lines).strip() + "\n") for role, lines in parts.items()}


def build_prompt(spec_row: dict, version: str = PROMPT_VERSION) -> list[dict]:
    """Chat messages `[{"role": "system", ...}, {"role": "user", ...}]` asking for a `ModelNew` for the
    spec row's reference problem (a row of `kerneldata.core.schema.SPEC_SCHEMA`)."""
    templates = load_template(version)
    names = _input_names(spec_row["reference_code"], len(spec_row["shapes"]))
    inputs = ", ".join(
        f"`{name}` of shape ({', '.join(str(d) for d in shape)}{',' if len(shape) == 1 else ''})"
        for name, shape in zip(names, spec_row["shapes"])
    )
    values = {
        "family": spec_row["family"],
        "ops": ", ".join(spec_row["ops"]),
        "reference_code": spec_row["reference_code"].strip("\n"),
        "dtype": spec_row["dtype"],
        "inputs": inputs or "none",
        "atol": f"{spec_row['atol']:g}",
        "rtol": f"{spec_row['rtol']:g}",
    }
    return [{"role": role, "content": templates[role].substitute(values)} for role in ("system", "user")]


def _input_names(reference_code: str, count: int) -> list[str]:
    """The parameter names of `Model.forward` when the reference parses and has `count` of them, else
    `input0`, `input1`, ... (problems written elsewhere may take `*args`)."""
    fallback = [f"input{i}" for i in range(count)]
    try:
        tree = ast.parse(reference_code)
    except SyntaxError:
        return fallback
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name == "Model":
            for item in node.body:
                if isinstance(item, ast.FunctionDef) and item.name == "forward":
                    names = [arg.arg for arg in item.args.args[1:]]
                    return names if len(names) == count else fallback
    return fallback
