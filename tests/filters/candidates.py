"""Inline problems and candidates for the verifier tests, each with the verdict it must get beside it."""

RELU_PROBLEM = '''
import torch
import torch.nn as nn

class Model(nn.Module):
    def __init__(self):
        super().__init__()
    def forward(self, x):
        return torch.relu(x)

def get_inputs():
    return [torch.randn(16, 300)]

def get_init_inputs():
    return []
'''

# Copies its input: the candidate below returns the input itself instead of a copy.
COPY_PROBLEM = RELU_PROBLEM.replace("torch.relu(x)", "x.clone()")

_HEADER = '''
import torch
import torch.nn as nn
import triton
import triton.language as tl
'''

_RELU_KERNEL = '''
@triton.jit
def relu_kernel(x_ptr, out_ptr, n, BLOCK: tl.constexpr):
    # one program per BLOCK contiguous elements; the mask covers the ragged end
    pid = tl.program_id(0)
    offs = pid * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask)
    tl.store(out_ptr + offs, tl.maximum(x, 0.0), mask=mask)
'''


def relu_candidate(forward_body: str, kernel: str = _RELU_KERNEL, extra: str = "") -> str:
    return _HEADER + extra + kernel + '''

class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
''' + "\n".join("        " + line for line in forward_body.strip().splitlines()) + "\n"


HONEST = relu_candidate('''
x = x.contiguous()
out = torch.empty_like(x)
relu_kernel[(triton.cdiv(x.numel(), 256),)](x, out, x.numel(), BLOCK=256)
return out
''')  # accepted

WRONG_VALUES = HONEST.replace("tl.maximum(x, 0.0)", "tl.maximum(x, 0.01)")  # rejected: mismatch

TORCH_DOES_THE_WORK = relu_candidate('''
out = torch.empty_like(x)
relu_kernel[(triton.cdiv(x.numel(), 256),)](x, out, x.numel(), BLOCK=256)
return torch.relu(x)
''')  # rejected: static, torch_outside_kernel

ALIASED_F = _HEADER.replace("import triton\n", "import triton\nimport torch.nn.functional as F\n") + _RELU_KERNEL + '''
class ModelNew(nn.Module):
    def forward(self, x):
        return F.relu(x)
'''  # rejected: static (F resolves to torch.nn.functional)

FALLBACK = relu_candidate('''
try:
    out = torch.empty_like(x)
    relu_kernel[(triton.cdiv(x.numel(), 256),)](x, out, x.numel(), BLOCK=256)
except Exception:
    out = x.clamp(min=0)
return out
''')  # rejected: static (try/except)

IMPORTS_OS = relu_candidate("return x", extra="import os\nPID = os.getpid()\n")  # rejected: static (os beyond env reads)
USES_EVAL = relu_candidate('return eval("x")')  # rejected: static
NO_KERNEL = _HEADER + '''
class ModelNew(nn.Module):
    def forward(self, x):
        return torch.empty_like(x)
'''  # rejected: static, no_triton_kernel
NO_MODEL_NEW = _HEADER + _RELU_KERNEL  # rejected: static, no_model_new
SYNTAX_ERROR = HONEST.replace("def forward(self, x):", "def forward(self, x)")  # rejected: syntax_error

RETURNS_INPUT = relu_candidate('''
out = torch.empty_like(x)
relu_kernel[(triton.cdiv(x.numel(), 256),)](x, out, x.numel(), BLOCK=256)
return x
''')  # against COPY_PROBLEM: rejected, output_aliases_input

MUTATES_INPUT = relu_candidate('''
x = x.contiguous()
out = torch.empty_like(x)
relu_kernel[(triton.cdiv(x.numel(), 256),)](x, out, x.numel(), BLOCK=256)
relu_kernel[(triton.cdiv(x.numel(), 256),)](x, x, x.numel(), BLOCK=256)
return out
''')  # rejected: input_mutated

SKIPS_THE_KERNEL = relu_candidate('''
out = torch.zeros_like(x)
if x.numel() < 0:
    relu_kernel[(1,)](x, out, x.numel(), BLOCK=256)
return out
''')  # against a problem whose answer is zeros: rejected, no_kernel_launched
ZEROS_PROBLEM = RELU_PROBLEM.replace("torch.relu(x)", "torch.zeros_like(x)")

HANGS = relu_candidate('''
while True:
    pass
''')  # rejected: sandbox, timeout

HANGS_AT_IMPORT = relu_candidate("return x", extra="while True:\n    pass\n")  # rejected: sandbox, timeout

RAISES = relu_candidate('raise RuntimeError("boom")')  # rejected: runtime_error

SEGFAULTS = _HEADER + '''
@triton.jit
def far_kernel(x_ptr, out_ptr, BLOCK: tl.constexpr):
    # reads a terabyte past the input: the interpreter dereferences it on the host
    offs = tl.arange(0, BLOCK)
    tl.store(out_ptr + offs, tl.load(x_ptr + offs + (1 << 40)))


class ModelNew(nn.Module):
    def forward(self, x):
        out = torch.empty_like(x)
        far_kernel[(1,)](x, out, BLOCK=256)
        return out
'''  # rejected: sandbox, crashed (SIGSEGV in the child)

FLOODS_STDOUT = relu_candidate('''
line = "x" * 1000000
while True:
    print(line)
''')  # rejected: sandbox, output_flood

WRONG_SHAPE = relu_candidate('''
out = torch.empty(x.shape[0], dtype=x.dtype, device=x.device)
relu_kernel[(triton.cdiv(out.numel(), 256),)](x, out, out.numel(), BLOCK=256)
return out
''')  # rejected: bad_output

MATMUL_PROBLEM = '''
import torch
import torch.nn as nn

class Model(nn.Module):
    def __init__(self):
        super().__init__()
    def forward(self, a, b):
        return torch.matmul(a, b)

def get_inputs():
    return [torch.randn(32, 32), torch.randn(32, 32)]

def get_init_inputs():
    return []
'''

TF32_MATMUL = _HEADER + '''
@triton.jit
def mm_kernel(a_ptr, b_ptr, c_ptr, N: tl.constexpr):
    offs = tl.arange(0, N)
    a = tl.load(a_ptr + offs[:, None] * N + offs[None, :])
    b = tl.load(b_ptr + offs[:, None] * N + offs[None, :])
    tl.store(c_ptr + offs[:, None] * N + offs[None, :], tl.dot(a, b))


class ModelNew(nn.Module):
    def forward(self, a, b):
        c = torch.empty_like(a)
        mm_kernel[(1,)](a, b, c, N=32)
        return c
'''  # on CPU: unverified, interpreter_limit (TF32 is not emulated)

IEEE_MATMUL = TF32_MATMUL.replace("tl.dot(a, b)", 'tl.dot(a, b, input_precision="ieee")')  # accepted

MISSES_THE_TAIL = relu_candidate('''
x = x.contiguous()
out = torch.empty_like(x)
relu_kernel[(x.numel() // 256,)](x, out, x.numel(), BLOCK=256)
return out
''')  # the grid floors instead of rounding up: 4800 % 256 = 192 elements never written; rejected, non_finite

SOFTMAX_PROBLEM = '''
import torch
import torch.nn as nn

class Model(nn.Module):
    def forward(self, x):
        return torch.softmax(x, dim=-1)

def get_inputs():
    return [torch.randn(8, 100)]

def get_init_inputs():
    return []
'''

_SOFTMAX = _HEADER + '''
@triton.jit
def softmax_kernel(x_ptr, out_ptr, n_cols, BLOCK: tl.constexpr):
    # one program per row; the row fits in one block
    row = tl.program_id(0)
    offs = tl.arange(0, BLOCK)
    mask = offs < n_cols
    x = tl.load(x_ptr + row * n_cols + offs, mask=mask, other=-float("inf"))
    SHIFT
    num = tl.exp(x)
    tl.store(out_ptr + row * n_cols + offs, num / tl.sum(num, axis=0), mask=mask)


class ModelNew(nn.Module):
    def forward(self, x):
        x = x.contiguous()
        out = torch.empty_like(x)
        softmax_kernel[(x.shape[0],)](x, out, x.shape[1], BLOCK=triton.next_power_of_2(x.shape[1]))
        return out
'''
STABLE_SOFTMAX = _SOFTMAX.replace("SHIFT", "x = x - tl.max(x, axis=0)")  # accepted
NAIVE_SOFTMAX = _SOFTMAX.replace("SHIFT", "")  # exp overflows once inputs are scaled: rejected, non_finite

# Big enough that the hidden kernel takes far longer than the harness's own overhead (~0.1 ms of DRAM
# traffic on an H200), so hiding it from the device events shows on the host clock.
RELU_BIG_PROBLEM = RELU_PROBLEM.replace("torch.randn(16, 300)", "torch.randn(4096, 8192)")

SIDE_STREAM = relu_candidate('''
x = x.contiguous()
out = torch.empty_like(x)
side = torch.cuda.Stream()
with torch.cuda.stream(side):
    relu_kernel[(triton.cdiv(x.numel(), 1024),)](x, out, x.numel(), BLOCK=1024)
return out
''')  # the work runs on a stream the device events do not see: static reject; at runtime timing_mismatch

COMPILED_AHEAD = relu_candidate('''
x = x.contiguous()
out = torch.empty_like(x)
kernel = relu_kernel.warmup(x, out, x.numel(), BLOCK=1024, grid=(1,))
kernel._init_handles()
kernel[(triton.cdiv(x.numel(), 1024), 1, 1)](x, out, x.numel(), 1024)
return out
''')  # the fused-softmax tutorial's compiled-kernel launch: accepted on a GPU, interpreter_limit on CPU

COMPILED_SIDE_STREAM = COMPILED_AHEAD.replace(
    "(x, out, x.numel(), 1024)\n", "(x, out, x.numel(), 1024, stream=torch.cuda.Stream().cuda_stream)\n")
# the compiled kernel launched on a stream of its own: static reject; at runtime background_work

BACKGROUND_THREAD = relu_candidate('''
x = x.contiguous()
out = torch.empty_like(x)
worker = threading.Thread(
    target=lambda: relu_kernel[(triton.cdiv(x.numel(), 1024),)](x, out, x.numel(), BLOCK=1024))
worker.start()
return out
''', extra="import threading\n")  # the work is left to a thread: static reject; at runtime background_work,
# a timing mismatch, or garbage output, depending on when the thread gets to launch

# Binary cross-entropy on probabilities drawn with torch.rand, with no input_domains: torch raises on CPU (and
# device-asserts on a GPU) for a prediction or target outside [0, 1], so every transform of these inputs is
# refused by the reference itself (filters.verifier.reference_probe) and only the plain draws are checked.
BCE_PROBLEM = '''
import torch
import torch.nn as nn
import torch.nn.functional as F

class Model(nn.Module):
    def __init__(self):
        super().__init__()
    def forward(self, predictions, targets):
        return F.binary_cross_entropy(predictions, targets, reduction="none")

def get_inputs():
    return [torch.rand(16, 300), torch.rand(16, 300)]

def get_init_inputs():
    return []
'''

# The same with a per-element weight drawn with randn, which the reference takes at any value: the
# transforms still change the weight, while the predictions and targets stay as drawn.
BCE_WEIGHTED_PROBLEM = BCE_PROBLEM.replace(
    "forward(self, predictions, targets)", "forward(self, predictions, targets, weight)").replace(
    'targets, reduction="none"', 'targets, weight=weight, reduction="none"').replace(
    "torch.rand(16, 300)]", "torch.rand(16, 300), torch.randn(16, 300)]")

_BCE_KERNEL = '''
@triton.jit
def bce_kernel(p_ptr, t_ptr, w_ptr, out_ptr, n, HAS_WEIGHT: tl.constexpr, BLOCK: tl.constexpr):
    # one program per BLOCK elements; torch clamps each log at -100 so that p = 0 or 1 stays finite
    pid = tl.program_id(0)
    offs = pid * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    p = tl.load(p_ptr + offs, mask=mask, other=0.5)
    t = tl.load(t_ptr + offs, mask=mask, other=0.5)
    loss = -(t * tl.maximum(tl.log(p), -100.0) + (1.0 - t) * tl.maximum(tl.log(1.0 - p), -100.0))
    if HAS_WEIGHT:
        w = tl.load(w_ptr + offs, mask=mask, other=1.0)
        loss = loss * w
    tl.store(out_ptr + offs, loss, mask=mask)
'''


def _bce_candidate(*, weighted: bool) -> str:
    args = "predictions, targets, weight" if weighted else "predictions, targets"
    weight = "weight.contiguous()" if weighted else "predictions.contiguous()"  # unread without a weight
    return _HEADER + _BCE_KERNEL + f'''

class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, {args}):
        p, t, w = predictions.contiguous(), targets.contiguous(), {weight}
        out = torch.empty_like(p)
        bce_kernel[(triton.cdiv(p.numel(), 256),)](p, t, w, out, p.numel(), HAS_WEIGHT={weighted}, BLOCK=256)
        return out
'''


BCE_HONEST = _bce_candidate(weighted=False)  # accepted on the plain draws, no transform
# Zero loss wherever the prediction is above 0.9, inside the domain: rejected, mismatch on unseen inputs.
BCE_WRONG_NEAR_ONE = BCE_HONEST.replace("    tl.store(out_ptr", "    loss = tl.where(p > 0.9, 0.0, loss)\n"
                                        "    tl.store(out_ptr")
BCE_WEIGHTED_HONEST = _bce_candidate(weighted=True)  # accepted, with every transform applied to the weight
# Right for any weight a randn draw gives (|w| < 6), wrong beyond: rejected on the weight scaled by 64.
BCE_WEIGHTED_CLIPS = BCE_WEIGHTED_HONEST.replace("loss = loss * w", "loss = loss * tl.where(tl.abs(w) < 6.0, w, 1.0)")
