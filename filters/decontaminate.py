"""Decontamination: a global step over raw, `Table -> Table`, that marks rows overlapping a benchmark and
never drops one.

Benchmarks (`load_benchmarks`) come as local directories (every `.py`, `.jsonl`, `.json` and `.parquet`
file under them, recursively: KernelBench's `level1/` ... `level4/` folders, TritonBench's files, any
KernelBench-format set), single files, or Hugging Face Hub dataset ids (loaded with `datasets`, every split).
Each `.py` file is one item; each row of a data file is one item, whose text is its code columns (`code`,
`reference_code`, `source`, `solution`, ... or, failing those, every string column that looks like code).

A row matches an item, checked in this order (the first match is recorded):
1. `spec_match`: the row's reference problem has the same op signature and input shapes as a
   KernelBench-format item (`spec_signature`: the ops its `Model` applies, in order, and the shapes
   `get_inputs()` builds, read from the source without running it).
2. `reference_substring` / `reference_ngram`: the row's normalised reference source contains the item's
   normalised text or is contained in it, or shares at least `ngram_threshold` of the smaller side's
   distinctive `ngram_tokens`-grams with it.
3. `code_substring` / `code_ngram`: the same for the candidate's kernel code.

Texts are compared as canonical tokens (`kerneldata.core.normalize`, with every bound name made one
placeholder so a renamed or reordered variable changes little). "Distinctive" n-grams leave out boilerplate:
those of the KernelBench skeleton (imports, `class Model(nn.Module)`, `super().__init__()`, the
`get_inputs` / `get_init_inputs` frame) and those found in at least `boilerplate_df` of a benchmark's
items (and in two or more), which every problem of the set shares and which prove nothing.

A matched row gets `contamination_reason`, `contamination_benchmark` and `contamination_item`; `shards`
leaves it out of sft and preference, and leaves a spec out of rl when its reference matched.

Task level (`task_level`, issue 16): a sampled spec never has a benchmark problem's exact shapes, yet most of
KernelBench's level-1 problems have a same-op twin at other sizes. `task_signature` reads what a problem
asks up to its sizes: for one op, its op set and its inputs' ranks; for a fused chain, its ops in order and
the ranks (ops named the way both sides write them: `torch.amax` is `max`, `nn.LogSoftmax` is
`log_softmax`, `nn.BatchNorm2d` is `batch_norm`; a few chains that are one op written out, such as
`x * torch.sigmoid(x)`, count as that op). Every row of a spec whose reference asks the same task as
a benchmark item gets that item in `task_match` ("benchmark/item"). With `task_level: mark` that is all;
with `remove` a row no other check matched also gets `contamination_reason` "task_match" (and the item), so
`shards` leaves it out of the training splits like any other contaminated row; `off` skips the check.

What this does not do: find a paraphrase (an op name missing from `_TASK_ALIASES`, a different
decomposition: RMSNorm written with `pow` and `sqrt` against one with `mul` and `rsqrt`), compare
with a benchmark's hidden test inputs, or look at the prompt prose: the prompt is rendered from the
reference, which is compared.
"""

from __future__ import annotations

import ast
import json
import math
import operator
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path

import pyarrow as pa

from kerneldata.core.config import DecontaminationConfig
from kerneldata.core.normalize import Canonical, anonymous, ngram_hashes, normalize_tokens
from kerneldata.core.schema import with_string_columns
from filters.parallel import map_batches, remember

SPEC_MATCH, TASK_MATCH = "spec_match", "task_match"
REASONS = (SPEC_MATCH, "reference_substring", "reference_ngram", "code_substring", "code_ngram", TASK_MATCH)
BATCH_ROWS = 256
DATA_SUFFIXES = (".jsonl", ".json", ".parquet")
# Columns that hold a benchmark item's code, by the names benchmark sets use.
CODE_COLUMNS = ("code", "reference_code", "source", "solution", "pytorch_code", "torch_code", "triton_code",
                "kernel", "kernel_code", "reference", "ref_code", "output")
ID_COLUMNS = ("name", "problem_id", "id", "task_id", "file", "filename", "problem_name")
_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")

# The frame every KernelBench-format problem shares; its n-grams are never evidence of contamination.
SKELETON = '''
import torch
import torch.nn as nn
import torch.nn.functional as F

class Model(nn.Module):
    def __init__(self):
        super(Model, self).__init__()

    def forward(self, x):
        return x

class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        return x

batch_size = 16
dim = 16384

def get_inputs():
    x = torch.randn(batch_size, dim)
    return [x]

def get_inputs():
    return [torch.randn(batch_size, dim)]

def get_init_inputs():
    return []
'''


class BenchmarkError(ValueError):
    """A benchmark that cannot be loaded; the message is one line meant for the user."""


@dataclass(frozen=True)
class BenchmarkItem:
    benchmark: str  # the name reported: a directory's or file's name, or the Hub id
    item: str  # within the benchmark: a relative path, or split/name of a data row
    text: str


# -- loading ---------------------------------------------------------------------------------------------

def load_benchmarks(sources: list[str]) -> list[BenchmarkItem]:
    """Every item of every source, in a stable order. Raises BenchmarkError naming the source that fails."""
    items: list[BenchmarkItem] = []
    for source in sources:
        path = Path(source).expanduser()
        if path.is_dir():
            found = _load_directory(path)
        elif path.is_file():
            found = _load_file(path, path.name, path.name)
        elif _HUB_ID.match(source) and not path.exists():
            found = _load_hub(source)
        else:
            raise BenchmarkError(f"benchmark {source!r}: no such file or directory, and not a Hub dataset id")
        if not found:
            raise BenchmarkError(f"benchmark {source!r} holds no problems (.py files or rows with code)")
        items.extend(found)
    return items


def _load_directory(root: Path) -> list[BenchmarkItem]:
    items = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        if any(part.startswith(".") for part in path.relative_to(root).parts):
            continue
        if path.suffix == ".py" or path.suffix in DATA_SUFFIXES:
            items.extend(_load_file(path, root.name, path.relative_to(root).as_posix()))
    return items


def _load_file(path: Path, benchmark: str, name: str) -> list[BenchmarkItem]:
    try:
        if path.suffix == ".py":
            return [BenchmarkItem(benchmark, name, path.read_text(encoding="utf-8", errors="replace"))]
        if path.suffix == ".parquet":
            import pyarrow.parquet as pq

            rows = pq.read_table(path).to_pylist()
        elif path.suffix == ".jsonl":
            rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        elif path.suffix == ".json":
            loaded = json.loads(path.read_text(encoding="utf-8"))
            rows = loaded if isinstance(loaded, list) else [loaded]
        else:
            raise BenchmarkError(f"benchmark file {path}: unsupported type; use .py, .jsonl, .json or .parquet")
    except (OSError, ValueError, pa.ArrowException) as err:
        if isinstance(err, BenchmarkError):
            raise
        raise BenchmarkError(f"benchmark file {path}: cannot read it ({err})") from None
    return _items_from_rows(rows, benchmark, name)


def _load_hub(dataset_id: str) -> list[BenchmarkItem]:
    """Every split of a Hub dataset (needs the network or the local `datasets` cache)."""
    import datasets

    try:
        loaded = datasets.load_dataset(dataset_id)
    except Exception as err:  # datasets raises many types (connection, missing repo, bad config)
        raise BenchmarkError(f"benchmark {dataset_id!r}: cannot load it from the Hub "
                             f"({type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''})") from None
    items = []
    for split in sorted(loaded):
        items.extend(_items_from_rows(loaded[split].to_list(), dataset_id, split))
    return items


def _items_from_rows(rows: list, benchmark: str, prefix: str) -> list[BenchmarkItem]:
    rows = [row for row in rows if isinstance(row, dict)]
    if not rows:
        return []
    columns = [c for c in CODE_COLUMNS if any(isinstance(row.get(c), str) for row in rows)]
    if not columns:  # unknown layout: string columns that look like code
        names = sorted({k for row in rows for k, v in row.items() if isinstance(v, str) and _looks_like_code(v)})
        columns = names
    if not columns:
        raise BenchmarkError(f"benchmark {benchmark!r} ({prefix}): no column holds code; expected one of "
                             f"{', '.join(CODE_COLUMNS)}")
    id_column = next((c for c in ID_COLUMNS if any(row.get(c) is not None for row in rows)), None)
    items = []
    for index, row in enumerate(rows):
        text = "\n\n".join(row[c] for c in columns if isinstance(row.get(c), str) and row[c].strip())
        if not text:
            continue
        label = row.get(id_column) if id_column else None
        name = f"{prefix}/{label}" if label is not None else f"{prefix}#{index}"
        items.append(BenchmarkItem(benchmark, name, text))
    return items


def _looks_like_code(text: str) -> bool:
    return "\n" in text and any(word in text for word in ("def ", "import ", "class "))


# -- spec signatures -------------------------------------------------------------------------------------

_BINOPS = {ast.Add: "add", ast.Sub: "sub", ast.Mult: "mul", ast.Div: "div", ast.FloorDiv: "floordiv",
           ast.Mod: "remainder", ast.Pow: "pow", ast.MatMult: "matmul"}
_ARITH = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.FloorDiv: operator.floordiv,
          ast.Div: operator.truediv, ast.Pow: operator.pow, ast.Mod: operator.mod}
_TENSOR_MAKERS = {"randn", "rand", "zeros", "ones", "empty", "randint", "full", "randn_like", "rand_like"}
_SAME_SHAPE = {"float", "half", "bfloat16", "double", "to", "contiguous", "cuda", "clone", "abs", "sign"}
_NOT_OPS = {"super", "__init__", "contiguous", "view", "reshape", "size", "dim", "to", "float", "half",
            "clone", "detach"}


def _problem_parts(source: str):
    """(module tree, `get_inputs` node, `Model`'s methods by name) of a KernelBench-format source; None
    where it does not parse or lacks `class Model` with a `forward`, or `get_inputs`."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError):
        return None
    model = next((n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Model"), None)
    get_inputs = next((n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "get_inputs"), None)
    if model is None or get_inputs is None:
        return None
    methods = {n.name: n for n in model.body if isinstance(n, ast.FunctionDef)}
    return (tree, get_inputs, methods) if "forward" in methods else None


def spec_signature(source: str) -> tuple | None:
    """(ops, shapes) of a KernelBench-format problem, read from its source without running it; None when
    it has no `class Model` with a `forward`, or the shapes of `get_inputs()` cannot be worked out."""
    parsed = _problem_parts(source)
    if parsed is None:
        return None
    tree, get_inputs, methods = parsed
    ops = _forward_ops(methods)
    shapes = _input_shapes(tree, get_inputs)
    if shapes is None:
        return None
    return tuple(ops), shapes


def _forward_ops(methods: dict[str, ast.FunctionDef], *, tensor_arithmetic_only: bool = False) -> list[str]:
    """The ops `forward` applies, in evaluation order: calls (a module attribute by the class it was made
    from in `__init__`) and arithmetic operators; with `tensor_arithmetic_only`, not arithmetic between
    constants and sizes (`q.shape[-1] ** -0.5`), which launches no kernel."""
    modules: dict[str, str] = {}  # self.<attr> = nn.Conv2d(...) -> {"attr": "conv2d"}
    if "__init__" in methods:
        for node in ast.walk(methods["__init__"]):
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
                for target in node.targets:
                    if isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name) \
                            and target.value.id == "self":
                        modules[target.attr] = _call_name(node.value.func)
    ops = []
    for node in _in_order(methods["forward"]):
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id == "self":
                name = modules.get(func.attr, func.attr)
            else:
                name = _call_name(func)
            if name and name not in _NOT_OPS:
                ops.append(name)
        elif isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
            if tensor_arithmetic_only and _scalar(node.left) and _scalar(node.right):
                continue
            ops.append(_BINOPS[type(node.op)])
    return ops


def _scalar(node: ast.AST) -> bool:
    """An expression of constants and sizes (`.shape`, `.size()`, `.ndim`): a number, never a tensor."""
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, ast.UnaryOp):
        return _scalar(node.operand)
    if isinstance(node, ast.BinOp):
        return _scalar(node.left) and _scalar(node.right)
    if isinstance(node, ast.Subscript):
        return _scalar(node.value)
    if isinstance(node, ast.Attribute):
        return node.attr in ("shape", "ndim")
    if isinstance(node, ast.Call):
        return isinstance(node.func, ast.Attribute) and node.func.attr in ("size", "dim", "numel")
    return False


# -- task signatures ---------------------------------------------------------------------------------------
# Names one op goes by in a KernelBench-format source, lowercased with underscores removed, mapped to one:
# torch.amax and torch.max, nn.LogSoftmax and F.log_softmax, nn.BatchNorm2d and F.batch_norm...
_TASK_ALIASES = {
    "amax": "max", "amin": "min", "mm": "matmul", "gemm": "linear", "crossentropyloss": "crossentropy",
    "scaleddotproductattention": "sdpa", "kldivloss": "kldiv", "huberloss": "smoothl1loss",
    "bceloss": "binarycrossentropy", "normalize": "l2normalize", "vectornorm": "norm", "clip": "clamp",
    "truediv": "div", "divide": "div", "multiply": "mul", "subtract": "sub",
}
# Chains that are one op written out, as KernelBench writes several (25_Swish: x * sigmoid(x); 94_MSELoss:
# mean((p - t) ** 2)): a problem whose whole op sequence is one of these asks for that op.
_TASK_DECOMPOSITIONS = {
    ("sigmoid", "mul"): "silu", ("abs", "add", "div"): "softsign", ("sub", "pow", "mean"): "mseloss",
    ("sub", "abs", "mean"): "l1loss", ("norm", "div"): "l2normalize", ("exp", "sum", "log"): "logsumexp",
}
_NORM_DIMS = re.compile(r"^(batchnorm|instancenorm)[123]d$")  # F.batch_norm is nn.BatchNorm1d/2d/3d


def _task_op(name: str) -> str:
    key = name.lower().replace("_", "")
    key = _TASK_ALIASES.get(key, key)
    match = _NORM_DIMS.match(key)
    return match.group(1) if match else key


def task_signature(source: str) -> tuple | None:
    """What a problem asks, up to its sizes: ("op", ops, input ranks) for a problem of one op (its set of
    ops: `x * x` is `mul`), ("chain", ops in order, input ranks) for a fused chain. Read from the source like
    `spec_signature`; None where it has no `Model.forward`, no op, or input shapes that cannot be worked
    out."""
    parsed = _problem_parts(source)
    if parsed is None:
        return None
    tree, get_inputs, methods = parsed
    ops = tuple(_task_op(op) for op in _forward_ops(methods, tensor_arithmetic_only=True))
    shapes = _input_shapes(tree, get_inputs)
    if not ops or shapes is None:
        return None
    ranks = tuple(len(shape) for shape in shapes)
    ops = (_TASK_DECOMPOSITIONS[ops],) if ops in _TASK_DECOMPOSITIONS else ops
    if len(set(ops)) == 1:
        return "op", tuple(sorted(set(ops))), ranks
    return "chain", ops, ranks


def _in_order(node: ast.AST) -> list[ast.AST]:
    """Nodes of a function body in evaluation order (children before their parent call)."""
    out: list[ast.AST] = []

    def visit(n):
        for child in ast.iter_child_nodes(n):
            visit(child)
        out.append(n)
    for statement in node.body:
        visit(statement)
    return out


def _call_name(func: ast.AST) -> str:
    if isinstance(func, ast.Attribute):
        return func.attr.lower()
    if isinstance(func, ast.Name):
        return func.id.lower()
    return ""


def _input_shapes(tree: ast.Module, get_inputs: ast.FunctionDef) -> tuple | None:
    env: dict[str, object] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            value = _evaluate(node.value, env)
            if value is not None:
                env[node.targets[0].id] = value
    local = dict(env)
    for node in get_inputs.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            value = _tensor_shape(node.value, local) or _evaluate(node.value, local)
            if value is not None:
                local[node.targets[0].id] = value
        elif isinstance(node, ast.Return) and isinstance(node.value, (ast.List, ast.Tuple)):
            shapes = []
            for element in node.value.elts:
                shape = _tensor_shape(element, local)
                if shape is None and isinstance(element, ast.Name):
                    shape = local.get(element.id)
                if not isinstance(shape, _Shape):
                    return None
                shapes.append(shape.dims)
            return tuple(shapes)
    return None


@dataclass(frozen=True)
class _Shape:
    dims: tuple[int, ...]


def _tensor_shape(node: ast.AST, env: dict) -> _Shape | None:
    # A made tensor converted or scaled keeps its shape: `torch.randint(0, 2, (n, 1)).float() * 2 - 1`.
    if isinstance(node, ast.BinOp):
        return _tensor_shape(node.left, env) or _tensor_shape(node.right, env)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in _SAME_SHAPE:
        return _tensor_shape(node.func.value, env)
    if not (isinstance(node, ast.Call) and _call_name(node.func) in _TENSOR_MAKERS):
        return None
    name = _call_name(node.func)
    args = list(node.args)
    if name == "randint":  # randint(low, high, size) or randint(high, size)
        size = next((k.value for k in node.keywords if k.arg == "size"), args[-1] if args else None)
        args = [size] if size is not None else []
    elif name == "full":
        args = args[:1]
    if name.endswith("_like"):
        source = args[0] if args else None
        value = env.get(source.id) if isinstance(source, ast.Name) else None
        return value if isinstance(value, _Shape) else None
    if not args:
        size = next((k.value for k in node.keywords if k.arg == "size"), None)
        args = [size] if size is not None else []
    dims: list[int] = []
    for arg in args:
        value = _evaluate(arg.value if isinstance(arg, ast.Starred) else arg, env)  # randn(n, *shape)
        if isinstance(value, int):
            dims.append(value)
        elif isinstance(value, tuple) and all(isinstance(v, int) for v in value):
            dims.extend(value)
        else:
            return None
    return _Shape(tuple(dims))


def _evaluate(node: ast.AST, env: dict):
    """Integer arithmetic over literals and known names; None for anything else."""
    if isinstance(node, ast.Constant) and isinstance(node.value, int) and not isinstance(node.value, bool):
        return node.value
    if isinstance(node, ast.Name):
        value = env.get(node.id)
        return value if isinstance(value, (int, tuple)) else None
    if isinstance(node, (ast.Tuple, ast.List)):
        values = [_evaluate(e, env) for e in node.elts]
        return tuple(values) if all(isinstance(v, int) for v in values) else None
    if isinstance(node, ast.BinOp) and type(node.op) in _ARITH:
        left, right = _evaluate(node.left, env), _evaluate(node.right, env)
        if isinstance(left, int) and isinstance(right, int):
            try:
                value = _ARITH[type(node.op)](left, right)
            except (ZeroDivisionError, OverflowError):
                return None
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            return value if isinstance(value, int) and abs(value) < 1 << 40 else None
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        value = _evaluate(node.operand, env)
        return -value if isinstance(value, int) else None
    return None


# -- the index -------------------------------------------------------------------------------------------

def _text_features(text: str, n: int) -> tuple[bytes, set[int]]:
    tokens = anonymous(normalize_tokens(text))
    return b" ".join(tokens), ngram_hashes(tokens, n)


@dataclass
class BenchmarkIndex:
    """What rows are checked against: spec signatures, distinctive n-grams per item, canonical texts."""

    items: list[BenchmarkItem]
    config: DecontaminationConfig = field(default_factory=DecontaminationConfig)
    signatures: dict[tuple, int] = field(init=False, default_factory=dict)
    tasks: dict[tuple, int] = field(init=False, default_factory=dict)  # task signature -> first item
    postings: dict[int, list[int]] = field(init=False, default_factory=dict)  # n-gram -> items
    sizes: list[int] = field(init=False, default_factory=list)  # distinctive n-grams per item
    texts: list[bytes] = field(init=False, default_factory=list)
    # Per process: exact key of canonical tokens -> `match_canonical`'s answer (`filters.parallel.remember`).
    seen: dict[int, tuple[str, int] | None] = field(init=False, default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        n = self.config.ngram_tokens
        grams_per_item = []
        for index, item in enumerate(self.items):
            text, grams = _text_features(item.text, n)
            self.texts.append(text)
            grams_per_item.append(grams)
            if self.config.spec_level:
                signature = spec_signature(item.text)
                if signature is not None:
                    self.signatures.setdefault(signature, index)
            if self.config.task_level != "off":
                task = task_signature(item.text)
                if task is not None:
                    self.tasks.setdefault(task, index)
        boilerplate = set(_text_features(SKELETON, n)[1])
        per_benchmark = Counter(item.benchmark for item in self.items)
        df: dict[str, Counter] = {}
        for item, grams in zip(self.items, grams_per_item):
            df.setdefault(item.benchmark, Counter()).update(grams)
        for benchmark, counts in df.items():
            cut = max(2, math.ceil(self.config.boilerplate_df * per_benchmark[benchmark]))
            boilerplate.update(gram for gram, count in counts.items() if count >= cut)
        self.boilerplate = frozenset(boilerplate)
        for index, grams in enumerate(grams_per_item):
            distinctive = grams - self.boilerplate
            self.sizes.append(len(distinctive))
            for gram in distinctive:
                self.postings.setdefault(gram, []).append(index)

    def match_text(self, text: bytes, grams: set[int]) -> tuple[str, int] | None:
        """("substring" | "ngram", item index) for the best-overlapping item, or None."""
        return self._best_match(grams, lambda: text)

    def _best_match(self, grams: set[int], text_of: Callable[[], bytes]) -> tuple[str, int] | None:
        """`match_text`, with the text made only when an item overlaps enough to be compared with it."""
        distinctive = grams - self.boilerplate
        if not distinctive:
            return None
        postings = self.postings
        # Items in the order their first shared n-gram comes (which breaks ties in `most_common`).
        shared = Counter(chain.from_iterable(map(postings.__getitem__, filter(postings.__contains__, distinctive))))
        best = None
        text = None
        for index, count in shared.most_common(8):
            overlap = count / min(len(distinctive), self.sizes[index])
            if overlap < self.config.ngram_threshold:
                continue
            text = text_of() if text is None else text
            item_text = self.texts[index]
            if item_text in text or text in item_text:
                return "substring", index
            best = best or ("ngram", index)
        return best

    def match_canonical(self, code: Canonical) -> tuple[str, int] | None:
        """`match_text` for canonical tokens (a row's code or reference); tokens matched lately in this
        process are not matched again."""
        if code.key not in self.seen:
            grams = code.window_hashes(self.config.ngram_tokens)
            # Code that shares no n-gram with any item matches none (no set to build); most code shares some.
            match = None if self.postings.keys().isdisjoint(grams) else \
                self._best_match(set(grams), lambda: code.text)
            remember(self.seen, code.key, match)
        return self.seen[code.key]

    def match_task(self, source: str) -> int | None:
        """The first benchmark item asking the same task as the problem in `source` (`task_signature`)."""
        if not self.tasks:
            return None
        task = task_signature(source)
        return self.tasks.get(task) if task is not None else None

    def match_spec(self, source: str) -> int | None:
        if not self.config.spec_level or not self.signatures:
            return None
        signature = spec_signature(source)
        return self.signatures.get(signature) if signature is not None else None


# -- the step --------------------------------------------------------------------------------------------

def _check_batch(index: BenchmarkIndex, batch: list[tuple[str | None, str | None]]) -> list[tuple | None]:
    """Per (reference or None when already judged, code or None): (reason, item index) or None: the
    reference's match, else the code's."""
    return [(check_reference(index, reference) if reference is not None else None)
            or check_code(index, Canonical(normalize_tokens(code)) if code is not None else None)
            for reference, code in batch]


def check_reference(index: BenchmarkIndex, reference: str) -> tuple | None:
    """(reason, item index) for a row's reference problem, or None: at the spec level, then as text."""
    spec = index.match_spec(reference)
    if spec is not None:
        return SPEC_MATCH, spec
    match = index.match_canonical(Canonical(normalize_tokens(reference)))
    return (f"reference_{match[0]}", match[1]) if match else None


def check_code(index: BenchmarkIndex, code: Canonical | None) -> tuple | None:
    """(reason, item index) for a row's code, or None (also for no code, or nothing but comments)."""
    match = index.match_canonical(code) if code is not None and code.tokens else None
    return (f"code_{match[0]}", match[1]) if match else None


def row_batches(raw: pa.Table, *, references: bool = True) -> Iterator[list[tuple[str | None, str | None]]]:
    """Batches of (reference, code) per row, the reference only with the first row of its spec (never, with
    `references` false: None in its place). Only a batch's slice of the text columns is turned into Python
    strings at a time."""
    spec_ids = raw.column("spec_id").to_pylist()
    seen: set[str] = set()
    for start in range(0, raw.num_rows, BATCH_ROWS):
        codes = raw.column("code").slice(start, BATCH_ROWS).to_pylist()
        if not references:
            yield [(None, code) for code in codes]
            continue
        batch = []
        for spec_id, reference, code in zip(spec_ids[start:start + BATCH_ROWS],
                                             raw.column("reference_code").slice(start, BATCH_ROWS).to_pylist(),
                                             codes):
            # A reference is checked once, with the first row of its spec.
            batch.append((None if spec_id in seen else reference, code))
            seen.add(spec_id)
        yield batch


def decontaminate(raw: pa.Table, index: BenchmarkIndex) -> pa.Table:
    """`raw` with `contamination_reason`, `contamination_benchmark` and `contamination_item` set (see the
    module docstring); rows and their order unchanged. A reference match marks every row of its spec."""
    results: list[tuple | None] = []
    for batch in map_batches(_check_batch, index, row_batches(raw), num_items=raw.num_rows,
                             workers=index.config.workers):
        results.extend(batch)
    return assign(raw, index, results)


def assign(raw: pa.Table, index: BenchmarkIndex, results: list[tuple | None]) -> pa.Table:
    """The annotating half of `decontaminate`: one `check` result per row, in order; and the task-level
    match of each row's spec, here on the driver (one parse per spec)."""
    n = raw.num_rows
    spec_ids = raw.column("spec_id").to_pylist()
    by_spec: dict[str, tuple] = {}
    for spec_id, found in zip(spec_ids, results):
        if found is not None and not found[0].startswith("code_"):
            by_spec[spec_id] = found
    tasks = task_matches(raw, index)
    remove = index.config.task_level == "remove"
    reason, benchmark, item, task_item = [None] * n, [None] * n, [None] * n, [None] * n
    for row, (spec_id, found) in enumerate(zip(spec_ids, results)):
        found = by_spec.get(spec_id) or found
        task = tasks.get(spec_id)
        if task is not None:
            task_item[row] = f"{index.items[task].benchmark}/{index.items[task].item}"
            if found is None and remove:
                found = (TASK_MATCH, task)
        if found is not None:
            reason[row] = found[0]
            benchmark[row] = index.items[found[1]].benchmark
            item[row] = index.items[found[1]].item
    return with_string_columns(raw, {"contamination_reason": reason, "contamination_benchmark": benchmark,
                                     "contamination_item": item, "task_match": task_item})


def task_matches(raw: pa.Table, index: BenchmarkIndex) -> dict[str, int]:
    """spec_id -> the benchmark item asking the same task as its reference, for the specs that have one."""
    if not index.tasks:
        return {}
    found: dict[str, int] = {}
    seen: set[str] = set()
    for spec_id, reference in zip(raw.column("spec_id").to_pylist(), raw.column("reference_code").to_pylist()):
        if spec_id in seen:
            continue
        seen.add(spec_id)
        task = index.match_task(reference) if reference is not None else None
        if task is not None:
            found[spec_id] = task
    return found


def summary(raw: pa.Table, benchmarks: list[str] | None = None) -> dict:
    """`checked`, `contaminated` and `by_benchmark` (rows per benchmark name), plus `by_reason`."""
    reasons = raw.column("contamination_reason").to_pylist()
    names = raw.column("contamination_benchmark").to_pylist()
    by_benchmark = Counter(name for name in names if name is not None)
    tasks = raw.column("task_match").to_pylist() if "task_match" in raw.column_names else []
    return {
        "checked": raw.num_rows,
        "contaminated": sum(r is not None for r in reasons),
        "task_matches": sum(t is not None for t in tasks),
        "task_items_matched": len({t for t in tasks if t is not None}),
        "by_benchmark": dict(sorted(by_benchmark.items())),
        "by_reason": {reason: reasons.count(reason) for reason in REASONS if reasons.count(reason)},
        **({"benchmarks": list(benchmarks)} if benchmarks is not None else {}),
    }
