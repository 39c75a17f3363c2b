"""The stage base. A stage is a small class: a frozen config given to `__init__` (where expensive set-up
happens once; Ray runs it once per actor), a pure `__call__(batch) -> batch` over pyarrow tables, and
declarations of the columns it reads and adds and the resources one replica needs. The pipeline reads the
declarations to place stages on Ray; tests call stages directly on small tables."""

from __future__ import annotations

from typing import ClassVar

import pyarrow as pa


class Stage:
    name: ClassVar[str]
    reads: ClassVar[tuple[str, ...]]
    adds: ClassVar[tuple[str, ...]]
    output_schema: ClassVar[pa.Schema]
    num_cpus: ClassVar[float] = 1.0
    num_gpus: ClassVar[float] = 0.0

    def __call__(self, batch: pa.Table) -> pa.Table:
        raise NotImplementedError

    def check_input(self, batch: pa.Table) -> None:
        missing = [name for name in self.reads if name not in batch.column_names]
        if missing:
            raise ValueError(f"stage {self.name!r} needs columns {missing}, which the batch lacks")
