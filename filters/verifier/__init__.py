"""The verifier: everything between a candidate's source and its verdict (DESIGN.md section 4). Its file
names are its parts:

- `judge`: the one adapter from a row (problem, candidate, optional dtype, tolerances, shapes, domains) to a
  verdict, and from a `verify` config section to `options.VerifyOptions`; the pipeline's stage
  (`filters.stage`), `kerneldata verify`, `verify-batch` (`batch`) and the RL reward all go through it;
- `options`: what one verification may do (device, seeds, timeouts, speed rules, isolation, draw key);
- `runtime`: what verifications share in one process (zygote, worker reuse, peaks, phases, compile locks);
- `verify`: the order of the checks on one candidate, from the static gate to the speed verdict;
- `inputs`: the inputs the checks draw (transforms per input domain, partly changed repeats);
- `comparison`: outputs against the reference (tolerances, the float64 truth, the half-precision error
  model), with `truth` the float64 side of it;
- `speed`: timing on the GPU and the speed rules (with `timing`, the child's clocks);
- `workloads`: a spec's other workloads (issue 16), checked after the shown one and timed each on a GPU;
- `static/`: the gate, an allow-list, its rules in their own modules;
- `sandbox`, `sandbox_child`, `zygote`, `ipc`, `protocol`: the worker process the candidate runs in and
  the typed messages it answers with; `confine`, `isolation`, `integrity`, `provenance`: what keeps and
  watches it (in-process confinement, bubblewrap, process-state checks, kernel-launch provenance);
- `disguise`: what makes verification look like use, and where its random draws come from;
- `parameters`, `reference_probe`: the reference's re-drawn tensors and which transforms it tolerates.

Kept free of imports so the sandbox child (`python -m filters.verifier.sandbox_child`) starts light."""
