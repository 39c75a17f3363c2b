"""Code normalisation for comparing sources: the shared ground of dedup and decontamination.

`normalize_tokens(source)` is the canonical token sequence of a Python source. The names the source binds
itself (functions, classes, arguments, assigned, loop and `with` variables) come from CPython's symbol table,
which the compiler builds from the source's AST; one regex pass over the source then renames them to `v0`,
`v1`, ... in order of first appearance, except where a name is an attribute (`tl.load`, `self.weight`) or a
keyword argument (`mask=` in a call), and keeps imported names and aliases (`torch`, `tl`), builtins and
literals as written. Comments, and strings standing alone on their line (docstrings), are dropped, and
whitespace does not count: the tokens are identifiers, numbers, whole string literals and single
punctuation characters. Two sources that differ only in comments, docstrings, layout or the names they
choose get the same tokens. A source that does not parse gets comments dropped and no renaming.

Why not `ast.unparse` or a walk of the tree: both are pure Python and cost several times the symbol table
plus one C regex pass, and dedup and decontamination run this on every row (DESIGN section 6: 2,000 rows/s
on 2 cores). The price: layout that survives tokenising (a trailing comma, `(a)` against `a`) still counts,
and a name bound in one function is renamed wherever the same name appears (scopes are not told apart).

`anonymous(tokens)` maps every canonical name to one placeholder `v`: n-grams and shingles use it, so a
variable added near the top of a kernel (which shifts every later number) changes few of them; exact
duplicate keys use the numbered tokens, which still tell `a + b` from `a + a`. (A name the source itself
spells like `v12` is taken for a placeholder too.)

Hashes (`token_hash`, `ngram_hashes`) are xxh64, stable across processes and machines (unlike `hash`).

What this does not do: see through semantic rewrites (a loop unrolled, operands swapped, a helper inlined);
near-duplicate detection (MinHash over these tokens) covers small edits, nothing covers a rewrite.
"""

from __future__ import annotations

import re
import symtable
from functools import lru_cache

import xxhash

# One pass over the source bytes: string literals (with prefixes, triple-quoted first), comments, newlines,
# then identifiers, numbers and any other single non-space character.
_TOKEN = re.compile(
    rb"""(?P<s>[rRbBuUfF]{0,2}(?:'''(?:\\.|[^\\])*?'''|\"\"\"(?:\\.|[^\\])*?\"\"\"|'(?:\\.|[^'\\\n])*'"""
    rb"""|"(?:\\.|[^"\\\n])*"))|(?P<c>\#[^\n]*)|(?P<n>\n)|(?P<i>[A-Za-z_]\w*)"""
    rb"""|(?P<t>\d+(?:\.\d*)?(?:[eE][-+]?\d+)?|\S)""")
_OPEN, _CLOSE = {b"(", b"[", b"{"}, {b")", b"]", b"}"}
_KEYWORD_EQ = re.compile(rb"[ \t]*=(?!=)")


def bound_names(source: str) -> set[str] | None:
    """Names the source binds itself (assigned, parameters, defs and classes, loop and `with` targets), from
    CPython's symbol table, which the compiler builds from the AST; imported names excluded. None when the
    source does not parse."""
    try:
        top = symtable.symtable(source, "<candidate>", "exec")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    names: set[str] = set()
    imported: set[str] = set()
    tables = [top]
    while tables:
        table = tables.pop()
        for symbol in table.get_symbols():
            if symbol.is_imported():
                imported.add(symbol.get_name())
            elif symbol.is_assigned() or symbol.is_parameter() or symbol.is_namespace():
                names.add(symbol.get_name())
        tables.extend(table.get_children())
    return names - imported


def _tokens(data: bytes, bound: set[bytes]) -> list[bytes]:
    """Tokens with bound names renamed v0, v1, ... in order of first appearance, except where a name is an
    attribute (after `.`) or a keyword argument (`name=` inside a call's parentheses, not a def's); a
    string alone on its line at bracket depth 0 (a docstring, or a no-op) and comments dropped."""
    out: list[bytes] = []
    mapping: dict[bytes, bytes] = {}
    brackets: list[bool] = []  # per open bracket: True when it is a def's parameter list
    previous = b""
    after_def = False
    line_start = True  # nothing significant yet on this logical line
    lone_string = -1  # index in `out` of a string that began a logical line at depth 0
    keyword_eq = _KEYWORD_EQ.match
    for match in _TOKEN.finditer(data):
        kind = match.lastgroup
        if kind == "c":
            continue
        if kind == "n":
            if not brackets:
                if lone_string >= 0 and lone_string == len(out) - 1:
                    out.pop()
                line_start = True
                lone_string = -1
            continue
        token = match.group()
        if kind == "i":
            if token in bound and previous != b"." and not (
                    brackets and not brackets[-1] and previous in (b"(", b",") and keyword_eq(data, match.end())):
                renamed = mapping.get(token)
                if renamed is None:
                    renamed = mapping[token] = b"v%d" % len(mapping)
                token = renamed
            after_def = previous == b"def"
        elif kind == "s":
            if line_start and not brackets:
                lone_string = len(out)
        elif token in _OPEN:
            brackets.append(after_def and token == b"(")
            after_def = False
        elif token in _CLOSE and brackets:
            brackets.pop()
        out.append(token)
        previous = token
        line_start = False
    if lone_string >= 0 and lone_string == len(out) - 1 and not brackets:
        out.pop()
    return out


def normalize_tokens(source: str) -> list[bytes]:
    """The canonical tokens of `source` (see the module docstring)."""
    bound = bound_names(source)
    return _tokens(source.encode("utf-8", "surrogatepass"), {name.encode() for name in bound or ()})


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
