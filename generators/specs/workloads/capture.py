"""Tracing a model in a regime and recording every ATen call it makes, with no real memory.

The model is built from its configuration under PyTorch's `FakeTensorMode` (random initialisation runs on
fake tensors: a 70B layer's weights cost nothing) and run once, also on fake tensors, under two modes:

- a `TorchDispatchMode` that records each ATen call after autograd (what eager PyTorch launches): the op
  overload, its arguments with every tensor replaced by its metadata (shape, stride, dtype), its outputs,
  the innermost module running it (forward hooks keep a stack of module paths), and which earlier calls
  produced its inputs (so `chains` can group fusible neighbours);
- a `TorchFunctionMode` that records `F.scaled_dot_product_attention` as one call
  (`aten.scaled_dot_product_attention`, its eight arguments in order) and hides the backend it decomposes
  into here, which depends on the device doing the tracing (a CPU flash kernel here, a CUDA one on a GPU).

Transformers treats fake tensors as tracing (`is_tracing`), so its data-dependent checks (packed
sequences, mask shortcuts) take the tracing-safe branch; the masks it then builds are recorded as they are.
Decode is traced as one token after an unrecorded prefill of the KV length fills the cache.

Guarantees: the same architecture, regime and library versions record the same calls in the same order.
Recorded is what transformers' eager code does, which is not always what a serving engine does: its
`DynamicCache` concatenates (copies) the whole KV cache at each decode step where vLLM or SGLang append in
place to a paged cache, so decode records of that copy overstate its share.
Limits: only the forward pass (training regimes run forward in training mode with the loss, no backward);
data-dependent control flow (an eager MoE loop over the experts that were hit) cannot be traced, so MoE
layers run transformers' `grouped_mm` experts implementation, which is also what it uses on GPUs.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch.overrides import TorchFunctionMode
from torch.utils._python_dispatch import TorchDispatchMode

SDPA = "aten.scaled_dot_product_attention"
_SDPA_ARGS = ("query", "key", "value", "attn_mask", "dropout_p", "is_causal", "scale", "enable_gqa")
_SDPA_DEFAULTS = (None, None, None, None, 0.0, False, None, False)
# Calls that only read or build metadata; not recorded at all.
_SKIPPED = frozenset({"prim.device.default", "aten.sym_size.int", "aten.sym_stride.int", "aten.sym_numel.default",
                      "aten.is_same_size.default", "aten._local_scalar_dense.default", "aten.dim.default"})
# Calls that move or copy values element by element, fusible like pointwise ops though not tagged so.
_COPY_LIKE = frozenset({"aten._to_copy.default", "aten.clone.default", "aten.copy_.default", "aten.where.self",
                        "aten.masked_fill.Scalar", "aten.masked_fill.Tensor", "aten.fill_.Scalar",
                        "aten.native_dropout.default", "aten.lift_fresh.default", "aten.cat.default"})
# Reductions torch.compile fuses with their pointwise neighbours, beyond those tagged `reduction`.
_REDUCTION_LIKE = frozenset({"aten._softmax.default", "aten._log_softmax.default", "aten.native_layer_norm.default",
                             "aten.var_mean.correction", "aten.topk.default", "aten.cumsum.default",
                             "aten.native_group_norm.default", "aten._safe_softmax.default"})


def op_kind(func) -> str:
    """view | metadata | factory | pointwise | reduction | matmul | attention | other."""
    name = str(func)
    if name == SDPA:
        return "attention"
    if name in ("aten.mm.default", "aten.addmm.default", "aten.bmm.default", "aten.baddbmm.default",
                "aten._grouped_mm.default", "aten.convolution.default", "aten._scaled_mm.default"):
        return "matmul"
    if getattr(func, "is_view", False) or name in ("aten._unsafe_view.default", "aten.alias.default"):
        return "view"
    tags = getattr(func, "tags", ())
    if name in _REDUCTION_LIKE or torch.Tag.reduction in tags:
        return "reduction"
    if torch.Tag.pointwise in tags or name in _COPY_LIKE:
        return "pointwise"
    return "other"


def tensor_meta(t: torch.Tensor) -> dict:
    return {"shape": [int(d) for d in t.shape], "stride": [int(s) for s in t.stride()],
            "dtype": str(t.dtype).removeprefix("torch.")}


@dataclass
class Event:
    """One recorded call. `args`/`kwargs` hold JSON values with tensors as {"tensor": i}, i indexing
    `inputs`; `producers[i]` is the index of the event that made input i (-1: a parameter or model input)."""

    op: str
    kind: str
    module: str
    args: list
    kwargs: dict
    inputs: list[dict]
    outputs: list[dict]
    producers: list[int] = field(default_factory=list)
    input_ids: list[int] = field(default_factory=list)
    output_ids: list[int] = field(default_factory=list)


class Recorder:
    """Collects `Event`s; used as `with recorder.recording(model): model(...)`."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self._modules: list[str] = [""]
        self._producer: dict[int, int] = {}  # id(tensor) -> event index, while the tensors are alive
        self._alive: list[torch.Tensor] = []  # keeps traced tensors alive so their ids stay unique
        self._suppressed = 0

    @contextlib.contextmanager
    def recording(self, model: torch.nn.Module):
        handles = []
        for name, module in model.named_modules():
            handles.append(module.register_forward_pre_hook(self._enter(name)))
            handles.append(module.register_forward_hook(self._leave))
        try:
            with _FunctionMode(self), _DispatchMode(self):
                yield self
        finally:
            for handle in handles:
                handle.remove()

    def _enter(self, name: str):
        def hook(module, args):
            self._modules.append(name)
        return hook

    def _leave(self, module, args, output):
        if len(self._modules) > 1:
            self._modules.pop()

    def _encode(self, value, tensors: list[torch.Tensor]):
        if isinstance(value, torch.Tensor):
            tensors.append(value)
            return {"tensor": len(tensors) - 1}
        if isinstance(value, (list, tuple)):
            return [self._encode(v, tensors) for v in value]
        if isinstance(value, torch.dtype):
            return {"dtype": str(value).removeprefix("torch.")}
        if isinstance(value, torch.device):
            return {"device": value.type}
        if isinstance(value, (torch.memory_format, torch.layout)):
            return {"enum": str(value)}
        if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
            return {"float": repr(value)}
        if value is None or isinstance(value, (bool, int, float, str)):
            return value
        if isinstance(value, (torch.SymInt, torch.SymFloat, torch.SymBool)):
            return {"symbolic": str(value)}
        return {"unsupported": type(value).__name__}

    def record(self, op: str, kind: str, args, kwargs, outputs) -> None:
        tensors: list[torch.Tensor] = []
        enc_args = self._encode(list(args), tensors)
        enc_kwargs = {k: self._encode(v, tensors) for k, v in (kwargs or {}).items()}
        produced = outputs if isinstance(outputs, (list, tuple)) else [outputs]
        outs = [o for o in produced if isinstance(o, torch.Tensor)]
        event = Event(op=op, kind=kind, module=self._modules[-1], args=enc_args, kwargs=enc_kwargs,
                      inputs=[tensor_meta(t) for t in tensors], outputs=[tensor_meta(t) for t in outs],
                      producers=[self._producer.get(id(t), -1) for t in tensors],
                      input_ids=[id(t) for t in tensors], output_ids=[id(t) for t in outs])
        index = len(self.events)
        self.events.append(event)
        for t in outs:
            self._producer[id(t)] = index
            self._alive.append(t)


class _DispatchMode(TorchDispatchMode):
    def __init__(self, recorder: Recorder) -> None:
        super().__init__()
        self.recorder = recorder

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        name = str(func)
        if not self.recorder._suppressed and name not in _SKIPPED:
            self.recorder.record(name, op_kind(func), args, kwargs, out)
        return out


class _FunctionMode(TorchFunctionMode):
    def __init__(self, recorder: Recorder) -> None:
        super().__init__()
        self.recorder = recorder

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        if func is not F.scaled_dot_product_attention or self.recorder._suppressed:
            return func(*args, **kwargs)
        full = list(args) + [kwargs.get(name, default) for name, default in
                             zip(_SDPA_ARGS[len(args):], _SDPA_DEFAULTS[len(args):])]
        self.recorder._suppressed += 1
        try:
            out = func(*args, **kwargs)
        finally:
            self.recorder._suppressed -= 1
        self.recorder.record(SDPA, "attention", full, {}, out)
        return out


# --- building and running an architecture in a regime ---------------------------------------------------

MODEL_DTYPE = torch.bfloat16  # what the architectures serve and train in


def build_model(arch, config: dict) -> torch.nn.Module:
    """The model of `arch` with `config`, weights left uninitialised; call under a FakeTensorMode."""
    from generators.specs.workloads.recsys import BLOCKS

    if arch.kind == "recsys":
        return BLOCKS[arch.config_class](**config, dtype=MODEL_DTYPE)
    import transformers
    from transformers.initialization import no_init_weights

    hf_config = getattr(transformers, arch.config_class)(**config)
    model_class = getattr(transformers, arch.model_class)
    options = {"attn_implementation": "sdpa", "dtype": MODEL_DTYPE}
    if arch.config_class in ("MixtralConfig", "Qwen3MoeConfig", "DeepseekV3Config"):
        options["experts_implementation"] = "grouped_mm"
    # Weights stay uninitialised: on fake tensors their values do not exist, and some initialisers
    # (truncated normal) read values back.
    with no_init_weights():
        return model_class._from_config(hf_config, **options)


def trace(arch, regime, *, cpu: bool, model: torch.nn.Module | None = None,
          fake_mode=None) -> list[Event]:
    """Every ATen call of one forward of `arch` in `regime`, at real shapes or CPU-scaled (`cpu`)."""
    from torch._subclasses.fake_tensor import FakeTensorMode

    from generators.specs.workloads.architectures import cpu_config, real_config, regime_shape

    config = cpu_config(arch) if cpu else real_config(arch)
    fake_mode = fake_mode or FakeTensorMode()
    batch, seq, kv_len = regime_shape(arch, regime, cpu=cpu)
    recorder = Recorder()
    with fake_mode:
        if model is None:
            model = build_model(arch, config)
        training = regime.name == "train"
        model.train(training)
        with torch.set_grad_enabled(training):
            _run(arch, model, config, regime.name, batch, seq, kv_len, recorder)
    return recorder.events


def _ids(batch: int, length: int) -> torch.Tensor:
    return torch.zeros(batch, length, dtype=torch.long)


def _run(arch, model, config: dict, regime: str, batch: int, seq: int, kv_len: int, recorder: Recorder) -> None:
    train = regime == "train"
    if arch.kind == "recsys":
        from generators.specs.workloads.recsys import recsys_inputs, recsys_loss

        inputs = [t.to(MODEL_DTYPE) if t.is_floating_point() else t for t in recsys_inputs(arch.config_class,
                                                                                           config, batch)]
        with recorder.recording(model):
            out = model(*inputs)
            if train:
                recsys_loss(out)
        return
    if arch.kind == "vision":
        pixels = torch.randn(batch, 3, config["image_size"], config["image_size"], dtype=MODEL_DTYPE)
        extra = {"labels": torch.zeros(batch, dtype=torch.long)} if train else {}
        with recorder.recording(model):
            model(pixel_values=pixels, **extra)
        return
    if arch.kind == "encoder":
        extra = {"labels": _ids(batch, seq)} if train else {}
        with recorder.recording(model):
            model(input_ids=_ids(batch, seq), **extra)
        return
    if arch.kind in ("seq2seq", "speech"):
        if arch.kind == "speech":
            source = {"input_features": torch.randn(batch, config["num_mel_bins"], 2 * config["max_source_positions"],
                                                    dtype=MODEL_DTYPE)}
        else:
            source = {"input_ids": _ids(batch, arch.max_seq or seq)}
        if regime == "decode":
            first = model(**source, decoder_input_ids=_ids(batch, kv_len), use_cache=True)
            with recorder.recording(model):
                model(encoder_outputs=(first.encoder_last_hidden_state,), decoder_input_ids=_ids(batch, 1),
                      past_key_values=first.past_key_values, use_cache=True)
            return
        extra = {"labels": _ids(batch, seq)} if train else {}
        with recorder.recording(model):
            model(**source, decoder_input_ids=_ids(batch, seq), use_cache=False, **extra)
        return
    # causal_lm
    if regime == "decode":
        cache = model(input_ids=_ids(batch, kv_len), use_cache=True, logits_to_keep=1).past_key_values
        with recorder.recording(model):
            model(input_ids=_ids(batch, 1), cache=cache, use_cache=True)
        return
    extra = {"labels": _ids(batch, seq)} if train else {}
    with recorder.recording(model):
        # Prefill computes the next token's logits only (what serving engines do); training all of them.
        model(input_ids=_ids(batch, seq), use_cache=False, **({} if train else {"logits_to_keep": 1}), **extra)
