"""The prompt builder: turns a spec row into the chat messages a teacher answers.

The wording lives in versioned template files under `generators/prompt_templates/` (`kernel-v3.md` is
`PROMPT_VERSION`; `kernel-v1.md` and `kernel-v2.md` stay as they were), each holding a system part and a user part after marker
lines (`=== system ===`, `=== user ===`), with `$name` placeholders filled by `string.Template`. A changed
wording is a new file and a new version, so `prompt_version` in a candidate row always names the template
that produced it.

kernel-v2 adds three optional sections to the user message, each present only when given (kernel-v3 has
kernel-v2's wording and chooses its examples per spec from a pool, `choose_examples`; kernel-v2 keeps its
one example per family):
- `hardware=`: a profile (name or `kerneldata.core.profiles.Profile`): its short block of facts and knobs;
- `docs=`: retrieved documentation chunks (objects or dicts with `path`, `section`, `text`, as
  `generators.retrieval`'s `DocIndex.search` returns them), each quoted under its source path and section;
- `few_shot=`: example solutions from `prompt_templates/few_shot/` (a count, chosen per spec from the pool
  of its family's group, `choose_examples`, or names), each a KernelBench problem and its ModelNew in the
  tutorials' anatomy.
`retrieval_query(spec_row, hardware)` writes the search query for a spec and `prompt_for(spec_row,
settings, index)` does query -> search -> build_prompt for a `teacher.prompt` config section; `Prompter`
holds one section and its loaded index, and is what the teachers ask for each spec's first prompt.

Guarantees: the same arguments give the same messages, byte for byte; a template with a missing part or an
unknown placeholder raises at build time, as does an unknown profile or example name, or sections asked of
a template that has no place for them (kernel-v1).
"""

from __future__ import annotations

import ast
import functools
import hashlib
import re
import string
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from kerneldata.core.profiles import Profile, get_profile

PROMPT_VERSION = "kernel-v3"

_TEMPLATE_DIR = Path(__file__).parent / "prompt_templates"
_FEW_SHOT_DIR = _TEMPLATE_DIR / "few_shot"
_MARKERS = {"=== system ===": "system", "=== user ===": "user"}
_OPTIONAL = ("hardware", "docs", "examples")
_OTHER_SIZES = ("\n- other sizes: the kernel is also checked on this problem at sizes not shown here (other batch, "
                "row or sequence lengths), so take every size from the inputs; a grid, block or shape fixed to "
                "the sizes above fails there.")


@functools.cache
def load_template(version: str = PROMPT_VERSION) -> dict[str, string.Template]:
    """The system and user templates of one prompt version. Text before the first marker (a comment
    describing the file) is ignored."""
    # Only the kernel prompts: feedback-* templates are the refinement loop's (generators.refine).
    path = template_path(version, "kernel", "prompt")
    parts = read_sections(path, _MARKERS.get)
    missing = [role for role in _MARKERS.values() if role not in parts]
    if missing:
        raise ValueError(f"prompt template {path} lacks the {missing[0]!r} part (a '=== {missing[0]} ===' line)")
    return {role: string.Template("\n".join(lines).strip() + "\n") for role, lines in parts.items()}


def template_path(version: str, family: str, what: str) -> Path:
    """The file of a template version under prompt_templates/ (`kernel-v2` -> kernel-v2.md); an unknown
    version is a ValueError listing the known ones of its family (`kernel`, `feedback`)."""
    path = _TEMPLATE_DIR / f"{version}.md"
    if not path.is_file():
        known = sorted(p.stem for p in _TEMPLATE_DIR.glob(f"{family}-*.md"))
        raise ValueError(f"unknown {what} version {version!r}; known versions: {', '.join(known)}")
    return path


def read_sections(path: Path, section_of: Callable[[str], str | None]) -> dict[str, list[str]]:
    """The lines of a template file by section: `section_of(stripped line)` names the section a marker line
    opens (None for any other line). Text before the first marker (a comment on the file) is dropped."""
    sections: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in path.read_text(encoding="utf-8").splitlines():
        name = section_of(line.strip())
        if name is not None:
            current = sections.setdefault(name, [])
        elif current is not None:
            current.append(line)
    return sections


def build_prompt(spec_row: dict, version: str = PROMPT_VERSION, *, hardware: str | Profile | None = None,
                 docs: Sequence = (), few_shot: int | Sequence[str] = 0) -> list[dict]:
    """Chat messages `[{"role": "system", ...}, {"role": "user", ...}]` asking for a `ModelNew` for the
    spec row's reference problem (a row of `kerneldata.core.schema.SPEC_SCHEMA`), with the optional
    hardware, documentation and example sections (see the module docstring)."""
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
        # Issue 16: a spec's other workloads are never shown (not their sizes, not their sources); the prompt
        # says only that they exist, so that taking every size from the inputs is the task.
        "other_sizes": _OTHER_SIZES if spec_row.get("workloads") else "",
    }
    sections = {
        "hardware": _hardware_section(hardware),
        "docs": _docs_section(docs),
        "examples": _examples_section(spec_row, few_shot, version),
    }
    accepts = {name for name in _OPTIONAL if f"${name}" in templates["user"].template}
    unplaced = [name for name, text in sections.items() if text and name not in accepts]
    if unplaced:
        raise ValueError(f"prompt version {version!r} has no place for the {unplaced[0]} section")
    values.update({name: text for name, text in sections.items() if name in accepts})
    return [{"role": role, "content": templates[role].substitute(values)} for role in ("system", "user")]


# ---------------------------------------------------------------------------------------------- sections

def _hardware_section(hardware: str | Profile | None) -> str:
    if hardware is None:
        return ""
    profile = hardware if isinstance(hardware, Profile) else get_profile(hardware)
    return "\n## Target hardware\n\n" + profile.prompt_block()


def _field(hit, name: str):
    return hit[name] if isinstance(hit, Mapping) else getattr(hit, name)


def _docs_section(docs: Sequence) -> str:
    if not docs:
        return ""
    parts = ["\n## Reference documentation\n\nExcerpts retrieved for this problem, each under its source:\n"]
    for hit in docs:
        path, section, text = _field(hit, "path"), _field(hit, "section"), str(_field(hit, "text")).strip("\n")
        heading = f"{path}, section \"{section}\"" if section else str(path)
        parts.append(f"### {heading}\n\n{_fence(text)}\n")
    return "\n".join(parts)


def _fence(text: str, lang: str = "") -> str:
    """The text in a fence longer than any backtick run inside it, so quoted code cannot close it."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{lang}\n{text}\n{fence}"


@dataclass(frozen=True)
class Example:
    name: str
    problem: str
    solution: str


def few_shot_examples() -> dict[str, Example]:
    """Every example under prompt_templates/few_shot, by name."""
    return dict(_load_examples())


@functools.cache
def _load_examples() -> tuple[tuple[str, Example], ...]:
    examples = []
    for problem in sorted(_FEW_SHOT_DIR.glob("*.problem.py")):
        name = problem.name.removesuffix(".problem.py")
        solution = problem.with_name(f"{name}.solution.py")
        if not solution.is_file():
            raise ValueError(f"few-shot example {name!r} has a problem but no {solution.name}")
        examples.append((name, Example(name, problem.read_text(encoding="utf-8"), solution.read_text(encoding="utf-8"))))
    return tuple(examples)


# The example pool: name -> (the group of families it teaches best, the ops it computes). Each group holds
# examples of different structure (a row in one block, a row in column tiles; one block per program, a
# grid-stride sweep; a 2-D tile grid, a batched grid in grouped tile order), so specs of one family are not
# all shown the same kernel to copy.
EXAMPLE_POOL: dict[str, tuple[str, tuple[str, ...]]] = {
    "silu_mul": ("elementwise", ("silu", "mul")),
    "residual_scale": ("elementwise", ("add", "mul")),
    "row_softmax": ("rows", ("softmax",)),
    "rms_norm": ("rows", ("rms_norm",)),
    "linear_relu": ("tiles", ("linear", "relu")),
    "bmm_scale": ("tiles", ("bmm", "mul")),
}
# Which group teaches the most for a family: row reductions, tiled products, or (any other) elementwise work.
_GROUP_FOR_FAMILY = {
    "reduction": "rows", "softmax": "rows", "normalization": "rows", "loss": "rows", "scan": "rows",
    "pooling": "rows",
    "matmul": "tiles", "fused": "tiles", "attention": "tiles", "conv": "tiles",
}


# kernel-v2's choice, kept so that a kernel-v2 prompt is what it always was: the family's example first,
# then the others in a fixed order, from the three examples it had.
_V2_EXAMPLE_FOR_FAMILY = {
    "reduction": "row_softmax", "softmax": "row_softmax", "normalization": "row_softmax", "loss": "row_softmax",
    "scan": "row_softmax", "pooling": "row_softmax",
    "matmul": "linear_relu", "fused": "linear_relu", "attention": "linear_relu", "conv": "linear_relu",
}
_V2_EXAMPLE_ORDER = ("silu_mul", "row_softmax", "linear_relu")


def choose_examples(spec_row: dict, count: int, version: str = PROMPT_VERSION) -> list[str]:
    """`count` example names for the spec. kernel-v2: its family's example, then the others in a fixed order.
    From kernel-v3, varying from spec to spec: first the examples of its family's
    group, then the others; within each, examples that compute none of the spec's ops before those that do
    (an example of the very op would be the answer to copy), then in an order drawn from the spec's id (a
    digest of the spec id and the example name, so the same spec always gets the same examples)."""
    if version in ("kernel-v1", "kernel-v2"):
        first = _V2_EXAMPLE_FOR_FAMILY.get(spec_row["family"], "silu_mul")
        return ([first] + [name for name in _V2_EXAMPLE_ORDER if name != first])[:count]
    group = _GROUP_FOR_FAMILY.get(spec_row["family"], "elementwise")
    ops = set(spec_row.get("ops") or ())

    def key(name: str) -> tuple:
        example_group, example_ops = EXAMPLE_POOL[name]
        draw = hashlib.sha256(f"{spec_row['spec_id']}:{name}".encode()).hexdigest()
        return (example_group != group, bool(ops & set(example_ops)), draw)

    return sorted(EXAMPLE_POOL, key=key)[:count]


def _examples_section(spec_row: dict, few_shot: int | Sequence[str], version: str) -> str:
    if isinstance(few_shot, int):
        if few_shot < 0:
            raise ValueError(f"few_shot must be a count >= 0 or a list of example names, got {few_shot}")
        names = choose_examples(spec_row, few_shot, version)
    else:
        names = list(few_shot)
    if not names:
        return ""
    examples = few_shot_examples()
    unknown = [name for name in names if name not in examples]
    if unknown:
        raise ValueError(f"unknown few-shot example {unknown[0]!r}; known examples: {', '.join(examples)}")
    heading = "An example" if len(names) == 1 else "Examples"
    parts = [f"\n## {heading} of the expected answer, for other problems\n"]
    for name in names:
        example = examples[name]
        parts.append(f"Problem:\n\n{_fence(example.problem.strip(chr(10)), 'python')}\n\n"
                     f"Answer:\n\n{_fence(example.solution.strip(chr(10)), 'python')}\n")
    return "\n".join(parts)


# ---------------------------------------------------------------------------------------------- retrieval

_FAMILY_QUERY = {
    "elementwise": "elementwise kernel masked load store block",
    "binary": "elementwise binary broadcast strides",
    "reduction": "reduction over rows tl.sum tl.max",
    "softmax": "softmax reduction over rows",
    "normalization": "normalization mean variance over rows",
    "loss": "loss reduction mean",
    "scan": "scan cumulative tl.associative_scan",
    "pooling": "pooling window",
    "matmul": "tiled matmul tl.dot",
    "fused": "fused matmul epilogue tl.dot",
    "conv": "convolution implicit gemm tl.dot",
    "attention": "attention flash softmax tl.dot",
    "indexing": "gather indexing load",
}
_DTYPE_WORDS = {"float32": "fp32", "float16": "fp16", "bfloat16": "bf16"}
_VENDOR_WORDS = {"amd": "wavefront LDS MFMA", "nvidia": "warp shared memory tensor cores"}


def retrieval_query(spec_row: dict, hardware: str | Profile | None = None) -> str:
    """The documentation search query for a spec: what the kernel does, its ops and dtype, and the target,
    e.g. "softmax reduction over rows softmax fp16 on MI300X wavefront LDS MFMA"."""
    words = [_FAMILY_QUERY.get(spec_row["family"], spec_row["family"])]
    words += [op.replace("_", " ") for op in spec_row["ops"]]
    words.append(_DTYPE_WORDS.get(spec_row["dtype"], spec_row["dtype"]))
    if hardware is not None:
        profile = hardware if isinstance(hardware, Profile) else get_profile(hardware)
        words.append(f"on {profile.name} {_VENDOR_WORDS[profile.vendor]}")
    return " ".join(words)


def prompt_for(spec_row: dict, settings, index=None) -> list[dict]:
    """The prompt a `teacher.prompt` section (`kerneldata.core.config.PromptConfig`) asks for: the spec's
    retrieval query searched in `index` (any object with `.search(query, k)`; None or `docs_k=0`: no
    documentation), then `build_prompt` with the hardware and examples the settings name."""
    docs = []
    if index is not None and settings.docs_k > 0:
        docs = list(index.search(retrieval_query(spec_row, settings.hardware), settings.docs_k))
    return build_prompt(spec_row, settings.version, hardware=settings.hardware, docs=docs,
                        few_shot=settings.few_shot)


class Prompter:
    """The first-turn prompts one `teacher.prompt` section asks for. The template and the documentation index
    are loaded here, once, so a wrong version or index path fails when the teacher is made (on the driver,
    before any work) rather than on the first spec."""

    def __init__(self, settings) -> None:
        self.settings = settings
        self.version: str = settings.version
        load_template(self.version)
        self.index = load_docs_index(settings.docs_index) if settings.docs_k > 0 else None

    def __call__(self, spec_row: dict) -> list[dict]:
        return prompt_for(spec_row, self.settings, self.index)


def load_docs_index(name: str | None):
    """The index a `teacher.prompt.docs_index` names: None for none, "default" for the shipped GPU notes,
    else a directory written by `kerneldata docs index` (a RetrievalError, one line, when it is not one)."""
    if name is None:
        return None
    if name == "default":
        from generators.retrieval.default import default_index

        return default_index()
    from generators.retrieval.index import DocIndex

    return DocIndex.load(name)


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
