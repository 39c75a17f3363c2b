"""The words BM25 sees: lower-cased, English stop words out, Snowball-stemmed, and code-aware.

Code-aware means an identifier counts both whole and by its parts: `waves_per_eu` gives `waves_per_eu`,
`wave`, `per`, `eu`; `tl.dot` gives `tl.dot`, `tl`, `dot`; `hipMalloc` gives `hipmalloc`, `hip`, `malloc`;
`__launch_bounds__` gives `launch_bounds`, `launch`, `bound`. Whole identifiers are not stemmed (they are
names); their parts are. A part number with a letter suffix also counts without it (`mi300x` gives
`mi300x` and `mi300`), since documentation names a product and its series interchangeably.

`TOKENIZER_VERSION` is saved with an index: a change to anything here changes it, and an index built by
another version is refused at load rather than searched with mismatched words.
"""

from __future__ import annotations

import functools
import re

import Stemmer
from bm25s.stopwords import STOPWORDS_EN_PLUS

TOKENIZER_VERSION = 1

_WORD = re.compile(r"[A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)*")
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_PART_NUMBER = re.compile(r"^([a-z]+\d+)[a-z]$")
_STOPWORDS = frozenset(STOPWORDS_EN_PLUS)


@functools.cache
def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("english")


def tokenize(text: str) -> list[str]:
    tokens: list[str] = []
    for match in _WORD.finditer(text):
        word = match.group(0).strip("_.")
        if not word:
            continue
        parts = [p for piece in re.split(r"[_.]+", word) for p in _CAMEL.split(piece) if p]
        if len(parts) > 1:
            tokens.append(word.lower())
        tokens += _plain_words(part.lower() for part in parts)
    return tokens


def _plain_words(words) -> list[str]:
    kept = [w for w in words if len(w) > 1 and w not in _STOPWORDS]
    stemmed = _stemmer().stemWords(kept)
    out = []
    for word in stemmed:
        out.append(word)
        series = _PART_NUMBER.match(word)
        if series:
            out.append(series.group(1))
    return out
