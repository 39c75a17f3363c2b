"""Code normalisation for comparing sources: the shared ground of dedup and decontamination.

`normalize_tokens(source)` is the canonical token sequence of a Python source. The source is parsed; every
name it binds itself (functions, classes, arguments, assigned, loop and `with` variables) is renamed to
`v0`, `v1`, ... in order of first binding, at exactly the positions where the AST has that name (a `Name`
or an argument), so attribute names (`tl.load`, `self.weight`) and keyword names (`mask=`) stay as written,
as do imported names and aliases (`torch`, `tl`), builtins and literals. Comments and docstrings are
dropped and whitespace does not count: the tokens are identifiers, numbers, whole string literals and
single punctuation characters. Two sources that differ only in comments, docstrings, layout or the names
they choose get the same tokens. A source that does not parse gets comments dropped and no renaming.

Why tokens and not `ast.unparse`: the token pass is a C regex over the source plus one walk of the tree,
about twice as fast, and dedup and decontamination run it on every row (DESIGN section 6: 2,000 rows/s on
2 cores). The price: layout that survives tokenising (a trailing comma, `(a)` against `a`) still counts.

`anonymous(tokens)` maps every canonical name to one placeholder `v`: n-grams and shingles use it, so a
variable added near the top of a kernel (which shifts every later number) changes few of them; exact
duplicate keys use the numbered tokens, which still tell `a + b` from `a + a`. (A name the source itself
spells like `v12` is taken for a placeholder too.)

Hashes (`token_hash`, `ngram_hashes`) are xxh64, stable across processes and machines (unlike `hash`).

What this does not do: see through semantic rewrites (a loop unrolled, operands swapped, a helper inlined);
near-duplicate detection (MinHash over these tokens) covers small edits, nothing covers a rewrite.
"""

from __future__ import annotations

import ast
import re
from functools import lru_cache

import xxhash

# One pass over the source bytes: string literals (with prefixes, triple-quoted first), comments, then
# identifiers, numbers and any other single non-space character.
_TOKEN = re.compile(
    rb"""(?P<s>[rRbBuUfF]{0,2}(?:'''(?:\\.|[^\\])*?'''|\"\"\"(?:\\.|[^\\])*?\"\"\"|'(?:\\.|[^'\\\n])*'"""
    rb"""|"(?:\\.|[^"\\\n])*"))|(?P<c>\#[^\n]*)|(?P<t>[A-Za-z_]\w*|\d+(?:\.\d*)?(?:[eE][-+]?\d+)?|\S)""")
_NEWLINE = re.compile(rb"\n")
_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
_DEF_KEYWORDS = (b"def", b"class")


def _scan(tree: ast.Module, line_starts: list[int]):
    """(renames: byte offset -> original name, mapping: name -> canonical, docstring byte offsets)."""
    at: dict[int, str] = {}
    bindings: list[tuple[int, str]] = []
    imported: set[str] = set()
    docstrings: set[int] = set()
    for node in ast.walk(tree):
        kind = type(node)
        if kind is ast.Name:
            offset = line_starts[node.lineno - 1] + node.col_offset
            at[offset] = node.id
            if type(node.ctx) is not ast.Load:
                bindings.append((offset, node.id))
        elif kind is ast.arg:
            offset = line_starts[node.lineno - 1] + node.col_offset
            at[offset] = node.arg
            bindings.append((offset, node.arg))
        elif kind in _DEFS or kind is ast.Module:
            if kind is not ast.Module:
                bindings.append((line_starts[node.lineno - 1] + node.col_offset, node.name))
            body = node.body
            if body and type(body[0]) is ast.Expr and type(body[0].value) is ast.Constant \
                    and isinstance(body[0].value.value, str):
                docstrings.add(line_starts[body[0].lineno - 1] + body[0].col_offset)
        elif kind is ast.Import or kind is ast.ImportFrom:
            imported.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
    mapping: dict[str, bytes] = {}
    for _, name in sorted(bindings):
        if name not in mapping and name not in imported:
            mapping[name] = b"v%d" % len(mapping)
    return at, mapping, docstrings


def _tokens(data: bytes, at: dict[int, str], mapping: dict[str, bytes], docstrings: set[int]) -> list[bytes]:
    out: list[bytes] = []
    previous = b""
    for match in _TOKEN.finditer(data):
        kind = match.lastgroup
        if kind == "c":
            continue
        start = match.start()
        token = match.group()
        if kind == "s":
            if start in docstrings:
                continue
        elif start in at:
            token = mapping.get(at[start], token)
        elif previous in _DEF_KEYWORDS:  # the name of a def or class (the AST gives the keyword's position)
            token = mapping.get(token.decode(), token)
        out.append(token)
        previous = token
    return out


def normalize_tokens(source: str) -> list[bytes]:
    """The canonical tokens of `source` (see the module docstring)."""
    data = source.encode("utf-8", "surrogatepass")
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return _tokens(data, {}, {}, set())
    # AST columns are UTF-8 byte offsets within a line; the scan works on the same bytes.
    line_starts = [0] + [match.end() for match in _NEWLINE.finditer(data)]
    return _tokens(data, *_scan(tree, line_starts))


@lru_cache(maxsize=1024)
def normalize_code(source: str) -> str:
    """The canonical tokens of `source` joined by spaces. Cached: a run repeats its reference sources."""
    return b" ".join(normalize_tokens(source)).decode("utf-8", "surrogatepass")


_PLACEHOLDER = re.compile(rb"v\d+")


def anonymous(tokens: list[bytes]) -> list[bytes]:
    """`tokens` with every canonical name (`v0`, `v1`, ...) replaced by `v`."""
    match = _PLACEHOLDER.fullmatch
    return [b"v" if token[:1] == b"v" and match(token) else token for token in tokens]


def token_hash(data: bytes) -> int:
    """64-bit hash, stable across processes (unlike `hash`)."""
    return xxhash.xxh64_intdigest(data)


def ngram_hashes(tokens: list[bytes], n: int) -> set[int]:
    """Hashes of the distinct token n-grams; a sequence shorter than n is one n-gram, an empty one none."""
    if len(tokens) <= n:
        return {xxhash.xxh64_intdigest(b" ".join(tokens))} if tokens else set()
    digest = xxhash.xxh64_intdigest
    return {digest(b" ".join(tokens[i:i + n])) for i in range(len(tokens) - n + 1)}
