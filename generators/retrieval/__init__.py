"""Documentation retrieval: grounds the teacher's prompts in AMD/ROCm and GPU documentation.

Public API: `DocIndex.build(roots)`, `index.save(dir)`, `DocIndex.load(dir)`, `index.search(query, k)` ->
`list[Hit]`, and `default_index()` (the shipped GPU notes, built once per process). Modules: `markup`
(Markdown/MyST/rST to readable sections), `chunking` (sections to cited chunks), `tokens` (BM25's words),
`dense` (optional sentence-transformers embeddings), `index` (the index), `default` (the shipped corpus).
"""

from generators.retrieval.chunking import DEFAULT_MAX_CHARS, Chunk
from generators.retrieval.default import DEFAULT_CORPUS, default_index
from generators.retrieval.errors import RetrievalError
from generators.retrieval.index import SEARCH_MODES, DocIndex, Hit

__all__ = ["DEFAULT_CORPUS", "DEFAULT_MAX_CHARS", "SEARCH_MODES", "Chunk", "DocIndex", "Hit", "RetrievalError",
           "default_index"]
