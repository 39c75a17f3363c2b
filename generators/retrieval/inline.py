"""Inline markup of one line of Markdown (MyST) or reStructuredText, reduced to the text a reader sees.

Roles keep their visible text (`:ref:`Tuning <mi300x-tuning>`` and {ref}`Tuning <mi300x-tuning>` become
"Tuning"; a bare `:doc:`hip:how-to/performance_guidelines`` becomes "performance guidelines", since the
title Sphinx would show lives in another file), links keep their text, inline code keeps its content
verbatim, and emphasis markers, HTML tags and footnote references go. Code blocks never pass through
here: their lines are kept exactly.
"""

from __future__ import annotations

import re

# Inline code first, so nothing below touches its content: it is swapped for a placeholder and restored last.
_RST_LITERAL = re.compile(r"``(.+?)``")
_MD_CODE = re.compile(r"(`+)(.+?)\1")
_PLACEHOLDER = re.compile("\x00(\\d+)\x00")

# `:ref:`text <target>``, `:py:func:`~a.b``, MyST `{ref}`text <target>``.
_RST_ROLE = re.compile(r"(?<![\w`]):((?:[\w.+-]+:)*[\w.+-]+):`([^`]*)`")
_MYST_ROLE = re.compile(r"\{([\w:.+-]+)\}`([^`]*)`")
_TITLED_TARGET = re.compile(r"^(.*?)\s*<([^<>]*)>$", re.S)
# Roles whose bare target is a label or a document path, not words a reader sees (also as "std:ref",
# "external+hip:doc", ...: the last part of the role's name decides).
_TARGET_ROLES = {"ref", "doc", "numref", "any"}

_RST_LINK = re.compile(r"`([^`<]*?)\s*<([^<>`]+)>`__?")
_RST_NAMED_REF = re.compile(r"`([^`]+)`__?")
_RST_FOOTNOTE_REF = re.compile(r"\s?\[(?:#[\w-]*|\d+|\*)\]_")
_RST_SUBSTITUTION = re.compile(r"\|(\w[\w .-]*?)\|(?:__?)?")
_RST_INTERPRETED = re.compile(r"(?<![\w`])`([^`]+)`(?![\w`])")

_MD_IMAGE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
_MD_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")
_MD_REF_LINK = re.compile(r"\[([^\]]+)\]\[[^\]]*\]")
_MD_FOOTNOTE_REF = re.compile(r"\[\^[^\]]+\]")
_AUTOLINK = re.compile(r"<((?:https?|ftp|mailto):[^<>\s]+)>")
_HEADING_ANCHOR = re.compile(r"\s*\{#[\w.:-]+\}\s*$")

_STRONG = re.compile(r"(?<![\w*])\*\*(?=\S)(.+?)(?<=\S)\*\*(?![\w*])")
_EMPHASIS = re.compile(r"(?<![\w*\\])\*(?=[^\s*])(.+?)(?<=[^\s*\\])\*(?![\w*])")
_HTML_TAGS = ("a abbr b br center code dd del details div dl dt em font h1 h2 h3 h4 h5 h6 hr i iframe img ins "
              "kbd li ol p pre s section small source span strong sub summary sup table tbody td th thead tr u "
              "ul video").split()
_HTML_TAG = re.compile(r"</?(?:%s)\b[^<>]*/?>" % "|".join(_HTML_TAGS), re.I)
_SPACES = re.compile(r"[ \t]{2,}")


def clean_rst(line: str) -> str:
    """The readable text of one line of reStructuredText prose."""
    line, literals = _protect(line, _RST_LITERAL)
    line = _RST_ROLE.sub(lambda m: _role_text(m.group(1), m.group(2)), line)
    line = _RST_LINK.sub(lambda m: m.group(1) or m.group(2), line)
    line = _RST_NAMED_REF.sub(r"\1", line)
    line = _RST_FOOTNOTE_REF.sub("", line)
    if not line.lstrip().startswith("|"):  # a grid-table row, not a substitution
        line = _RST_SUBSTITUTION.sub(r"\1", line)
    line = _RST_INTERPRETED.sub(r"\1", line)
    line = line.replace("\\ ", "").replace("\\*", "*").replace("\\_", "_")
    return _finish(line, literals)


def clean_markdown(line: str) -> str:
    """The readable text of one line of Markdown or MyST prose."""
    line = _MYST_ROLE.sub(lambda m: _role_text(m.group(1), m.group(2)), line)  # before `code` claims its backticks
    line, literals = _protect(line, _MD_CODE, group=2)
    line = _MD_IMAGE.sub(r"\1", line)
    line = _MD_LINK.sub(r"\1", line)
    line = _MD_REF_LINK.sub(r"\1", line)
    line = _MD_FOOTNOTE_REF.sub("", line)
    line = _AUTOLINK.sub(r"\1", line)
    line = re.sub(r"\\([\\`*_{}\[\]()#+\-.!|<>])", r"\1", line)
    return _finish(line, literals)


def clean_heading(title: str, markdown: bool) -> str:
    title = _HEADING_ANCHOR.sub("", title)
    return (clean_markdown(title) if markdown else clean_rst(title)).strip()


def _role_text(role: str, content: str) -> str:
    titled = _TITLED_TARGET.match(content)
    if titled and titled.group(1):
        return titled.group(1)
    target = titled.group(2) if titled else content
    target = target.lstrip("~!")
    if role.split(":")[-1] in _TARGET_ROLES:
        # "hip:how-to/performance_guidelines" -> "performance guidelines"; "mi300x-occ" -> "mi300x occ"
        target = re.split(r"[/:#]", target.rstrip("/"))[-1]
        return re.sub(r"[-_]+", " ", target).strip()
    if content.startswith("~"):  # `:py:func:`~pkg.mod.f`` shows "f"
        return target.rsplit(".", 1)[-1]
    return target


def _protect(line: str, pattern: re.Pattern, group: int = 1) -> tuple[str, list[str]]:
    literals: list[str] = []

    def stash(match: re.Match) -> str:
        literals.append(match.group(group).strip() if group == 2 else match.group(group))
        return f"\x00{len(literals) - 1}\x00"

    return pattern.sub(stash, line), literals


def _finish(line: str, literals: list[str]) -> str:
    line = _STRONG.sub(r"\1", line)
    line = _EMPHASIS.sub(r"\1", line)
    line = _HTML_TAG.sub(" ", line)
    line = _PLACEHOLDER.sub(lambda m: literals[int(m.group(1))], line)
    indent = len(line) - len(line.lstrip())
    return line[:indent] + _SPACES.sub(" ", line[indent:]).rstrip()
