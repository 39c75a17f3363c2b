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

`Canonical(tokens)` holds one source's tokens with what both steps derive from them (the exact key, the
anonymous tokens, their n-grams), each worked out once.

Hashes (`token_hash`, `ngram_hashes`) are xxh64 (dedup's shingles: xxh32, which its MinHash signatures are
defined with), stable across processes and machines (unlike `hash`).

What this does not do: see through semantic rewrites (a loop unrolled, operands swapped, a helper inlined);
near-duplicate detection (MinHash over these tokens) covers small edits, nothing covers a rewrite.
"""

from __future__ import annotations

import re
from functools import cached_property, lru_cache
from itertools import accumulate
from symtable import DEF_IMPORT, DEF_LOCAL, DEF_PARAM

import _symtable
import xxhash

# One pass over the source bytes, as `findall` tuples (punctuation, string, newline, identifier, `=` after
# it, other): spaces other than newlines skipped in the same match (the engine would otherwise try every
# alternative at each of them); then punctuation that can begin no other kind of token, first, since it is
# the commonest and one character class decides it; then string literals (with prefixes, triple-quoted
# first), comments (no group: an all-empty tuple), newlines, identifiers (with a look-ahead capturing a
# following `=` that is not `==`), numbers and any other single non-space character.
_TOKEN = re.compile(
    rb"""[ \t\r\f\v]*(?:([(),.:\[\]=+*\-<>/%&|^~@!{};])"""
    rb"""|([rRbBuUfF]{0,2}(?:'''(?:\\.|[^\\])*?'''|\"\"\"(?:\\.|[^\\])*?\"\"\"|'(?:\\.|[^'\\\n])*'"""
    rb"""|"(?:\\.|[^"\\\n])*"))|\#[^\n]*|(\n)|([A-Za-z_]\w*)(?:(?=([ \t]*=(?!=)))|)"""
    rb"""|(\d+(?:\.\d*)?(?:[eE][-+]?\d+)?|\S))""")
_OPEN, _CLOSE = {b"(", b"[", b"{"}, {b")", b"]", b"}"}
_BINDS = DEF_LOCAL | DEF_PARAM


def bound_names(source: str) -> set[str] | None:
    """Names the source binds itself (assigned, parameters, defs and classes, loop and `with` targets), from
    CPython's symbol table, which the compiler builds from the AST; imported names excluded. None when the
    source does not parse.

    Reads the raw tables that `symtable.symtable` wraps, with the flags its `Symbol.is_assigned`,
    `is_parameter`, `is_namespace` and `is_imported` test: the wrapper builds a Python object per symbol,
    which cost as much as building the table."""
    try:
        top = _symtable.symtable(source, "<candidate>", "exec")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    names: set[str] = set()
    imported: set[str] = set()
    tables = [top]
    while tables:
        table = tables.pop()
        children = table.children
        namespaces = {child.name for child in children}  # a def's or class's own table bears its name
        for name, flags in table.symbols.items():
            if flags & DEF_IMPORT:
                imported.add(name)
            elif flags & _BINDS or name in namespaces:
                names.add(name)
        tables.extend(children)
    return names - imported


def _tokens(data: bytes, bound: set[bytes]) -> list[bytes]:
    """Tokens with bound names renamed v0, v1, ... in order of first appearance, except where a name is an
    attribute (after `.`) or a keyword argument (`name=` inside a call's parentheses, not a def's); a
    string alone on its line at bracket depth 0 (a docstring, or a no-op) and comments dropped."""
    out: list[bytes] = []
    append = out.append
    mapping: dict[bytes, bytes] = {}
    brackets: list[bool] = []  # per open bracket: True when it is a def's parameter list
    previous = b""
    after_def = False
    line_start = True  # nothing significant yet on this logical line
    lone_string = -1  # index in `out` of a string that began a logical line at depth 0
    # Branches by token kind, the commonest first; `findall` tuples make no match objects.
    for punctuation, string, newline, name, keyword_eq, other in _TOKEN.findall(data):
        if punctuation:
            token = punctuation
            if punctuation in _OPEN:
                brackets.append(after_def and punctuation == b"(")
                after_def = False
            elif punctuation in _CLOSE and brackets:
                brackets.pop()
        elif name:
            token = name
            if name in bound and previous != b"." and not (
                    keyword_eq and brackets and not brackets[-1] and (previous == b"(" or previous == b",")):
                token = mapping.get(name)
                if token is None:
                    token = mapping[name] = b"v%d" % len(mapping)
            after_def = previous == b"def"
        elif other:
            token = other
        elif newline:
            if not brackets:
                if lone_string >= 0 and lone_string == len(out) - 1:
                    out.pop()
                line_start = True
                lone_string = -1
            continue
        elif string:
            token = string
            if line_start and not brackets:
                lone_string = len(out)
        else:  # a comment
            continue
        append(token)
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
    placeholders = {token: b"v" for token in set(tokens) if token[:1] == b"v" and match(token)}
    return list(map(placeholders.get, tokens, tokens))  # a token that is no placeholder maps to itself


def token_hash(data: bytes) -> int:
    """64-bit hash, stable across processes (unlike `hash`)."""
    return xxhash.xxh64_intdigest(data)


def ngram_hashes(tokens: list[bytes], n: int, digest=xxhash.xxh64_intdigest) -> set[int]:
    """`digest` (xxh64 unless given) of each distinct run of `n` tokens joined by spaces; a sequence shorter
    than n is one n-gram, an empty one none."""
    if not tokens:
        return set()
    return _window_hashes(b" ".join(tokens), _starts(tokens) if len(tokens) > n else [], n, digest)


class Canonical:
    """The canonical tokens of one source and what dedup and decontamination derive from them (the exact key,
    the anonymous tokens and their n-grams), each worked out once, when first asked for."""

    def __init__(self, tokens: list[bytes]) -> None:
        self.tokens = tokens

    @cached_property
    def key(self) -> int:
        """The exact-duplicate key: `token_hash` of the numbered tokens joined by spaces."""
        return token_hash(b" ".join(self.tokens))

    @cached_property
    def anonymous(self) -> list[bytes]:
        return anonymous(self.tokens)

    @cached_property
    def text(self) -> bytes:
        """The anonymous tokens joined by spaces."""
        return b" ".join(self.anonymous)

    def ngram_hashes(self, n: int, digest=xxhash.xxh64_intdigest) -> set[int]:
        """`ngram_hashes(self.anonymous, n, digest)`."""
        if not self.tokens:
            return set()
        return _window_hashes(self.text, self._starts if len(self.tokens) > n else [], n, digest)

    @cached_property
    def _starts(self) -> list[int]:
        return _starts(self.anonymous)


def _starts(tokens: list[bytes]) -> list[int]:
    """Where each token starts in the tokens joined by spaces, and one past the end: the lengths of the
    tokens before it, plus one space each."""
    return list(accumulate(map((1).__add__, map(len, tokens)), initial=0))


def _window_hashes(joined: bytes, starts: list[int], n: int, digest) -> set[int]:
    """`digest` of each n-gram of `joined` (tokens joined by spaces, starting at `starts`), or of all of it
    when `starts` is empty (n or fewer tokens). Slices of the joined bytes, and every step runs in C: this is
    the inner loop of both dedup's shingles and decontamination's n-grams."""
    if not starts:
        return {digest(joined)}
    ends = map((-1).__add__, starts[n:])  # the start of the token after the n-gram, less the space before it
    return set(map(digest, map(joined.__getitem__, map(slice, starts, ends))))
