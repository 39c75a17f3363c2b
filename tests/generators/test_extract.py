"""extract_code: which code a completion yields, and why not when it yields none."""

import pytest

from generators.extract import extract_code

CANDIDATE = "import torch\n\n\nclass ModelNew(torch.nn.Module):\n    def forward(self, x):\n        return x\n"
HELPER = "def helper(x):\n    return x + 1\n"


def fence(code: str, lang: str = "python") -> str:
    return f"```{lang}\n{code.rstrip(chr(10))}\n```"


@pytest.mark.parametrize("completion, expected_code, expected_reason", [
    # one fenced block, prose around it
    (f"Here is the kernel.\n\n{fence(CANDIDATE)}\n", CANDIDATE, "ok"),
    (f"Intro.\n{fence(CANDIDATE)}\nIt masks the tail and computes in fp32.\n", CANDIDATE, "ok"),
    # untagged and py-tagged fences
    (fence(CANDIDATE, ""), CANDIDATE, "ok"),
    (fence(CANDIDATE, "py"), CANDIDATE, "ok"),
    # several blocks: the one with ModelNew wins over a later helper block
    (f"{fence(CANDIDATE)}\nand a test:\n{fence(HELPER)}\n", CANDIDATE, "ok"),
    # several blocks with ModelNew: the last (the revised answer) wins
    (f"First try:\n{fence(CANDIDATE.replace('return x', 'return -x'))}\nFixed:\n{fence(CANDIDATE)}", CANDIDATE, "ok"),
    # a shell block is never taken over a python one
    (f"{fence('pip install triton', 'bash')}\n{fence(HELPER)}", HELPER, "ok"),
    # no block has ModelNew: the last python block, for the static gate to reject precisely
    (f"{fence(HELPER)}\nThat's it.", HELPER, "ok"),
    # missing closing fence, but the code is complete: taken
    (f"Here:\n```python\n{CANDIDATE}", CANDIDATE, "ok"),
    # missing closing fence and cut mid-statement: truncated
    ("Here:\n```python\nimport torch\n\nclass ModelNew(torch.nn.Module):\n    def forward(self, x):\n        return (x +",
     None, "truncated"),
    # a complete earlier answer survives a truncated revision
    (f"{fence(CANDIDATE)}\nA faster version:\n```python\nclass ModelNew(torch.nn.Module):\n    def forward(self, x",
     CANDIDATE, "ok"),
    # no fences: the completion itself is the source
    (CANDIDATE, CANDIDATE, "ok"),
    (f"Here is my solution:\n{CANDIDATE}", CANDIDATE, "ok"),
    # no code at all
    ("I cannot write this kernel.", None, "no_code"),
    ("", None, "no_code"),
    # only a non-python block
    (fence("pip install triton", "bash"), None, "no_code"),
    # reasoning with a draft, then no answer: the draft is not taken
    (f"<think>maybe\n{fence(CANDIDATE)}\n</think>\nSorry, I could not finish.", None, "no_code"),
    # reasoning with a draft, then the answer
    (f"<think>{fence(HELPER)}</think>\n{fence(CANDIDATE)}", CANDIDATE, "ok"),
    # four-backtick fences and an indented block
    (f"````python\n{CANDIDATE}````", CANDIDATE, "ok"),
    ("1. The code:\n   ```python\n" + "".join("   " + line + "\n" if line else "\n" for line in CANDIDATE.splitlines())
     + "   ```\n", CANDIDATE, "ok"),
])
def test_extract_code(completion, expected_code, expected_reason):
    code, reason = extract_code(completion)
    assert reason == expected_reason
    assert code == expected_code


def test_fence_inside_string_does_not_close_the_block():
    code = 'import torch\n\n\nclass ModelNew(torch.nn.Module):\n    doc = """```"""\n'
    assert extract_code(fence(code)) == (code, "ok")
