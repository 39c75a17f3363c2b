"""README.md's two set-up commands are the ones that are run: CI runs the test command exactly as written."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _set_up_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    section = text[text.index("## Set up"):]
    section = section[:section.index("\n## ", 1)]
    return re.findall(r"```bash\n(.*?)\n```", section, re.DOTALL)


def test_the_readme_gives_the_quickstart_and_the_test_command_and_ci_runs_the_latter_verbatim():
    quickstart, tests = _set_up_commands()[:2]
    assert quickstart.startswith("pip install torch==2.13.0") and quickstart.endswith(
        "python generate.py --config configs/quickstart.yaml")
    assert tests.startswith("pip install torch==2.13.0") and "python -m pytest" in tests
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    assert tests in ci, f"{tests!r} is not a line of .ci/run"


def test_the_readme_says_how_long_the_tests_take_and_what_its_first_screen_holds():
    text = (ROOT / "README.md").read_text()
    section = text[text.index("## Set up"):]
    # The line before the test command says how long the suite runs, and on what (issue 18, item 9).
    before_tests = section[:section.index("pip install -e \".[test]\"")].rsplit("```bash", 1)[0]
    assert re.search(r"about \d+ minutes on 2 CPU cores", before_tests.splitlines()[-2]), before_tests[-300:]
    # The first screen: what the tool does, the two commands, and where to go next.
    first_screen = "\n".join(text.splitlines()[:45])
    assert "Training data for models that write GPU kernels" in first_screen and "Where to go next" in first_screen
    assert "python generate.py --config configs/quickstart.yaml" in first_screen and "python -m pytest" in first_screen
