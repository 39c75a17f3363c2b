"""filters.verifier.compile_query: the candidate's compile queries answered True in a compiling call, while
PyTorch's own questions, the functions' identities and torch.compile's real tracing are untouched."""

import textwrap

import pytest
import torch

from filters.verifier import compile_query


@pytest.fixture(scope="module", autouse=True)
def installed():
    compile_query.install()


def _module_from(path, source: str) -> dict:
    path.write_text(textwrap.dedent(source))
    namespace: dict = {}
    exec(compile(path.read_text(), str(path), "exec"), namespace)
    return namespace


def test_the_candidate_is_told_it_is_compiled_only_in_a_compiling_call(tmp_path):
    candidate = _module_from(tmp_path / "kernels.py", """
        import torch
        from torch.compiler import is_compiling

        def asked():
            return (torch.compiler.is_compiling(), torch.compiler.is_dynamo_compiling(),
                    torch._dynamo.is_compiling(), is_compiling(), any(q() for q in (is_compiling,)))
    """)
    assert candidate["asked"]() == (False,) * 5
    with compile_query.answering(True, str(tmp_path / "kernels.py")):
        assert candidate["asked"]() == (True,) * 5
        # everyone else, here and inside torch, still hears the truth
        assert not torch.compiler.is_compiling() and not torch._dynamo.is_compiling()
        assert torch.nn.ReLU()(torch.tensor([-1.0, 2.0])).tolist() == [0.0, 2.0]
    with compile_query.answering(False, str(tmp_path / "kernels.py")):
        assert candidate["asked"]() == (False,) * 5
    assert candidate["asked"]() == (False,) * 5


def test_the_queries_stay_the_objects_torch_made_and_torch_compile_still_folds_them():
    before = [id(q) for q in compile_query.queries()]
    compile_query.install()  # a second install changes nothing
    assert [id(q) for q in compile_query.queries()] == before
    assert len(before) >= 2

    def branch(x):
        return x + 1 if torch.compiler.is_compiling() else x - 1

    assert branch(torch.zeros(1)).item() == -1.0
    assert torch.compile(branch, backend="eager")(torch.zeros(1)).item() == 1.0
