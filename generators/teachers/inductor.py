"""The `inductor` teacher: the Triton code `torch.compile` (TorchInductor) generates for a spec, as a
standalone `ModelNew` candidate (the recipe behind KernelBook). GPU only, but making it touches no device
(the driver makes one to check the config, and may have no GPU): `check_device()`, which the teacher's
worker calls and every batch calls first, is a one-line ConfigError where torch sees no CUDA or ROCm device.

For each spec row it execs the reference (`Model`, `get_inputs`, `get_init_inputs`), builds the model and
its inputs on the GPU under a fixed seed, compiles it with `torch.compile` through a backend
(`GraphInputs`) that records where each input of the compiled graph comes from (a forward argument, a
tensor of the model, or a size) and hands the graph to Inductor, runs it once inside
`torch._inductor.utils.run_and_get_code`, reads the launch settings Inductor's autotuner chose from the
compiled module's kernels (`chosen_launches`), and converts the output code (`teachers.inductor_convert`).

Shapes: it compiles with `dynamic=True` first, so the candidate reads its sizes from its inputs and serves
the spec's other workloads, which the verifier checks (`shape_specialised` otherwise); every dimension gets
its own size symbol, a 1 included where this torch allows (`compile_spec`). What dynamo still makes a
constant (a size a view or a reshape fixes) the candidate asserts, so another size there is rejected, not
computed wrongly. Where the dynamic compile fails or its code does not convert, it compiles static (the
shown shapes) and emits that candidate for the verifier to judge; `teacher_meta.shapes` says
which (`dynamic` or `static`) and, for a static one, `dynamic_declined` why the dynamic one was not used
(and `dynamic_compile_error`, the error, where the dynamic compile failed).

Rows: one per spec, whatever `samples_per_spec` says (a compiler asked twice answers the same). Its `prompt`
is the spec prompt a model teacher would have been asked (the `teacher.prompt` section's, through
`Prompter`; `prompt_version` its version), so an SFT row pairs the question with an answer to it and a
refinement by another teacher continues a well-formed conversation; `teacher_model`
(`torch-inductor-<torch version>`) says a compiler, not a model, answered. `teacher_meta` holds the torch and
Triton versions, the kernels and each one's launch settings (`launch_source`: `autotuner`, or `size_hints`
where the autotuner's choice could not be read), and `extern_calls`: the vendor-library calls Inductor made
instead of Triton kernels (`mm`, `convolution`, `aten._scaled_dot_product_flash_attention`...), which stay in
the candidate for the verifier to judge. A spec Inductor fails to compile, or whose output the conversion
declines, dynamic and static alike, gets one row without code, the static attempt's reason in
`teacher_meta.declined` (the verifier records it as `no_code`) and, for a compile failure, the error in
`teacher_meta.compile_error`.

Determinism: the code is what this torch generates for the spec; the launch settings are the autotuner's,
which benchmarks on the GPU and may choose differently from run to run where two configs time alike (the
chosen ones are recorded, and the candidate id follows the code). In `configs/gpu.yaml` the teacher shares
its GPU with the verifier (`TeacherConfig.num_gpus()`), so autotuning can make a speedup timed at the same
moment noisier. What this does not do: compile in a sandbox (the reference runs in this process, as it does
in the verifier's parent), time out a compile (a static fallback compiles twice), or refine (it cannot
answer feedback).
"""

from __future__ import annotations

import socket
import time
import types
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from generators.extract import extract_code
from generators.prompts import Prompter
from generators.teachers.base import Teacher, candidate_row
from generators.teachers.inductor_convert import Conversion, LaunchConfig, Unconvertible, convert
from kerneldata.core.config import ConfigError, TeacherConfig

TEACHER = "inductor"
NO_GPU = "the inductor teacher needs a CUDA or ROCm GPU: "


class InductorTeacher(Teacher):
    name = TEACHER
    rows_per_spec = 1  # a deterministic compiler answers once

    def __init__(self, config: TeacherConfig, seed: int) -> None:
        import torch

        self.config = config
        self.seed = seed
        self.prompter = Prompter(config.prompt)  # a wrong template or docs index fails here, on the driver
        self.torch_version = torch.__version__
        self.model = f"torch-inductor-{torch.__version__}"

    def check_device(self) -> None:
        import torch

        if not torch.cuda.is_available():
            raise ConfigError(NO_GPU + f"torch {torch.__version__} on host {socket.gethostname()} sees none "
                              f"(torch.cuda.is_available() is False)")

    def generate_batch(self, spec_rows: Sequence[dict]) -> list[dict]:
        # Without a GPU every compile would fail and each spec be declined as if Inductor could not compile it.
        self.check_device()
        return [self._generate_one(spec_row) for spec_row in spec_rows]

    def _generate_one(self, spec_row: dict) -> dict:
        import triton

        prompt = self.prompter(spec_row)
        base = {"compiler": "torch.compile (inductor)", "torch": self.torch_version, "triton": triton.__version__}
        # Dynamic first: its code reads every size from the inputs, so it serves the spec's other workloads
        # (the verifier checks them; static code asserts the shown sizes and is rejected `shape_specialised`
        # there). Static where the dynamic compile fails or its code does not convert: still a candidate,
        # right on the shown workload, for the verifier to judge.
        dynamic = self._attempt(spec_row, dynamic=True)
        if dynamic.conversion is not None:
            return self._candidate(spec_row, prompt, dynamic, {**base, "shapes": "dynamic"})
        static = self._attempt(spec_row, dynamic=False)
        fallback = {**base, "dynamic_declined": dynamic.declined}
        if "compile_error" in dynamic.meta:
            fallback["dynamic_compile_error"] = dynamic.meta["compile_error"]
        if static.conversion is not None:
            return self._candidate(spec_row, prompt, static, {**fallback, "shapes": "static"})
        return self._declined(spec_row, prompt, static.declined, {**fallback, **static.meta})

    def _attempt(self, spec_row: dict, *, dynamic: bool) -> _Attempt:
        """One compile (dynamic or static) and its conversion."""
        import triton

        started = time.monotonic()
        try:
            compiled = compile_spec(spec_row["reference_code"], seed=self.seed, dynamic=dynamic)
        except Exception as err:  # noqa: BLE001 - a spec Inductor cannot compile is a declined row, not a crash
            error = f"{type(err).__name__}: {err}".splitlines()[0][:500]
            return _Attempt(declined="torch.compile failed on the reference", meta={"compile_error": error})
        meta = {"compile_s": round(time.monotonic() - started, 3)}
        if len(compiled.codes) != 1:
            return _Attempt(declined=f"torch.compile split the reference into {len(compiled.codes)} graphs "
                                     f"(graph breaks); one graph is converted", meta=meta)
        shapes = "the sizes it reads from its inputs" if dynamic else "the shapes it was shown"
        origin = (f"Generated by torch.compile (TorchInductor, torch {self.torch_version}, triton "
                  f"{triton.__version__}) for {shapes}, and launched with the settings its autotuner chose.")
        try:
            conversion = convert(compiled.codes[0], spec_row["reference_code"], compiled.sources[0],
                                 launch_configs=compiled.launches, origin=origin)
        except Unconvertible as err:
            return _Attempt(declined=f"the generated code cannot be converted: {err}", meta=meta)
        return _Attempt(conversion=conversion, meta=meta)

    def _candidate(self, spec_row: dict, prompt: list[dict], attempt: _Attempt, meta: dict) -> dict:
        conversion = attempt.conversion
        source = {name: ("autotuner" if how == "given" else how) for name, how in conversion.launch_source.items()}
        meta = {**meta, **attempt.meta, "kernels": list(conversion.kernels),
                "extern_calls": list(conversion.extern_calls), "launch": conversion.launch, "launch_source": source}
        completion = _completion(conversion.code, conversion.extern_calls)
        code, outcome = extract_code(completion)
        assert outcome == "ok" and code == conversion.code, "the completion must extract to the candidate"
        return candidate_row(spec_row, teacher=TEACHER, model=self.model, prompt_version=self.prompter.version,
                             prompt=prompt, completion=completion, code=code, extracted=True, seed=self.seed,
                             sample_index=0, meta=meta)

    def _declined(self, spec_row: dict, prompt: list[dict], reason: str, meta: dict) -> dict:
        completion = f"torch.compile gave no candidate for this problem: {reason}.\n"
        assert extract_code(completion)[0] is None, "a declining answer must hold no code"
        return candidate_row(spec_row, teacher=TEACHER, model=self.model, prompt_version=self.prompter.version,
                             prompt=prompt, completion=completion, code=None, extracted=True, seed=self.seed,
                             sample_index=0, meta={**meta, "declined": reason})


def _completion(code: str, extern_calls: Sequence[str]) -> str:
    prose = ("These are the Triton kernels torch.compile (TorchInductor) generates for the problem, launched "
             "from a ModelNew with the block sizes its autotuner chose.")
    if extern_calls:
        prose += (f" Part of the work stays in vendor-library calls Inductor makes instead of Triton kernels: "
                  f"{', '.join(extern_calls)}.")
    return f"{prose}\n\n```python\n{code}```\n"


@dataclass(frozen=True)
class _Attempt:
    """One compile and conversion of a spec: the conversion, or why there is none (`declined`); `meta`: what
    the row records of it (compile seconds, a compile error)."""

    conversion: Conversion | None = None
    declined: str = ""
    meta: dict = field(default_factory=dict)


@dataclass(frozen=True)
class CompiledSpec:
    """What compiling one reference gives: per compiled graph its output code and where its inputs come
    from, and the launch settings of the kernels (by name)."""

    codes: list[str]
    sources: list[list[str]]
    launches: dict[str, LaunchConfig]


def compile_spec(reference_code: str, *, seed: int = 0, device: str = "cuda", dynamic: bool | None = None) -> CompiledSpec:
    """Compile a KernelBench reference with torch.compile (Inductor) on `device`, run it once, and return
    its output code, graph input sources and the autotuner's launch settings. `dynamic`: torch.compile's
    (True: sizes as symbols, so the code serves other shapes; False: the shown shapes; None: its default,
    static at first). A dynamic compile gives every dimension its own symbol (no duck shaping): two sizes
    equal in the shown inputs (a square 4096 x 4096) need not be equal in another workload; and a size of 1
    is a symbol too where this torch has `backed_size_oblivious` (2.11 has), so code compiled for a decode
    shape (64, 1, 1024) can serve a prefill (4, 512, 1024). Seen on an H100 with torch 2.11 for an add +
    RMSNorm at (64, 1, 1024): `(s77, s27, s15)` with it, `(s77, 1, s15)` without; not yet measured over a
    whole capture (a 1 that broadcasts is where dynamo may still fix it, or fail: then the static fallback)."""
    import torch
    import torch.fx.experimental._config as fx_config
    from torch._inductor import config as inductor_config
    from torch._inductor.codecache import PyCodeCache
    from torch._inductor.compile_fx import compile_fx
    from torch._inductor.utils import run_and_get_code

    module = types.ModuleType("reference")
    exec(compile(reference_code, "<reference>", "exec"), module.__dict__)  # our spec, as the verifier runs it
    torch.manual_seed(seed)
    # Built and drawn on the device itself: a real-scale draw on the host takes seconds per spec (the
    # verifier's draws of a 235 MB add took 51 s on an H100's host), and Inductor needs only their shapes.
    with torch.device(device):
        model = module.Model(*module.get_init_inputs()).to(device).eval()
        inputs = [x.to(device) if isinstance(x, torch.Tensor) else x for x in module.get_inputs()]
    recorder = GraphInputs(model, inputs, compile_fx)
    modules = getattr(PyCodeCache, "modules", [])  # the loaded output modules (torch >= 2.6); else no launches
    loaded = len(modules)
    # No FX graph cache: a cache hit would skip the code generation run_and_get_code captures.
    shapes = {"use_duck_shape": not dynamic}
    if dynamic and hasattr(fx_config, "backed_size_oblivious"):
        shapes["backed_size_oblivious"] = True
    with torch.no_grad(), inductor_config.patch(fx_graph_cache=False), fx_config.patch(**shapes):
        _, codes = run_and_get_code(torch.compile(model, backend=recorder, dynamic=dynamic), *inputs)
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    launches = {}
    for compiled in modules[loaded:]:
        launches.update(chosen_launches(compiled))
    return CompiledSpec(codes=list(codes), sources=recorder.graphs, launches=launches)


class GraphInputs:
    """A torch.compile backend that records, per compiled graph, where each of its inputs comes from
    (`input:<i>`, `param:<path>`, `buffer:<path>`, `attr:<path>`, `size` for a size a dynamic graph takes, or
    `unknown:<shape>`), then hands the graph to `inner` (Inductor's `compile_fx`, or anything taking
    `(graph_module, example_inputs)`). The tensors are matched by identity: the example inputs dynamo passes a
    backend are the real tensors. Which dimension of which input a size is, it does not record: the
    conversion reads that from the layout checks of the output code (`inductor_convert._Forward._size_bindings`)."""

    def __init__(self, model, inputs: Sequence, inner: Callable) -> None:
        import torch

        self.inner = inner
        self.graphs: list[list[str]] = []
        self.names: dict[int, str] = {}
        for index, value in enumerate(inputs):
            if isinstance(value, torch.Tensor):
                self.names.setdefault(id(value), f"input:{index}")
        for name, param in model.named_parameters():
            self.names.setdefault(id(param), f"param:{name}")
        for name, buffer in model.named_buffers():
            self.names.setdefault(id(buffer), f"buffer:{name}")
        for path, submodule in model.named_modules():
            for attr, value in vars(submodule).items():
                if isinstance(value, torch.Tensor) and not attr.startswith("_"):
                    self.names.setdefault(id(value), f"attr:{path + '.' if path else ''}{attr}")

    def __call__(self, graph_module, example_inputs):
        import torch

        self.graphs.append([self.names.get(id(x), "size" if isinstance(x, (int, torch.SymInt)) else
                                           f"unknown:{tuple(getattr(x, 'shape', ()))}") for x in example_inputs])
        return self.inner(graph_module, example_inputs)


def chosen_launches(module) -> dict[str, LaunchConfig]:
    """The launch settings of each Triton kernel of a loaded Inductor module: its autotuner's one launcher
    after the first run (or its only config). Kernels whose choice cannot be read are left out."""
    launches = {}
    for name, kernel in vars(module).items():
        if not name.startswith("triton_"):
            continue
        launchers = getattr(kernel, "launchers", None) or []
        configs = getattr(kernel, "configs", None) or []
        config = launchers[0].config if len(launchers) == 1 and hasattr(launchers[0], "config") else \
            configs[0] if len(configs) == 1 else None
        if config is None:
            continue
        launches[name] = LaunchConfig(kwargs={k: v for k, v in config.kwargs.items() if isinstance(v, int)},
                                      num_warps=int(config.num_warps), num_stages=int(config.num_stages))
    return launches
