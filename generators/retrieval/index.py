"""The documentation index: BM25 over section chunks (bm25s), with optional dense and hybrid search.

    index = DocIndex.build([Path("rocm-docs")])          # parse, chunk, index
    index.save("docs.idx"); index = DocIndex.load("docs.idx")
    for hit in index.search("How large is the LDS on MI300X?", k=5): print(hit.path, hit.section, hit.score)

A chunk's BM25 document is its text plus its heading path (counted `TITLE_WEIGHT` times, since a heading
says what a section is about in few words) plus the words of its file path. Search modes:
- `bm25`: BM25 scores (lucene variant); only chunks sharing a word with the query are returned, so fewer
  than k hits, or none, is a real answer;
- `dense`: cosine similarity of embeddings (an index built with an embedding model or function);
- `hybrid`: reciprocal-rank fusion of the two rankings (score = sum of 1 / (60 + rank)), which needs no
  calibration between BM25 scores and cosines; scores are then small numbers comparable only to each other;
- `auto` (the default): hybrid when the index has embeddings, else bm25.

Saved layout (a directory): `meta.json` (format version, roots, tokenizer version, embedding model),
`chunks.parquet` (root, path, section, text, start_line, end_line), `bm25/` (bm25s's own files) and, for a
dense index, `embeddings.npy`. Saving writes beside the target and renames into place, replacing an
existing index and refusing to overwrite a directory that is not one. Loading reads no model: a dense model is loaded at the first dense search.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Sequence

import bm25s
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from generators.retrieval.chunking import DEFAULT_MAX_CHARS, Chunk, chunk_tree
from generators.retrieval.dense import Embedder, SentenceTransformerEmbedder, embed
from generators.retrieval.errors import RetrievalError
from generators.retrieval.tokens import TOKENIZER_VERSION, tokenize

FORMAT = "kerneldata-docs-index"
FORMAT_VERSION = 1
TITLE_WEIGHT = 2
SEARCH_MODES = ("auto", "bm25", "dense", "hybrid")
_RRF_K = 60  # the usual reciprocal-rank-fusion constant (Cormack et al. 2009)
_CHUNK_SCHEMA = pa.schema([
    ("root", pa.string()), ("path", pa.string()), ("section", pa.string()), ("text", pa.string()),
    ("start_line", pa.int32()), ("end_line", pa.int32()),
])


@dataclass(frozen=True)
class Hit:
    path: str        # relative to its root, "/"-separated
    section: str     # heading path, "Title > Sub-title"
    score: float     # higher is better; BM25, cosine or fused, by search mode
    text: str
    start_line: int  # source lines of `text`, 1-based, inclusive
    end_line: int
    root: str        # the name of the indexed root

    def to_json(self) -> dict:
        return asdict(self)


class DocIndex:
    def __init__(self, chunks: list[Chunk], bm25: bm25s.BM25, roots: dict[str, str], *, max_chars: int,
                 embeddings: np.ndarray | None = None, embedding_model: str | None = None,
                 embedder: Embedder | None = None):
        self.chunks = chunks
        self.roots = roots  # name -> the absolute path it was built from
        self.max_chars = max_chars
        self.embedding_model = embedding_model
        self._bm25 = bm25
        self._embeddings = embeddings
        self._embedder = embedder

    def __len__(self) -> int:
        return len(self.chunks)

    @property
    def has_embeddings(self) -> bool:
        return self._embeddings is not None

    # ------------------------------------------------------------ build, save, load

    @classmethod
    def build(cls, roots: Sequence[str | Path], *, max_chars: int = DEFAULT_MAX_CHARS,
              embedding_model: str | Path | None = None, embedder: Embedder | None = None) -> "DocIndex":
        """Index the documentation files under each root. With `embedding_model` (a local
        sentence-transformers directory) or `embedder` (any texts -> vectors callable), also embed every chunk
        for dense and hybrid search."""
        if isinstance(roots, (str, Path)):
            roots = [roots]
        if not roots:
            raise RetrievalError("no documentation roots given")
        if max_chars < 100:
            raise RetrievalError(f"max_chars must be at least 100 (got {max_chars})")
        if embedding_model is not None and embedder is not None:
            raise RetrievalError("give an embedding model directory or an embedder, not both")
        paths = []
        for root in roots:
            path = Path(root).expanduser()
            if not path.is_dir():
                raise RetrievalError(f"{root}: {'not a directory' if path.exists() else 'no such directory'}")
            paths.append(path.resolve())
        names = _root_names(paths)
        if embedding_model is not None:  # before the parsing, so a missing model fails at once
            embedder = SentenceTransformerEmbedder(embedding_model)
        chunks: list[Chunk] = []
        for path, name in zip(paths, names):
            found = chunk_tree(path, name, max_chars)
            if not found:
                raise RetrievalError(f"{path}: no markdown, reStructuredText or .txt file with any text in it")
            chunks += found
        documents = [_document_tokens(chunk) for chunk in chunks]
        if not any(documents):
            raise RetrievalError(f"{', '.join(map(str, paths))}: no searchable words (only punctuation or stop "
                                 "words)")
        bm25 = bm25s.BM25()
        bm25.index(documents, show_progress=False)
        embeddings = model_name = None
        if embedder is not None:
            embeddings = embed(embedder, [_dense_text(chunk) for chunk in chunks])
            model_name = getattr(embedder, "path", None)
        return cls(chunks, bm25, {name: str(path) for name, path in zip(names, paths)}, max_chars=max_chars,
                   embeddings=embeddings, embedding_model=model_name, embedder=embedder)

    def save(self, directory: str | Path) -> Path:
        """Write the index to `directory`, replacing an index already there. It is written beside the target
        and renamed into place, so no reader ever sees a half-written index."""
        target = Path(directory).expanduser()
        occupied = target.exists() and (not target.is_dir() or any(target.iterdir()))
        if occupied and not (target / "meta.json").is_file():
            raise RetrievalError(f"{directory} exists and is not a kerneldata docs index; refusing to overwrite it")
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
            staging.chmod(0o755)  # mkdtemp's 0700 would make a shared index unreadable to others
        except OSError as err:
            raise RetrievalError(f"cannot write {directory}: {err.strerror}") from None
        try:
            self._write(staging)
            if target.exists():
                old = target.with_name(f".{target.name}.old-{os.getpid()}")
                target.rename(old)
                staging.rename(target)
                shutil.rmtree(old)
            else:
                staging.rename(target)
        except OSError as err:
            raise RetrievalError(f"cannot write {directory}: {err.strerror or err}") from None
        finally:
            if staging.exists():
                shutil.rmtree(staging)
        return target

    def _write(self, folder: Path) -> None:
        self._bm25.save(str(folder / "bm25"), show_progress=False)
        columns = {name: [getattr(chunk, name) for chunk in self.chunks] for name in _CHUNK_SCHEMA.names}
        pq.write_table(pa.table(columns, schema=_CHUNK_SCHEMA), folder / "chunks.parquet", compression="zstd")
        if self._embeddings is not None:
            np.save(folder / "embeddings.npy", self._embeddings)
        meta = {"format": FORMAT, "version": FORMAT_VERSION, "tokenizer": TOKENIZER_VERSION,
                "title_weight": TITLE_WEIGHT, "max_chars": self.max_chars, "num_chunks": len(self.chunks),
                "roots": self.roots, "embedding_model": self.embedding_model,
                "embedding_dim": None if self._embeddings is None else int(self._embeddings.shape[1])}
        (folder / "meta.json").write_text(json.dumps(meta, indent=2) + "\n")

    @classmethod
    def load(cls, directory: str | Path, *, embedder: Embedder | None = None) -> "DocIndex":
        """An index saved by `save`. `embedder` replaces the embedding model recorded in the index (needed
        when it was built with an embedding function rather than a model directory)."""
        folder = Path(directory).expanduser()
        if not folder.is_dir():
            raise RetrievalError(f"{directory}: no such index directory")
        if not (folder / "meta.json").is_file():
            raise RetrievalError(f"{directory} is not a kerneldata docs index (no meta.json); "
                                 "build one with `kerneldata docs index SRC... --out DIR`")
        try:
            meta = json.loads((folder / "meta.json").read_text())
            if not isinstance(meta, dict) or meta.get("format") != FORMAT:
                raise RetrievalError(f"{directory}/meta.json is not a kerneldata docs index's metadata")
            if meta.get("version") != FORMAT_VERSION or meta.get("tokenizer") != TOKENIZER_VERSION:
                raise RetrievalError(f"{directory} was built by another kerneldata version (format "
                                     f"{meta.get('version')}, tokenizer {meta.get('tokenizer')}; this one reads "
                                     f"{FORMAT_VERSION} and {TOKENIZER_VERSION}); rebuild it with "
                                     "`kerneldata docs index`")
            # ParquetFile, not pq.read_table: the latter imports pyarrow.dataset and pandas (a third of a second)
            table = pq.ParquetFile(folder / "chunks.parquet").read()
            if not table.schema.equals(_CHUNK_SCHEMA):
                raise RetrievalError(f"{directory}: corrupt docs index (chunks.parquet has columns "
                                     f"{', '.join(table.schema.names)})")
            chunks = [Chunk(**row) for row in table.to_pylist()]
            bm25 = bm25s.BM25.load(str(folder / "bm25"), show_progress=False)
            embeddings = np.load(folder / "embeddings.npy") if meta.get("embedding_dim") else None
        except RetrievalError:
            raise
        except (OSError, ValueError, KeyError, TypeError, pa.ArrowException) as err:
            detail = str(err).strip().splitlines()[0] if str(err).strip() else ""
            raise RetrievalError(f"{directory}: corrupt docs index ({type(err).__name__}: {detail})") from None
        counts = {"meta.json": meta.get("num_chunks"), "chunks.parquet": len(chunks),
                  "bm25": int(bm25.scores["num_docs"])}
        if embeddings is not None:
            counts["embeddings.npy"] = embeddings.shape[0]
        if len(set(counts.values())) != 1:
            found = ", ".join(f"{name} {count}" for name, count in counts.items())
            raise RetrievalError(f"{directory}: corrupt docs index (chunk counts disagree: {found})")
        return cls(chunks, bm25, dict(meta["roots"]), max_chars=int(meta["max_chars"]), embeddings=embeddings,
                   embedding_model=meta.get("embedding_model"), embedder=embedder)

    # ------------------------------------------------------------ search

    def search(self, query: str, k: int = 5, mode: str = "auto") -> list[Hit]:
        """The best `k` chunks for `query`, best first (see the module docstring for the modes)."""
        if not isinstance(k, int) or k < 1:
            raise RetrievalError(f"k must be a positive integer (got {k!r})")
        if mode not in SEARCH_MODES:
            raise RetrievalError(f"unknown search mode {mode!r}; known modes: {', '.join(SEARCH_MODES)}")
        if mode == "auto":
            mode = "hybrid" if self.has_embeddings else "bm25"
        if mode == "bm25":
            scores = self._bm25_scores(query)
            return self._hits(_top(scores, k, positive_only=True), scores)
        similarities = self._dense_scores(query)
        if mode == "dense":
            return self._hits(_top(similarities, k), similarities)
        pool = max(50, 10 * k)
        fused = np.zeros(len(self.chunks), dtype=np.float64)
        for ranking in (_top(self._bm25_scores(query), pool, positive_only=True), _top(similarities, pool)):
            fused[ranking] += 1.0 / (_RRF_K + 1 + np.arange(len(ranking)))
        return self._hits(_top(fused, k, positive_only=True), fused)

    def _bm25_scores(self, query: str) -> np.ndarray:
        ids = self._bm25.get_tokens_ids(tokenize(query))
        if not ids:
            return np.zeros(len(self.chunks), dtype=np.float32)
        return self._bm25.get_scores_from_ids(ids)

    def _dense_scores(self, query: str) -> np.ndarray:
        if self._embeddings is None:
            raise RetrievalError("this index has no embeddings (build it with an embedding model for dense "
                                 "or hybrid search); search it in bm25 mode")
        if self._embedder is None:
            if self.embedding_model is None:
                raise RetrievalError("this index was embedded by a function given at build time; pass the same "
                                     "embedder to DocIndex.load, or search in bm25 mode")
            try:
                self._embedder = SentenceTransformerEmbedder(self.embedding_model)
            except RetrievalError as err:
                raise RetrievalError(f"{err} (needed for this index's dense search; bm25 mode needs no "
                                     "model)") from None
        query_vector = embed(self._embedder, [query])[0]
        if query_vector.shape[0] != self._embeddings.shape[1]:
            raise RetrievalError(f"the embedder gives {query_vector.shape[0]}-dimensional vectors; this index "
                                 f"holds {self._embeddings.shape[1]}-dimensional ones (another model?)")
        return self._embeddings @ query_vector

    def _hits(self, order: np.ndarray, scores: np.ndarray) -> list[Hit]:
        return [Hit(path=c.path, section=c.section, score=round(float(scores[i]), 6), text=c.text,
                    start_line=c.start_line, end_line=c.end_line, root=c.root)
                for i in order for c in (self.chunks[int(i)],)]


def _top(scores: np.ndarray, k: int, positive_only: bool = False) -> np.ndarray:
    """Indices of the k highest scores, best first; ties keep index order, so results are deterministic."""
    order = np.argsort(-scores, kind="stable")[:k]
    return order[scores[order] > 0] if positive_only else order


def _document_tokens(chunk: Chunk) -> list[str]:
    path_words = chunk.path.rsplit(".", 1)[0].replace("/", " ").replace("-", " ").replace("_", " ")
    return tokenize(chunk.section) * TITLE_WEIGHT + tokenize(path_words) + tokenize(chunk.text)


def _dense_text(chunk: Chunk) -> str:
    return f"{chunk.section}\n{chunk.text}" if chunk.section else chunk.text


def _root_names(paths: list[Path]) -> list[str]:
    """Each root's folder name; where two share a name, enough parent folders to tell them apart."""
    if len(set(paths)) != len(paths):
        twice = next(p for p in paths if paths.count(p) > 1)
        raise RetrievalError(f"{twice} is given twice")
    for depth in range(1, max(len(p.parts) for p in paths) + 1):
        names = ["/".join(p.parts[-depth:]).lstrip("/") or str(p) for p in paths]
        if len(set(names)) == len(names):
            return names
    return [str(p) for p in paths]
