# AOT ID: ['143_inference']
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


# kernel path: /tmp/torchinductor_root/gd/cgdrbshelhzo3n7fdg65jh6ejmlj3s6zpecu3jwzgkugdmrve7c7.py
# Topologically Sorted Source Nodes: [t0, t1, t2, t3, t4], Original ATen: [aten.clone, aten._unsafe_view, aten._to_copy, aten.bitwise_not, aten.masked_fill]
# Source node to ATen node mapping:
#   t0 => clone
#   t1 => view
#   t2 => convert_element_type
#   t3 => bitwise_not
#   t4 => full_default, where
# Graph fragment:
#   %arg2_1 : Tensor "f32[64, s40, s58][s40, 1, 0]cuda:0" = PlaceHolder[target=arg2_1]
#   %arg3_1 : Tensor "f32[64, s40*s58][s40*s58, 1]cuda:0" = PlaceHolder[target=arg3_1]
#   %clone : Tensor "f32[64, s40, s58][s40*s58, s58, 1]cuda:0"[num_users=1] = call_function[target=torch.ops.aten.clone.default](args = (%arg2_1,), kwargs = {memory_format: torch.contiguous_format})
#   %view : Tensor "f32[64, s40*s58][s40*s58, 1]cuda:0"[num_users=1] = call_function[target=torch.ops.aten.reshape.default](args = (%clone, [64, 256]), kwargs = {})
#   %convert_element_type : Tensor "b8[64, s40*s58][s40*s58, 1]cuda:0"[num_users=1] = call_function[target=torch.ops.prims.convert_element_type.default](args = (%view, torch.bool), kwargs = {})
#   %bitwise_not : Tensor "b8[64, s40*s58][s40*s58, 1]cuda:0"[num_users=1] = call_function[target=torch.ops.aten.bitwise_not.default](args = (%convert_element_type,), kwargs = {})
#   %full_default : Tensor "f32[][]cuda:0"[num_users=1] = call_function[target=torch.ops.aten.full.default](args = ([], -inf), kwargs = {dtype: torch.float32, layout: torch.strided, device: cuda:0, pin_memory: False})
#   %where : Tensor "f32[64, s40*s58][s40*s58, 1]cuda:0"[num_users=1] = call_function[target=torch.ops.aten.where.self](args = (%bitwise_not, %full_default, %arg3_1), kwargs = {})
#   return %where
triton_poi_fused__to_copy__unsafe_view_bitwise_not_clone_masked_fill_0 = async_compile.triton('triton_poi_fused__to_copy__unsafe_view_bitwise_not_clone_masked_fill_0', '''
import triton
import triton.language as tl

from torch._inductor.runtime import triton_helpers, triton_heuristics
from torch._inductor.runtime.triton_helpers import libdevice, math as tl_math
from torch._inductor.runtime.hints import AutotuneHint, ReductionHint, TileHint, DeviceProperties
triton_helpers.set_driver_to_gpu()

@triton_heuristics.pointwise(
    size_hints={'x': 16384}, 
    filename=__file__,
    triton_meta={'signature': {'in_ptr0': '*fp32', 'in_ptr1': '*fp32', 'out_ptr0': '*fp32', 'ks0': 'i64', 'ks1': 'i64', 'xnumel': 'i32', 'XBLOCK': 'constexpr'}, 'device': DeviceProperties(type='cuda', index=0, multi_processor_count=132, cc=90, major=9, regs_per_multiprocessor=65536, max_threads_per_multi_processor=2048, max_threads_per_block=1024, warp_size=32), 'constants': {}, 'native_matmul': False, 'enable_fp_fusion': True, 'launch_pdl': False, 'disable_ftz': False, 'configs': [{(0,): [['tt.divisibility', 16]], (1,): [['tt.divisibility', 16]], (2,): [['tt.divisibility', 16]], (5,): [['tt.divisibility', 16]]}]},
    inductor_meta={'grid_type': 'Grid1D', 'autotune_hints': set(), 'kernel_name': 'triton_poi_fused__to_copy__unsafe_view_bitwise_not_clone_masked_fill_0', 'mutated_arg_names': [], 'optimize_mem': True, 'no_x_dim': False, 'atomic_add_found': False, 'num_load': 2, 'num_store': 1, 'num_reduction': 0, 'backend_hash': '91D1D1166449D9E2EB66EB9770C9E2C3B0FEB787341F27FEB4D3F0338DA50336', 'assert_indirect_indexing': True, 'autotune_local_cache': True, 'autotune_pointwise': True, 'autotune_remote_cache': None, 'force_disable_caches': False, 'dynamic_scale_rblock': True, 'max_autotune': False, 'max_autotune_pointwise': False, 'min_split_scan_rblock': 256, 'spill_threshold': 16, 'store_cubin': False, 'deterministic': False, 'force_filter_reduction_configs': False, 'mix_order_reduction_allow_multi_stages': False, 'are_deterministic_algorithms_enabled': False, 'tiling_scores': {'x': 262144}},
    min_elem_per_thread=0
)
@triton.jit
def triton_poi_fused__to_copy__unsafe_view_bitwise_not_clone_masked_fill_0(in_ptr0, in_ptr1, out_ptr0, ks0, ks1, xnumel, XBLOCK : tl.constexpr):
    xnumel = 16384
    xoffset = tl.program_id(0) * XBLOCK
    xindex = xoffset + tl.arange(0, XBLOCK)[:]
    xmask = tl.full([XBLOCK], True, tl.int1)[:]
    x0 = (xindex % 256)
    x1 = xindex // 256
    x2 = xindex
    tmp0 = tl.load(in_ptr0 + (ks0*x1 + (((x0 // ks1) % ks0))), None, eviction_policy='evict_last')
    tmp3 = tl.load(in_ptr1 + (x0 + ks0*ks1*x1), None)
    tmp1 = (tmp0 != 0)
    tmp2 = tmp1 == 0
    tmp4 = tl.full([1], float("-inf"), tl.float32)
    tmp5 = tl.where(tmp2, tmp4, tmp3)
    tl.store(out_ptr0 + (x2), tmp5, None)
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
        s40 = arg0_1
        s58 = arg1_1
        assert_size_stride(arg2_1, (64, s40, s58), (s40, 1, 0))
        assert_size_stride(arg3_1, (64, s40*s58), (s40*s58, 1))
        with torch.cuda._DeviceGuard(0):
            torch.cuda.set_device(0)
            buf0 = empty_strided_cuda((64, 256), (256, 1), torch.float32)
            # Topologically Sorted Source Nodes: [t0, t1, t2, t3, t4], Original ATen: [aten.clone, aten._unsafe_view, aten._to_copy, aten.bitwise_not, aten.masked_fill]
            stream0 = get_raw_stream(0)
            triton_poi_fused__to_copy__unsafe_view_bitwise_not_clone_masked_fill_0.run(arg2_1, arg3_1, buf0, s40, s58, 16384, stream=stream0)
            del arg2_1
            del arg3_1
            # Topologically Sorted Source Nodes: [t0, t1, t2, t3, t4, topk_default], Original ATen: [aten.clone, aten._unsafe_view, aten._to_copy, aten.bitwise_not, aten.masked_fill, aten.topk]
            buf1 = torch.ops.aten.topk.default(buf0, 8, -1, True, False)
            del buf0
            buf2 = buf1[0]
            assert_size_stride(buf2, (64, 8), (8, 1), 'torch.ops.aten.topk.default')
            assert_alignment(buf2, 16, 'torch.ops.aten.topk.default')
            buf3 = buf1[1]
            assert_size_stride(buf3, (64, 8), (8, 1), 'torch.ops.aten.topk.default')
            assert_alignment(buf3, 16, 'torch.ops.aten.topk.default')
            del buf1
        return (buf2, buf3, )

runner = Runner(partitions=[])
call = runner.call
recursively_apply_fns = runner.recursively_apply_fns


def get_args():
    from torch._dynamo.testing import rand_strided
    arg0_1 = 8
    arg1_1 = 32
    arg2_1 = rand_strided((64, 8, 32), (8, 1, 0), device='cuda:0', dtype=torch.float32)
    arg3_1 = rand_strided((64, 256), (256, 1), device='cuda:0', dtype=torch.float32)
    return [arg0_1, arg1_1, arg2_1, arg3_1]


def benchmark_compiled_module(args, times=10, repeat=10):
    from torch._inductor.utils import print_performance
    fn = lambda: call(list(args))
    return print_performance(fn, times=times, repeat=repeat)


if __name__ == "__main__":
    from torch._inductor.wrapper_benchmark import compiled_module_main
    args = get_args()
    compiled_module_main('None', lambda times, repeat: benchmark_compiled_module(args, times=times, repeat=repeat))
