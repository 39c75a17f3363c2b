# AOT ID: ['32_inference']
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


# kernel path: /tmp/torchinductor_root/2i/c2is2lhf33lin3r42fn4epruho4gb7c3chbhu373b3wrguus2pwm.py
# Topologically Sorted Source Nodes: [t0, t1, t2, t3], Original ATen: [aten.neg, aten.cat, aten.mul, aten.add]
# Source node to ATen node mapping:
#   t0 => neg
#   t1 => cat
#   t2 => mul_8
#   t3 => add_15
# Graph fragment:
#   %arg7_1 : Tensor "bf16[s4, s40, s58, 2*s24][2*s24*s40*s58, 2*s24, 2*s24*s40, 1]cuda:0" = PlaceHolder[target=arg7_1]
#   %arg4_1 : Tensor "bf16[s4, s40, s58, s24][2*s24*s40*s58, 2*s24, 2*s24*s40, 1]cuda:0" = PlaceHolder[target=arg4_1]
#   %arg5_1 : Tensor "bf16[s4, s40, s58, s24][2*s24*s40*s58, 2*s24, 2*s24*s40, 1]cuda:0" = PlaceHolder[target=arg5_1]
#   %arg6_1 : Tensor "bf16[1, 1, s58, 2*s24][2*s24*s58, 2*s24*s58, 2*s24, 1]cuda:0" = PlaceHolder[target=arg6_1]
#   %neg : Tensor "bf16[s4, s40, s58, s24][s24*s40*s58, s24, s24*s40, 1]cuda:0"[num_users=1] = call_function[target=torch.ops.aten.neg.default](args = (%arg4_1,), kwargs = {})
#   %cat : Tensor "bf16[s4, s40, s58, 2*s24][2*s24*s40*s58, 2*s24*s58, 2*s24, 1]cuda:0"[num_users=1] = call_function[target=torch.ops.aten.cat.default](args = ([%neg, %arg5_1], -1), kwargs = {})
#   %mul_8 : Tensor "bf16[s4, s40, s58, 2*s24][2*s24*s40*s58, 2*s24*s58, 2*s24, 1]cuda:0"[num_users=1] = call_function[target=torch.ops.aten.mul.Tensor](args = (%cat, %arg6_1), kwargs = {})
#   %add_15 : Tensor "bf16[s4, s40, s58, 2*s24][2*s24*s40*s58, 2*s24, 2*s24*s40, 1]cuda:0"[num_users=1] = call_function[target=torch.ops.aten.add.Tensor](args = (%arg7_1, %mul_8), kwargs = {})
#   return %add_15
triton_poi_fused_add_cat_mul_neg_0 = async_compile.triton('triton_poi_fused_add_cat_mul_neg_0', '''
import triton
import triton.language as tl

from torch._inductor.runtime import triton_helpers, triton_heuristics
from torch._inductor.runtime.triton_helpers import libdevice, math as tl_math
from torch._inductor.runtime.hints import AutotuneHint, ReductionHint, TileHint, DeviceProperties
triton_helpers.set_driver_to_gpu()

@triton_heuristics.pointwise(
    size_hints={'x': 134217728}, 
    filename=__file__,
    triton_meta={'signature': {'in_ptr0': '*bf16', 'in_ptr1': '*bf16', 'in_ptr2': '*bf16', 'in_ptr3': '*bf16', 'out_ptr0': '*bf16', 'ks0': 'i64', 'ks1': 'i64', 'ks2': 'i64', 'ks3': 'i64', 'xnumel': 'i32', 'XBLOCK': 'constexpr'}, 'device': DeviceProperties(type='cuda', index=0, multi_processor_count=132, cc=90, major=9, regs_per_multiprocessor=65536, max_threads_per_multi_processor=2048, max_threads_per_block=1024, warp_size=32), 'constants': {}, 'native_matmul': False, 'enable_fp_fusion': True, 'launch_pdl': False, 'disable_ftz': False, 'configs': [{(0,): [['tt.divisibility', 16]], (1,): [['tt.divisibility', 16]], (2,): [['tt.divisibility', 16]], (3,): [['tt.divisibility', 16]], (4,): [['tt.divisibility', 16]]}]},
    inductor_meta={'grid_type': 'Grid1D', 'autotune_hints': set(), 'kernel_name': 'triton_poi_fused_add_cat_mul_neg_0', 'mutated_arg_names': [], 'optimize_mem': True, 'no_x_dim': False, 'atomic_add_found': False, 'num_load': 4, 'num_store': 1, 'num_reduction': 0, 'backend_hash': '91D1D1166449D9E2EB66EB9770C9E2C3B0FEB787341F27FEB4D3F0338DA50336', 'assert_indirect_indexing': True, 'autotune_local_cache': True, 'autotune_pointwise': True, 'autotune_remote_cache': None, 'force_disable_caches': False, 'dynamic_scale_rblock': True, 'max_autotune': False, 'max_autotune_pointwise': False, 'min_split_scan_rblock': 256, 'spill_threshold': 16, 'store_cubin': False, 'deterministic': False, 'force_filter_reduction_configs': False, 'mix_order_reduction_allow_multi_stages': False, 'are_deterministic_algorithms_enabled': False, 'tiling_scores': {'x': 807403520}},
    min_elem_per_thread=0
)
@triton.jit
def triton_poi_fused_add_cat_mul_neg_0(in_ptr0, in_ptr1, in_ptr2, in_ptr3, out_ptr0, ks0, ks1, ks2, ks3, xnumel, XBLOCK : tl.constexpr):
    xoffset = tl.program_id(0) * XBLOCK
    xindex = xoffset + tl.arange(0, XBLOCK)[:]
    xmask = xindex < xnumel
    x4 = xindex
    x0 = (xindex % ks0)
    x5 = xindex // ks0
    x2 = ((xindex // ks2) % ks3)
    tmp0 = tl.load(in_ptr0 + (x4), xmask, eviction_policy='evict_last').to(tl.float32)
    tmp15 = tl.load(in_ptr3 + (x0 + 2*ks1*x2), xmask, eviction_policy='evict_last').to(tl.float32)
    tmp1 = x0
    tmp2 = tl.full([1], 0, tl.int64)
    tmp3 = tmp1 >= tmp2
    tmp4 = ks1
    tmp5 = tmp1 < tmp4
    tmp6 = tl.load(in_ptr1 + (2*ks1*x5 + (x0)), tmp5 & xmask, eviction_policy='evict_last', other=0.0).to(tl.float32)
    tmp7 = -tmp6
    tmp8 = tl.full(tmp7.shape, 0.0, tmp7.dtype)
    tmp9 = tl.where(tmp5, tmp7, tmp8)
    tmp10 = tmp1 >= tmp4
    tmp11 = ks0
    tmp12 = tmp1 < tmp11
    tmp13 = tl.load(in_ptr2 + (2*ks1*x5 + (x0 + ((-1)*ks1))), tmp10 & xmask, eviction_policy='evict_last', other=0.0).to(tl.float32)
    tmp14 = tl.where(tmp5, tmp9, tmp13)
    tmp16 = tmp14 * tmp15
    tmp17 = tmp0 + tmp16
    tl.store(out_ptr0 + (x4), tmp17, xmask)
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
        arg0_1, arg1_1, arg2_1, arg3_1, arg4_1, arg5_1, arg6_1, arg7_1 = args
        args.clear()
        s4 = arg0_1
        s40 = arg1_1
        s58 = arg2_1
        s24 = arg3_1
        assert_size_stride(arg4_1, (s4, s40, s58, s24), (2*s24*s40*s58, 2*s24, 2*s24*s40, 1))
        assert_size_stride(arg5_1, (s4, s40, s58, s24), (2*s24*s40*s58, 2*s24, 2*s24*s40, 1))
        assert_size_stride(arg6_1, (1, 1, s58, 2*s24), (2*s24*s58, 2*s24*s58, 2*s24, 1))
        assert_size_stride(arg7_1, (s4, s40, s58, 2*s24), (2*s24*s40*s58, 2*s24, 2*s24*s40, 1))
        with torch.cuda._DeviceGuard(0):
            torch.cuda.set_device(0)
            ps0 = 2*s24
            ps1 = 2*s24*s40
            buf0 = empty_strided_cuda((s4, s40, s58, 2*s24), (2*s24*s40*s58, 2*s24, 2*s24*s40, 1), torch.bfloat16)
            # Topologically Sorted Source Nodes: [t0, t1, t2, t3], Original ATen: [aten.neg, aten.cat, aten.mul, aten.add]
            triton_poi_fused_add_cat_mul_neg_0_xnumel = 2*s24*s4*s40*s58
            stream0 = get_raw_stream(0)
            triton_poi_fused_add_cat_mul_neg_0.run(arg7_1, arg4_1, arg5_1, arg6_1, buf0, ps0, s24, ps1, s58, triton_poi_fused_add_cat_mul_neg_0_xnumel, stream=stream0)
            del arg4_1
            del arg5_1
            del arg6_1
            del arg7_1
        return (buf0, )

runner = Runner(partitions=[])
call = runner.call
recursively_apply_fns = runner.recursively_apply_fns


def get_args():
    from torch._dynamo.testing import rand_strided
    arg0_1 = 8
    arg1_1 = 16
    arg2_1 = 4096
    arg3_1 = 128
    arg4_1 = rand_strided((8, 16, 4096, 128), (16777216, 256, 4096, 1), device='cuda:0', dtype=torch.bfloat16)
    arg5_1 = rand_strided((8, 16, 4096, 128), (16777216, 256, 4096, 1), device='cuda:0', dtype=torch.bfloat16)
    arg6_1 = rand_strided((1, 1, 4096, 256), (1048576, 1048576, 256, 1), device='cuda:0', dtype=torch.bfloat16)
    arg7_1 = rand_strided((8, 16, 4096, 256), (16777216, 256, 4096, 1), device='cuda:0', dtype=torch.bfloat16)
    return [arg0_1, arg1_1, arg2_1, arg3_1, arg4_1, arg5_1, arg6_1, arg7_1]


def benchmark_compiled_module(args, times=10, repeat=10):
    from torch._inductor.utils import print_performance
    fn = lambda: call(list(args))
    return print_performance(fn, times=times, repeat=repeat)


if __name__ == "__main__":
    from torch._inductor.wrapper_benchmark import compiled_module_main
    args = get_args()
    compiled_module_main('None', lambda times, repeat: benchmark_compiled_module(args, times=times, repeat=repeat))
