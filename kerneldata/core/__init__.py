"""The shared vocabulary of kerneldata: record schemas, the config tree, the stage base, outcome enums,
hashing helpers. Imports no stage package (generators, filters, shards)."""
