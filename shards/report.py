"""`kerneldata report RUN_DIR`: RUN_DIR/report.html with its plots embedded, and the same plots as PNG
files in RUN_DIR/report/. RUN_DIR is a local path or any URI `shards.location` opens; each file is written
whole (atomically on a local disk).

Plots, all from raw:
- `speedup_by_family.png`: the distribution of measured speedups over PyTorch eager of accepted kernels,
  per family (log scale). A CPU run measures none; the plot is then one sentence saying so.
- `acceptance_by_family.png`: per family, candidates by outcome: accepted, then each rejection reason
  (and unverified), stacked.
- `turns_to_success.png`: per spec, the refinement turn of its first accepted candidate, and how many
  specs never got one; beside each turn, how many specs were still trying then. Refinement keeps a
  population per spec (candidates of several samples breed), so the spec, not a sample, is the unit that
  succeeds. Runs without refinement have turn 0 only.
- `curation.png`: rows marked by dedup and decontamination, by reason.

What this does not do: compare runs, or plot anything the manifest does not also count (the numbers under
each plot are the manifest's).
"""

from __future__ import annotations

import base64
import html
import io
import math
import os
from collections import Counter, defaultdict

import pyarrow as pa

from shards.location import RunLocation
from shards.writer import open_run, read_manifest, read_raw

REPORT_HTML = "report.html"
REPORT_DIR = "report"
PLOTS = ("speedup_by_family", "acceptance_by_family", "turns_to_success", "curation")


def write_report(run_dir: str | os.PathLike | RunLocation) -> dict:
    """Write RUN_DIR/report.html and RUN_DIR/report/*.png; return {"html": its path or URI, "png": [the
    plots' paths or URIs]}."""
    import matplotlib

    matplotlib.use("Agg")
    location = open_run(run_dir)
    raw = read_raw(location)
    manifest = read_manifest(location)
    figures = {
        "speedup_by_family": _speedup_plot(raw),
        "acceptance_by_family": _acceptance_plot(raw),
        "turns_to_success": _turns_plot(raw),
        "curation": _curation_plot(raw),
    }
    images = {}
    pngs = []
    for name, (figure, caption) in figures.items():
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
        import matplotlib.pyplot as plt

        plt.close(figure)
        data = buffer.getvalue()
        png = f"{REPORT_DIR}/{name}.png"
        location.write_bytes(png, data)
        pngs.append(location.uri(png))
        images[name] = (data, caption)
    location.write_text(REPORT_HTML, _html(manifest, images))
    return {"html": location.uri(REPORT_HTML), "png": pngs}


def _speedup_plot(raw: pa.Table):
    import matplotlib.pyplot as plt

    by_family: dict[str, list[float]] = defaultdict(list)
    for family, status, speedup in zip(raw.column("family").to_pylist(), raw.column("status").to_pylist(),
                                       raw.column("speedup_vs_eager").to_pylist()):
        if status == "accepted" and speedup is not None and math.isfinite(speedup) and speedup > 0:
            by_family[family].append(speedup)
    if not by_family:
        # A sentence, not an empty frame: on CPU the interpreter runs kernels but nothing is timed.
        on_cpu = {device for device in raw.column("device").to_pylist() if device} <= {"cpu"}
        text = ("Speedup not measured on CPU (the Triton interpreter checks kernels; it does not time them)"
                if on_cpu else "No accepted kernel has a measured speedup in this run")
        figure, axis = plt.subplots(figsize=(7, 0.8))
        axis.set_axis_off()
        axis.text(0.5, 0.5, text, ha="center", va="center", transform=axis.transAxes)
        return figure, text + "."
    figure, axis = plt.subplots(figsize=(7, 3.5))
    axis.set_title("Speedup over PyTorch eager, accepted kernels, by family")
    families = sorted(by_family)
    axis.boxplot([by_family[f] for f in families], tick_labels=families, showfliers=True)
    axis.set_yscale("log")
    axis.axhline(1.0, color="grey", linewidth=0.8, linestyle="--")
    axis.set_ylabel("speedup (x, log scale)")
    caption = "; ".join(f"{f}: {len(by_family[f])} kernels, median {sorted(by_family[f])[len(by_family[f]) // 2]:.2f}x"
                        for f in families)
    return figure, caption


def _acceptance_plot(raw: pa.Table):
    import matplotlib.pyplot as plt

    counts: dict[str, Counter] = defaultdict(Counter)
    for family, status, reason in zip(raw.column("family").to_pylist(), raw.column("status").to_pylist(),
                                      raw.column("reason_code").to_pylist()):
        label = "accepted" if status == "accepted" else (f"unverified: {reason}" if status == "unverified"
                                                         else reason)
        counts[family][label] += 1
    families = sorted(counts)
    labels = ["accepted"] + sorted({label for c in counts.values() for label in c} - {"accepted"})
    figure, axis = plt.subplots(figsize=(7, 0.6 * max(3, len(families)) + 1.5))
    left = [0] * len(families)
    colors = plt.get_cmap("tab20").colors
    for index, label in enumerate(labels):
        values = [counts[f][label] for f in families]
        axis.barh(families, values, left=left, label=label, color="tab:green" if label == "accepted"
                  else colors[index % len(colors)])
        left = [a + b for a, b in zip(left, values)]
    axis.set_xlabel("candidates")
    axis.set_title("Outcome by family: accepted and each rejection reason")
    axis.legend(fontsize="small", bbox_to_anchor=(1.02, 1), loc="upper left")
    caption = "; ".join(f"{f}: {counts[f]['accepted']} of {sum(counts[f].values())} accepted" for f in families)
    return figure, caption or "No candidates."


def _turns_plot(raw: pa.Table):
    import matplotlib.pyplot as plt

    first_success: dict[str, int | None] = {}
    last_turn: dict[str, int] = {}
    for spec_id, turn, status in zip(raw.column("spec_id").to_pylist(), raw.column("turn").to_pylist(),
                                     raw.column("status").to_pylist()):
        first_success.setdefault(spec_id, None)
        last_turn[spec_id] = max(turn, last_turn.get(spec_id, 0))
        if status == "accepted" and (first_success[spec_id] is None or turn < first_success[spec_id]):
            first_success[spec_id] = turn
    succeeded = Counter(turn for turn in first_success.values() if turn is not None)
    never = sum(turn is None for turn in first_success.values())
    turns = list(range(max(last_turn.values(), default=0) + 1))
    # Specs with a candidate at each turn: how many were still being refined there.
    tried = [sum(last >= turn for last in last_turn.values()) for turn in turns]
    labels = [f"turn {t}" for t in turns] + ["never"]
    values = [succeeded[t] for t in turns] + [never]
    figure, axis = plt.subplots(figsize=(6, 3.5))
    axis.bar(labels, [*tried, 0], color="lightgrey", label="specs with a candidate at this turn")
    axis.bar(labels, values, color=["tab:green"] * len(turns) + ["tab:red"], width=0.5,
             label="specs whose first accepted kernel came at this turn")
    axis.set_ylabel("specs")
    axis.set_title("Turns to success: turn of each spec's first accepted kernel")
    axis.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.02, 1))  # beside the axes: never on a bar
    caption = (f"{len(first_success)} specs: " + ", ".join(f"{succeeded[t]} succeeded at turn {t} (of {n} with a "
                                                           f"candidate there)" for t, n in zip(turns, tried))
               + (", " if turns else "") + f"{never} never succeeded")
    return figure, caption


def _curation_plot(raw: pa.Table):
    import matplotlib.pyplot as plt

    reasons = Counter(r for r in raw.column("dedup_reason").to_pylist() if r is not None)
    reasons.update(r for r in raw.column("contamination_reason").to_pylist() if r is not None)
    figure, axis = plt.subplots(figsize=(6, 3))
    axis.set_title("Rows marked by dedup and decontamination")
    if reasons:
        names = sorted(reasons)
        axis.barh(names, [reasons[n] for n in names], color="tab:orange")
        axis.set_xlabel("rows (kept in raw, left out of sft / rl / preference)")
    else:
        axis.text(0.5, 0.5, "No duplicates or benchmark overlap found", ha="center", va="center",
                  transform=axis.transAxes)
        axis.set_xticks([])
        axis.set_yticks([])
    caption = ", ".join(f"{n}: {reasons[n]}" for n in sorted(reasons)) or "Nothing marked."
    return figure, caption


_TITLES = {
    "speedup_by_family": "Speedup distribution by family",
    "acceptance_by_family": "Acceptance by family and rejection reason",
    "turns_to_success": "Turns to success",
    "curation": "Deduplication and decontamination",
}


def _html(manifest: dict, images: dict[str, tuple[bytes, str]]) -> str:
    counts = manifest.get("counts", {})
    rows = "".join(f"<tr><td>{html.escape(str(k))}</td><td>{html.escape(str(v))}</td></tr>"
                   for k, v in counts.items())
    reasons = "".join(f"<tr><td><code>{html.escape(k)}</code></td><td>{v}</td></tr>"
                      for k, v in (manifest.get("by_reason") or {}).items())
    sections = []
    for name, (data, caption) in images.items():
        encoded = base64.b64encode(data).decode()
        sections.append(f'<section><h2>{_TITLES[name]}</h2><img alt="{name}" '
                        f'src="data:image/png;base64,{encoded}"><p>{html.escape(caption)}</p>'
                        f'<p class="file">Also <code>{REPORT_DIR}/{name}.png</code></p></section>')
    title = html.escape(f"kerneldata run {manifest.get('run_name', '')}")
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>body{{font-family:sans-serif;max-width:960px;margin:2em auto;padding:0 1em}}
img{{max-width:100%}}table{{border-collapse:collapse}}td{{border:1px solid #ccc;padding:2px 8px}}
.file{{color:#666;font-size:small}}</style></head>
<body><h1>{title}</h1>
<p>kerneldata {html.escape(str(manifest.get('kerneldata_version', '')))}, finished
{html.escape(str(manifest.get('created_at', '')))}; hardware:
{html.escape(', '.join(manifest.get('hardware') or []) or 'none recorded')}.</p>
<h2>Counts</h2><table>{rows}</table>
<h2>Candidates by reason</h2><table>{reasons}</table>
{''.join(sections)}
</body></html>
"""
