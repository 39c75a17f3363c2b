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
The symbol table is built piece by piece (the top-level statements between blank lines), each piece
remembered in this process: a run's kernels share whole functions and classes (the built-in teacher's
templates, a launcher kept while the kernel changes), which are then parsed once (`bound_names`).

`anonymous(tokens)` maps every canonical name to one placeholder `v`: n-grams and shingles use it, so a
variable added near the top of a kernel (which shifts every later number) changes few of them; exact
duplicate keys use the numbered tokens, which still tell `a + b` from `a + a`. (A name the source itself
spells like `v12` is taken for a placeholder too.)

`Canonical(tokens)` holds one source's tokens with what both steps derive from them (the exact key, the
anonymous tokens, their n-grams), each worked out once.

Hashes (`token_hash`, `ngram_hashes`) are xxh64 (dedup's shingles: xxh32, which its MinHash signatures are
defined with), stable across processes and machines (unlike `hash`).

`Canonical.ngram_hashes` gives exactly those hashes, but remembers them per process: the same n anonymous
tokens recur across a run's kernels (the same loads, masks and stores), and finding a window's remembered
hash (numpy arithmetic over the tokens' ids, one dict look-up) costs far less than slicing and hashing its
bytes. A window is found by a 64-bit key, a polynomial over its tokens' ids (`_WindowHashes`); two
different windows with the same key (odds about 2^-64 a pair, like the xxh64 n-grams' own) would share a
hash. Memory: the memos are bounded (`PIECE_MEMO_ITEMS`, `WINDOW_MEMO_ITEMS`), about 100 MiB per process
at most.

What this does not do: see through semantic rewrites (a loop unrolled, operands swapped, a helper inlined);
near-duplicate detection (MinHash over these tokens) covers small edits, nothing covers a rewrite.
"""

from __future__ import annotations

import re
from functools import cached_property, lru_cache
from itertools import accumulate
from symtable import DEF_IMPORT, DEF_LOCAL, DEF_PARAM

import _symtable
import numpy as np
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

    The source is parsed in pieces (`_pieces`), each remembered in this process, so a top-level statement
    repeated across a run's kernels (the imports, a launcher, the `ModelNew` class) is parsed once; the
    answer is the one the whole source gives, or the whole source is parsed."""
    if "global" in source or "nonlocal" in source or "__future__" in source:
        return _names(_symbols(source))
    names: set[str] = set()
    imported: set[str] = set()
    memo = _PIECES
    for piece in _pieces(source):
        found = memo.get(piece)
        if found is None:
            if len(memo) >= PIECE_MEMO_ITEMS:
                memo.clear()
            found = memo[piece] = _symbols(piece) or False
        if not found:  # does not parse alone: maybe cut in the wrong place (a string or brackets across a
            return _names(_symbols(source))  # blank line), maybe the source does not parse at all
        names |= found[0]
        imported |= found[1]
    return names - imported


# A blank line, then a line at column 0 that begins a statement (after any comment lines): where `_pieces`
# cuts. (`else`, `elif`, `except` and `finally` continue a statement; a closing bracket or an indented line
# cannot begin one.)
_PARAGRAPH = re.compile(r"\n\n(?=(?:[ \t]*\#[^\n]*\n)*(?!(?:else|elif|except|finally)\b)[A-Za-z_@])")
_COMMENT_LINE = re.compile(r"^[ \t]*\#[^\n]*\n", re.M)
# Pieces `bound_names` remembers per process: at about 2 KiB each (text and names), 32 MiB.
PIECE_MEMO_ITEMS = 1 << 14


def _pieces(source: str) -> list[str]:
    """The source cut at blank lines before top-level statements, each piece with its comment lines dropped
    where they cannot be in a string (no triple quote or backslash in the piece).

    Why the pieces give the whole source's names: a cut falls at the start of a line at column 0. When every
    piece parses alone, none ends inside brackets, a string, a backslash continuation or a compound
    statement waiting for its body or its `else` (that piece would not parse), so the source is exactly
    the pieces' statements one after another, and a name's flags in the module's symbol table are those
    of its statements together: bound anywhere and imported nowhere. The module-level checks that look
    across statements are left to a whole parse (`bound_names` parses whole any source that says `global`,
    `nonlocal` or `__future__`), and so is any source with a piece that does not parse. A comment line
    outside strings is invisible to the parser, so dropping it changes nothing but the key."""
    return [_COMMENT_LINE.sub("", piece) if "#" in piece and not (
        '"""' in piece or "'''" in piece or "\\" in piece) else piece for piece in _PARAGRAPH.split(source)]


def _symbols(source: str) -> tuple[frozenset[str], frozenset[str]] | None:
    """(names bound, names imported) anywhere in `source`, None when it does not parse. Reads the raw tables
    that `symtable.symtable` wraps, with the flags its `Symbol.is_assigned`, `is_parameter`, `is_namespace`
    and `is_imported` test: the wrapper builds a Python object per symbol, which cost as much as building
    the table."""
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
    return frozenset(names), frozenset(imported)


def _names(symbols: tuple[frozenset[str], frozenset[str]] | None) -> set[str] | None:
    return set(symbols[0] - symbols[1]) if symbols is not None else None


_PIECES: dict[str, tuple[frozenset[str], frozenset[str]] | bool] = {}  # piece -> `_symbols`, False: no parse


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
        """`ngram_hashes(self.anonymous, n, digest)`: the same set, built in the same order."""
        return set(self.window_hashes(n, digest))

    def window_hashes(self, n: int, digest=xxhash.xxh64_intdigest) -> list[int]:
        """`digest` of each run of `n` anonymous tokens joined by spaces, in order, repeats included (of all
        of them when there are n or fewer, none when there are none), remembered in this process (see the
        module docstring)."""
        if len(self.tokens) <= n:
            return [digest(self.text)] if self.tokens else []
        return _WINDOWS.hashes(self.tokens, self._key_prefix, n, digest)

    @cached_property
    def _key_prefix(self) -> np.ndarray:
        return _WINDOWS.key_prefix(self.tokens)


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


# Odd, so that it has an inverse mod 2^64 (a window's key is made independent of where the window starts).
_KEY_BASE = 0x9E3779B97F4A7C15
_KEY_BASE_INVERSE = pow(_KEY_BASE, -1, 1 << 64)
# Entries each memo of `_WindowHashes` holds before it starts afresh: at about 100 bytes each, 25 MiB.
WINDOW_MEMO_ITEMS = 1 << 18


class _TokenIds(dict):
    """Anonymous token -> its 64-bit id (xxh64 of the token; every canonical name is `v`), made on first use."""

    def __missing__(self, token: bytes) -> int:
        if len(self) >= WINDOW_MEMO_ITEMS:
            self.clear()
        value = self[token] = token_hash(b"v" if _PLACEHOLDER.fullmatch(token) else token)
        return value


class _WindowHashes:
    """This process's memo of window hashes: per (n, digest), a window's key -> the digest of its bytes.

    A window's key is Σ id[i + k] * BASE^k over its tokens (k < n), mod 2^64: for all of a source's windows
    at once, from one running sum of id[j] * BASE^j, as (sum[i + n] - sum[i]) * BASE^-i (numpy's uint64
    arithmetic wraps mod 2^64). Bounded: a memo that fills up is emptied, and soon holds the commonest
    windows again."""

    def __init__(self) -> None:
        self.token_ids = _TokenIds()
        self._memos: dict[tuple, dict[int, int]] = {}
        self._powers = self._inverse_powers = np.ones(1, np.uint64)  # BASE^k and BASE^-k for k < their length

    def key_prefix(self, tokens: list[bytes]) -> np.ndarray:
        """The running sum of id * BASE^position over `tokens`, from 0 (one entry more than tokens)."""
        if len(tokens) > len(self._powers):
            length = max(len(tokens), 2 * len(self._powers))
            self._powers, self._inverse_powers = _powers(_KEY_BASE, length), _powers(_KEY_BASE_INVERSE, length)
        ids = np.fromiter(map(self.token_ids.__getitem__, tokens), np.uint64, len(tokens))
        prefix = np.zeros(len(tokens) + 1, np.uint64)
        np.cumsum(ids * self._powers[:len(tokens)], out=prefix[1:])
        return prefix

    def hashes(self, tokens: list[bytes], prefix: np.ndarray, n: int, digest) -> list[int]:
        """`digest` of each window of `n` of `tokens` (more than n, their `key_prefix` given): remembered, or
        worked out from the stretch of tokens the windows not remembered cover (often a few lines)."""
        keys = ((prefix[n:] - prefix[:-n]) * self._inverse_powers[:len(prefix) - n]).tolist()
        memo = self._memos.get((n, digest))
        if memo is None:
            memo = self._memos[n, digest] = {}
        hashes = list(map(memo.get, keys))
        if all(hashes):  # (a hash that is 0 only costs the look below)
            return hashes
        missing = [i for i, value in enumerate(hashes) if value is None]
        if missing:
            if len(memo) + len(missing) > WINDOW_MEMO_ITEMS:
                memo.clear()
            first = missing[0]
            stretch = anonymous(tokens[first:missing[-1] + n])
            join = b" ".join
            for i in missing:
                hashes[i] = memo[keys[i]] = digest(join(stretch[i - first:i - first + n]))
        return hashes


def _powers(base: int, length: int) -> np.ndarray:
    """base^k mod 2^64 for k < length (uint64 products wrap)."""
    powers = np.full(length, base, np.uint64)
    powers[0] = 1
    return np.cumprod(powers, out=powers)


_WINDOWS = _WindowHashes()
