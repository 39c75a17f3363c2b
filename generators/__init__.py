"""Stages that make records: spec sampling, KernelBench-format rendering, prompts, teachers, code
extraction. Imports `kerneldata.core` only; never `filters` or `shards`."""
