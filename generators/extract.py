"""Code extraction: the candidate source inside a teacher's completion.

`extract_code(completion)` returns `(code, reason)`, reason one of:
- "ok": `code` is the candidate. Chosen, in order of preference: the last fenced block containing
  `class ModelNew` (whatever its language tag), else the last block tagged python/py or untagged; an
  unterminated final block counts only when it parses as Python. A completion with no fences counts when it
  parses as Python and defines `class ModelNew` (leading prose before the first `import`/`from` line is
  dropped).
- "truncated": nothing usable, and the completion ends inside a fenced block that does not parse (the
  teacher ran out of tokens mid-answer).
- "no_code": nothing usable.

What this does not do: judge the code. A block without `ModelNew` is still returned (when it is the best
there is), so the static gate can reject it with a precise reason rather than a vague "no code". Reasoning
wrapped in `<think>...</think>` is dropped first, so a draft inside it never wins over the answer.
"""

from __future__ import annotations

import ast
import re
import textwrap
from dataclasses import dataclass

_FENCE = re.compile(r"^[ \t]*(?P<fence>`{3,}|~{3,})[ \t]*(?P<info>[^`\s]*)[^`]*$")
_THINK = re.compile(r"<think>.*?(</think>|\Z)", re.DOTALL)
_PYTHON_TAGS = {"", "python", "py", "python3", "py3"}


@dataclass(frozen=True)
class _Block:
    lang: str
    code: str
    closed: bool


def extract_code(completion: str) -> tuple[str | None, str]:
    """(code, reason) with reason in {"ok", "no_code", "truncated"}; code is None unless reason is "ok"."""
    text = _THINK.sub("", completion)
    blocks = _fenced_blocks(text)
    if not blocks:
        code = _bare_source(text)
        return (code, "ok") if code is not None else (None, "no_code")

    usable = [b for b in blocks if b.closed or _parses(b.code)]
    with_model = [b for b in usable if "class ModelNew" in b.code]
    python = [b for b in usable if b.lang in _PYTHON_TAGS and b.code.strip()]
    chosen = (with_model or python or [None])[-1]
    if chosen is not None:
        return chosen.code, "ok"
    if not blocks[-1].closed:
        return None, "truncated"
    return None, "no_code"


def _fenced_blocks(text: str) -> list[_Block]:
    """Fenced blocks in order. A block closes at a fence line of the same character, at least as long as the
    opening one, with nothing after it; a block still open at the end of the text is kept, marked open."""
    blocks: list[_Block] = []
    opening: re.Match | None = None
    body: list[str] = []
    for line in text.splitlines():
        match = _FENCE.match(line)
        if opening is None:
            if match:
                opening, body = match, []
            continue
        fence = opening["fence"]
        if match and match["fence"][0] == fence[0] and len(match["fence"]) >= len(fence) and not match["info"]:
            blocks.append(_Block(opening["info"].lower(), _clean(body), closed=True))
            opening = None
        else:
            body.append(line)
    if opening is not None:
        blocks.append(_Block(opening["info"].lower(), _clean(body), closed=False))
    return blocks


def _bare_source(text: str) -> str | None:
    """The completion itself when it is Python source defining ModelNew, possibly after a line or two of
    prose; else None."""
    if "class ModelNew" not in text:
        return None
    lines = text.strip("\n").splitlines()
    starts = [0] + [i for i, line in enumerate(lines) if line.startswith(("import ", "from "))][:1]
    for start in starts:
        code = _clean(lines[start:])
        if _parses(code):
            return code
    return None


def _clean(lines: list[str]) -> str:
    code = textwrap.dedent("\n".join(lines)).strip("\n")
    return code + "\n" if code else ""


def _parses(code: str) -> bool:
    if not code.strip():
        return False
    try:
        ast.parse(code)
    except (SyntaxError, ValueError):
        return False
    return True
