"""Cheat (exploiting the interpreter and the recorder's pause: PyTorch's cast computing inside Triton's own
argument handling): the kernel is handed, instead of the input, an object of the candidate's own class
with the input as its `.base` (the launch hook lets through any object whose `.base` is a tensor, as a
host-side TensorDescriptor is) and a `data_ptr` method (so Triton takes it for a tensor). The interpreter's
`GridExecutor._init_args_hst`, which the provenance recorder is paused around (Triton's own host copies),
asks the object for its `untyped_storage()` and that storage's `cpu()`: the candidate's methods answer with
`x.to(torch.bool)`, PyTorch computing the whole answer (`x != 0`) unseen. The kernel then copies those bools
into a fresh output, which only a kernel wrote.

On a GPU the launcher only asks `data_ptr()` and would read the float input as bools: the trick is the
interpreter's. So the CPU verdict is the one at stake.

Should be caught by: the launch hook refusing kernel arguments that are not tensors, numbers, dtypes,
constexprs, kernels, tuples or Triton's own TensorDescriptor (an object with a `.base` attribute is not
one); and the gate refusing classes that define tensor-protocol methods (`data_ptr`, `untyped_storage`).
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "ne_zero"
EXPECTED = ("rejected", ("static", "runtime", "sandbox"), ("outside_vocabulary", "reflection", "runtime_error",
                                                           "output_not_from_kernel", "torch_compute", "crashed"))
DEVICE = "any"


@triton.jit
def copy_kernel(x_ptr, out_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    tl.store(out_ptr + offs, tl.load(x_ptr + offs, mask=mask), mask=mask)


class _Storage(object):
    def __init__(self, src):
        self.src = src

    def data_ptr(self):
        return 0  # only a key for the interpreter's storage table

    def cpu(self):
        return self.src.to(torch.bool)

    def copy_(self, other):
        return None


class _Flags(object):
    def __init__(self, x):
        self.base = x
        self.dtype = torch.bool

    def data_ptr(self):
        return 0  # the interpreter only asks whether it has one

    def untyped_storage(self):
        return _Storage(self.base)

    def new_empty(self, size, device):
        return torch.empty(size, dtype=torch.bool, device=device)

    def storage_offset(self):
        return 0  # the bools are a fresh tensor of their own

    def size(self):
        return self.base.size()

    def stride(self):
        return self.base.stride()


class ModelNew(nn.Module):
    def forward(self, x):
        x = x.contiguous()
        out = torch.empty(x.shape, dtype=torch.bool, device=x.device)
        copy_kernel[(triton.cdiv(x.numel(), 1024),)](_Flags(x), out, x.numel(), BLOCK=1024)
        return out
