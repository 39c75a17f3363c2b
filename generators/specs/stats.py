"""Coverage of a spec file (`kerneldata specs stats`): counts by family, op, dtype, input rank, layout,
input domain and size bucket, so a sample's breadth can be read at a glance and compared across configs.

Size buckets are by the bytes of all inputs together (an index is 8 bytes, a mask 1, a float its dtype's
size), the quantity the sampler's memory cap bounds.
"""

from __future__ import annotations

import math
from collections import Counter

from generators.specs.shapes import DTYPE_BYTES

# Upper bounds (exclusive) of the size buckets, in bytes, with their labels.
SIZE_BUCKETS: tuple[tuple[float, str], ...] = (
    (4 << 10, "<4KiB"), (64 << 10, "4-64KiB"), (1 << 20, "64KiB-1MiB"), (16 << 20, "1-16MiB"),
    (256 << 20, "16-256MiB"), (math.inf, ">=256MiB"),
)


def input_bytes(line: dict) -> int:
    total = 0
    domains = line.get("input_domains") or ["unspecified"] * len(line["shapes"])
    for shape, domain in zip(line["shapes"], domains):
        element = 8 if domain.startswith("index") else 1 if domain == "mask" else DTYPE_BYTES.get(line["dtype"], 4)
        total += math.prod(shape) * element
    return total


def size_bucket(num_bytes: int) -> str:
    return next(label for bound, label in SIZE_BUCKETS if num_bytes < bound)


def coverage(lines: list[dict]) -> dict:
    """Counts over `kerneldata specs sample` lines; each counter sorted by count, then name."""
    counters = {key: Counter() for key in ("families", "ops", "dtypes", "size_buckets", "ranks", "layouts",
                                           "domains", "origins")}
    for line in lines:
        counters["families"][line["family"]] += 1
        counters["ops"].update(line["ops"])
        counters["dtypes"][line["dtype"]] += 1
        counters["size_buckets"][size_bucket(input_bytes(line))] += 1
        counters["ranks"][str(max((len(s) for s in line["shapes"]), default=0))] += 1
        counters["layouts"]["non-contiguous" if "transposed" in line.get("layouts", []) else "contiguous"] += 1
        counters["domains"].update(d.split("[")[0] for d in line.get("input_domains", []))
        counters["origins"][line["origin"].split(":")[0]] += 1
    out: dict = {"specs": len(lines), "distinct_ops": len(counters["ops"])}
    for key, counter in counters.items():
        order = [label for _, label in SIZE_BUCKETS] if key == "size_buckets" else None
        items = sorted(counter.items(), key=lambda kv: order.index(kv[0]) if order else (-kv[1], kv[0]))
        out[key] = dict(items)
    return out


def format_coverage(stats: dict) -> str:
    """A plain-text report, one section per counter."""
    lines = [f"{stats['specs']} specs, {len(stats['families'])} families, {stats['distinct_ops']} distinct ops"]
    for key in ("families", "dtypes", "size_buckets", "ranks", "layouts", "domains", "origins", "ops"):
        lines.append(f"{key}:")
        width = max((len(k) for k in stats[key]), default=0)
        lines += [f"  {name:<{width}}  {count}" for name, count in stats[key].items()]
    return "\n".join(lines) + "\n"
