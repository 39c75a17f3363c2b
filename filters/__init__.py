"""Stages that judge records: the static gate, the sandbox, verification. Filters annotate (status, stage,
reason) and never drop rows or write files. Imports `kerneldata.core` only; never `generators` or `shards`.
Kept free of imports so the sandbox child (`python -m filters.sandbox_child`) starts light."""
