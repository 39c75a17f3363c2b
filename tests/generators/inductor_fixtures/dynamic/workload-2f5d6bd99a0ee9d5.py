# AOT ID: ['114_inference']
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


# kernel path: /tmp/torchinductor_root/uq/cuqnbmbfip7c6y6axi4tgpakiiojalx47o7zpcvesbofps6aocjc.py
# Topologically Sorted Source Nodes: [t0, t1, t3, t2, t4, t5, t6], Original ATen: [aten.sub, aten.cat, aten.slice, aten.ne, aten.cumsum]
# Source node to ATen node mapping:
#   t0 => sub
#   t1 => cat
#   t2 => slice_1
#   t3 => slice_2
#   t4 => sub_6
#   t5 => ne
#   t6 => cumsum
# Graph fragment:
#   %arg1_1 : Tensor "i64[s4, 1][1, 1]cuda:0" = PlaceHolder[target=arg1_1]
#   %arg3_1 : Tensor "i64[s4, s0][s0, 1]cuda:0" = PlaceHolder[target=arg3_1]
#   %sub : Tensor "i64[s4, 1][1, 1]cuda:0"[num_users=1] = call_function[target=torch.ops.aten.sub.Tensor](args = (%arg1_1, 1), kwargs = {})
#   %cat : Tensor "i64[s4, s0 + 1][s0 + 1, 1]cuda:0"[num_users=2] = call_function[target=torch.ops.aten.cat.default](args = ([%sub, %arg3_1], -1), kwargs = {})
#   %slice_2 : Tensor "i64[s4, 1024][s0 + 1, 1]cuda:0"[num_users=1] = call_function[target=torch.ops.aten.slice.Tensor](args = (%cat, -1, 1, 1025), kwargs = {})
#   %slice_1 : Tensor "i64[s4, 1024][s0 + 1, 1]cuda:0"[num_users=1] = call_function[target=torch.ops.aten.slice.Tensor](args = (%cat, -1, 0, 1024), kwargs = {})
#   %sub_6 : Tensor "i64[s4, 1024][1024, 1]cuda:0"[num_users=1] = call_function[target=torch.ops.aten.sub.Tensor](args = (%slice_2, %slice_1), kwargs = {})
#   %ne : Tensor "b8[s4, 1024][1024, 1]cuda:0"[num_users=1] = call_function[target=torch.ops.aten.ne.Scalar](args = (%sub_6, 1), kwargs = {})
#   %cumsum : Tensor "i64[s4, 1024][1024, 1]cuda:0"[num_users=1] = call_function[target=torch.ops.aten.cumsum.default](args = (%ne, -1), kwargs = {})
#   return %cumsum
triton_spl_fused_cat_cumsum_ne_slice_sub_0 = async_compile.triton('triton_spl_fused_cat_cumsum_ne_slice_sub_0', '''
import triton
import triton.language as tl

from torch._inductor.runtime import triton_helpers, triton_heuristics
from torch._inductor.runtime.triton_helpers import libdevice, math as tl_math
from torch._inductor.runtime.hints import AutotuneHint, ReductionHint, TileHint, DeviceProperties
triton_helpers.set_driver_to_gpu()

@triton.jit
def _triton_helper_fn_add0(arg0_0, arg1_0):
    tmp0 = arg0_0 + arg1_0
    return tmp0

@triton_heuristics.split_scan(
    size_hints={'x': 8, 'r0_': 1024},
    reduction_hint=ReductionHint.OUTER,
    filename=__file__,
    triton_meta={'signature': {'in_ptr0': '*i64', 'in_ptr1': '*i64', 'out_ptr0': '*i64', 'ks0': 'i64', 'ws_ptr': '*u8', 'xnumel': 'i32', 'r0_numel': 'i32', 'R0_BLOCK': 'constexpr'}, 'device': DeviceProperties(type='cuda', index=0, multi_processor_count=132, cc=90, major=9, regs_per_multiprocessor=65536, max_threads_per_multi_processor=2048, max_threads_per_block=1024, warp_size=32), 'constants': {}, 'native_matmul': False, 'enable_fp_fusion': True, 'launch_pdl': False, 'disable_ftz': False, 'configs': [{(0,): [['tt.divisibility', 16]], (1,): [['tt.divisibility', 16]], (2,): [['tt.divisibility', 16]], (4,): [['tt.divisibility', 16]], (6,): [['tt.divisibility', 16]]}]},
    inductor_meta={'grid_type': 'SplitScanGrid', 'autotune_hints': set(), 'kernel_name': 'triton_spl_fused_cat_cumsum_ne_slice_sub_0', 'mutated_arg_names': ['ws_ptr'], 'optimize_mem': True, 'no_x_dim': True, 'atomic_add_found': False, 'num_load': 4, 'num_store': 1, 'num_reduction': 0, 'backend_hash': '91D1D1166449D9E2EB66EB9770C9E2C3B0FEB787341F27FEB4D3F0338DA50336', 'assert_indirect_indexing': True, 'autotune_local_cache': True, 'autotune_pointwise': True, 'autotune_remote_cache': None, 'force_disable_caches': False, 'dynamic_scale_rblock': True, 'max_autotune': False, 'max_autotune_pointwise': False, 'min_split_scan_rblock': 256, 'spill_threshold': 16, 'store_cubin': False, 'deterministic': False, 'force_filter_reduction_configs': False, 'mix_order_reduction_allow_multi_stages': False, 'are_deterministic_algorithms_enabled': False, 'tiling_scores': {'x': 64, 'r0_': 262144}}
)
@triton.jit
def triton_spl_fused_cat_cumsum_ne_slice_sub_0(in_ptr0, in_ptr1, out_ptr0, ks0, ws_ptr, xnumel, r0_numel, R0_BLOCK : tl.constexpr):
    XBLOCK: tl.constexpr = 1
    r0_numel = 1024
    rnumel = r0_numel
    RBLOCK: tl.constexpr = R0_BLOCK
    xoffset = (tl.program_id(1) + tl.program_id(2) * tl.num_programs(1)) * XBLOCK
    xindex = tl.full([1], xoffset, tl.int32)
    xmask = xindex < xnumel
    r0_offset = tl.program_id(0) * R0_BLOCK
    r0_index = r0_offset + tl.arange(0, R0_BLOCK)[:]
    r0_mask = r0_index < r0_numel
    roffset = r0_offset
    rindex = r0_index
    r0_1 = r0_index
    x0 = xindex
    tmp30 = tl.num_programs(0)
    tmp31 = ws_ptr.to(tl.pointer_type(tl.uint64)) + xoffset * 3 * tmp30
    tmp0 = 1 + r0_1
    tmp1 = tl.full([1], 0, tl.int64)
    tmp2 = tmp0 >= tmp1
    tmp3 = tl.full([1], 1, tl.int64)
    tmp4 = tmp0 < tmp3
    tmp5 = tl.load(in_ptr0 + (tl.broadcast_to(x0, [R0_BLOCK])), r0_mask & tmp4 & xmask, eviction_policy='evict_last', other=0.0)
    tmp6 = tl.full([1], 1, tl.int64)
    tmp7 = tmp5 - tmp6
    tmp8 = tl.full(tmp7.shape, 0.0, tmp7.dtype)
    tmp9 = tl.where(tmp4, tmp7, tmp8)
    tmp10 = tmp0 >= tmp3
    tmp11 = 1 + ks0
    tmp12 = tmp0 < tmp11
    tmp13 = tl.load(in_ptr1 + (ks0*x0 + (r0_1)), r0_mask & tmp10 & xmask, eviction_policy='evict_last', other=0.0)
    tmp14 = tl.where(tmp4, tmp9, tmp13)
    tmp15 = r0_1
    tmp16 = tmp15 >= tmp1
    tmp17 = tmp15 < tmp3
    tmp18 = tl.load(in_ptr0 + (tl.broadcast_to(x0, [R0_BLOCK])), r0_mask & tmp17 & xmask, eviction_policy='evict_last', other=0.0)
    tmp19 = tl.full([1], 1, tl.int64)
    tmp20 = tmp18 - tmp19
    tmp21 = tl.full(tmp20.shape, 0.0, tmp20.dtype)
    tmp22 = tl.where(tmp17, tmp20, tmp21)
    tmp23 = tmp15 >= tmp3
    tmp24 = tmp15 < tmp11
    tmp25 = tl.load(in_ptr1 + (ks0*x0 + ((-1) + r0_1)), r0_mask & tmp23 & xmask, eviction_policy='evict_last', other=0.0)
    tmp26 = tl.where(tmp17, tmp22, tmp25)
    tmp27 = tmp14 - tmp26
    tmp28 = tmp27 != tmp3
    tmp29 = tmp28.to(tl.int64)
    tmp32 = tmp29.to(tl.int64)
    tmp33 = tl.broadcast_to(tmp32, [R0_BLOCK])
    tmp34 = tl.reduce(tmp33, 0, _triton_helper_fn_add0)
    tmp35 = triton_helpers.exclusive_scan_decoupled_lookback_64(
        tmp31,
        tmp34,
        tl.program_id(0),
        _triton_helper_fn_add0,
    )
    tmp36 = tl.associative_scan(tmp33, 0, _triton_helper_fn_add0)
    tmp37 = _triton_helper_fn_add0(tmp35, tmp36)
    tmp38 = tl.where(roffset == 0, tmp36, tmp37)
    tl.store(out_ptr0 + (r0_1 + 1024*x0), tmp38, r0_mask & xmask)
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
        arg0_1, arg1_1, arg2_1, arg3_1 = args
        args.clear()
        s4 = arg0_1
        s0 = arg2_1
        assert_size_stride(arg1_1, (s4, 1), (1, 1))
        assert_size_stride(arg3_1, (s4, s0), (s0, 1))
        with torch.cuda._DeviceGuard(0):
            torch.cuda.set_device(0)
            buf0 = empty_strided_cuda((s4, 1024), (1024, 1), torch.int64)
            # Topologically Sorted Source Nodes: [t0, t1, t3, t2, t4, t5, t6], Original ATen: [aten.sub, aten.cat, aten.slice, aten.ne, aten.cumsum]
            workspace_0 = empty_strided_cuda((96*s4, ), (1, ), torch.uint8)
            workspace_0.zero_()
            stream0 = get_raw_stream(0)
            triton_spl_fused_cat_cumsum_ne_slice_sub_0.run(arg1_1, arg3_1, buf0, s0, workspace_0, s4, 1024, stream=stream0)
            del workspace_0
            del arg1_1
            del arg3_1
        return (buf0, )

runner = Runner(partitions=[])
call = runner.call
recursively_apply_fns = runner.recursively_apply_fns


def get_args():
    from torch._dynamo.testing import rand_strided
    arg0_1 = 8
    arg1_1 = rand_strided((8, 1), (1, 1), device='cuda:0', dtype=torch.int64)
    arg2_1 = 1024
    arg3_1 = rand_strided((8, 1024), (1024, 1), device='cuda:0', dtype=torch.int64)
    return [arg0_1, arg1_1, arg2_1, arg3_1]


def benchmark_compiled_module(args, times=10, repeat=10):
    from torch._inductor.utils import print_performance
    fn = lambda: call(list(args))
    return print_performance(fn, times=times, repeat=repeat)


if __name__ == "__main__":
    from torch._inductor.wrapper_benchmark import compiled_module_main
    args = get_args()
    compiled_module_main('None', lambda times, repeat: benchmark_compiled_module(args, times=times, repeat=repeat))
