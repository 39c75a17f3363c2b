"""Adversarial candidates, one file per known cheat, each with the problem it targets under `problems/`
and the verdict it must get (see `tests.filters.honest` for the fields). Their docstrings say which
cheat each is and why it would fool a naive harness."""

from __future__ import annotations

from pathlib import Path

from tests.filters.honest import Case, load_cases

CHEATS_DIR = Path(__file__).resolve().parent


def cheat_cases() -> list[Case]:
    return load_cases(CHEATS_DIR)
