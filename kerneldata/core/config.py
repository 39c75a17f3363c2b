"""The one typed config tree, loaded from `configs/*.yaml`, overridable with `key.sub=value`.

Errors are raised at load time, on the driver, as `ConfigError` with one line that names the key, the
value and what is allowed; unknown keys are errors, never skipped. The resolved tree is saved beside the
output it produced (`run_config.yaml`), so a run directory says how to make it again.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator


class ConfigError(ValueError):
    """A config that cannot be used; the message is one line meant for the user."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RunConfig(_Section):
    name: str = Field("run", pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    # Where the run directory goes: a local path or a filesystem URI (s3://, gs://, file://, ...: whatever
    # fsspec or pyarrow opens, see shards.location); `--out` on the command line wins. None means
    # shards/runs/<name>.
    out: str | None = None
    seed: int = 0


class WorkloadsConfig(_Section):
    """`specs.workloads`: specs drawn from workloads captured from real architectures
    (generators.specs.workloads), used when `specs.source` is `workloads`."""

    # A file written by `kerneldata workloads capture`; None: capture `models` in `regimes` now.
    file: str | None = None
    # Architecture names (generators.specs.workloads.ARCHITECTURES); None means all of them.
    models: list[str] | None = None
    regimes: list[Literal["prefill", "decode", "train"]] | None = None
    # real: the recorded shapes in bfloat16 (GPU configs); cpu: the CPU-scaled model's calls in cpu_dtype.
    scale: Literal["real", "cpu"] = "cpu"
    cpu_dtype: Literal["float32", "float16"] = "float32"
    records: Literal["ops", "chains", "both"] = "both"
    device: str = "H200"  # the roofline the time shares (and so the sampling weights) are estimated on
    # Names are checked against the architecture list when the sampler is made (on the driver, before Ray
    # starts): kerneldata.core cannot import the list from generators.


class SpecsConfig(_Section):
    num_specs: int = Field(12, ge=1)
    # Names from generators.specs.FAMILIES (plus "external" when `external` is set); None means all of them.
    families: list[str] | None = None
    # Relative weight of each family when drawing one; a family not named here weighs 1, 0 leaves it out.
    family_weights: dict[str, float] = Field(default_factory=dict)
    # Only these ops (names from generators.specs.OPS); None means every op of the chosen families.
    ops: list[str] | None = None
    dtypes: list[Literal["float32", "float16", "bfloat16"]] = Field(
        default_factory=lambda: ["float32", "float16"], min_length=1)
    # Upper bound on elements per tensor (input, output or parameter), so CPU-interpreter runs stay small.
    max_numel: int = Field(1 << 16, ge=64)
    # Memory cap per spec: bytes of all inputs, the output and the parameters together.
    max_bytes: int = Field(1 << 21, ge=256)
    # Probability that a dim is drawn from the edge sizes (1, primes, just past a power of two) instead of
    # its realistic pool; and that an input which may be a non-contiguous view is handed over transposed.
    edge_rate: float = Field(0.15, ge=0, le=1)
    noncontiguous_rate: float = Field(0.1, ge=0, le=1)
    # Longest fused chain: stages after the producer (matmul, conv...), before an optional reduction.
    max_chain_ops: int = Field(4, ge=1, le=8)
    # More problem sources: directories of KernelBench-format .py files, or "hf:ORG/NAME" Hub datasets.
    external: list[str] = Field(default_factory=list)
    # Run each spec's reference on CPU before the teacher sees it and replace degenerate ones (constant,
    # near-zero, input-independent, non-finite or non-deterministic output). A real-scale captured workload
    # is checked at its CPU-scaled twin; a spec too big to run on the CPU is kept unchecked and listed
    # (log, manifest's unchecked_specs, generate --dry-run).
    check_references: bool = True
    # Where specs come from: the op/shape sampler, or workloads captured from real architectures.
    source: Literal["sampler", "workloads"] = "sampler"
    workloads: WorkloadsConfig = Field(default_factory=WorkloadsConfig)
    # Issue 16, sizing. scale: "pools" draws each dim from its op's pools (sizes from 1 to real); "real" from
    # the sizes real models run (generators.specs.shapes.REAL_POOLS: hidden 2048-8192, sequences 512-8192,
    # vocabularies 32k-152k...); "cpu" from those same sizes scaled down by generators.specs.shapes' stated rule,
    # for the Triton interpreter. min_eager_us / min_headroom: a spec whose estimated eager time on
    # device_profile (generators.specs.headroom) is shorter, or whose bound on the speedup over eager is
    # lower, is drawn again (0: no floor). Both sources honour them: with `source: workloads` a captured
    # record below a floor is not drawn (the next one by time share is), and a draw that runs out says how
    # many records fell below.
    scale: Literal["pools", "real", "cpu"] = "pools"
    min_eager_us: float = Field(0.0, ge=0)
    min_headroom: float = Field(0.0, ge=0)
    device_profile: str = "H200"
    # Issue 16, several shapes per spec: workloads each spec carries beyond the one its teacher is shown (the
    # same op at other batch, token, row or width sizes; for `source: workloads`, the same module in another
    # regime, decode beside prefill), which the verifier checks too, so a kernel fixed to the shown shapes is
    # rejected (`shape_specialised`). 0: one workload per spec. External problems always have one.
    extra_workloads: int = Field(1, ge=0, le=4)

    @field_validator("device_profile")
    @classmethod
    def _known_profile(cls, name: str) -> str:
        from kerneldata.core.profiles import get_profile

        return get_profile(name).name  # raises naming the known profiles

    @field_validator("family_weights")
    @classmethod
    def _weights_not_negative(cls, weights: dict[str, float]) -> dict[str, float]:
        negative = [name for name, weight in weights.items() if weight < 0]
        if negative:
            raise ValueError(f"weight of family {negative[0]!r} must be at least 0")
        return weights


class SamplingConfig(_Section):
    """Sampling settings a model-backed teacher sends with each conversation."""

    temperature: float = Field(0.7, ge=0, le=2)
    top_p: float = Field(0.95, gt=0, le=1)
    # Upper bound on the answer's tokens (reasoning included); an answer cut off here is recorded as truncated.
    max_tokens: int = Field(8192, ge=1)
    # The sampling seed; None: the run's seed (run.seed). Hosted endpoints treat a seed as best effort.
    seed: int | None = None


class OpenAITeacherConfig(SamplingConfig):
    """`teacher.openai`: any OpenAI-compatible chat-completions endpoint (vllm serve, SGLang, hosted models)."""

    base_url: str = Field("http://localhost:8000/v1", pattern=r"^https?://")
    model: str | None = None  # the name the endpoint serves the model under; required when kind is openai
    # The NAME of the environment variable that holds the API key (the key itself never goes in a config);
    # None: the endpoint needs no key (a local vllm serve), a placeholder is sent.
    api_key_env: str | None = "OPENAI_API_KEY"
    max_concurrency: int = Field(16, ge=1)  # requests in flight at once, per teacher replica
    timeout_s: float = Field(600.0, gt=0)  # per request attempt
    # Failed attempts retried on 429, 5xx, timeouts and connection errors, after base, 2 x base, 4 x base...
    # seconds (jittered: half to all of it; at most the cap) or the server's Retry-After (also at most the cap).
    # The defaults wait 2.5 to 5 minutes in all before giving a request up: an endpoint down for minutes
    # (a restarting server) costs no row.
    max_retries: int = Field(10, ge=0)
    backoff_base_s: float = Field(1.0, ge=0)
    backoff_cap_s: float = Field(60.0, ge=0)
    # true: one request per spec asks for samples_per_spec choices through `n` (topped up if the server
    # returns fewer); false: one request per sample, for servers that do not support n.
    use_n: bool = True
    # Sent as is in each request's JSON body: server-specific options (vLLM's top_k, min_p,
    # chat_template_kwargs such as {"enable_thinking": false}, a hosted model's reasoning_effort).
    extra_body: dict[str, Any] = Field(default_factory=dict)
    # Before the run starts, ask the endpoint for its models (with the retries above) and stop with one line
    # when it cannot answer (issue 18); false: the first batch is the first request.
    check_endpoint: bool = True

    @field_validator("api_key_env")
    @classmethod
    def _names_a_variable(cls, name: str | None) -> str | None:
        if name is not None and not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            raise ValueError("must be the name of an environment variable (letters, digits and _), not a key")
        return name


class VLLMTeacherConfig(SamplingConfig):
    """`teacher.vllm`: an in-process vLLM engine (`vllm.LLM`) on the GPUs Ray gives the teacher actor."""

    model: str | None = None  # a Hub id or a local path; required when kind is vllm
    tensor_parallel_size: int = Field(1, ge=1)  # also the GPUs the teacher actor asks Ray for
    max_model_len: int | None = Field(None, ge=1)  # None: the model's own context length
    gpu_memory_utilization: float = Field(0.9, gt=0, le=1)
    dtype: Literal["auto", "float16", "bfloat16", "float32"] = "auto"
    trust_remote_code: bool = False
    # Passed through: to vllm.SamplingParams (top_k, min_p, repetition_penalty...), to LLM.chat's chat
    # template ({"enable_thinking": true}), and to vllm.LLM (enforce_eager, distributed_executor_backend...).
    sampling_kwargs: dict[str, Any] = Field(default_factory=dict)
    chat_template_kwargs: dict[str, Any] = Field(default_factory=dict)
    engine_kwargs: dict[str, Any] = Field(default_factory=dict)


class PromptConfig(_Section):
    """What goes into a teacher's prompt beyond the spec (generators.prompts.prompt_for)."""

    # A template under generators/prompt_templates (kernel-v1, kernel-v2, kernel-v3).
    version: str = Field("kernel-v3", pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    # A hardware profile (kerneldata.core.profiles: H100, H200, MI300X, MI325X, MI355X) the prompt describes;
    # None leaves the hardware out.
    hardware: str | None = None
    # Documentation index to retrieve from: a directory written by `kerneldata docs index`, "default" for
    # the packaged one, or None for no retrieval.
    docs_index: str | None = None
    docs_k: int = Field(4, ge=0, le=32)  # retrieved chunks per prompt
    few_shot: int = Field(1, ge=0, le=3)  # example kernels per prompt

    @field_validator("hardware")
    @classmethod
    def _known_profile(cls, name: str | None) -> str | None:
        if name is not None:
            from kerneldata.core.profiles import get_profile

            get_profile(name)  # raises ValueError listing the known profiles
        return name


# The placeholder in `teacher.cache` that the pipeline fills in with the run directory.
RUN_DIR_PLACEHOLDER = "{run_dir}"
# Teacher kinds (generators.teachers.TEACHERS has a class for each).
TEACHER_KINDS = ("builtin", "openai", "vllm", "inductor")
# The share of a GPU the teacher actor asks Ray for when its only GPU work is the inductor teacher's compiling
# and autotuning: small, so that on one GPU the verifier gets the rest (1 - share) beside it.
INDUCTOR_GPU_SHARE = 0.25


class TeacherConfig(_Section):
    # builtin: parametric Triton templates, no model; openai: an OpenAI-compatible endpoint (`teacher.openai`);
    # vllm: an in-process vLLM engine (`teacher.vllm`); inductor: what torch.compile generates (GPU only).
    # A list of kinds ([builtin, inductor]) gives every spec the rows of each, in list order.
    kind: str | list[str] = "builtin"
    samples_per_spec: int = Field(4, ge=1)
    openai: OpenAITeacherConfig = Field(default_factory=OpenAITeacherConfig)
    vllm: VLLMTeacherConfig = Field(default_factory=VLLMTeacherConfig)
    # Directory of the local answer cache of a model teacher (openai, vllm; generators.teachers.cache): a
    # resumed or repeated run asks the model nothing it answered before. `{run_dir}` is the run directory (for
    # a run directory that is not on a local disk, a local directory standing for it: see pipeline); a path
    # shared by several runs lets them reuse each other's answers; None turns the cache off. Local disk only.
    cache: str | None = RUN_DIR_PLACEHOLDER + "/cache/teacher"
    # A call to the teacher's Ray worker that fails (the worker died, raised, or ran past call_timeout_s) is
    # retried on a fresh worker, max_attempts calls in all; then its specs get rows without code
    # (teacher_meta.error "teacher_lost", recorded as teacher_error) and the run goes on.
    max_attempts: int = Field(3, ge=1)
    call_timeout_s: float | None = Field(None, gt=0)  # None: no limit (an endpoint has its own timeouts)

    @field_validator("kind")
    @classmethod
    def _known_kinds(cls, kind: str | list[str]) -> str | list[str]:
        kinds = [kind] if isinstance(kind, str) else kind
        if not kinds:
            raise ValueError(f"must name a teacher kind or a list of them; known kinds: {', '.join(TEACHER_KINDS)}")
        unknown = [k for k in kinds if k not in TEACHER_KINDS]
        if unknown:
            raise ValueError(f"unknown teacher kind {unknown[0]!r}; known kinds: {', '.join(TEACHER_KINDS)}")
        repeated = [k for k in kinds if kinds.count(k) > 1]
        if repeated:
            raise ValueError(f"teacher kind {repeated[0]!r} is listed twice")
        return kind

    @model_validator(mode="after")
    def _model_named(self) -> TeacherConfig:
        for kind in self.kinds():
            if kind in ("openai", "vllm") and not getattr(self, kind).model:
                raise ValueError(f"kind {kind!r} needs teacher.{kind}.model, the model to ask (not set)")
        return self

    @field_validator("cache")
    @classmethod
    def _only_run_dir_placeholder(cls, cache: str | None) -> str | None:
        if cache is not None and ("{" in cache.replace(RUN_DIR_PLACEHOLDER, "") or
                                  "}" in cache.replace(RUN_DIR_PLACEHOLDER, "")):
            raise ValueError(f"the only placeholder allowed is {RUN_DIR_PLACEHOLDER}")
        if cache is not None and not cache.strip():
            raise ValueError("must be a directory, or null to turn the cache off")
        return cache

    def cache_dir(self) -> Path | None:
        """The cache directory, or None when the cache is off or its path still names `{run_dir}` (a teacher
        built outside a run: the pipeline fills the run directory in with `for_run`)."""
        if self.cache is None or RUN_DIR_PLACEHOLDER in self.cache:
            return None
        return Path(self.cache).expanduser()

    def for_run(self, local_run_dir: str | Path) -> TeacherConfig:
        """This config with `{run_dir}` in `cache` replaced by the run's local directory (the run directory
        itself on a local disk; the pipeline's local stand-in for a run directory elsewhere, such as s3://),
        as an absolute path."""
        if self.cache is None:
            return self
        local = str(Path(local_run_dir).expanduser().resolve())
        return self.model_copy(update={"cache": self.cache.replace(RUN_DIR_PLACEHOLDER, local)})

    def kinds(self) -> tuple[str, ...]:
        """The teacher kinds, in order: `kind` itself when it is one name."""
        return (self.kind,) if isinstance(self.kind, str) else tuple(self.kind)

    def num_gpus(self) -> float:
        """GPUs one teacher replica needs (Ray's `num_gpus` for the teacher actor, which holds every listed
        teacher): the vLLM engine's tensor-parallel size (an inductor teacher beside it compiles on the
        engine's first GPU); else INDUCTOR_GPU_SHARE of a GPU for the inductor teacher, shared with the
        verifier; else none."""
        kinds = self.kinds()
        if "vllm" in kinds:
            return self.vllm.tensor_parallel_size
        return INDUCTOR_GPU_SHARE if "inductor" in kinds else 0

    def rows_per_spec(self) -> int:
        """First-answer rows per spec: `samples_per_spec` for each sampling teacher, one for the inductor
        teacher (a deterministic compiler answers once)."""
        return sum(1 if kind == "inductor" else self.samples_per_spec for kind in self.kinds())
    prompt: PromptConfig = Field(default_factory=PromptConfig)


class VerifyConfig(_Section):
    # auto: a GPU when torch sees one, else the CPU through the Triton interpreter.
    device: Literal["auto", "cpu", "cuda"] = "auto"
    timeout_s: float = Field(120.0, gt=0)
    num_seeds: int = Field(3, ge=1)
    # Verifier actors; None means one per GPU, or one per CPU Ray gives the run. On GPUs at most one per GPU.
    workers: int | None = Field(None, ge=1)
    # GPU only: candidates one GPU's actor judges at once, each in its own sandboxed worker process; they
    # compile and check on CPU cores while one at a time is timed on the GPU (verify-batch's
    # --workers-per-device). On the CPU interpreter each actor judges one candidate at a time.
    workers_per_gpu: int = Field(4, ge=1)
    # GPU only: accepted kernels must be at least this much faster than PyTorch eager; faster than
    # max_plausible_speedup is quarantined (rejected with reason implausible_speedup) for a human to look at.
    min_speedup: float = Field(1.0, ge=0)
    max_plausible_speedup: float = Field(100.0, gt=1)
    # GPU only: also time torch.compile of the reference (cached per spec and hardware).
    compile_baseline: bool = True
    # GPU only: most timed calls per function (the candidate and each baseline), within a fixed time budget.
    timed_calls: int = Field(100, ge=10)
    # GPU only: placements of the inputs in device memory the timed calls are spread over (a kernel's speed
    # moves with where its inputs land; the timing is the mean of the placements' medians).
    timing_placements: int = Field(4, ge=1, le=16)
    # Candidates one sandboxed worker process verifies before a fresh one replaces it (1: a fresh process per
    # candidate). A worker is always replaced after a fault or a candidate that changed its process.
    candidates_per_worker: int = Field(32, ge=1)
    # A verifier Ray worker that dies, raises or hangs (no answer within call_timeout_s; None: four times
    # timeout_s plus two minutes for starting its sandbox) is replaced and the candidate tried again,
    # max_attempts times in all; then the candidate is recorded as unverified with reason verifier_fault.
    max_attempts: int = Field(3, ge=1)
    call_timeout_s: float | None = Field(None, gt=0)
    # Issue 15 section 3: refuse to verify where a sandbox layer (bubblewrap's namespaces, the process
    # limit, the audit hook) is missing, instead of running candidates less confined. None: true on GPU
    # runs, false on the CPU interpreter (quickstart, CI machines without bubblewrap).
    require_isolation: bool | None = None

    def call_timeout(self) -> float:
        """Seconds a verifier worker may take over one candidate before it counts as hung: longer than the
        candidate's own bound, which the sandbox enforces (under the interpreter timeout_s of the candidate's
        CPU time, within three times that in wall time: filters.verifier.deadline.WALL_FACTOR), plus starting
        a sandbox worker."""
        return self.call_timeout_s if self.call_timeout_s is not None else 4 * self.timeout_s + 120.0


class DedupConfig(_Section):
    """Exact duplicates on normalised code (kerneldata.core.normalize) and near-duplicates by MinHash LSH."""

    enabled: bool = True
    # Which kernels are compared: op (default): those for the same problem up to its shapes (family, ops and
    # dtype), so a kernel repeated for another shape is a copy but a relu and a tanh kernel from one template
    # are not; spec: the same spec only; global: every kernel of the run.
    scope: Literal["op", "spec", "global"] = "op"
    shingle_tokens: int = Field(5, ge=1)  # tokens per shingle
    num_perm: int = Field(256, ge=16, le=1024)
    threshold: float = Field(0.8, gt=0, le=1)  # estimated Jaccard similarity at or above which rows are near-duplicates
    seed: int = 1
    # Processes for normalising and hashing; None: one per CPU this process may use.
    workers: int | None = Field(None, ge=1)


class DecontaminationConfig(_Section):
    """Benchmarks the data must not overlap: local directories or files, or Hub dataset ids."""

    benchmarks: list[str] = Field(default_factory=list)
    spec_level: bool = True  # same op signature and input shapes as a benchmark problem
    ngram_tokens: int = Field(13, ge=1)
    # Share of the smaller side's distinctive n-grams found in one benchmark item that makes a match.
    ngram_threshold: float = Field(0.5, gt=0, le=1)
    # An n-gram in at least this share of a benchmark's items (and in 2 or more) is boilerplate, not evidence.
    boilerplate_df: float = Field(0.1, gt=0, le=1)
    workers: int | None = Field(None, ge=1)
    # Issue 16: a spec asking the same task as a benchmark problem at other sizes (same op set and input
    # ranks; a fused chain by its op sequence). mark: name the item in the task_match column and keep the
    # rows in the training splits; remove: also mark them contaminated (reason task_match), so the writer
    # leaves them out of sft, rl and preference; off: no task-level check.
    task_level: Literal["off", "mark", "remove"] = "mark"


class ShardsConfig(_Section):
    # Parquet files of about this many bytes each (zstd-compressed, checked after every row group).
    target_shard_bytes: int = Field(256 << 20, ge=1 << 10)
    # Optional cap on rows per file as well; None: only the size counts.
    rows_per_shard: int | None = Field(None, ge=1)
    # Issue 18: shares of the specs whose sft, rl and preference rows go to a `test` and a `validation`
    # split instead of `train` (by spec id, never one spec in two splits: shards.holdout); 0: train only.
    test_fraction: float = Field(0.0, ge=0, lt=1)
    validation_fraction: float = Field(0.0, ge=0, lt=1)

    @model_validator(mode="after")
    def _something_left_to_train_on(self) -> ShardsConfig:
        if self.test_fraction + self.validation_fraction >= 1:
            raise ValueError(f"shards.test_fraction ({self.test_fraction}) and shards.validation_fraction "
                             f"({self.validation_fraction}) leave nothing for train: their sum must be below 1")
        return self


class RayConfig(_Section):
    # None: join the cluster in RAY_ADDRESS when set, else start a local Ray instance.
    address: str | None = None
    # CPUs for a local instance; None lets Ray count them.
    num_cpus: int | None = Field(None, ge=1)


class RefineConfig(_Section):
    """The multi-turn refinement loop (generators.refine): after the teacher's first answers, up to
    `max_turns` rounds in which the best candidates so far get the verifier's feedback and the teacher
    answers it. 0 turns: one answer per sample, no feedback."""

    max_turns: int = Field(0, ge=0)
    # Candidates of a spec kept as parents each round: accepted ones by speedup, then rejected ones by how far
    # they got through the verifier.
    keep_k: int = Field(4, ge=1)
    children_per_parent: int = Field(1, ge=1)
    # A spec stops once an accepted kernel is this much faster than PyTorch eager (where speed is measured).
    target_speedup: float = Field(1.5, gt=0)
    # Where speed is not measured (the CPU interpreter), a spec stops at its first accepted kernel.
    stop_on_accept: bool = True
    # Cap on all candidates of one spec, first answers included; None: only max_turns bounds them.
    max_candidates_per_spec: int | None = Field(None, ge=1)
    # Specs refined together: one teacher call per round covers all of them (an endpoint teacher sends the
    # requests concurrently). With max_turns 0 too: the specs of one teacher call.
    specs_per_batch: int = Field(16, ge=1)
    # Spec batches in flight at once (backpressure: the driver holds only these batches' rows); None: two per
    # verifier worker, so the workers stay busy while a batch waits for its teacher.
    batches_in_flight: int | None = Field(None, ge=1)


class Config(_Section):
    run: RunConfig = Field(default_factory=RunConfig)
    specs: SpecsConfig = Field(default_factory=SpecsConfig)
    teacher: TeacherConfig = Field(default_factory=TeacherConfig)
    refine: RefineConfig = Field(default_factory=RefineConfig)
    verify: VerifyConfig = Field(default_factory=VerifyConfig)
    dedup: DedupConfig = Field(default_factory=DedupConfig)
    decontamination: DecontaminationConfig = Field(default_factory=DecontaminationConfig)
    shards: ShardsConfig = Field(default_factory=ShardsConfig)
    ray: RayConfig = Field(default_factory=RayConfig)

    def out_dir(self) -> str:
        """The run directory: a local path or a URI, as written (a URI is not a `Path`)."""
        return self.run.out if self.run.out else f"shards/runs/{self.run.name}"

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.model_dump(mode="json"), sort_keys=False)


def load_config(path: str | Path | None, overrides: list[str] = ()) -> Config:
    """Load a YAML config (or the defaults when `path` is None) and apply `key.sub=value` overrides."""
    if path is None:
        return config_from_yaml("", "defaults", overrides)
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"config file not found: {path}")
    return config_from_yaml(path.read_text(), str(path), overrides)


def config_from_yaml(text: str, source: str, overrides: list[str] = ()) -> Config:
    """A config from YAML text (`source` names where it came from in errors), with overrides applied."""
    try:
        loaded = yaml.safe_load(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise ConfigError(f"{source}: not valid YAML{where}") from None
    if loaded is not None and not isinstance(loaded, dict):
        raise ConfigError(f"{source}: the top level must be a mapping of sections, got {type(loaded).__name__}")
    data: dict[str, Any] = loaded or {}
    for override in overrides:
        _apply_override(data, override)
    try:
        return Config.model_validate(data)
    except ValidationError as err:
        raise ConfigError(f"{_blamed(err, overrides) or source}: {_describe(err)}") from None


def _blamed(err: ValidationError, overrides: list[str]) -> str | None:
    """The command-line override that set the key the first error is about (the last one, as it wins), or
    None when the key came from the file (issue 18: an override's typo was blamed on the config file)."""
    loc = [str(part) for part in err.errors()[0]["loc"]]
    for override in reversed(overrides):
        name = override.partition("=")[0]
        key = name.split(".")
        if key[:len(loc)] == loc or loc[:len(key)] == key:
            # The value may be a key pasted where its variable's name belongs: never echoed for such keys.
            shown = f"{name}=<not shown>" if _SECRET_KEY.search(key[-1]) else override
            return f"command-line override {shown!r}"
    return None


def _apply_override(data: dict, override: str) -> None:
    key, sep, raw = override.partition("=")
    if not sep or not key or any(not part for part in key.split(".")):
        raise ConfigError(f"override {override!r} is not of the form key.sub=value")
    try:
        value = yaml.safe_load(raw) if raw else ""
    except yaml.YAMLError:
        value = raw
    node = data
    parts = key.split(".")
    for depth, part in enumerate(parts[:-1]):
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            raise ConfigError(f"override {override!r}: {'.'.join(parts[:depth + 1])} is a value, not a section")
        node = child
    node[parts[-1]] = value


# Keys whose (wrong) values are never echoed in an error message.
_SECRET_KEY = re.compile(r"api_key|token|secret|passw", re.IGNORECASE)


def _describe(err: ValidationError) -> str:
    """One line for the first problem pydantic found, naming the key and what is allowed."""
    first = err.errors()[0]
    loc = [str(part) for part in first["loc"]]
    key = ".".join(loc) or "(top level)"
    if first["type"] == "extra_forbidden":
        allowed = ", ".join(_allowed_keys(loc[:-1]))
        parent = ".".join(loc[:-1])
        where = f" under {parent!r}" if parent else ""
        return f"unknown key {key!r}; allowed keys{where}: {allowed}"
    if first["type"] == "value_error" and isinstance(first.get("input"), dict):
        # a check across a section's keys (a model validator): its message says it all
        return f"{key}: {first['ctx']['error']}"
    value = first.get("input")
    shown = repr(value) if not isinstance(value, dict) else "a mapping"
    if _SECRET_KEY.search(loc[-1] if loc else ""):
        shown = "a value not shown: it may be a secret"  # a key pasted where its variable's name belongs
    return f"{key}: {first['msg'].lower()} (got {shown})"


def _allowed_keys(loc: list[str]) -> list[str]:
    model: type[BaseModel] = Config
    for part in loc:
        annotation = model.model_fields[part].annotation
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            return []
        model = annotation
    return list(model.model_fields)
