"""kerneldata.core.normalize: what counts as the same code."""

from __future__ import annotations

import random
import symtable

import xxhash

from kerneldata.core.normalize import (
    Canonical, anonymous, bound_names, ngram_hashes, normalize_code, normalize_tokens, token_hash,
)

KERNEL = '''
import triton
import triton.language as tl

@triton.jit
def relu_kernel(x_ptr, out_ptr, n, BLOCK: tl.constexpr):
    """ReLU, one block per program."""
    pid = tl.program_id(0)  # which block
    offs = pid * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask)
    tl.store(out_ptr + offs, tl.maximum(x, 0.0), mask=mask)
'''

# The same kernel: other names, comments, docstring and layout.
RENAMED = '''
import triton
import triton.language as tl
@triton.jit
def k(src, dst, numel, B: tl.constexpr):
    p = tl.program_id(0)
    o = p * B + tl.arange(0, B)
    m = o < numel
    v = tl.load(src + o, mask=m)
    tl.store(dst + o, tl.maximum(v, 0.0), mask=m)
'''


def test_names_comments_docstrings_and_layout_do_not_count():
    assert normalize_code(KERNEL) == normalize_code(RENAMED)


def test_attributes_keywords_and_imports_stay_as_written():
    text = normalize_code(KERNEL)
    assert "tl . load (" in text and "mask = v" in text and "import triton . language as tl" in text
    assert "relu_kernel" not in text and "ReLU, one block" not in text and "which block" not in text


def test_different_operations_stay_different():
    assert normalize_code(KERNEL) != normalize_code(KERNEL.replace("tl.maximum(x, 0.0)", "tl.minimum(x, 0.0)"))
    # a + b is not a + a, though both bind the same number of names
    assert normalize_code("def f(a, b):\n    return a + b\n") != normalize_code("def f(a, b):\n    return a + a\n")


def test_unparseable_source_still_drops_comments_and_layout():
    broken = "def f(:\n    x = 1   # note\n"
    assert normalize_tokens(broken) == normalize_tokens("def f(:\n x = 1\n")
    assert b"note" not in b" ".join(normalize_tokens(broken))


def test_hash_in_a_string_is_not_a_comment():
    assert b'"#00ff00"' in normalize_tokens('color = "#00ff00"  # green\n')


def test_anonymous_placeholders_survive_a_shifted_numbering():
    shifted = KERNEL.replace("    pid = tl.program_id(0)", "    extra = 1\n    pid = tl.program_id(0)")
    plain = ngram_hashes(anonymous(normalize_tokens(KERNEL)), 5)
    moved = ngram_hashes(anonymous(normalize_tokens(shifted)), 5)
    assert len(plain & moved) / len(plain | moved) > 0.8
    numbered_plain = ngram_hashes(normalize_tokens(KERNEL), 5)
    numbered_moved = ngram_hashes(normalize_tokens(shifted), 5)
    assert len(numbered_plain & numbered_moved) / len(numbered_plain | numbered_moved) < 0.5


def test_ngram_hashes_of_short_and_empty_sequences():
    assert len(ngram_hashes([b"a", b"b"], 13)) == 1
    assert ngram_hashes([], 13) == set()


def _bound_names_by_the_public_api(source: str) -> set[str] | None:
    """`bound_names` spelled with `symtable`'s documented API: the slow, plain definition."""
    try:
        top = symtable.symtable(source, "<candidate>", "exec")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    names, imported, tables = set(), set(), [top]
    while tables:
        table = tables.pop()
        for symbol in table.get_symbols():
            if symbol.is_imported():
                imported.add(symbol.get_name())
            elif symbol.is_assigned() or symbol.is_parameter() or symbol.is_namespace():
                names.add(symbol.get_name())
        tables.extend(table.get_children())
    return names - imported


def test_bound_names_agree_with_the_public_symtable_api():
    rng = random.Random(0)
    alphabet = "abcdefrbuf _\"'#\n\t .=(),:[]{}0123456789+-*/"  # no backslash: escape warnings
    sources = [KERNEL, RENAMED, "import a.b as c\nfrom d import e\nc.e = e\n", "def f(x):\n    return listcomp\n",
               "y = [i for i in range(3)]\nprint(listcomp, genexpr)\n", "class C:\n    x: int = 3\n    def m(self): pass\n",
               "def f(:\n", "lambda x=1: x\n", "for i, (j, k) in z:\n    with o as p:\n        del q\n"]
    sources += ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 40))) for _ in range(500)]
    for source in sources:
        assert bound_names(source) == _bound_names_by_the_public_api(source), source


def test_ngram_hashes_are_those_of_the_joined_ngrams():
    tokens = anonymous(normalize_tokens(KERNEL))
    for n in (1, 5, 13, len(tokens), len(tokens) + 1):
        plain = {token_hash(b" ".join(tokens[i:i + n])) for i in range(max(1, len(tokens) - n + 1))}
        assert ngram_hashes(tokens, n) == plain
        assert Canonical(normalize_tokens(KERNEL)).ngram_hashes(n) == plain
    shingles = {xxhash.xxh32_intdigest(b" ".join(tokens[i:i + 5])) for i in range(len(tokens) - 4)}
    assert ngram_hashes(tokens, 5, xxhash.xxh32_intdigest) == shingles
    assert Canonical([]).ngram_hashes(5) == set()


def test_canonical_key_and_text():
    code = Canonical(normalize_tokens(KERNEL))
    assert code.key == Canonical(normalize_tokens(RENAMED)).key == token_hash(b" ".join(normalize_tokens(KERNEL)))
    assert code.text == b" ".join(anonymous(normalize_tokens(KERNEL)))


# Top-level statements for `bound_names`' pieces: some cut well at a blank line, some are cut inside a
# string or brackets (the pieces then do not parse and the source is parsed whole), some look across
# statements (global, __future__), some do not parse at all.
STATEMENTS = [
    "import torch\nimport triton.language as tl",
    "@triton.jit\ndef k(x_ptr, n, BLOCK: tl.constexpr):\n    pid = tl.program_id(0)\n\n    return pid",
    "@triton.autotune(\n    configs=[],\n    key=['n'],\n)\n@triton.jit\ndef k2(a):\n    pass",
    'class ModelNew(nn.Module):\n    """Doc.\n\nsplit = here\n"""\n    def forward(self, x):\n        return x',
    "if a:\n    b = 1\n\nelse:\n    c = 2",
    "x = (\n1,\n\ny)",
    "s = '''\n\nz = 3\n'''",
    "def g():\n    global q\n    q = 1",
    "q = 2",
    "global q",
    "from __future__ import annotations",
    "from os import path as p\np = 1",
    "from os import sep",
    "sep = '/'",
    "for i, (j, k) in z:\n    with o as w:\n        del q",
    "f = lambda u=1: u\ny = [i for i in range(3)]\nprint(listcomp)",
    "def broken(:\n    pass",
    "x = 1 + \\\n    2",
    "v = 'a#b'  # comment\n# only a comment\nw = v",
    "try:\n    t = 1\nexcept E as e:\n    pass\nfinally:\n    f2 = 0",
    "@dec\n\ndef spaced():\n    pass",
    "match command:\n    case [m, *rest]:\n        pass",
]


def test_bound_names_by_pieces_are_those_of_the_whole_source(monkeypatch):
    from kerneldata.core import normalize

    monkeypatch.setattr(normalize, "PIECE_MEMO_ITEMS", 50)  # the memo also empties itself on the way
    rng = random.Random(1)
    separators = ["\n", "\n\n", "\n\n\n", "\n\n# a note\n", "\n\n    \n"]
    sources = ["".join(rng.choice(STATEMENTS) + rng.choice(separators) for _ in range(rng.randint(1, 6)))
               for _ in range(600)]
    for source in sources + sources:  # the second time, most pieces are remembered
        assert bound_names(source) == _bound_names_by_the_public_api(source), source


def test_window_hashes_are_remembered_exactly(monkeypatch):
    from kerneldata.core import normalize

    monkeypatch.setattr(normalize, "WINDOW_MEMO_ITEMS", 40)  # the memos empty themselves on the way
    sources = [KERNEL, RENAMED, KERNEL.replace("0.0", "1.0"), KERNEL + "y = x_ptr + 1\n"] * 2
    for source in sources:
        tokens = normalize_tokens(source)
        plain = anonymous(tokens)
        for n, digest in ((5, xxhash.xxh32_intdigest), (13, xxhash.xxh64_intdigest), (1, token_hash)):
            code = Canonical(tokens)
            assert code.window_hashes(n, digest) == [
                digest(b" ".join(plain[i:i + n])) for i in range(len(plain) - n + 1)]
            # The same set, in the same order: decontamination breaks ties between items by it.
            assert list(code.ngram_hashes(n, digest)) == list(ngram_hashes(plain, n, digest))
