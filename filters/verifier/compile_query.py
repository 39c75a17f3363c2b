"""The candidate's questions "is torch.compile tracing me?", answered as a user's torch.compile would (child side).

A launcher may ask `torch.compiler.is_compiling()` (or `torch.compiler.is_dynamo_compiling()`, or the older
`torch._dynamo.is_compiling()`): honest ones do, to skip a host-side check that would break a graph. The
answer is True when a user compiles the model the kernel sits in (Liger and Unsloth kernels run under
torch.compile in training) and False in a verifier that never compiles a candidate, so a launcher that
computes the whole answer only when it is False looked honest here and was not in use
(tests/filters/cheats/rt_detect_torch_compile_tracing.py).

So one of the checked calls, in a secret place (`disguise.Ambient.compiling`), answers True to the candidate's
own code, and False to everyone else: PyTorch asks the same questions inside its own calls (`nn.Module`'s
call path does), and must keep computing what it computes in eager mode. The answer is decided by who asks
(the caller's code file), inside the query functions themselves: their code is swapped, not the functions,
so the objects a candidate can hold, compare or hand to torch are the ones PyTorch made, and
torch.compile, which recognises them by identity, still folds them to True when it really traces.
"""

from __future__ import annotations

import contextlib
import os
import types

# The unaltered query of each swapped code object (by id: code objects compare by value, and the functions
# keep them alive): what everyone but the candidate is answered.
_ORIGINALS: dict[int, types.FunctionType] = {}
# Whether the current call answers the candidate True, and the file names its code runs under.
_ANSWER: dict = {"compiling": False, "files": frozenset()}


def _query_body():
    """The code every swapped query runs: True to the candidate's code during a compiling call, else the
    query's own answer. Runs with the query's globals, so it imports what it needs."""
    import sys

    from filters.verifier import compile_query

    return compile_query.answer(sys._getframe(0).f_code, sys._getframe(1))


def answer(code: types.CodeType, caller: types.FrameType) -> bool:
    if _ANSWER["compiling"] and caller.f_code.co_filename in _ANSWER["files"]:
        return True
    return _ORIGINALS[id(code)]()


def queries() -> list[types.FunctionType]:
    """The public and the one private compile query torch has (those the static gate lets a candidate call)."""
    import torch

    found = []
    for owner, name in ((torch.compiler, "is_compiling"), (torch.compiler, "is_dynamo_compiling"),
                        (getattr(torch, "_dynamo", None), "is_compiling")):
        function = getattr(owner, name, None)
        if isinstance(function, types.FunctionType) and function not in found:
            found.append(function)
    return found


def install() -> None:
    """Swap every query's code for `_query_body`'s, once per process, before candidate code exists in it.
    A query whose code takes arguments or closes over variables is left alone (none does in torch 2.11 to
    2.13); the test suite checks that the cheat this closes is caught, so a torch that changes them shows."""
    for function in queries():
        code = function.__code__
        if id(code) in _ORIGINALS or code.co_argcount or code.co_kwonlyargcount or code.co_freevars:
            continue
        original = types.FunctionType(code, function.__globals__, function.__name__, function.__defaults__)
        swapped = _query_body.__code__.replace(co_name=code.co_name, co_qualname=code.co_qualname,
                                               co_filename=code.co_filename, co_firstlineno=code.co_firstlineno)
        _ORIGINALS[id(swapped)] = original
        function.__code__ = swapped


@contextlib.contextmanager
def answering(compiling: bool, candidate_file: str):
    """During one call: the candidate's code (from `candidate_file`) is told torch.compile traces it when
    `compiling`."""
    files = frozenset({candidate_file, os.path.realpath(candidate_file)})
    before = dict(_ANSWER)
    _ANSWER.update(compiling=bool(compiling), files=files)
    try:
        yield
    finally:
        _ANSWER.update(before)

