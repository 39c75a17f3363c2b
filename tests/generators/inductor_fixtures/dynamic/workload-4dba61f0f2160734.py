# AOT ID: ['136_inference']
from ctypes import c_void_p, c_long, c_int
import torch
import math
import random
import os
import tempfile
from math import inf, nan
from cmath import nanj
from torch._inductor.hooks import run_intermediate_hooks
from torch._inductor.utils import maybe_profile
from torch._inductor.codegen.memory_planning import _align as align
from torch import device, empty_strided
from torch._inductor.async_compile import AsyncCompile
from torch._inductor.select_algorithm import extern_kernels
import triton
import triton.language as tl
from torch._inductor.runtime.triton_heuristics import start_graph, end_graph
from torch._C import _cuda_getCurrentRawStream as get_raw_stream

aten = torch.ops.aten
inductor_ops = torch.ops.inductor
_quantized = torch.ops._quantized
assert_size_stride = torch._C._dynamo.guards.assert_size_stride
assert_alignment = torch._C._dynamo.guards.assert_alignment
empty_strided_cpu = torch._C._dynamo.guards._empty_strided_cpu
empty_strided_cpu_pinned = torch._C._dynamo.guards._empty_strided_cpu_pinned
empty_strided_cuda = torch._C._dynamo.guards._empty_strided_cuda
empty_strided_xpu = torch._C._dynamo.guards._empty_strided_xpu
empty_strided_mtia = torch._C._dynamo.guards._empty_strided_mtia
reinterpret_tensor = torch._C._dynamo.guards._reinterpret_tensor
alloc_from_pool = torch.ops.inductor._alloc_from_pool
async_compile = AsyncCompile()
empty_strided_p2p = torch._C._distributed_c10d._SymmetricMemory.empty_strided_p2p


# kernel path: /tmp/torchinductor_root/jv/cjvgzlzkjtbii3ofg55f7cdkmz2o52ujpvzwnrvdmenft3dm7zj7.py
# Topologically Sorted Source Nodes: [t0, t1], Original ATen: [aten.le, aten.bitwise_and]
# Source node to ATen node mapping:
#   t0 => le
#   t1 => bitwise_and
# Graph fragment:
#   %arg4_1 : Tensor "b8[][]cuda:0" = PlaceHolder[target=arg4_1]
#   %arg2_1 : Tensor "i64[s4, 1, 1, s24][s24, s24, s24, 1]cuda:0" = PlaceHolder[target=arg2_1]
#   %arg3_1 : Tensor "i64[s4, 1, s24, 1][s24, s24, 1, 1]cuda:0" = PlaceHolder[target=arg3_1]
#   %le : Tensor "b8[s4, 1, s24, s24][s24**2, s24**2, s24, 1]cuda:0"[num_users=1] = call_function[target=torch.ops.aten.le.Tensor](args = (%arg2_1, %arg3_1), kwargs = {})
#   %bitwise_and : Tensor "b8[s4, 1, s24, s24][s24**2, s24**2, s24, 1]cuda:0"[num_users=1] = call_function[target=torch.ops.aten.bitwise_and.Tensor](args = (%arg4_1, %le), kwargs = {})
#   return %bitwise_and
triton_poi_fused_bitwise_and_le_0 = async_compile.triton('triton_poi_fused_bitwise_and_le_0', '''
import triton
import triton.language as tl

from torch._inductor.runtime import triton_helpers, triton_heuristics
from torch._inductor.runtime.triton_helpers import libdevice, math as tl_math
from torch._inductor.runtime.hints import AutotuneHint, ReductionHint, TileHint, DeviceProperties
triton_helpers.set_driver_to_gpu()

@triton_heuristics.pointwise(
    size_hints={'x': 268435456}, 
    filename=__file__,
    triton_meta={'signature': {'in_ptr0': '*i1', 'in_ptr1': '*i64', 'in_ptr2': '*i64', 'out_ptr0': '*i1', 'ks0': 'i64', 'ks1': 'i64', 'xnumel': 'i32', 'XBLOCK': 'constexpr'}, 'device': DeviceProperties(type='cuda', index=0, multi_processor_count=132, cc=90, major=9, regs_per_multiprocessor=65536, max_threads_per_multi_processor=2048, max_threads_per_block=1024, warp_size=32), 'constants': {}, 'native_matmul': False, 'enable_fp_fusion': True, 'launch_pdl': False, 'disable_ftz': False, 'configs': [{(0,): [['tt.divisibility', 16]], (1,): [['tt.divisibility', 16]], (2,): [['tt.divisibility', 16]], (3,): [['tt.divisibility', 16]]}]},
    inductor_meta={'grid_type': 'Grid1D', 'autotune_hints': set(), 'kernel_name': 'triton_poi_fused_bitwise_and_le_0', 'mutated_arg_names': [], 'optimize_mem': True, 'no_x_dim': False, 'atomic_add_found': False, 'num_load': 3, 'num_store': 1, 'num_reduction': 0, 'backend_hash': '91D1D1166449D9E2EB66EB9770C9E2C3B0FEB787341F27FEB4D3F0338DA50336', 'assert_indirect_indexing': True, 'autotune_local_cache': True, 'autotune_pointwise': True, 'autotune_remote_cache': None, 'force_disable_caches': False, 'dynamic_scale_rblock': True, 'max_autotune': False, 'max_autotune_pointwise': False, 'min_split_scan_rblock': 256, 'spill_threshold': 16, 'store_cubin': False, 'deterministic': False, 'force_filter_reduction_configs': False, 'mix_order_reduction_allow_multi_stages': False, 'are_deterministic_algorithms_enabled': False, 'tiling_scores': {'x': 537133056}},
    min_elem_per_thread=0
)
@triton.jit
def triton_poi_fused_bitwise_and_le_0(in_ptr0, in_ptr1, in_ptr2, out_ptr0, ks0, ks1, xnumel, XBLOCK : tl.constexpr):
    xoffset = tl.program_id(0) * XBLOCK
    xindex = xoffset + tl.arange(0, XBLOCK)[:]
    xmask = xindex < xnumel
    x0 = (xindex % ks0)
    x2 = xindex // ks1
    x4 = xindex // ks0
    x5 = xindex
    tmp0 = tl.load(in_ptr0 + (0)).to(tl.int1)
    tmp1 = tl.broadcast_to(tmp0, [XBLOCK])
    tmp2 = tl.load(in_ptr1 + (x0 + ks0*x2), xmask, eviction_policy='evict_last')
    tmp3 = tl.load(in_ptr2 + (x4), xmask, eviction_policy='evict_last')
    tmp4 = tmp2 <= tmp3
    tmp5 = tmp1 & tmp4
    tl.store(out_ptr0 + (x5), tmp5, xmask)
''', device_str='cuda')


async_compile.wait(globals())
del async_compile

class Runner:
    def __init__(self, partitions):
        self.partitions = partitions

    def recursively_apply_fns(self, fns):
        new_callables = []
        for fn, c in zip(fns, self.partitions):
            new_callables.append(fn(c))
        self.partitions = new_callables

    def call(self, args):
        arg0_1, arg1_1, arg2_1, arg3_1, arg4_1 = args
        args.clear()
        s4 = arg0_1
        s24 = arg1_1
        assert_size_stride(arg2_1, (s4, 1, 1, s24), (s24, s24, s24, 1))
        assert_size_stride(arg3_1, (s4, 1, s24, 1), (s24, s24, 1, 1))
        assert_size_stride(arg4_1, (), ())
        with torch.cuda._DeviceGuard(0):
            torch.cuda.set_device(0)
            ps0 = s24*s24
            buf0 = empty_strided_cuda((s4, 1, s24, s24), (s24*s24, s24*s24, s24, 1), torch.bool)
            # Topologically Sorted Source Nodes: [t0, t1], Original ATen: [aten.le, aten.bitwise_and]
            triton_poi_fused_bitwise_and_le_0_xnumel = s4*s24*s24
            stream0 = get_raw_stream(0)
            triton_poi_fused_bitwise_and_le_0.run(arg4_1, arg2_1, arg3_1, buf0, s24, ps0, triton_poi_fused_bitwise_and_le_0_xnumel, stream=stream0)
            del arg2_1
            del arg3_1
            del arg4_1
        return (buf0, )

runner = Runner(partitions=[])
call = runner.call
recursively_apply_fns = runner.recursively_apply_fns


def get_args():
    from torch._dynamo.testing import rand_strided
    arg0_1 = 4
    arg1_1 = 8192
    arg2_1 = rand_strided((4, 1, 1, 8192), (8192, 8192, 8192, 1), device='cuda:0', dtype=torch.int64)
    arg3_1 = rand_strided((4, 1, 8192, 1), (8192, 8192, 1, 1), device='cuda:0', dtype=torch.int64)
    arg4_1 = rand_strided((), (), device='cuda:0', dtype=torch.bool)
    return [arg0_1, arg1_1, arg2_1, arg3_1, arg4_1]


def benchmark_compiled_module(args, times=10, repeat=10):
    from torch._inductor.utils import print_performance
    fn = lambda: call(list(args))
    return print_performance(fn, times=times, repeat=repeat)


if __name__ == "__main__":
    from torch._inductor.wrapper_benchmark import compiled_module_main
    args = get_args()
    compiled_module_main('None', lambda times, repeat: benchmark_compiled_module(args, times=times, repeat=repeat))
