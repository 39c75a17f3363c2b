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
