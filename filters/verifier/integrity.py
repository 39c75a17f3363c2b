"""Has a candidate changed the process it ran in? The check that lets one sandboxed worker verify many.

A worker process serves candidates one after another (it pays for Python, torch and a GPU context once).
That is only safe if no candidate can change what a later one is judged by: a patched `torch.empty`, a
rebound Triton launcher, a tracing hook, TF32 switched on for every later baseline, a thread left running.
`ProcessState.take()` records, before any candidate runs, the identity of every attribute of the modules
and classes that verification and timing rely on, the numeric switches of torch, and the trace hooks;
`changes(before)` lists what differs after a candidate. Any difference retires the worker (a fresh one
serves the next candidate) and rejects the candidate that made it.

What it cannot see: changes made through native code (the static gate forbids ctypes and the sandbox
forbids loading libraries from writable places), or state hidden inside C++ objects with no Python
attribute. Workers are also retired after a fixed number of candidates, which bounds what such a change
could reach.
"""

from __future__ import annotations

import importlib
import sys
import threading
import types
from dataclasses import dataclass, field

# Modules whose attributes the harness, the candidate's kernels or the baselines resolve at call time.
WATCHED_MODULES = (
    "builtins", "sys", "os", "time", "threading", "gc", "math", "random", "importlib",
    "torch", "torch.nn", "torch.nn.functional", "torch.cuda", "torch.autograd", "torch.random", "torch.linalg",
    "torch.fft", "torch.special", "torch.backends", "torch.utils._python_dispatch", "torch.overrides",
    "numpy",
    "triton", "triton.language", "triton.runtime", "triton.runtime.jit", "triton.runtime.autotuner",
    "triton.compiler", "triton.compiler.compiler",
    "filters.verifier.sandbox_child", "filters.verifier.provenance", "filters.verifier.timing", "filters.verifier.ipc",
    "filters.verifier.confine",
)
# Classes whose methods are looked up on every call: "module:qualname".
WATCHED_CLASSES = (
    "torch:Tensor", "torch.nn:Module", "torch.cuda:Event", "torch.cuda:Stream",
    "torch.utils._python_dispatch:TorchDispatchMode",
    "triton.runtime.jit:JITFunction", "triton.runtime.jit:KernelInterface", "triton.runtime.autotuner:Autotuner",
    "triton.compiler.compiler:CompiledKernel",
    "threading:Thread",
)


def _switches() -> dict[str, object]:
    """Process-wide numeric and dispatch switches that would change a later candidate's results or its
    baselines' speed (TF32, reduced-precision reductions, determinism, default dtype and device...)."""
    import torch

    values: dict[str, object] = {
        "float32_matmul_precision": torch.get_float32_matmul_precision(),
        "default_dtype": str(torch.get_default_dtype()),
        "grad_enabled": torch.is_grad_enabled(),
        "deterministic_algorithms": torch.are_deterministic_algorithms_enabled(),
        "num_threads": torch.get_num_threads(),
        "cudnn.allow_tf32": torch.backends.cudnn.allow_tf32,
        "cudnn.benchmark": torch.backends.cudnn.benchmark,
        "cudnn.deterministic": torch.backends.cudnn.deterministic,
        "cudnn.enabled": torch.backends.cudnn.enabled,
        "cuda.matmul.allow_tf32": torch.backends.cuda.matmul.allow_tf32,
        "cuda.matmul.allow_fp16_reduced_precision_reduction":
            torch.backends.cuda.matmul.allow_fp16_reduced_precision_reduction,
        "cuda.matmul.allow_bf16_reduced_precision_reduction":
            torch.backends.cuda.matmul.allow_bf16_reduced_precision_reduction,
    }
    get_default_device = getattr(torch, "get_default_device", None)
    if get_default_device is not None:
        values["default_device"] = str(get_default_device())
    return values


def _namespaces() -> dict[str, dict]:
    spaces = {}
    for name in WATCHED_MODULES:
        module = sys.modules.get(name)
        if module is not None:
            spaces[name] = vars(module)
    for entry in WATCHED_CLASSES:
        module_name, _, qualname = entry.partition(":")
        module = sys.modules.get(module_name)
        cls = getattr(module, qualname, None) if module is not None else None
        if isinstance(cls, type):
            spaces[entry] = vars(cls)
    return spaces


@dataclass
class ProcessState:
    # namespace -> attribute -> the value itself: holding it keeps its id from being reused by a replacement
    attributes: dict[str, dict[str, object]] = field(default_factory=dict)
    switches: dict[str, object] = field(default_factory=dict)
    hooks: tuple = ()

    @classmethod
    def take(cls) -> ProcessState:
        """The snapshot, taken once before any candidate: first-use changes settled and every watched module
        the process has the package of imported, so that all of it is covered."""
        _settle_lazy_state()
        for name in WATCHED_MODULES:
            if name not in sys.modules and name.split(".")[0] in sys.modules:
                try:
                    importlib.import_module(name)
                except Exception:  # noqa: BLE001 - absent in this version: nothing to watch
                    pass
        return cls._capture()

    @classmethod
    def _capture(cls) -> ProcessState:
        attributes = {space: dict(ns) for space, ns in _namespaces().items()}
        hooks = (sys.gettrace(), sys.getprofile(), threading.gettrace() if hasattr(threading, "gettrace") else None,
                 threading.getprofile() if hasattr(threading, "getprofile") else None)
        return cls(attributes, _switches(), hooks)

    def changes(self) -> list[str]:
        """What differs now from this snapshot: rebound or deleted attributes, attributes added to a watched
        namespace (new submodules excepted: importing one binds it in its package), switches, hooks."""
        now = ProcessState._capture()
        found = []
        for space, before in self.attributes.items():
            current = now.attributes.get(space, {})
            for attr, value in before.items():
                if attr not in current:
                    found.append(f"{space}.{attr} deleted")
                elif current[attr] is not value:
                    found.append(f"{space}.{attr} rebound")
            for attr in current.keys() - before.keys():
                if not isinstance(current[attr], types.ModuleType) and not _benign(space, attr):
                    found.append(f"{space}.{attr} added")
        for name, value in self.switches.items():
            if now.switches.get(name) != value:
                found.append(f"torch switch {name} changed from {value!r} to {now.switches.get(name)!r}")
        if any(a is not b for a, b in zip(now.hooks, self.hooks)):
            found.append("a trace or profile hook was set")
        return found


def _settle_lazy_state() -> None:
    """Make now the changes torch makes to itself on first use, so they are part of the snapshot rather than
    blamed on the first candidate: the cached GPU count, and the nn.Module.__init__ patch torch.compile
    installs (the GPU baseline compiles the reference in the worker)."""
    import torch

    if torch.cuda.is_initialized():
        torch.cuda.device_count()
    try:
        from torch._dynamo.mutation_guard import install_generation_tagging_init
    except ImportError:  # another torch version: a compile baseline will then show as a change
        return
    install_generation_tagging_init()


def _benign(space: str, attr: str) -> bool:
    """Attributes the interpreter and libraries add on their own while running honest code."""
    if attr == "__slotnames__":  # copyreg caches it on a class the first time an instance is pickled
        return True
    if attr == "__warningregistry__":  # the warnings module's record of warnings already shown
        return True
    return space in ("builtins", "sys") and attr in ("_", "last_exc", "last_type", "last_value", "last_traceback")
