"""Stages that judge records: the verifier (its own package, `filters.verifier`), dedup and decontamination,
curation, and the pipeline's verification stage. Filters annotate (status, stage, reason) and never drop
rows or write files. Imports `kerneldata.core` only; never `generators` or `shards`. Kept free of imports so
the sandbox child (`python -m filters.verifier.sandbox_child`) starts light."""
