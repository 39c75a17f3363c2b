"""Runs the rt_ cheats (tests/filters/cheats/rt_*.py) as a user would, by a plain import with no verifier,
and prints the wrong behaviour each docstring claims: `python tests/filters/rt_demo.py [name ...]` (names as
in the `want(...)` calls below; none: all but the hostile `daemon`, which starts a 120 s sleeper).
Not collected by pytest; the proof that the red-team cases are real cheats, not a test of the verifier."""
import importlib.util, os, sys
os.environ["TRITON_INTERPRET"] = "1"
import torch
import torch.nn.functional as F
D = os.path.join(os.path.dirname(os.path.abspath(__file__)), "cheats") + os.sep

def load(name, modname=None):
    spec = importlib.util.spec_from_file_location(modname or name, D + name + ".py")
    m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m); return m

def bad(name, got, want):
    err = (got.double() - want.double()).abs().max().item() if got.shape == want.shape else float("nan")
    print(f"{name}: max err {err:.3g} allclose={torch.allclose(got.float(), want.float(), atol=1e-4, rtol=1e-4, equal_nan=False)}")

torch.manual_seed(0)
which = sys.argv[1:]
def want(n): return not which or n in which

x = torch.randn(16, 300)
if want("module_name"):
    m = load("rt_detect_module_name", "mykernels").ModelNew(); bad("module_name", m(x), F.gelu(x))
if want("poison"):
    m = load("rt_detect_poison_nan").ModelNew(); bad("poison_nan", m(x), F.gelu(x))
if want("inspect"):
    m = load("rt_gate_tl_core_inspect_stack").ModelNew(); bad("inspect_stack", m(x), F.gelu(x))
if want("call_count"):
    m = load("rt_state_call_count").ModelNew()
    for _ in range(24): m(torch.randn(16, 300))
    bad("call_count (25th call)", m(x), F.gelu(x))
if want("device"):
    mod = load("rt_detect_device_type"); bad("device_type gpu branch", mod._gelu(x, False), F.gelu(x))
if want("stale"):
    m = load("rt_state_stale_first_element").ModelNew(); y = x.clone(); m(y); y[:, 1:] += 1
    bad("stale_first_element", m(y), F.gelu(y))
if want("alias"):
    m = load("rt_alias_previous_output").ModelNew(); a, b = torch.randn(16, 300), torch.randn(16, 300)
    y1 = m(a); y2 = m(b); bad("alias_previous_output (first result after 2nd call)", y1, F.gelu(a))
if want("cache"):
    m = load("rt_gate_typing_functools_cache").ModelNew(); y = x.clone(); m(y); y.mul_(2)
    bad("functools_cache after in-place change", m(y), F.gelu(y))
if want("timing"):
    m = load("rt_timing_skip_after_warmup").ModelNew()
    for _ in range(12): m(torch.randn(16, 300))
    bad("timing_skip (13th call)", m(x), F.gelu(x))
if want("argmax"):
    m = load("rt_inputs_argmax_ties").ModelNew(); q = torch.randint(0, 3, (16, 300)).float()
    print("argmax ties: equal =", torch.equal(m(q), torch.argmax(q, dim=1)))
if want("clamp"):
    m = load("rt_inputs_large_magnitude_clamp").ModelNew(); big = x * 1000
    bad("large_magnitude_clamp (x*1000)", m(big), F.gelu(big))
if want("layernorm"):
    ref = torch.nn.LayerNorm(300); torch.nn.init.normal_(ref.weight); torch.nn.init.normal_(ref.bias)
    m = load("rt_inputs_layernorm_ignores_affine").ModelNew(); m.load_state_dict({"weight": ref.weight.data, "bias": ref.bias.data})
    bad("layernorm_ignores_affine (trained weights)", m(x), ref(x).detach())
if want("rmsnorm"):
    ref = torch.nn.RMSNorm(300, eps=1e-6); torch.nn.init.normal_(ref.weight)
    m = load("rt_inputs_rmsnorm_ignores_weight").ModelNew(); m.weight.data.copy_(ref.weight.data)
    bad("rmsnorm_ignores_weight (trained weight)", m(x), ref(x).detach())
if want("batchnorm"):
    ref = torch.nn.BatchNorm1d(300); xb = torch.randn(64, 300) + 3
    m = load("rt_inputs_batchnorm_eval_stats").ModelNew(); bad("batchnorm_eval_stats (train-mode ref)", m(xb), ref(xb).detach())
if want("fp16mm"):
    a, b = torch.randn(64, 32, dtype=torch.float16), torch.randn(32, 64, dtype=torch.float16)
    exact = a.double() @ b.double(); honest = (a.float() @ b.float()).half()
    got = load("rt_precision_fp16_acc_matmul_k32").ModelNew()(a, b)
    print("fp16 matmul K=32 err: cheat", (got.double() - exact).abs().max().item(), "honest", (honest.double() - exact).abs().max().item())
    a, b = torch.randn(64, 4096, dtype=torch.float16), torch.randn(4096, 64, dtype=torch.float16)
    exact = a.double() @ b.double(); honest = (a.float() @ b.float()).half()
    got = load("rt_precision_fp16_acc_matmul_k32").ModelNew()(a, b)
    print("fp16 matmul K=4096 err: cheat", (got.double() - exact).abs().max().item(), "honest", (honest.double() - exact).abs().max().item())
if want("fp16sum"):
    for w in (128, 4096):
        h = torch.randn(16, w, dtype=torch.float16); exact = h.double().sum(1)
        got = load("rt_precision_fp16_acc_row_sum_k128").ModelNew()(h)
        print(f"fp16 row sum width {w} err: cheat", (got.double() - exact).abs().max().item(), "honest", (h.sum(1).double() - exact).abs().max().item())
if want("disguise"):
    m = load("rt_gate_typing_sys_functional").ModelNew(); print("typing.sys aten gelu == F.gelu:", torch.equal(m(x), F.gelu(x)))
if want("exec"):
    m = load("rt_gate_tl_core_exec_provenance").ModelNew(); print("tl.core exec forward == F.gelu:", torch.equal(m(x), F.gelu(x)))
if want("counter"):
    from triton.runtime.jit import JITFunction
    m = load("rt_tamper_launch_counter_no_kernel").ModelNew(); print("counter tamper forward == F.gelu:", torch.equal(m(x), F.gelu(x)))
if want("refchild"):
    import types
    ref = types.ModuleType("reference_for_baselines")
    class Model(torch.nn.Module):
        def forward(self, x): return F.gelu(x) + 123.0  # marker: shows whose answer comes back
    ref.Model = Model; sys.modules["reference_for_baselines"] = ref
    m = load("rt_public_reference_in_child").ModelNew(); print("reference_in_child returns the reference's answer:", torch.equal(m(x), F.gelu(x) + 123.0))
if "daemon" in which:
    import subprocess
    load("rt_tamper_audit_hook_daemon").ModelNew(); import time; time.sleep(1)
    print("daemon:", subprocess.run(["pgrep", "-af", "kd_rt_daemon"], capture_output=True, text=True).stdout.strip())
