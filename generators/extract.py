"""Code extraction: the candidate source inside a teacher's completion.

`extract_code(completion)` returns `(code, reason)`, reason one of:
- "ok": `code` is the candidate. Chosen, in order of preference: the last fenced block containing
  `class ModelNew` (whatever its language tag: python, Python, py, python3, none), else the last block
  tagged python or untagged; an unterminated final block counts only when it parses as Python. When the
  chosen block uses names that only earlier blocks define (the kernel in one block, the wrapper and ModelNew
  in the next), those blocks are joined in front of it, provided the whole parses. A completion with no
  fences counts when it holds Python source defining `class ModelNew`: prose before the first
  `import`/`from` line and after the last line that keeps the source parseable is dropped.
- "truncated": nothing usable, and the completion ends inside a fenced block that does not parse (the
  teacher ran out of tokens mid-answer).
- "no_code": nothing usable.

`split_reasoning(completion)` separates a reasoning model's `<think>...</think>` text from its answer
(also when the chat template swallowed the opening tag, so only `</think>` appears); extraction always looks
at the answer only, so a draft inside the reasoning never wins over it. CRLF line endings are read as LF.

What this does not do: judge the code. A block without `ModelNew` is still returned (when it is the best
there is), so the static gate can reject it with a precise reason rather than a vague "no code".
"""

from __future__ import annotations

import ast
import builtins
import re
import textwrap
from dataclasses import dataclass

_FENCE = re.compile(r"^[ \t]*(?P<fence>`{3,}|~{3,})[ \t]*(?P<info>[^`\s]*)[^`]*$")
_THINK = re.compile(r"<think>(.*?)(?:</think>|\Z)", re.DOTALL)
_PYTHON_TAGS = {"", "python", "py", "python3", "py3"}
_BUILTINS = frozenset(dir(builtins))


@dataclass(frozen=True)
class _Block:
    lang: str
    code: str
    closed: bool


def split_reasoning(completion: str) -> tuple[str | None, str]:
    """(reasoning, answer): the text of `<think>` blocks (None when there is none) and the rest. An
    unterminated `<think>` runs to the end (the answer is then empty); a `</think>` without an opening tag
    closes reasoning that began at the start of the completion."""
    text = completion.replace("\r\n", "\n").replace("\r", "\n")
    if "<think>" not in text and "</think>" in text:
        reasoning, _, answer = text.partition("</think>")
        return reasoning.strip() or None, answer
    thoughts = [m[1].strip() for m in _THINK.finditer(text)]
    if not thoughts:
        return None, text
    return "\n\n".join(t for t in thoughts if t) or None, _THINK.sub("", text)


def extract_code(completion: str) -> tuple[str | None, str]:
    """(code, reason) with reason in {"ok", "no_code", "truncated"}; code is None unless reason is "ok"."""
    _, text = split_reasoning(completion)
    blocks = _fenced_blocks(text)
    if not blocks:
        code = _bare_source(text)
        return (code, "ok") if code is not None else (None, "no_code")

    usable = [b for b in blocks if b.closed or _parses(b.code)]
    with_model = [i for i, b in enumerate(usable) if "class ModelNew" in b.code]
    python = [i for i, b in enumerate(usable) if b.lang in _PYTHON_TAGS and b.code.strip()]
    if with_model or python:
        chosen = (with_model or python)[-1]
        earlier = [usable[i] for i in python if i < chosen]
        return _with_definitions(usable[chosen].code, earlier), "ok"
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


def _with_definitions(code: str, earlier: list[_Block]) -> str:
    """`code`, preceded by the earlier blocks that define names it uses but does not define (nearest first
    searched), when the joined source parses; else `code` alone."""
    missing = _undefined_names(code)
    if not missing:
        return code
    parts = [code]
    for block in reversed(earlier):
        if _defined_names(block.code) & missing:
            parts.insert(0, block.code)
            missing = _undefined_names("\n\n".join(parts))
            if not missing:
                break
    joined = "\n\n".join(part.rstrip("\n") + "\n" for part in parts)
    return joined if len(parts) > 1 and _parses(joined) else code


def _defined_names(code: str) -> set[str]:
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError):
        return set()
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            names.add(node.id)
        elif isinstance(node, ast.alias):
            names.add((node.asname or node.name).split(".")[0])
        elif isinstance(node, ast.arg):
            names.add(node.arg)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            names.add(node.name)
    return names


def _undefined_names(code: str) -> set[str]:
    """Names the source reads but never binds (builtins aside)."""
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError):
        return set()
    used = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)}
    return used - _defined_names(code) - _BUILTINS


def _bare_source(text: str) -> str | None:
    """The completion itself when it is Python source defining ModelNew, possibly after a line or two of
    prose and followed by prose; else None."""
    if "class ModelNew" not in text:
        return None
    lines = text.strip("\n").splitlines()
    starts = [0] + [i for i, line in enumerate(lines) if line.startswith(("import ", "from "))][:1]
    for start in starts:
        # The longest run of lines from `start` that parses and still holds ModelNew.
        for end in range(len(lines), start, -1):
            chunk = lines[start:end]
            if not chunk[-1].strip() or not any("class ModelNew" in line for line in chunk):
                continue
            code = _clean(chunk)
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
