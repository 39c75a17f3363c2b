"""shards.report's turns-to-success plot on a run with refinement."""

from __future__ import annotations

import html

from kerneldata.core.config import Config
from kerneldata.core.schema import RAW_SCHEMA, table_from_rows
from shards.report import write_report
from shards.writer import RunWriter
from tests.shards.conftest import raw_row


def test_turns_to_success_counts_each_specs_first_accepted_turn(tmp_path):
    rows = [
        # solved by a first answer
        raw_row("relu-a", "a0", "accepted"),
        # solved in the second round: r0 -> r1 -> r2
        raw_row("sum-b", "b0", "rejected"),
        raw_row("sum-b", "b1", "rejected", turn=1, parent_id="b0"),
        raw_row("sum-b", "b2", "accepted", turn=2, parent_id="b1"),
        # solved in the first round
        raw_row("max-c", "c0", "rejected"),
        raw_row("max-c", "c1", "accepted", turn=1, parent_id="c0"),
        # never solved
        raw_row("tanh-d", "d0", "rejected"),
        raw_row("tanh-d", "d1", "rejected", turn=1, parent_id="d0"),
    ]
    writer = RunWriter.create(tmp_path / "run", resume=False)
    writer.write_part(table_from_rows(rows, RAW_SCHEMA))
    writer.finalize(Config().to_yaml())
    written = write_report(tmp_path / "run")
    assert written["html"] == str(tmp_path / "run" / "report.html")
    page = html.unescape((tmp_path / "run" / "report.html").read_text())
    assert ("4 specs: 1 succeeded at turn 0 (of 4 with a candidate there), 1 succeeded at turn 1 (of 3 with a "
            "candidate there), 1 succeeded at turn 2 (of 1 with a candidate there), 1 never succeeded") in page
    assert (tmp_path / "run" / "report" / "turns_to_success.png").stat().st_size > 1000


def test_a_cpu_run_says_speedups_are_not_measured_and_no_legend_covers_a_bar(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    from shards.report import _acceptance_plot, _speedup_plot, _turns_plot

    rows = [raw_row("relu-a", "a0", "accepted"), raw_row("sum-b", "b0", "rejected"),
            raw_row("sum-b", "b1", "accepted", turn=1, parent_id="b0")]
    raw = table_from_rows(rows, RAW_SCHEMA)
    figure, caption = _speedup_plot(raw)
    assert caption.startswith("Speedup not measured on CPU")
    assert not figure.axes[0].axison  # a sentence, no empty box
    for plot in (_acceptance_plot, _turns_plot):
        figure, _ = plot(raw)
        figure.canvas.draw()
        axis = figure.axes[0]
        legend = axis.get_legend().get_window_extent()
        bars = [patch.get_window_extent() for patch in axis.patches if patch.get_width() and patch.get_height()]
        assert bars and not any(legend.overlaps(bar) for bar in bars), plot.__name__
        assert not legend.overlaps(axis.get_window_extent()), plot.__name__
