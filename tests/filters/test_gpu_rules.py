"""Rules that only a GPU run exercises end to end (tests/filters/test_cheats.py's `gpu` cases), tested here in
their parts: which autotune config a call runs, and which code counts as using atomic adds."""

from __future__ import annotations

from filters.verifier import sandbox_child
from filters.verifier.checks import ORDER_DEPENDENT_ATOMICS, atomic_calls


class _Autotuner:
    """The three methods of triton's Autotuner that the child wraps: the pruned configs, a benchmark of one
    config, and a run that benchmarks the pruned configs once per key (ties go to the last)."""

    def __init__(self, configs):
        self.configs, self.cache, self.benchmarked = configs, {}, 0

    def prune_configs(self, kwargs):
        return list(self.configs)

    def _bench(self, config):
        self.benchmarked += 1
        return [1.0, 1.0, 1.0]

    def run(self, key):
        if key not in self.cache:
            pruned = self.prune_configs({})
            timings = {config: self._bench(config) for config in pruned}  # as Triton 3.6 does, even for one
            self.cache[key] = min(reversed(list(timings)), key=timings.get)
        return self.cache[key]


def test_checked_calls_run_the_named_config_and_timed_calls_let_the_autotuner_choose(monkeypatch):
    monkeypatch.setattr(sandbox_child, "_AUTOTUNE_VARIANT", [0])
    monkeypatch.setattr(sandbox_child, "_AUTOTUNE_OFFERED", [0])
    autotuner_class = type("Autotuner", (_Autotuner,), {})
    sandbox_child._choose_autotune_configs(autotuner_class)
    tuner = autotuner_class(["a", "b", "skip"])
    ran = []
    for variant in (0, 1, 2, 3):  # checked calls: config variant % 3, whatever was cached before
        sandbox_child._AUTOTUNE_VARIANT[0] = variant
        ran.append(tuner.run("n=1024"))
    assert ran == ["a", "b", "skip", "a"] and sandbox_child._AUTOTUNE_OFFERED[0] == 3
    assert tuner.benchmarked == 0  # one config left: no benchmark, whose hooks would run on every checked call
    sandbox_child._AUTOTUNE_VARIANT[0] = None  # a timed call: the autotuner benchmarks all and keeps its choice
    assert tuner.run("n=1024") == "skip" and tuner.benchmarked == 3
    assert tuner.run("n=1024") == "skip" and tuner.benchmarked == 3  # cached between timed calls
    sandbox_child._AUTOTUNE_VARIANT[0] = 1  # the next checked call forgets the autotuner's choice
    assert tuner.run("n=1024") == "b"


def test_atomic_adds_are_found_by_name_in_any_form():
    assert "atomic_add" in atomic_calls("tl.atomic_add(out_ptr + row, partial)")
    assert "atomic_add" in atomic_calls("from triton.language import atomic_add\natomic_add(p, v)")
    assert "atomic_add" in atomic_calls("(out_ptr + offs).atomic_add(v)")
    assert "atomic_add" not in atomic_calls("tl.atomic_max(p, v)\ntl.store(p, v)\n# atomic_add in a comment")
    assert "atomic_add" not in atomic_calls("def broken(:")


def test_spin_locks_count_as_order_dependent_atomics_and_max_does_not():
    # The Triton tutorial's LayerNorm backward: partial sums guarded by a compare-and-swap lock are added in
    # whichever order the programs take it (an H100 run of rt_tutorial_lock_partial_col_sum differed in its
    # last bits between two runs).
    locked = "while tl.atomic_cas(lock, 0, 1) == 1:\n    pass\ntl.atomic_xchg(lock, 0)"
    assert atomic_calls(locked) & ORDER_DEPENDENT_ATOMICS == {"atomic_cas", "atomic_xchg"}
    assert not atomic_calls("tl.atomic_max(p, v)\n(p + 1).atomic_min(v)") & ORDER_DEPENDENT_ATOMICS
    assert atomic_calls("def broken(:") == set()
