"""What one verification may do: `VerifyOptions` (device, seeds, limits, speed rules, isolation, the key
of its random draws). Built from a `verify` config section by `filters.verifier.judge.options_from_config`,
the one way the pipeline, the CLI, `verify-batch` and the RL reward make them."""

from __future__ import annotations

from dataclasses import dataclass



@dataclass(frozen=True, kw_only=True)
class VerifyOptions:
    device: str  # "cpu" or "cuda", already resolved
    timeout_s: float = 120.0
    num_seeds: int = 3
    # Address-space cap for the child on CPU (CUDA maps far more virtual memory than it uses, so no cap there).
    memory_limit_bytes: int | None = 8 << 30
    output_limit_bytes: int = 16 << 20
    # GPU timing: baselines to measure, the budget per timed function, and the speed rules.
    baselines: tuple[str, ...] = ("eager", "compile")
    timing_budget_ms: float = 60.0  # for the candidate and its baselines together, interleaved
    max_timed_calls: int = 100  # per timed function (KernelBench times 100); fewer when the budget runs out
    # Placements of the inputs in device memory the budget and calls are shared among: a kernel streaming
    # several tensors runs up to 23% faster or slower with where they land (filters.verifier.timing).
    timing_placements: int = 4
    min_speedup: float = 1.0
    max_plausible_speedup: float = 100.0
    # Device work still running after a timed call returned may exceed its events (beyond the calibrated
    # harness) by this much before it counts as hidden work: absolute ms plus a fraction of the kernel. A
    # backstop only: kernels launched off the caller's stream are counted where they are launched
    # (sandbox_child `_OFF_STREAM_LAUNCHES`). Measured on an H100 with four verifiers sharing it (2026-12-07):
    # honest launch-bound kernels read 0.03 to 0.35 ms here (other processes' time slices), so 0.02 rejected
    # them; 8 workers share a GPU in the pipeline.
    hidden_work_slack_ms: float = 1.0
    hidden_work_slack_fraction: float = 1.0
    # Faster than this fraction of the roofline floor is physically impossible (with measurement noise).
    roofline_margin: float = 0.7
    # A sandboxed worker serves at most this many candidates (1: a fresh process for each), and none after
    # a fault or a change to its process state (filters.verifier.integrity).
    candidates_per_worker: int = 32
    # Starting a worker (fork, confinement, GPU context) is not charged to a candidate's timeout_s.
    worker_start_timeout_s: float = 120.0
    # Refuse to run (filters.verifier.isolation.IsolationUnavailable) where a sandbox layer is missing (issue 15 s3).
    require_isolation: bool = False
    # The run's key for the verifier's random draws (filters.verifier.disguise): with one, the same candidate is
    # judged with the same draws on every run with this key (a seed gives one dataset); None: secret draws.
    draw_key: str | None = None
