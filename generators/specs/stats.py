"""Coverage of a spec file (`kerneldata specs stats`): counts by family, op, dtype, input rank, layout,
input domain, size bucket and workloads per spec, so a sample's breadth can be read at a glance and
compared across configs.

Size buckets are by the bytes of all inputs together (an index or offset is 8 bytes, a mask, int8 or fp8
element 1, a float its dtype's size), the quantity the sampler's memory cap bounds.

`headroom` summarises `generators.specs.headroom` over the specs on one device profile: quantiles of the
bytes eager moves, GFLOP, the estimated eager time and the bound on the speedup over eager, and the share of
specs that move at least 10 MB or do at least 1 GFLOP (the GPU configs' budget, DESIGN section 6).
"""

from __future__ import annotations

import math
from collections import Counter

from generators.specs.headroom import BIG_BYTES, BIG_FLOPS, DEFAULT_DEVICE, estimate
from generators.specs.problem import domain_element_bytes
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
        element = domain_element_bytes(domain) or DTYPE_BYTES.get(line["dtype"], 4)
        total += math.prod(shape) * element
    return total


def size_bucket(num_bytes: int) -> str:
    return next(label for bound, label in SIZE_BUCKETS if num_bytes < bound)


QUANTILES = (("p10", 0.1), ("median", 0.5), ("p90", 0.9), ("max", 1.0))


def _quantiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    if not ordered:
        return {}
    return {name: round(ordered[min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1 if q else 0)], 3)
            for name, q in QUANTILES}


def headroom(lines: list[dict], device: str = DEFAULT_DEVICE) -> dict:
    """The headroom summary of spec lines on `device` (see the module docstring); specs whose reference
    cannot be estimated are counted in `not_estimated`."""
    found = [estimate(line["source"], device) for line in lines if "source" in line]
    found = [h for h in found if h is not None]
    return {
        "device": device,
        "estimated": len(found),
        "not_estimated": len(lines) - len(found),
        "share_big": round(sum(h.big for h in found) / len(found), 4) if found else None,
        "big_means": f">= {BIG_BYTES / 1e6:g} MB moved or >= {BIG_FLOPS / 1e9:g} GFLOP",
        "eager_mb": _quantiles([h.eager_bytes / 1e6 for h in found]),
        "gflop": _quantiles([h.flops / 1e9 for h in found]),
        "eager_us": _quantiles([h.eager_us for h in found]),
        "speedup_bound": _quantiles([h.speedup_bound for h in found]),
        "kernel_launches": _quantiles([h.kernel_launches for h in found]),
    }


def coverage(lines: list[dict], device: str = DEFAULT_DEVICE) -> dict:
    """Counts over `kerneldata specs sample` lines; each counter sorted by count, then name; and the
    headroom summary on `device`."""
    counters = {key: Counter() for key in ("families", "ops", "dtypes", "size_buckets", "ranks", "layouts",
                                           "domains", "origins", "workloads")}
    for line in lines:
        counters["families"][line["family"]] += 1
        counters["ops"].update(line["ops"])
        counters["dtypes"][line["dtype"]] += 1
        counters["size_buckets"][size_bucket(input_bytes(line))] += 1
        counters["ranks"][str(max((len(s) for s in line["shapes"]), default=0))] += 1
        counters["layouts"]["non-contiguous" if "transposed" in line.get("layouts", []) else "contiguous"] += 1
        counters["domains"].update(d.split("[")[0] for d in line.get("input_domains", []))
        counters["origins"][line["origin"].split(":")[0]] += 1
        # Workloads per spec: the shown one and those only the verifier runs (issue 16).
        counters["workloads"][str(1 + len(line.get("workloads") or ()))] += 1
    out: dict = {"specs": len(lines), "distinct_ops": len(counters["ops"])}
    for key, counter in counters.items():
        order = [label for _, label in SIZE_BUCKETS] if key == "size_buckets" else None
        items = sorted(counter.items(), key=lambda kv: order.index(kv[0]) if order else (-kv[1], kv[0]))
        out[key] = dict(items)
    out["headroom"] = headroom(lines, device)
    return out


def format_coverage(stats: dict) -> str:
    """A plain-text report, one section per counter."""
    lines = [f"{stats['specs']} specs, {len(stats['families'])} families, {stats['distinct_ops']} distinct ops"]
    for key in ("families", "dtypes", "size_buckets", "ranks", "layouts", "domains", "origins", "workloads", "ops"):
        lines.append(f"{key}:")
        width = max((len(k) for k in stats[key]), default=0)
        lines += [f"  {name:<{width}}  {count}" for name, count in stats[key].items()]
    room = stats.get("headroom")
    if room:
        share = "n/a" if room["share_big"] is None else f"{100 * room['share_big']:.1f}%"
        lines.append(f"headroom on {room['device']} ({room['estimated']} estimated, {room['not_estimated']} not; "
                     f"{share} {room['big_means']}):")
        names = [name for name, _ in QUANTILES]
        lines.append("  " + " " * 16 + "".join(f"{name:>12}" for name in names))
        for key in ("eager_mb", "gflop", "eager_us", "speedup_bound", "kernel_launches"):
            lines.append(f"  {key:<16}" + "".join(f"{room[key].get(name, float('nan')):>12.4g}" for name in names))
    return "\n".join(lines) + "\n"
