"""Issue 16's ops: what each reference computes, checked against an independent formula on small draws;
their families and domains; the sampler draws them; FLOP estimates for the compute-bound ones."""

from __future__ import annotations

import collections

import pytest
import torch

from generators.specs import FAMILIES, OPS, SpecSampler, sample_op
from generators.specs.ops import attention, conv, elementwise, indexing, loss, matmul, normalization, reduction
from generators.specs.problem import problem_from_op, render
from kerneldata.core.config import SpecsConfig
from kerneldata.core.domains import parse_domain
from kerneldata.core.spec import estimate_flops

SMALL = SpecsConfig(max_numel=1 << 12, max_bytes=1 << 16)
NEW_FAMILIES = {"llm", "kvcache", "moe", "quant", "recsys"}


def _run(name: str, dims: dict, dtype: str = "float32", seed: int = 0):
    spec = render(problem_from_op(OPS[name], dims, dtype, {}), "test")
    namespace: dict = {}
    exec(spec.source, namespace)
    torch.manual_seed(seed)
    model = namespace["Model"](*namespace["get_init_inputs"]())
    inputs = namespace["get_inputs"]()
    with torch.no_grad():
        return spec, model, inputs, model(*inputs)


def test_new_ops_live_in_new_families_only():
    old = [op for mod in (attention, conv, elementwise, indexing, loss, matmul, normalization, reduction)
           for op in mod.OPS]
    assert not NEW_FAMILIES & {op.family for op in old}  # existing families draw exactly as before
    assert NEW_FAMILIES <= set(FAMILIES)
    assert len([op for op in OPS.values() if op.family in NEW_FAMILIES]) == 24


def test_the_default_sampler_draws_every_new_family():
    families = collections.Counter(s.family for s in SpecSampler(SpecsConfig(), seed=0).sample(300))
    assert all(families[f] > 0 for f in NEW_FAMILIES), families


def test_rotary_embedding_is_a_rotation_of_pairs_half_a_head_apart():
    _, _, (x, cos, sin), out = _run("rotary_embedding", {"batch": 2, "seq": 5, "heads": 3, "half": 4})
    x1, x2 = x[..., :4], x[..., 4:]
    c, s = cos[None, :, None, :], sin[None, :, None, :]
    assert torch.allclose(out, torch.cat([x1 * c - x2 * s, x2 * c + x1 * s], dim=-1), atol=1e-6)


def test_add_rms_norm_returns_the_normalised_sum_and_the_sum():
    _, model, (x, residual), out = _run("add_rms_norm", {"tokens": 3, "hidden": 16})
    h = x + residual
    assert torch.equal(out[1], h)
    expected = h / torch.sqrt((h * h).mean(-1, keepdim=True) + 1e-6) * model.weight
    assert torch.allclose(out[0], expected, atol=1e-5)


@pytest.mark.parametrize("name", ["moe_router_softmax", "moe_router_sigmoid"])
def test_router_keeps_top_k_experts_with_weights_summing_to_one(name):
    _, _, (logits,), out = _run(name, {"tokens": 6, "experts": 8, "topk": 2})
    assert ((out > 0).sum(-1) == 2).all() and torch.allclose(out.sum(-1), torch.ones(6))
    assert torch.equal((out > 0), torch.zeros_like(out, dtype=torch.bool).scatter(1, logits.topk(2).indices, True))


def test_permute_then_combine_gives_back_the_tokens():
    dims = {"tokens": 5, "experts": 4, "topk": 2, "hidden": 8}
    _, _, (x, expert_ids), permuted = _run("moe_permute", dims)
    assert ((expert_ids[:, :1] != expert_ids[:, 1:]).all())  # distinct experts per token
    sorted_ids = expert_ids.flatten()[torch.argsort(expert_ids.flatten(), stable=True)]
    assert (sorted_ids[1:] >= sorted_ids[:-1]).all()
    spec, model, _, _ = _run("moe_combine", dims)
    weights = torch.full((5, 2), 0.5)
    assert torch.allclose(model(permuted, expert_ids, weights), x, atol=1e-6)


def test_grouped_gemm_multiplies_each_row_by_its_experts_weight():
    _, _, (x, w, offsets), out = _run("grouped_gemm", {"tokens": 9, "experts": 3, "hidden": 4, "ffn": 5})
    assert int(offsets[0]) == 0 and int(offsets[-1]) == 9
    for e in range(3):
        for row in range(int(offsets[e]), int(offsets[e + 1])):
            assert torch.allclose(out[row], x[row] @ w[e], atol=1e-5)
    assert estimate_flops("moe", [tuple(x.shape), tuple(w.shape), tuple(offsets.shape)]) == 2 * 9 * 4 * 5


def test_decode_attention_is_gqa_for_one_query():
    dims = {"batch": 2, "kv_heads": 2, "group": 2, "kv_len": 7, "head_dim": 8}
    spec, _, (q, k, v), out = _run("decode_attention", dims)
    for head in range(4):
        kh, vh = k[:, head // 2], v[:, head // 2]
        p = torch.softmax((kh @ q[:, head, :, None]).squeeze(-1) / 8 ** 0.5, dim=-1)
        assert torch.allclose(out[:, head], (p[:, None, :] @ vh).squeeze(1), atol=1e-5)
    assert estimate_flops("kvcache", list(spec.shapes)) == 4 * 2 * 4 * 7 * 8


def test_varlen_attention_treats_each_sequence_on_its_own():
    spec, _, (q, k, v, cu), out = _run("varlen_attention", {"seqs": 3, "tokens": 16, "heads": 2, "head_dim": 4})
    assert parse_domain(spec.input_domains[3])[0].name == "offsets"
    assert int(cu[0]) == 0 and int(cu[-1]) == 16 and (cu[1:] >= cu[:-1]).all()
    start, end = int(cu[0]), int(cu[1])
    if end > start:  # the first sequence alone gives the same rows
        alone = torch.nn.functional.scaled_dot_product_attention(
            *(t[start:end].transpose(0, 1) for t in (q, k, v)), is_causal=True).transpose(0, 1)
        assert torch.allclose(out[start:end], alone, atol=1e-6)


def test_kv_cache_append_writes_distinct_slots_and_keeps_the_rest():
    _, _, (cache, key, slots), out = _run("kv_cache_append", {"tokens": 8, "block_size": 4, "kv_heads": 2,
                                                              "head_dim": 4, "num_blocks": 4})
    assert slots.unique().numel() == 8
    flat_out, flat_cache = out.view(16, 2, 4), cache.view(16, 2, 4)
    assert torch.equal(flat_out[slots], key)
    untouched = torch.ones(16, dtype=torch.bool)
    untouched[slots] = False
    assert torch.equal(flat_out[untouched], flat_cache[untouched])


def test_paged_gather_reads_pages_through_the_block_table():
    _, _, (cache, table), out = _run("paged_kv_gather", {"batch": 2, "blocks_per_seq": 3, "num_blocks": 5,
                                                         "block_size": 2, "kv_heads": 1, "head_dim": 4})
    for b in range(2):
        for j in range(3):
            assert torch.equal(out[b, 2 * j:2 * j + 2], cache[table[b, j]])


@pytest.mark.parametrize("fmt", ["int8", "fp8"])
@pytest.mark.parametrize("granularity", ["row", "block"])
def test_quantise_then_dequantise_is_close(fmt, granularity):
    dims = {"rows": 3, "col_blocks": 2}
    spec, _, (x,), q = _run(f"quantize_{fmt}_{granularity}", dims)
    assert q.dtype == (torch.int8 if fmt == "int8" else torch.uint8)
    groups = x.view(3, -1, 128 if granularity == "block" else 256)
    scale = groups.abs().amax(-1, keepdim=True) / (127.0 if fmt == "int8" else 448.0)
    _, model, _, _ = _run(f"dequantize_{fmt}_{granularity}", dims)
    back = model(q, scale.squeeze(-1) if granularity == "block" else scale.view(3, 1))
    # int8 rounds to within half a step; e4m3 keeps 3 mantissa bits (relative error at most 1/16).
    bound = scale / 2 if fmt == "int8" else groups.abs() / 16 + scale * 2 ** -9
    assert (back.view_as(groups) - groups).abs().le(bound + 1e-6).all()


def test_dequantise_inputs_are_quantised_data():
    spec, _, (q, scale), out = _run("dequantize_fp8_block", {"rows": 2, "col_blocks": 2}, "float16")
    assert spec.input_domains == ("fp8_e4m3_bits", "positive") and q.dtype == torch.uint8
    assert out.dtype == torch.float16 and torch.isfinite(out).all()


def test_jagged_sum_and_embedding_bag_sum_their_segments():
    _, _, (values, offsets), out = _run("jagged_sum", {"segments": 4, "total": 16, "dim": 3})
    for i in range(4):
        assert torch.allclose(out[i], values[int(offsets[i]):int(offsets[i + 1])].sum(0), atol=1e-6)
    _, model, (indices, offsets), out = _run("embedding_bag", {"bags": 3, "num_indices": 10, "num_embeddings": 7,
                                                               "dim": 4})
    assert int(offsets[-1]) == 10
    for i in range(3):
        rows = model.bag.weight[indices[int(offsets[i]):int(offsets[i + 1])]]
        assert torch.allclose(out[i], rows.sum(0), atol=1e-6)


def test_cross_entropy_draws_real_vocabularies_under_gpu_caps_and_small_ones_on_cpu():
    gpu = SpecsConfig(max_numel=16777216, max_bytes=268435456)
    vocabs = {sample_op("cross_entropy_vocab", seed=s, config=gpu).shapes[0][1] for s in range(40)}
    assert vocabs & {128256, 151936, 256000}, vocabs
    cpu = {sample_op("cross_entropy_vocab", seed=s).shapes[0][1] for s in range(20)}
    assert max(cpu) <= 65536
