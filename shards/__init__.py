"""The only writer of a run directory. Filters annotate every candidate with a status and a reason and
never drop a row; this package decides what each split keeps: `raw` holds every candidate with its verdict,
`sft`, `rl` and `preference` are derived from it (`shards.splits`), written as Parquet shards with the
dataset card and the manifest (`shards.writer`, `shards.card`).

Imports `kerneldata.core` only; never `generators` or `filters`. Importing this package does no work.
"""
