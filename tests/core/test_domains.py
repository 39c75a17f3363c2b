"""kerneldata.core.domains: the input-domain vocabulary the sampler writes and the verifier reads."""

from __future__ import annotations

import pytest

from kerneldata.core.domains import (ABS, DOMAINS, HEAVY, MASK, NEGATE, QUANTISE, SCALE, SHIFT, UNIFORM, index_domain,
                                     parse_domain, preserving_transforms)


@pytest.mark.parametrize(("text", "transforms"), [
    ("normal", (NEGATE, SCALE, SHIFT, ABS, UNIFORM, HEAVY, QUANTISE, MASK)),
    ("positive", (SCALE,)),  # negating a log's input makes it NaN; shifting by -8 too
    ("near_one", ()),  # scaling a cumulative product's factors by 64 overflows it
    ("sign", (NEGATE,)),
    ("index[0,1000)", ()),  # any transform reads out of range
    ("nonnegative", (SCALE, UNIFORM, QUANTISE)),  # floor(2x)/2 and the normal CDF keep [0, 4) inside it
    ("unit_interval", ()),
    ("unspecified", (NEGATE, SCALE, SHIFT, ABS, UNIFORM, HEAVY, QUANTISE, MASK)),  # external problems: the default
])
def test_transforms_that_keep_an_input_in_its_domain(text, transforms):
    assert preserving_transforms(text) == transforms


def test_index_domains_carry_their_range():
    assert index_domain(32000) == "index[0,32000)"
    domain, bounds = parse_domain("index[0,32000)")
    assert domain is DOMAINS["index"] and bounds == (0, 32000)


@pytest.mark.parametrize("text", ["gaussian", "index[5,5)", "index[0,10]", ""])
def test_unknown_domains_are_refused_with_the_known_ones(text):
    with pytest.raises(ValueError, match="input domain"):
        parse_domain(text)
