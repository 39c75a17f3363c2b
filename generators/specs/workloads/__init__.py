"""Workloads captured from real architectures: the ATen calls and fusible chains that current models make
at the shapes they run, as specs weighted by where the time goes.

    architectures.py  the curated, versioned list (transformers configs with published hyperparameters, the
                      recommendation blocks), the regimes (prefill, decode, train) and the CPU scale rule
    recsys.py         DLRM-style blocks: embedding bags, segment reductions, feature interaction
    capture.py        building a model on fake tensors and recording every ATen call of one forward
    chains.py         grouping consecutive calls into the chains torch.compile would fuse, and labels
    cost.py           the roofline estimate of a call's time (`estimate_time_us`), behind the time shares
    records.py        the record (calls, CPU counterpart, sources with calls per forward and time share),
                      signatures and dedup
    render.py         a record as a KernelBench-format problem and `Spec`, at real or CPU scale
    sampling.py       capturing the list, reading and writing records, `WorkloadSampler`

Data flow: `capture_workloads` traces each architecture in each of its regimes twice (real and CPU-scaled
configs), `records_from_trace` turns each pair of traces into records, `dedup` merges equal signatures
across models and regimes, `WorkloadSampler` renders them as specs for the pipeline
(`specs.source: workloads`).
"""
