"""Reading JSON Lines that users hand us (candidates, specs), with errors that name the file and line."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path


class JsonlError(ValueError):
    """A file that cannot be read as one JSON object per line; the message is one line naming where."""


def read_objects(path: str | Path) -> Iterator[tuple[int, dict]]:
    """(line number, object) for each non-blank line of `path`, counting from 1."""
    try:
        text = Path(path).read_text()
    except OSError as err:
        raise JsonlError(f"{path}: {err.strerror}") from None
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as err:
            raise JsonlError(f"{path}:{number}: not JSON ({err.msg})") from None
        if not isinstance(value, dict):
            raise JsonlError(f"{path}:{number}: expected a JSON object per line")
        yield number, value
