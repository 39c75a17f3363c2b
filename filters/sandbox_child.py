"""The child side of the sandbox: loads one candidate and runs it on inputs the verifier sends.

Runs as `python -m filters.sandbox_child FD_IN FD_OUT` in a fresh process, in a scratch directory, with a
scrubbed environment (see `filters.sandbox`). It never compares anything: it returns the candidate's outputs
and the inputs as they were after the call, and the verifier judges them in its own process. What this
process reports about itself (kernel launches, aliasing) is evidence that issue-3 hardening backs with
checks the candidate cannot reach; the comparison of values already happens out of its reach.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import traceback

from filters.ipc import read_message, tensors_from_bytes, tensors_to_bytes, write_message

MAX_INPUT_BYTES = 1 << 34


def _install_launch_counter() -> list[int]:
    """Count launches of @triton.jit kernels (compiled or interpreted); warm-up calls do not count."""
    from triton.runtime.jit import JITFunction

    count = [0]
    classes = [JITFunction]
    if os.environ.get("TRITON_INTERPRET") == "1":
        from triton.runtime.interpreter import InterpretedFunction

        classes.append(InterpretedFunction)
    for cls in classes:
        original = cls.run

        def counted(self, *args, _original=original, **kwargs):
            if not kwargs.get("warmup", False):
                count[0] += 1
            return _original(self, *args, **kwargs)

        cls.run = counted
    return count


def _poison_allocations() -> None:
    """Make fresh tensors hold NaN (floats) or the dtype's maximum (integers) instead of whatever memory
    held before, so a kernel that leaves part of its output unwritten (a grid that misses the tail) shows
    as garbage rather than passing on stale values left by an earlier correct run (DESIGN section 4.3)."""
    import torch

    def poisoned(make):
        def allocate(*args, **kwargs):
            tensor = make(*args, **kwargs)
            if tensor.is_floating_point() or tensor.is_complex():
                tensor.fill_(float("nan"))
            elif tensor.dtype != torch.bool:
                tensor.fill_(torch.iinfo(tensor.dtype).max)
            return tensor
        return allocate

    for name in ("empty", "empty_like", "empty_strided"):
        setattr(torch, name, poisoned(getattr(torch, name)))
    torch.Tensor.new_empty = poisoned(torch.Tensor.new_empty)


def _error_kind(err: BaseException) -> str:
    names = {cls.__name__ for cls in type(err).__mro__}
    return "compile_error" if "CompilationError" in names else "runtime_error"


def _last_lines(err: BaseException, limit: int = 1500) -> str:
    text = "".join(traceback.format_exception_only(type(err), err)).strip()
    return text[-limit:]


def _as_list(value):
    return list(value) if isinstance(value, (list, tuple)) else [value]


def main() -> int:
    fd_in, fd_out = int(sys.argv[1]), int(sys.argv[2])
    header, blobs = read_message(fd_in, max_blob_bytes=MAX_INPUT_BYTES)
    device = header["device"]

    import torch

    launches = _install_launch_counter()
    _poison_allocations()
    try:
        spec = importlib.util.spec_from_file_location("candidate", header["candidate_path"])
        module = importlib.util.module_from_spec(spec)
        sys.modules["candidate"] = module
        spec.loader.exec_module(module)
        init_inputs = tensors_from_bytes(blobs[0])
        torch.manual_seed(header["init_seed"])
        model = module.ModelNew(*init_inputs).to(device)
    except BaseException as err:  # noqa: BLE001 - whatever the candidate raises is a verdict, not our crash
        write_message(fd_out, {"ok": False, "kind": "import_error", "message": _last_lines(err)})
        return 0
    write_message(fd_out, {"ok": True})

    while True:
        header, blobs = read_message(fd_in, max_blob_bytes=MAX_INPUT_BYTES)
        if header["op"] == "exit":
            return 0
        inputs = [x.to(device) if isinstance(x, torch.Tensor) else x for x in tensors_from_bytes(blobs[0])]
        input_storages = {x.untyped_storage().data_ptr() for x in inputs if isinstance(x, torch.Tensor)}
        before = launches[0]
        try:
            with torch.no_grad():
                outputs = _as_list(model(*inputs))
            if device == "cuda":
                torch.cuda.synchronize()
        except BaseException as err:  # noqa: BLE001
            write_message(fd_out, {"ok": False, "kind": _error_kind(err), "message": _last_lines(err)})
            continue
        bad = [type(out).__name__ for out in outputs if type(out) is not torch.Tensor]
        if bad:
            write_message(fd_out, {"ok": False, "kind": "bad_output",
                                   "message": f"forward returned {', '.join(bad)}, not a plain torch.Tensor"})
            continue
        report = {
            "ok": True,
            "launches": launches[0] - before,
            "devices": [out.device.type for out in outputs],
            "aliases_input": any(out.untyped_storage().data_ptr() in input_storages for out in outputs),
        }
        outputs_cpu = [out.detach().to("cpu") for out in outputs]
        inputs_cpu = [x.detach().to("cpu") if isinstance(x, torch.Tensor) else x for x in inputs]
        write_message(fd_out, report, [tensors_to_bytes(outputs_cpu), tensors_to_bytes(inputs_cpu)])


if __name__ == "__main__":
    sys.exit(main())
