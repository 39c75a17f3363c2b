"""Documentation retrieval: markup parsing, chunk metadata, the index's save/load, search quality on the
shared ROCm corpus, dense/hybrid search, and the shipped default corpus."""

from __future__ import annotations

import fnmatch
import json
import time
import tomllib
from pathlib import Path

import numpy as np
import pytest

from generators.retrieval import DEFAULT_CORPUS, DocIndex, Hit, RetrievalError, default_index
from generators.retrieval.chunking import chunk_sections, chunk_tree
from generators.retrieval.markup import parse
from generators.retrieval.tokens import tokenize

ROOT = Path(__file__).resolve().parents[2]
ROCM_DOCS = ROOT / ".." / "shared" / "corpora" / "rocm-docs"

RST = """\
.. meta::
  :description: How the hardware runs a kernel.
  :keywords: AMD, ROCm

.. _hardware:

*******************************************************************************
HIP programming model
*******************************************************************************

Threads run in groups, see :ref:`the warp section <warps>` and :doc:`hip:how-to/performance_guidelines`.

.. toctree::
   :maxdepth: 2

   intro
   advanced

.. include:: ./includes/terms.rst

.. |br| raw:: html

   <br />

..
   A comment that readers never see.

Warps
=====

A warp is ``warpSize`` threads wide; read the `AMD guide <https://rocm.docs.amd.com>`_ first.

.. note::
   :class: margin

   On AMD GPUs a **wavefront** has 64 lanes.

.. code-block:: cpp
   :caption: Querying the warp size

   int w = props.warpSize;
   if (w == 64) {
       run_wave64();
   }

An example::

    hipcc -O3 kernel.hip

.. figure:: ../data/cu.png
   :alt: A compute unit.

   Block diagram of a compute unit.

Lanes
-----

Lanes are numbered from 0 [#lanes]_.

.. [#lanes] Up to ``warpSize - 1``.

Memory
======

Shared memory is on chip.
"""

MYST = """\
---
myst:
  html_meta:
    "description lang=en": "MI300 notes"
---

(mi300-arch)=
# MI300 notes {#mi300}

<!--
An editor's note that spans
two lines.
-->
The MI300X has 304 CUs.<!-- not this --> See {doc}`the tuning guide <../tuning>` and {ref}`mi300x-occupancy`.

```{note}
:class: dropdown
Each XCD has its own **L2** cache.
```

```{figure} ../data/xcd.png
---
name: xcd
align: center
---
One XCD with 38 active compute units.
```

```{code-block} python
import triton
print(triton.__version__)
```

```{toctree}
:hidden:
intro
```

```{include} ../../README.md
```

:::{tip}
Use [rocminfo](https://rocm.docs.amd.com/rocminfo) to list devices.
:::

## Matrix cores

| type | TFLOPS |
| --- | --- |
| FP16 | 1307 |

```{eval-rst}
.. note::

   Inside eval-rst, :ref:`roles <r>` work too.
```

Setext heading
--------------

Text under a setext heading.
"""


def _lines(section) -> list[str]:
    return [text for _, _, text in section.lines if text]


# ---------------------------------------------------------------- parsing

def test_rst_directives_and_roles_become_readable_text():
    sections = {s.title: s for s in parse(RST, "rst")}
    assert list(sections) == ["", "HIP programming model", "HIP programming model > Warps",
                              "HIP programming model > Warps > Lanes", "HIP programming model > Memory"]
    assert _lines(sections[""]) == []  # .. meta:: and the label are dropped
    assert _lines(sections["HIP programming model"]) == [
        "Threads run in groups, see the warp section and performance guidelines."]  # toctree, include, comment gone
    assert _lines(sections["HIP programming model > Warps"]) == [
        "A warp is warpSize threads wide; read the AMD guide first.",
        "On AMD GPUs a wavefront has 64 lanes.",       # the note's text, not its :class: option
        "int w = props.warpSize;",                      # code kept verbatim, caption option dropped
        "if (w == 64) {",
        "    run_wave64();",
        "}",
        "An example:",
        "hipcc -O3 kernel.hip",                          # the literal block after "::"
        "Block diagram of a compute unit.",              # the figure's caption, not its path
    ]
    assert _lines(sections["HIP programming model > Warps > Lanes"]) == [
        "Lanes are numbered from 0.", "Up to warpSize - 1."]


def test_myst_directives_roles_and_comments_become_readable_text():
    sections = {s.title: s for s in parse(MYST, "markdown")}
    assert list(sections) == ["", "MI300 notes", "MI300 notes > Matrix cores", "MI300 notes > Setext heading"]
    assert _lines(sections[""]) == []  # front matter dropped
    assert _lines(sections["MI300 notes"]) == [
        "The MI300X has 304 CUs. See the tuning guide and mi300x occupancy.",
        "Each XCD has its own L2 cache.",
        "One XCD with 38 active compute units.",
        "import triton",
        "print(triton.__version__)",
        "Use rocminfo to list devices.",
    ]
    assert _lines(sections["MI300 notes > Matrix cores"]) == [
        "type | TFLOPS", "FP16 | 1307", "Inside eval-rst, roles work too."]
    assert _lines(sections["MI300 notes > Setext heading"]) == ["Text under a setext heading."]


@pytest.mark.parametrize(("text", "kind"), [(RST, "rst"), (MYST, "markdown")])
def test_every_kept_line_points_at_its_source_line(text, kind):
    source = text.splitlines()
    for section in parse(text, kind):
        for first, last, line in section.lines:
            if not line:
                continue
            span = " ".join(source[first - 1:last])
            first_word = line.split()[0].strip("*`{}:.,")
            assert first_word in span, (line, first, last)
        if section.heading_line:
            assert section.titles[-1].split()[0] in source[section.heading_line - 1]


def test_a_role_wrapped_over_two_lines_is_joined_and_spans_both():
    text = "Title\n=====\n\nSee :ref:`the long\nsection title <label>` for more.\n"
    section = parse(text, "rst")[1]
    assert section.lines[1:] == [(4, 5, "See the long section title for more.")]


def test_plain_text_is_one_untitled_section():
    sections = parse("first line\n\nsecond paragraph\n", "text")
    assert [s.title for s in sections] == [""]
    assert [(a, b, t) for a, b, t in sections[0].lines if t] == [(1, 1, "first line"), (3, 3, "second paragraph")]


def test_tokens_are_stemmed_code_aware_and_drop_stop_words():
    tokens = tokenize("How do the waves_per_eu and tl.dot settings affect hipMalloc on MI300X?")
    assert "how" not in tokens and "the" not in tokens
    assert {"waves_per_eu", "wave", "per", "eu", "tl.dot", "dot", "hipmalloc", "malloc", "mi300x", "mi300",
            "set"} <= set(tokens)


# ---------------------------------------------------------------- chunks

def test_chunks_carry_path_section_and_the_source_line_range(tmp_path):
    docs = tmp_path / "docs"
    (docs / "guide").mkdir(parents=True)
    (docs / "guide" / "model.rst").write_text(RST)
    (docs / "notes.md").write_text(MYST)
    (docs / "image.png").write_bytes(b"\x89PNG")  # not documentation: skipped
    chunks = chunk_tree(docs, "docs")
    assert {c.path for c in chunks} == {"guide/model.rst", "notes.md"}
    assert {c.root for c in chunks} == {"docs"}
    warps = next(c for c in chunks if c.section == "HIP programming model > Warps")
    source = RST.splitlines()
    assert source[warps.start_line - 1].startswith("A warp is ``warpSize`` threads wide")
    assert source[warps.end_line - 1].strip() == "Block diagram of a compute unit."
    memory = next(c for c in chunks if c.section == "HIP programming model > Memory")
    assert (memory.text, memory.start_line, memory.end_line) == ("Shared memory is on chip.", 65, 65)


def test_a_long_section_is_split_under_the_cap_keeping_every_line_in_order():
    paragraphs = [f"Paragraph {i} " + "word " * 40 for i in range(12)] + ["x" * 500]
    text = "Long\n====\n\n" + "\n\n".join(paragraphs) + "\n"
    chunks = chunk_sections(parse(text, "rst"), "root", "long.rst", max_chars=300)
    assert len(chunks) > 12
    assert all(len(c.text) <= 300 for c in chunks)
    assert "".join(c.text.replace("\n", "") for c in chunks) == "".join(p.rstrip() for p in paragraphs)
    starts = [c.start_line for c in chunks]
    assert starts == sorted(starts) and all(c.start_line <= c.end_line for c in chunks)
    source = text.splitlines()
    for chunk in chunks:
        assert chunk.text.splitlines()[0][:20] in source[chunk.start_line - 1]


# ---------------------------------------------------------------- the index

@pytest.fixture
def two_roots(tmp_path):
    for group, body in (("rocm", RST), ("hip", MYST)):
        docs = tmp_path / group / "docs"
        docs.mkdir(parents=True)
        (docs / "page.rst" if group == "rocm" else docs / "page.md").write_text(body)
    return [tmp_path / "rocm" / "docs", tmp_path / "hip" / "docs"]


def test_roots_with_the_same_folder_name_get_distinct_names(two_roots):
    index = DocIndex.build(two_roots)
    assert set(index.roots) == {"rocm/docs", "hip/docs"}
    hit = index.search("wavefront lanes", k=1)[0]
    assert (hit.root, hit.path) == ("rocm/docs", "page.rst")


def test_save_and_load_round_trip(two_roots, tmp_path):
    index = DocIndex.build(two_roots, max_chars=400)
    saved = index.save(tmp_path / "index")
    loaded = DocIndex.load(saved)
    assert loaded.chunks == index.chunks and loaded.roots == index.roots and loaded.max_chars == 400
    for query in ("How wide is a warp on AMD?", "XCD L2 cache", "matrix cores FP16"):
        assert loaded.search(query, k=3) == index.search(query, k=3)
    meta = json.loads((saved / "meta.json").read_text())
    assert meta["num_chunks"] == len(index) and meta["embedding_model"] is None
    index.save(saved)  # replacing an index is allowed
    assert DocIndex.load(saved).chunks == index.chunks


def test_hits_are_frozen_and_best_first(two_roots):
    hits = DocIndex.build(two_roots).search("compute units XCD", k=5)
    assert hits and all(isinstance(h, Hit) for h in hits)
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    with pytest.raises(AttributeError):
        hits[0].score = 0.0
    assert set(hits[0].to_json()) == {"path", "section", "score", "text", "start_line", "end_line", "root"}


def test_a_query_sharing_no_word_with_the_docs_has_no_hits(two_roots):
    assert DocIndex.build(two_roots).search("zebra giraffe", k=5) == []


@pytest.mark.parametrize("damage", ["no_meta", "bad_json", "counts", "no_bm25", "bad_parquet", "tokenizer"])
def test_a_damaged_index_is_one_clear_error(two_roots, tmp_path, damage):
    saved = DocIndex.build(two_roots).save(tmp_path / "index")
    meta = json.loads((saved / "meta.json").read_text())
    if damage == "no_meta":
        (saved / "meta.json").unlink()
    elif damage == "bad_json":
        (saved / "meta.json").write_text("{not json")
    elif damage == "counts":
        (saved / "meta.json").write_text(json.dumps({**meta, "num_chunks": meta["num_chunks"] + 1}))
    elif damage == "no_bm25":
        (saved / "bm25" / "vocab.index.json").unlink()
    elif damage == "bad_parquet":
        (saved / "chunks.parquet").write_bytes(b"garbage")
    elif damage == "tokenizer":
        (saved / "meta.json").write_text(json.dumps({**meta, "tokenizer": 0}))
    with pytest.raises(RetrievalError) as caught:
        DocIndex.load(saved)
    assert len(str(caught.value).splitlines()) == 1 and str(saved) in str(caught.value)


def test_bad_roots_and_targets_are_refused(tmp_path):
    (tmp_path / "empty").mkdir()
    (tmp_path / "images").mkdir()
    (tmp_path / "images" / "a.png").write_bytes(b"x")
    for roots, words in (([tmp_path / "missing"], "no such directory"), ([tmp_path / "empty"], "no markdown"),
                         ([tmp_path / "images"], "no markdown"), ([], "no documentation roots")):
        with pytest.raises(RetrievalError, match=words):
            DocIndex.build(roots)
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "a.md").write_text("# A\n\nSome text.\n")
    with pytest.raises(RetrievalError, match="given twice"):
        DocIndex.build([tmp_path / "docs", tmp_path / "docs"])
    (tmp_path / "precious").mkdir()
    (tmp_path / "precious" / "thesis.tex").write_text("years of work")
    with pytest.raises(RetrievalError, match="refusing to overwrite"):
        DocIndex.build([tmp_path / "docs"]).save(tmp_path / "precious")
    assert (tmp_path / "precious" / "thesis.tex").read_text() == "years of work"


def test_search_arguments_are_checked(two_roots):
    index = DocIndex.build(two_roots)
    with pytest.raises(RetrievalError, match="k must be"):
        index.search("warp", k=0)
    with pytest.raises(RetrievalError, match="unknown search mode"):
        index.search("warp", mode="fuzzy")
    with pytest.raises(RetrievalError, match="no embeddings"):
        index.search("warp", mode="dense")


# ---------------------------------------------------------------- the shared ROCm corpus

@pytest.fixture(scope="module")
def rocm_index(tmp_path_factory):
    if not ROCM_DOCS.is_dir():
        pytest.skip(f"the shared corpus is not at {ROCM_DOCS}")
    folder = tmp_path_factory.mktemp("rocm") / "index"
    DocIndex.build([ROCM_DOCS]).save(folder)
    return folder


def test_rocm_docs_index_loads_in_under_a_second_and_finds_the_triton_tuning_guide(rocm_index):
    start = time.perf_counter()
    index = DocIndex.load(rocm_index)
    assert time.perf_counter() - start < 1.0
    assert set(index.roots) == {"rocm-docs"} and len(index) > 1000
    top = index.search("Which Triton option makes the compiler use fewer VGPRs so more waves fit per EU?", k=5)[0]
    assert top.path == "rocm/docs/how-to/rocm-for-ai/inference-optimization/workload.rst"
    assert "waves_per_eu" in top.text
    assert top.section.endswith("Triton kernel performance optimization > Auto-tunable kernel configurations")
    source = (ROCM_DOCS / top.path).read_text().splitlines()
    assert any("waves_per_eu" in line for line in source[top.start_line - 1:top.end_line])


def test_rocm_docs_hardware_table_answers_lds_size(rocm_index):
    hits = DocIndex.load(rocm_index).search("LDS size in KiB of the MI300X compute unit", k=5)
    assert "rocm/docs/reference/gpu-arch-specs.rst" in [h.path for h in hits]


# ---------------------------------------------------------------- dense and hybrid search

_SYNONYMS = {"warp": 0, "wavefront": 0, "lanes": 0, "cache": 1, "l2": 1, "memory": 1, "matrix": 2, "tflops": 2}


def synonym_embedder(texts):
    """A tiny embedding that knows warp == wavefront: dense search must find what BM25 cannot."""
    vectors = np.full((len(texts), len(set(_SYNONYMS.values())) + 1), 0.01, dtype=np.float32)
    for row, text in enumerate(texts):
        for word in text.lower().replace(".", " ").split():
            if word in _SYNONYMS:
                vectors[row, _SYNONYMS[word]] += 1.0
    return vectors


def test_dense_and_hybrid_search_with_an_injected_embedder(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "amd.md").write_text("# AMD\n\nA wavefront has 64 lanes.\n")
    (docs / "cache.md").write_text("# Caches\n\nThe L2 cache is 4 MB per XCD.\n")
    index = DocIndex.build([docs], embedder=synonym_embedder)
    assert index.search("warp width", k=2, mode="bm25") == []  # no shared word
    dense = index.search("warp width", k=2, mode="dense")
    assert dense[0].path == "amd.md" and -1.0 <= dense[1].score <= dense[0].score <= 1.0
    hybrid = index.search("XCD warp", k=2)  # auto = hybrid on an index with embeddings
    assert {h.path for h in hybrid} == {"amd.md", "cache.md"}
    saved = index.save(tmp_path / "index")
    with pytest.raises(RetrievalError, match="pass the same embedder"):
        DocIndex.load(saved).search("warp", mode="dense")
    assert DocIndex.load(saved, embedder=synonym_embedder).search("warp width", k=2, mode="dense") == dense


def test_a_missing_embedding_model_is_one_clear_error(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.md").write_text("# A\n\ntext\n")
    with pytest.raises(RetrievalError, match="not a local directory") as caught:
        DocIndex.build([docs], embedding_model=tmp_path / "no-model")
    assert len(str(caught.value).splitlines()) == 1


@pytest.fixture(scope="module")
def tiny_sentence_transformer(tmp_path_factory):
    """A randomly initialised 1-layer BERT, saved as a sentence-transformers model: no download anywhere."""
    pytest.importorskip("sentence_transformers")
    import torch
    from sentence_transformers import SentenceTransformer
    from transformers import BertConfig, BertModel, BertTokenizer

    try:  # sentence-transformers 6 moved the modules; older releases have them in `models`
        from sentence_transformers.sentence_transformer import modules as models
    except ImportError:
        from sentence_transformers import models

    folder = tmp_path_factory.mktemp("st")
    words = "warp wavefront lanes cache memory matrix lds kernel the a of is has per".split()
    (folder / "vocab.txt").write_text("\n".join(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *words,
                                                 *"abcdefghijklmnopqrstuvwxyz0123456789"]) + "\n")
    tokenizer = BertTokenizer(str(folder / "vocab.txt"))
    torch.manual_seed(0)
    config = BertConfig(vocab_size=len(tokenizer), hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=128)
    BertModel(config).save_pretrained(folder / "bert")
    tokenizer.save_pretrained(folder / "bert")
    transformer = models.Transformer(str(folder / "bert"), max_seq_length=128)
    pooling = models.Pooling(config.hidden_size, pooling_mode="mean")
    SentenceTransformer(modules=[transformer, pooling], device="cpu").save(str(folder / "model"))
    return folder / "model"


@pytest.mark.slow
def test_hybrid_search_with_a_local_sentence_transformers_model(tiny_sentence_transformer, two_roots, tmp_path,
                                                                monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    index = DocIndex.build(two_roots, embedding_model=tiny_sentence_transformer)
    assert index.has_embeddings and index.embedding_model == str(tiny_sentence_transformer.resolve())
    saved = index.save(tmp_path / "index")
    loaded = DocIndex.load(saved)  # the model is loaded at the first dense search, not here
    dense = loaded.search("warp lanes", k=3, mode="dense")
    assert len(dense) == 3 and all(-1.0 <= h.score <= 1.0 for h in dense)
    hybrid = loaded.search("wavefront lanes", k=3)
    bm25_best = loaded.search("wavefront lanes", k=1, mode="bm25")[0]
    assert (bm25_best.path, bm25_best.start_line) in {(h.path, h.start_line) for h in hybrid}
    assert dense == index.search("warp lanes", k=3, mode="dense")


# ---------------------------------------------------------------- the default corpus

def test_default_corpus_answers_hardware_questions():
    index = default_index()
    assert default_index() is index  # built once per process
    top = index.search("How much LDS does each compute unit of an MI355X have?", k=3)
    assert top[0].path == "amd-instinct-cdna.md" and top[0].root == "gpu_notes"
    assert "160 KiB" in " ".join(h.text for h in top)
    top = index.search("what does num_warps mean on the HIP backend", k=1)[0]
    assert (top.path, top.section.split(" > ")[-1]) == ("triton-on-amd.md", "num_warps counts wavefronts")


def test_default_corpus_is_package_data():
    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    shipped = [p.relative_to(ROOT / "generators").as_posix() for p in DEFAULT_CORPUS.iterdir()]
    assert shipped and all(any(fnmatch.fnmatch(name, pattern) for pattern in patterns["generators"])
                           for name in shipped)
