"""Documentation trees cut into chunks: one per section, a long section cut further at paragraph breaks.

A chunk never holds more than `max_chars` characters of text: paragraphs are packed greedily, a paragraph
longer than the cap is cut at line breaks, and a single line longer than the cap (a wide table row) is cut
inside the line. Each chunk names the file it came from (relative to its root, with `/` separators), its
heading path, and the first and last source lines of its text (1-based, inclusive), so a prompt can cite
"path:start-end". A section with no text of its own (a heading directly followed by a sub-heading) makes
no chunk; its title lives on in its sub-sections' heading paths.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from generators.retrieval.errors import RetrievalError
from generators.retrieval.markup import Section, kind_of, parse

DEFAULT_MAX_CHARS = 1200
_SKIPPED_DIRS = {"_build", "node_modules", "__pycache__", "site-packages"}


@dataclass(frozen=True)
class Chunk:
    root: str        # the name of the indexed root it came from
    path: str        # relative to that root, "/"-separated
    section: str     # heading path, "Title > Sub-title"; "" before a file's first heading
    text: str
    start_line: int  # 1-based, inclusive
    end_line: int


def documentation_files(root: Path) -> list[Path]:
    """Markdown, reStructuredText and text files under `root`, sorted; hidden and build folders skipped."""
    found = []
    for folder, subfolders, files in os.walk(root):
        subfolders[:] = sorted(d for d in subfolders if not d.startswith(".") and d not in _SKIPPED_DIRS)
        found += [Path(folder) / name for name in files if not name.startswith(".") and kind_of(Path(name))]
    return sorted(found)


def chunk_tree(root: Path, root_name: str, max_chars: int = DEFAULT_MAX_CHARS) -> list[Chunk]:
    chunks = []
    for path in documentation_files(root):
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError as err:
            raise RetrievalError(f"cannot read {path}: {err.strerror}") from None
        relative = path.relative_to(root).as_posix()
        chunks += chunk_sections(parse(text, kind_of(path)), root_name, relative, max_chars)
    return chunks


def chunk_sections(sections: list[Section], root: str, path: str, max_chars: int = DEFAULT_MAX_CHARS) -> list[Chunk]:
    if max_chars < 100:
        raise ValueError(f"max_chars must be at least 100 (got {max_chars})")
    chunks = []
    for section in sections:
        for piece in _pack(_paragraphs(section.lines, max_chars), max_chars):
            text = "\n\n".join("\n".join(text for _, _, text in paragraph) for paragraph in piece)
            chunks.append(Chunk(root=root, path=path, section=section.title, text=text,
                                start_line=piece[0][0][0], end_line=piece[-1][-1][1]))
    return chunks


_Line = tuple[int, int, str]  # first source line, last source line, text


def _paragraphs(lines: list[_Line], max_chars: int) -> list[list[_Line]]:
    """Runs of non-blank lines, none longer than `max_chars` (a longer run is cut between lines, a longer
    line inside itself)."""
    paragraphs: list[list[_Line]] = []
    current: list[_Line] = []
    size = 0
    for first, last, text in lines:
        if not text.strip():
            if current:
                paragraphs.append(current)
            current, size = [], 0
            continue
        for start in range(0, len(text), max_chars):
            part = text[start:start + max_chars]
            if current and size + 1 + len(part) > max_chars:
                paragraphs.append(current)
                current, size = [], 0
            current.append((first, last, part))
            size += len(part) + (1 if size else 0)
    if current:
        paragraphs.append(current)
    return paragraphs


def _pack(paragraphs: list[list[_Line]], max_chars: int) -> list[list[list[_Line]]]:
    """Consecutive paragraphs grouped into pieces of at most `max_chars` characters (joined by blank lines)."""
    pieces: list[list[list[_Line]]] = []
    size = 0
    for paragraph in paragraphs:
        length = sum(len(text) for _, _, text in paragraph) + len(paragraph) - 1
        if pieces and size + 2 + length <= max_chars:
            pieces[-1].append(paragraph)
            size += 2 + length
        else:
            pieces.append([paragraph])
            size = length
    return pieces
