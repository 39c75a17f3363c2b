"""Markdown (with MyST), reStructuredText and plain text, parsed into sections of readable lines.

`parse(text, kind)` returns the sections of a file in order: each has its heading path ("HIP programming
model > Warps") and its readable lines, every one tagged with the 1-based source lines it came from (one
line, or several where a role or link wrapped over lines was joined), so a chunk can cite what it quotes.

What is kept and what goes (Sphinx and MyST markup alike):
- admonitions and other containers (`.. note::`, ```{note}`, `:::{tip}`, tab sets, cards, tables): their
  text, without option lines (`:name: x`) or MyST's `---` option blocks;
- code (`.. code-block::`, fenced code, `::` literal blocks): the code, verbatim, without the fence;
- figures: the caption, not the image path;
- dropped entirely: toctrees, includes, images, raw HTML, `.. meta::`, labels (`.. _label:`, `(label)=`),
  substitution definitions, rST comments, HTML comments, YAML front matter, link definitions.

This is a reader's approximation, not docutils: it needs no Sphinx project and never fails on a file; markup
it does not know shows up as text rather than vanishing. Headings inside a directive body are kept as text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from generators.retrieval.inline import clean_heading, clean_markdown, clean_rst

SUFFIX_KINDS = {".md": "markdown", ".markdown": "markdown", ".rst": "rst", ".rest": "rst", ".txt": "text"}

# Directives whose block is dropped whole: navigation, includes, images, raw output, metadata.
_DROPPED = {"toctree", "include", "literalinclude", "image", "raw", "meta", "contents", "index", "highlight",
            "default-role", "role", "currentmodule", "sectionauthor", "moduleauthor", "codeauthor",
            "tabularcolumns", "bibliography", "iframe", "youtube", "video", "rst-class", "class",
            "spelling:word-list"}
_DROPPED_PREFIXES = ("doxygen", "auto")
# Directives whose content is code, kept verbatim (the argument is the language).
_CODE = {"code-block", "code", "sourcecode", "code-cell", "prompt", "parsed-literal"}
# Directives whose argument is a file or CSS classes, not text.
_NON_TEXT_ARGUMENT = {"figure", "container"}

_LineList = list[tuple[int, str]]


@dataclass(frozen=True)
class Heading:
    level: int
    title: str
    line: int


@dataclass(frozen=True)
class Text:
    line: int
    text: str  # "" is a paragraph break
    last_line: int = 0  # where markup spanning lines (a role, a link) was joined into one; else `line`


@dataclass
class Section:
    titles: tuple[str, ...]
    heading_line: int | None  # None for the text before the first heading
    lines: list[tuple[int, int, str]] = field(default_factory=list)  # (first line, last line, text)

    @property
    def title(self) -> str:
        return " > ".join(t for t in self.titles if t)


def kind_of(path: Path) -> str | None:
    """"markdown", "rst" or "text" by suffix; None for a file that is not documentation."""
    return SUFFIX_KINDS.get(path.suffix.lower())


def parse(text: str, kind: str) -> list[Section]:
    lines = list(enumerate(text.splitlines(), start=1))
    if kind == "markdown":
        events = _markdown(_strip_front_matter(lines))
    elif kind == "rst":
        events = _rst(lines, styles=[])
    elif kind == "text":
        events = (Text(n, line.rstrip()) for n, line in lines)
    else:
        raise ValueError(f"unknown markup kind {kind!r}; known kinds: markdown, rst, text")
    return _sections(events)


def _sections(events) -> list[Section]:
    sections = [Section(titles=(), heading_line=None)]
    stack: list[tuple[int, str]] = []
    for event in events:
        if isinstance(event, Heading):
            while stack and stack[-1][0] >= event.level:
                stack.pop()
            stack.append((event.level, event.title))
            sections.append(Section(titles=tuple(t for _, t in stack), heading_line=event.line))
        else:
            sections[-1].lines.append((event.line, max(event.line, event.last_line), event.text))
    return sections


# ---------------------------------------------------------------- reStructuredText

_ADORNMENT = re.compile(r"^([!-/:-@\[-`{-~])\1{2,}\s*$")  # a line of one punctuation character, 3 or more
_DIRECTIVE = re.compile(r"^(\s*)\.\.\s+([\w][\w:+.-]*)::(?:\s+(.*))?$")
_EXPLICIT = re.compile(r"^(\s*)\.\.(?:\s|$)")
_FOOTNOTE = re.compile(r"^\s*\.\.\s+\[[^\]]+\]\s*(.*)$")
_OPTION = re.compile(r"^\s*:[\w\s.-]+:(?:\s|$)")
_LIST_MARKERS_ONLY = re.compile(r"^\s*(?:[*+-]\s*)+$")
# "+----+----+" (grid table) or "=====  =====" (simple table)
_TABLE_BORDER = re.compile(r"^\s*(?:\+[-=+]+\+|[=-]{2,}(?:\s+[=-]{2,})+)\s*$")


def _rst(lines: _LineList, styles: list[tuple[str, bool]]) -> Iterator[Heading | Text]:
    """Events of rST lines. `styles` holds the heading adornments in order of first use (rST's levels)."""
    i = 0
    while i < len(lines):
        number, line = lines[i]
        after = lines[i + 1][1] if i + 1 < len(lines) else None
        previous_blank = i == 0 or not lines[i - 1][1].strip()
        if not line.strip():
            yield Text(number, "")
            i += 1
            continue
        over = _ADORNMENT.match(line)
        if over and after and after.strip() and i + 2 < len(lines) and _ADORNMENT.match(lines[i + 2][1]) \
                and lines[i + 2][1].strip()[0] == over.group(1):
            yield _rst_heading((over.group(1), True), after.strip(), lines[i + 1][0], styles)
            i += 3
            continue
        if not over and previous_blank and not line[0].isspace() and after is not None \
                and (under := _ADORNMENT.match(after)):
            yield _rst_heading((under.group(1), False), line.strip(), number, styles)
            i += 2
            continue
        if over:  # a transition or a table border
            i += 1
            continue
        if _EXPLICIT.match(line):
            block_end = _indented_block_end(lines, i)
            yield from _rst_explicit(lines[i:block_end], styles)
            i = block_end
            continue
        if line.rstrip().endswith("::") and not line.lstrip().startswith(".."):
            # A paragraph introducing a literal block: "Example::" reads "Example:", a bare "::" vanishes.
            intro = line.rstrip()[:-2].rstrip()
            if intro:
                yield Text(number, clean_rst(intro + (":" if not line.rstrip()[:-2].endswith(" ") else "")))
            block_end = _indented_block_end(lines, i)
            yield from _verbatim(lines[i + 1:block_end])
            i = block_end
            continue
        if _TABLE_BORDER.match(line) or _LIST_MARKERS_ONLY.match(line):
            i += 1
            continue
        line, i = _join_open_markup(line, lines, i + 1, markdown=False)
        yield Text(number, _table_row(clean_rst(line.strip())), lines[i - 1][0])


def _rst_heading(style: tuple[str, bool], title: str, number: int, styles: list) -> Heading:
    if style not in styles:
        styles.append(style)
    return Heading(styles.index(style) + 1, clean_heading(title, markdown=False), number)


def _rst_explicit(block: _LineList, styles: list) -> Iterator[Text]:
    """A directive, a footnote, or something dropped (labels, comments, substitution definitions)."""
    number, first = block[0]
    directive = _DIRECTIVE.match(first)
    if directive:
        name, argument = directive.group(2).lower(), (directive.group(3) or "").strip()
        yield from _directive(name, argument, number, block[1:], markdown=False, styles=styles)
        return
    footnote = _FOOTNOTE.match(first)
    if footnote:
        if footnote.group(1):
            yield Text(number, clean_rst(footnote.group(1)))
        yield from _as_text(_rst(_dedent(block[1:]), list(styles)))


def _directive(name: str, argument: str, number: int, body: _LineList, *, markdown: bool,
               styles: list) -> Iterator[Text]:
    if name in _DROPPED or name.startswith(_DROPPED_PREFIXES):
        return
    body = _skip_options(_dedent(body))
    if name in _CODE:
        yield from _verbatim(body)
        return
    if name == "eval-rst":  # MyST: a block of rST inside Markdown
        yield from _as_text(_rst(body, styles=[]))
        return
    if argument and name not in _NON_TEXT_ARGUMENT:
        yield Text(number, clean_markdown(argument) if markdown else clean_rst(argument))
    yield from _as_text(_markdown(body) if markdown else _rst(body, list(styles)))


def _as_text(events: Iterator[Heading | Text]) -> Iterator[Text]:
    """Events inside a directive body, where a heading cannot start a section: its title becomes text."""
    for event in events:
        yield event if isinstance(event, Text) else Text(event.line, event.title)


def _skip_options(body: _LineList) -> _LineList:
    """A directive body without its leading option lines (`:name: value`, continued by deeper indentation)
    or MyST's `---` YAML option block."""
    i = 0
    while i < len(body) and not body[i][1].strip():
        i += 1
    if i < len(body) and body[i][1].strip() == "---":
        close = next((j for j in range(i + 1, len(body)) if body[j][1].strip() == "---"), None)
        return body[close + 1:] if close is not None else body
    while i < len(body) and _OPTION.match(body[i][1]):
        indent = _indent(body[i][1])
        i += 1
        while i < len(body) and body[i][1].strip() and _indent(body[i][1]) > indent:
            i += 1
    return body[i:]


def _indented_block_end(lines: _LineList, start: int) -> int:
    """End (exclusive) of the block that the line at `start` opens (a directive, a comment, a literal block
    after "::"): the lines indented deeper than it, blank lines included, trailing blank lines not."""
    base = _indent(lines[start][1])
    end = last = start + 1
    while end < len(lines):
        text = lines[end][1]
        if text.strip():
            if _indent(text) <= base:
                break
            last = end + 1
        end += 1
    return last


def _table_row(text: str) -> str:
    """A grid-table row "| a | b |" reads "a | b"."""
    if text.startswith("|") and text.endswith("|") and len(text) > 1:
        return text[1:-1].strip()
    return text


# ---------------------------------------------------------------- Markdown (CommonMark + MyST)

_FENCE = re.compile(r"^(\s*)(`{3,}|~{3,}|:{3,})\s*(?:\{([\w][\w:+.-]*)\})?\s*(.*)$")
_ATX = re.compile(r"^ {0,3}(#{1,6})(?:\s+(.*?))?\s*#*\s*$")
_SETEXT = re.compile(r"^ {0,3}(=+|-+)\s*$")
_RULE = re.compile(r"^ {0,3}(?:(?:\*\s*){3,}|(?:-\s*){3,}|(?:_\s*){3,})$")
_MYST_TARGET = re.compile(r"^\s*\([\w.:+-]+\)=\s*$")
_LINK_DEFINITION = re.compile(r"^ {0,3}\[[^\]^][^\]]*\]:\s+\S+")
_FOOTNOTE_DEFINITION = re.compile(r"^ {0,3}\[\^[^\]]+\]:\s*(.*)$")
_TABLE_DELIMITER = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(?:\|\s*:?-{2,}:?\s*)*\|?\s*$")


def _markdown(lines: _LineList) -> Iterator[Heading | Text]:
    i = 0
    while i < len(lines):
        number, line = lines[i]
        after = lines[i + 1][1] if i + 1 < len(lines) else None
        previous_blank = i == 0 or not lines[i - 1][1].strip()
        fence = _FENCE.match(line)
        if fence and (fence.group(3) or fence.group(2)[0] == "~"
                      or (fence.group(2)[0] == "`" and "`" not in fence.group(4))):  # ":::" opens only MyST
            end = _fence_end(lines, i, fence.group(2))
            body = lines[i + 1:end]
            # "```eval_rst" is recommonmark's spelling of MyST's "```{eval-rst}"
            name = fence.group(3) or ("eval-rst" if fence.group(4).strip() == "eval_rst" else None)
            if name:
                argument = fence.group(4).strip() if fence.group(3) else ""
                yield from _directive(name.lower(), argument, number, body, markdown=True, styles=[])
            else:
                yield from _verbatim(_dedent(body))
            i = end + 1
            continue
        if "<!--" in line:
            line, i = _without_html_comment(lines, i)
            if not line.strip():
                yield Text(number, "")
                continue
        else:
            i += 1
        if not line.strip():
            yield Text(number, "")
            continue
        heading = _ATX.match(line)
        if heading:
            yield Heading(len(heading.group(1)), clean_heading(heading.group(2) or "", markdown=True), number)
            continue
        if previous_blank and after is not None and _SETEXT.match(after) and not _RULE.match(line) \
                and not line.lstrip().startswith(("|", ">", "-", "*", "+")):
            level = 1 if after.strip()[0] == "=" else 2
            yield Heading(level, clean_heading(line.strip(), markdown=True), number)
            i += 1
            continue
        if _RULE.match(line) or _MYST_TARGET.match(line) or _LINK_DEFINITION.match(line) \
                or _TABLE_DELIMITER.match(line) or line.lstrip().startswith("%") or _LIST_MARKERS_ONLY.match(line):
            continue
        footnote = _FOOTNOTE_DEFINITION.match(line)
        if footnote:
            line = footnote.group(1)
        line, i = _join_open_markup(line, lines, i, markdown=True)
        text = clean_markdown(line.strip())
        if text.startswith(">"):
            text = text.lstrip("> ").strip()
        yield Text(number, _table_row(text), lines[i - 1][0])


def _fence_end(lines: _LineList, start: int, opener: str) -> int:
    """Index of the closing fence line (or len(lines) when the fence never closes)."""
    closer = re.compile(r"^\s*" + re.escape(opener[0]) + "{" + str(len(opener)) + r",}\s*$")
    for j in range(start + 1, len(lines)):
        if closer.match(lines[j][1]):
            return j
    return len(lines)


def _without_html_comment(lines: _LineList, i: int) -> tuple[str, int]:
    """The line at `i` with its HTML comments removed, and the index after the last line a comment spanned.
    Text after a comment that closes on a later line is kept."""
    kept, line = "", lines[i][1]
    while "<!--" in line:
        before, _, rest = line.partition("<!--")
        kept += before
        while "-->" not in rest:
            i += 1
            if i >= len(lines):
                return kept, i
            rest = lines[i][1]
        line = rest.partition("-->")[2]
    return kept + line, i + 1


def _strip_front_matter(lines: _LineList) -> _LineList:
    if lines and lines[0][1].strip() == "---":
        for j in range(1, len(lines)):
            if lines[j][1].strip() in ("---", "..."):
                return lines[j + 1:]
    return lines


# ---------------------------------------------------------------- shared helpers

_DOUBLE_BACKTICKS = re.compile(r"``.*?``")
_MAX_JOINED_LINES = 6


def _open_markup(line: str, markdown: bool) -> bool:
    """Whether inline markup opened on this line continues on the next (an odd backtick, a link's "[")."""
    if markdown:
        return line.count("`") % 2 == 1 or line.count("[") > line.count("]")
    return _DOUBLE_BACKTICKS.sub("", line).count("`") % 2 == 1


def _join_open_markup(text: str, lines: _LineList, following: int, markdown: bool) -> tuple[str, int]:
    """`text` joined with the lines from index `following` on while inline markup opened in it stays open
    (a role or link wrapped over lines, within its paragraph); and the index of the first line not used."""
    start = following
    while _open_markup(text, markdown) and following < len(lines) and following - start < _MAX_JOINED_LINES:
        line = lines[following][1]
        if not line.strip() or _EXPLICIT.match(line) or _FENCE.match(line) or (markdown and _ATX.match(line)):
            break
        text, following = text.rstrip() + " " + line.strip(), following + 1
    return text, following


def _verbatim(lines: _LineList) -> Iterator[Text]:
    for number, text in _dedent(lines):
        yield Text(number, text.rstrip())


def _dedent(lines: _LineList) -> _LineList:
    indents = [_indent(text) for _, text in lines if text.strip()]
    cut = min(indents, default=0)
    return [(number, text[cut:] if text.strip() else "") for number, text in lines]


def _indent(text: str) -> int:
    return len(text) - len(text.lstrip())
