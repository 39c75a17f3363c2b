"""The child side of the sandbox: loads one candidate and runs it on inputs the verifier sends.

Started either fresh (`python -m filters.sandbox_child FD_IN FD_OUT`) or forked from a zygote that has
already imported torch and triton (`filters.zygote`), always in a scratch directory with a scrubbed
environment (see `filters.sandbox`). It never compares anything: it returns the candidate's outputs and
the inputs as they were after the call, and the verifier judges them in its own process.

On a GPU it also times the candidate, and the reference's eager and `torch.compile` baselines in the same
process the same way (`filters.timing`). What this process reports about itself (launch counts, aliasing,
timings) is evidence gathered where the candidate runs; the static gate keeps the candidate from
rebinding what gathers it, and the verifier cross-checks timings against its own clock and the roofline.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import threading
import traceback
import types

from filters.ipc import read_message, tensors_from_bytes, tensors_to_bytes, write_message

MAX_INPUT_BYTES = 1 << 34


# The recorder of the forward call in progress (filters.provenance), or None between calls.
_RECORDER: list = [None]


def _install_launch_counter() -> list[int]:
    """Count launches of @triton.jit kernels (compiled or interpreted; warm-up calls do not count) and tell
    the active provenance recorder which storages each launch received. Torch work that Triton itself does
    (the interpreter's host copies, the autotuner's benchmarking and argument resets) is hidden from the
    recorder: it is not the candidate's."""
    from triton.runtime.autotuner import Autotuner
    from triton.runtime.jit import JITFunction

    if getattr(JITFunction.run, "_kerneldata_counted", False):  # already wrapped in the zygote
        return JITFunction.run._kerneldata_count
    count = [0]
    classes = [JITFunction]
    if os.environ.get("TRITON_INTERPRET") == "1":
        from triton.runtime.interpreter import GridExecutor, InterpretedFunction

        classes.append(InterpretedFunction)
        for name in ("_init_args_hst", "_restore_args_dev"):
            setattr(GridExecutor, name, _paused(getattr(GridExecutor, name)))
        _choose_autotune_configs_in_interpreter(Autotuner)
    Autotuner._bench = _paused(Autotuner._bench)
    original_init = Autotuner.__init__

    def init(self, *args, **kwargs):
        original_init(self, *args, **kwargs)
        # reset_to_zero / restore_value hooks: Triton's own bookkeeping around benchmarking
        self.pre_hook, self.post_hook = _paused(self.pre_hook), _paused(self.post_hook)

    Autotuner.__init__ = init
    for cls in classes:
        original = cls.run

        def counted(self, *args, _original=original, **kwargs):
            if not kwargs.get("warmup", False):
                count[0] += 1
                if _RECORDER[0] is not None:
                    _RECORDER[0].kernel_launched(args, kwargs)
            return _original(self, *args, **kwargs)

        counted._kerneldata_counted = True
        counted._kerneldata_count = count
        cls.run = counted
    return count


def _paused(function):
    def run_unrecorded(*args, **kwargs):
        recorder = _RECORDER[0]
        if recorder is None:
            return function(*args, **kwargs)
        recorder.paused += 1
        try:
            return function(*args, **kwargs)
        finally:
            recorder.paused -= 1
    return run_unrecorded


# Which of an autotuner's configs the interpreter runs for the current request (see below).
_AUTOTUNE_VARIANT = [0]


def _choose_autotune_configs_in_interpreter(autotuner_class) -> None:
    """The interpreter cannot benchmark (there is no driver), so an autotuner with several configs would
    fail there. Instead the verifier names a variant per request and the autotuner runs config
    `variant % len(configs)`: different seeds exercise different configs, as different GPUs would pick
    different ones, and the two runs of the determinism check use the same one."""
    original_prune, original_run = autotuner_class.prune_configs, autotuner_class.run

    def prune_configs(self, kwargs):
        configs = original_prune(self, kwargs)
        return [configs[_AUTOTUNE_VARIANT[0] % len(configs)]] if configs else configs

    def run(self, *args, **kwargs):
        self.cache.clear()  # choose again for this request's variant
        return original_run(self, *args, **kwargs)

    autotuner_class.prune_configs, autotuner_class.run = prune_configs, run


def _poison_allocations() -> None:
    """Make fresh tensors hold NaN (floats) or the dtype's maximum (integers) instead of whatever memory
    held before, so a kernel that leaves part of its output unwritten (a grid that misses the tail) shows
    as garbage rather than passing on stale values left by an earlier correct run (DESIGN section 4.3)."""
    import torch

    if getattr(torch.empty, "_kerneldata_poisoned", False):
        return

    def poisoned(make):
        def allocate(*args, **kwargs):
            tensor = make(*args, **kwargs)
            if tensor.is_floating_point() or tensor.is_complex():
                tensor.fill_(float("nan"))
            elif tensor.dtype != torch.bool:
                tensor.fill_(torch.iinfo(tensor.dtype).max)
            return tensor
        allocate._kerneldata_poisoned = True
        return allocate

    for name in ("empty", "empty_like", "empty_strided"):
        setattr(torch, name, poisoned(getattr(torch, name)))
    torch.Tensor.new_empty = poisoned(torch.Tensor.new_empty)


_STARTED_THREADS: list = []


def _record_thread_starts() -> None:
    """Remember every thread started in this process, so one that the candidate starts and that finishes
    before anyone looks is still seen."""
    if getattr(threading.Thread.start, "_kerneldata_recorded", False):
        return
    original = threading.Thread.start

    def start(self, *args, **kwargs):
        _STARTED_THREADS.append(self)
        return original(self, *args, **kwargs)

    start._kerneldata_recorded = True
    threading.Thread.start = start


def prepare_process() -> None:
    """Everything the child sets up before candidate code exists in it. A zygote calls this once before
    forking, so each forked child starts with it done."""
    import torch  # noqa: F401 - imported here so the fork inherits it
    import triton  # noqa: F401

    import filters.timing  # noqa: F401 - binds torch and the clock before any candidate runs

    _install_launch_counter()
    _poison_allocations()
    _record_thread_starts()


def _error_kind(err: BaseException) -> str:
    names = {cls.__name__ for cls in type(err).__mro__}
    return "compile_error" if "CompilationError" in names else "runtime_error"


def _last_lines(err: BaseException, limit: int = 1500, candidate_path: str | None = None) -> str:
    """The error as its last lines: the candidate's own frames of the traceback (where in its source it
    failed; under the interpreter that includes lines of its @triton.jit kernels), then the exception."""
    frames = []
    if candidate_path is not None:
        # The interpreter re-raises a kernel's error from its launcher: the failing kernel line is in the
        # traceback of the exception it chains, so walk the chain outermost first.
        chain, seen = [], set()
        cause = err
        while cause is not None and id(cause) not in seen:
            seen.add(id(cause))
            chain.append(cause)
            cause = cause.__cause__ or cause.__context__
        own = [frame for exc in chain for frame in traceback.extract_tb(exc.__traceback__)
               if os.path.realpath(frame.filename) == candidate_path]
        # The sandbox's directory name is random: name the file as the candidate knows it.
        frames = [f'  File "candidate.py", line {frame.lineno}, in {frame.name}\n    {frame.line}\n'
                  for frame in own[-3:]]
    text = "".join(frames + traceback.format_exception_only(type(err), err)).rstrip()
    return text[-limit:]


def _as_list(value):
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _load_module(name: str, path: str | None = None, source: str | None = None) -> types.ModuleType:
    if path is not None:
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
        return module
    module = types.ModuleType(name)
    exec(compile(source, f"<{name}>", "exec"), module.__dict__)
    return module


class _Session:
    """The loaded candidate (and, on a GPU, the reference for baselines) and the requests it serves."""

    def __init__(self, header: dict, blobs: list[bytes]) -> None:
        import torch

        self.torch = torch
        self.device = header["device"]
        self.launches = _install_launch_counter()
        init_inputs = tensors_from_bytes(blobs[0])
        # The reference first, from our source, so nothing the candidate does at import can touch it.
        self.reference = None
        if header.get("reference_source") is not None:
            reference = _load_module("reference_for_baselines", source=header["reference_source"])
            torch.manual_seed(header["init_seed"])
            self.reference = reference.Model(*init_inputs).to(self.device).eval()
        self.candidate_path = os.path.realpath(header["candidate_path"])
        module = _load_module("candidate", path=header["candidate_path"])
        torch.manual_seed(header["init_seed"])
        self.model = module.ModelNew(*init_inputs).to(self.device)
        self.compiled = None

    def _failure(self, err: BaseException) -> dict:
        return {"ok": False, "kind": _error_kind(err), "message": _last_lines(err, candidate_path=self.candidate_path)}

    def _candidate_threads(self) -> list[str]:
        """Threads, live or finished, started to run code from the candidate's file. Threads that CUDA, Triton
        or torch start for themselves (compilation pools, the CUDA runtime) are theirs and do not count."""
        found = []
        for thread in set(threading.enumerate()) | set(_STARTED_THREADS):
            entries = [getattr(thread, "_target", None), getattr(type(thread), "run", None)]
            for entry in entries:
                entry = getattr(entry, "func", entry)  # functools.partial
                entry = getattr(entry, "__func__", entry)  # bound method
                code = getattr(entry, "__code__", None)
                if code is not None and os.path.realpath(code.co_filename) == self.candidate_path:
                    found.append(thread.name)
        return found

    def _inputs(self, blob: bytes) -> list:
        torch = self.torch
        return [x.to(self.device) if isinstance(x, torch.Tensor) else x for x in tensors_from_bytes(blob)]

    def run(self, header: dict, blobs: list[bytes]) -> tuple[dict, list[bytes]]:
        from filters.provenance import ProvenanceRecorder

        torch = self.torch
        inputs = self._inputs(blobs[0])
        input_storages = {x.untyped_storage().data_ptr() for x in inputs if isinstance(x, torch.Tensor)}
        before = self.launches[0]
        _AUTOTUNE_VARIANT[0] = int(header.get("variant", 0))
        recorder = ProvenanceRecorder()
        try:
            with torch.no_grad():
                _RECORDER[0] = recorder
                try:
                    with recorder:
                        outputs = _as_list(self.model(*inputs))
                finally:
                    _RECORDER[0] = None
            if self.device == "cuda":
                torch.cuda.synchronize()
        except BaseException as err:  # noqa: BLE001 - whatever the candidate raises is a verdict
            return self._failure(err), []
        if self._candidate_threads():
            return {"ok": False, "kind": "background_work",
                    "message": "forward left a thread running after it returned"}, []
        bad = [type(out).__name__ for out in outputs if type(out) is not torch.Tensor]
        if bad:
            return {"ok": False, "kind": "bad_output",
                    "message": f"forward returned {', '.join(bad)}, not a plain torch.Tensor"}, []
        report = {
            "ok": True,
            "launches": self.launches[0] - before,
            "devices": [out.device.type for out in outputs],
            "aliases_input": any(out.untyped_storage().data_ptr() in input_storages for out in outputs),
            "output_bytes": sum(out.numel() * out.element_size() for out in outputs),
            "torch_compute": recorder.record.torch_compute,
            "narrowing": recorder.record.narrowing,
            "unproven_output": next(filter(None, map(recorder.record.unproven_output, outputs)), None),
        }
        outputs_cpu = [out.detach().to("cpu") for out in outputs]
        inputs_cpu = [x.detach().to("cpu") if isinstance(x, torch.Tensor) else x for x in inputs]
        return report, [tensors_to_bytes(outputs_cpu), tensors_to_bytes(inputs_cpu)]

    def time(self, header: dict, blobs: list[bytes]) -> tuple[dict, list[bytes]]:
        """Time the candidate, then the baselines asked for, the same way on the same inputs."""
        from filters.timing import calibrate_overhead, time_calls

        torch = self.torch
        inputs = self._inputs(blobs[0])
        if header.get("warm_only"):
            return self._warm(inputs, header.get("baselines", ()))
        flush = torch.empty(header["flush_bytes"] // 4, dtype=torch.int32, device=self.device)
        fns = {"candidate": lambda: self.model(*inputs)}
        if "eager" in header.get("baselines", ()):
            fns["eager"] = lambda: self.reference(*inputs)
        if "compile" in header.get("baselines", ()):
            fns["compile"] = lambda: self.compiled(*inputs)
        try:
            with torch.no_grad():
                results = {"overhead": calibrate_overhead(flush=flush)}
                results.update(time_calls(fns, flush=flush, budget_ms=header.get("budget_ms", 30.0)))
        except BaseException as err:  # noqa: BLE001
            return self._failure(err), []
        if self._candidate_threads():
            return {"ok": False, "kind": "background_work",
                    "message": "forward left a thread running while it was timed"}, []
        return {"ok": True, "timings": results}, []

    def _warm(self, inputs: list, baselines) -> tuple[dict, list[bytes]]:
        """Compile the torch.compile baseline and run each timed function once, before the GPU is ours."""
        torch = self.torch
        try:
            with torch.no_grad():
                self.model(*inputs)
                if "eager" in baselines:
                    self.reference(*inputs)
                if "compile" in baselines:
                    if self.compiled is None:
                        self.compiled = torch.compile(self.reference)
                    self.compiled(*inputs)
            torch.cuda.synchronize()
        except BaseException as err:  # noqa: BLE001
            return self._failure(err), []
        return {"ok": True}, []


def _confine():
    """Confine this process before the candidate exists in it (filters.confine): writes only to the scratch
    directory (our working directory), the compile caches and /dev."""
    from filters.confine import confine

    writable = [os.getcwd(), "/dev", f"/proc/{os.getpid()}"]
    for name in ("TRITON_CACHE_DIR", "TORCHINDUCTOR_CACHE_DIR"):
        if os.environ.get(name):
            os.makedirs(os.environ[name], exist_ok=True)
            writable.append(os.environ[name])
    return confine(writable)


def _violation(policy) -> dict | None:
    """The first thing the sandbox refused, as an answer; it stands even if the candidate caught the error."""
    if not policy.violations:
        return None
    reason, detail = policy.violations[0]
    return {"ok": False, "kind": "sandbox", "reason": reason, "message": detail}


def serve(fd_in: int, fd_out: int) -> int:
    """Answer the verifier's requests until it says exit."""
    header, blobs = read_message(fd_in, max_blob_bytes=MAX_INPUT_BYTES)
    policy, layers = _confine()
    try:
        session = _Session(header, blobs)
    except BaseException as err:  # noqa: BLE001 - whatever the candidate raises is a verdict, not our crash
        answer = _violation(policy) or {"ok": False, "kind": "import_error", "message": _last_lines(
            err, candidate_path=os.path.realpath(header["candidate_path"]))}
        write_message(fd_out, answer)
        return 0
    write_message(fd_out, _violation(policy) or {"ok": True, "confinement": layers})
    while True:
        header, blobs = read_message(fd_in, max_blob_bytes=MAX_INPUT_BYTES)
        if header["op"] == "exit":
            return 0
        answer, out_blobs = session.time(header, blobs) if header["op"] == "time" else session.run(header, blobs)
        violation = _violation(policy)
        if violation:
            answer, out_blobs = violation, []
        write_message(fd_out, answer, out_blobs)


def main() -> int:
    fd_in, fd_out = int(sys.argv[1]), int(sys.argv[2])
    prepare_process()
    return serve(fd_in, fd_out)


if __name__ == "__main__":
    sys.exit(main())
