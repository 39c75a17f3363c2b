"""Stages that make records: spec sampling, KernelBench-format rendering, prompts, documentation retrieval,
teachers, code extraction. Imports `kerneldata.core` only; never `filters` or `shards`."""
