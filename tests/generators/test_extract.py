"""extract_code: which code a completion yields, and why not when it yields none."""

import pytest

from generators.extract import extract_code, split_reasoning

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


# ---------------------------------------------------------------------------------------------- realistic answers

KERNEL_BLOCK = '''import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def relu_kernel(x_ptr, out_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    tl.store(out_ptr + offs, tl.maximum(tl.load(x_ptr + offs, mask=mask), 0.0), mask=mask)
'''
WRAPPER_BLOCK = '''def relu(x: torch.Tensor) -> torch.Tensor:
    out = torch.empty_like(x)
    relu_kernel[(triton.cdiv(x.numel(), 1024),)](x, out, x.numel(), BLOCK=1024)
    return out


class ModelNew(nn.Module):
    def forward(self, x):
        return relu(x)
'''
FULL = KERNEL_BLOCK + "\n\n" + WRAPPER_BLOCK


def test_answer_with_a_usage_example_after_it_keeps_the_definition():
    completion = (f"Here is an optimized kernel.\n\n```python\n{FULL}```\n\nYou can use it like this:\n\n"
                  "```python\nmodel = ModelNew().cuda()\ny = model(torch.randn(4096, device='cuda'))\n```\n")
    assert extract_code(completion) == (FULL, "ok")


def test_bare_source_with_prose_before_and_after():
    completion = (f"Sure! Below is the implementation.\n\n{FULL}\n"
                  "This kernel reads each element once and writes it once, so it is memory bound.\n"
                  "Block size 1024 balances occupancy and the tail.\n")
    assert extract_code(completion) == (FULL, "ok")


def test_python3_and_capitalised_tags():
    assert extract_code(f"Answer:\n```python3\n{FULL}```") == (FULL, "ok")
    assert extract_code(f"Answer:\n```Python\n{FULL}```\nDone.") == (FULL, "ok")


def test_model_split_into_kernel_block_then_wrapper_block_is_joined():
    completion = (f"First the kernel:\n\n```python\n{KERNEL_BLOCK}```\n\nThen the launcher and the module:\n\n"
                  f"```python\n{WRAPPER_BLOCK}```\n")
    code, reason = extract_code(completion)
    assert reason == "ok"
    assert code == FULL  # the blocks, two blank lines apart
    compile(code, "<joined>", "exec")


def test_blocks_are_not_joined_when_the_answer_is_self_contained_or_the_join_does_not_parse():
    helper = "def unrelated():\n    return 1\n"
    assert extract_code(f"```python\n{helper}```\n```python\n{FULL}```") == (FULL, "ok")
    broken = "def relu_kernel(:\n"  # defines nothing that parses: the wrapper stays alone
    completion = f"```python\n{broken}```\n```python\n{WRAPPER_BLOCK}```"
    assert extract_code(completion) == (WRAPPER_BLOCK, "ok")


def test_crlf_line_endings():
    completion = f"Here it is.\r\n\r\n```python\r\n{FULL}```\r\nThat's all.\r\n".replace("\n", "\r\n").replace("\r\r", "\r")
    assert extract_code(completion) == (FULL, "ok")
    assert extract_code(FULL.replace("\n", "\r\n")) == (FULL, "ok")


def test_truncated_in_the_middle_of_the_answer_block():
    cut = FULL[: FULL.index("return relu(x)") - 10]
    assert extract_code(f"Here:\n\n```python\n{cut}") == (None, "truncated")


def test_reasoning_block_with_a_draft_then_the_answer():
    completion = (f"<think>\nThe row fits in one block.\n```python\n{FULL.replace('1024', '256')}```\n"
                  f"Better use 1024.\n</think>\n\nFinal answer:\n```python\n{FULL}```")
    assert extract_code(completion) == (FULL, "ok")


def test_reasoning_whose_opening_tag_the_chat_template_swallowed():
    completion = f"I should mask the tail.\n```python\nDRAFT = 1\n```\n</think>\n\n```python\n{FULL}```"
    assert extract_code(completion) == (FULL, "ok")
    assert split_reasoning(completion)[0].startswith("I should mask the tail.")


@pytest.mark.parametrize("completion, reasoning, answer", [
    ("<think>plan</think>answer", "plan", "answer"),
    ("<think>a</think>x<think>b</think>y", "a\n\nb", "xy"),
    ("no reasoning here", None, "no reasoning here"),
    ("<think>cut off mid-thought", "cut off mid-thought", ""),
    ("plan\r\n</think>\r\nanswer", "plan", "\nanswer"),
    ("<think></think>answer", None, "answer"),
])
def test_split_reasoning(completion, reasoning, answer):
    assert split_reasoning(completion) == (reasoning, answer)
