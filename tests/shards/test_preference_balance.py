"""Preference pairs differ by the kernel's verdict, not by length or opening, at population scale (issue 17).

Over the built-in teacher's first answers to a fixed set of 300 default specs (`bench/preference_balance.py`:
4 answers per spec, a deliberately flawed answer taken as rejected, a correct one as accepted, no verifier),
the preference split is measured as the card measures it (`shards.row_stats.preference_stats`). Before the
fix the chosen answer was the longer one in 62% of these pairs and the shorter one in 30%: the flaws that
leave code out (no loop over the row, no mask, no max subtraction) are shorter by nature, and where a spec's
answers held no correct one of the flawed one's structure, the chosen one was of a longer structure. A
quickstart's dozen pairs is too few to tell a cue from chance, hence the population here; template
structure and pairing only, no kernel runs (about 5 s).
"""

from __future__ import annotations

import collections

import pytest

from bench.preference_balance import preference_pairs
from kerneldata.core.schema import PREFERENCE_SCHEMA, table_from_rows
from shards import row_stats


@pytest.fixture(scope="module")
def stats() -> dict:
    return row_stats.preference_stats(table_from_rows(preference_pairs(300, seed=0), PREFERENCE_SCHEMA))


def test_the_chosen_answer_is_the_longer_one_about_as_often_as_the_shorter(stats):
    pairs, by_pair = stats["pairs"], stats["by_pair"]
    assert pairs >= 200, pairs
    longer, shorter = by_pair["chosen_longer"] / pairs, by_pair["chosen_shorter"] / pairs
    assert 0.40 <= longer <= 0.55 and 0.35 <= shorter <= 0.55, (longer, shorter)
    assert abs(longer - shorter) <= 0.07, (longer, shorter)
    assert 0.98 <= by_pair["length_ratio_median"] <= 1.02, by_pair
    assert 0.85 <= by_pair["length_ratio_p10"] and by_pair["length_ratio_p90"] <= 1.15, by_pair


def test_both_sides_open_alike(stats):
    pairs, by_pair = stats["pairs"], stats["by_pair"]
    # The card's openings keep numbers ("Each program takes 16 rows" and "... 32 rows" differ).
    assert by_pair["same_opening"] >= 0.7 * pairs, (by_pair["same_opening"], pairs)
    chosen = collections.Counter(dict(map(tuple, stats["chosen"]["openings"])))
    rejected = collections.Counter(dict(map(tuple, stats["rejected"]["openings"])))
    # The most common openings are shared, each within a third of its count on the other side.
    for phrase, count in (chosen + rejected).most_common(3):
        assert abs(chosen[phrase] - rejected[phrase]) <= max(3, count / 3), (phrase, chosen[phrase], rejected[phrase])
