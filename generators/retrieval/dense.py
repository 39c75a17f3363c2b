"""Dense embeddings for hybrid search: a sentence-transformers model loaded from a local directory.

Optional twice over: the library comes with the `dense` extra (`pip install 'kerneldata[dense]'`) and the
model must already be on disk, since nothing is ever downloaded (a path that is not a directory is an error,
not a Hub name to fetch). Both failures raise `RetrievalError` with one line saying what is missing.

Any callable `texts -> array of shape (len(texts), dim)` can stand in for the model (`Embedder`); vectors
are L2-normalised here, so cosine similarity is a dot product.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from generators.retrieval.errors import RetrievalError

Embedder = Callable[[Sequence[str]], np.ndarray]


class SentenceTransformerEmbedder:
    """A local sentence-transformers model on CPU (or `device`)."""

    def __init__(self, model_path: str | Path, device: str = "cpu", batch_size: int = 32):
        path = Path(model_path).expanduser()
        if not path.is_dir():
            raise RetrievalError(f"embedding model {model_path} is not a local directory (models are never "
                                 "downloaded; give the path of a saved sentence-transformers model)")
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError:
            raise RetrievalError("dense retrieval needs sentence-transformers: "
                                 "pip install 'kerneldata[dense]'") from None
        _quiet_transformers()
        try:
            self._model = SentenceTransformer(str(path), device=device, local_files_only=True)
        except Exception as err:  # noqa: BLE001 - any failure to load is one line naming the model
            first = str(err).strip().splitlines()[0] if str(err).strip() else ""
            raise RetrievalError(f"cannot load embedding model {model_path}: {type(err).__name__}: {first}") from None
        self.path = str(path.resolve())
        self._batch_size = batch_size

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        return self._model.encode(list(texts), batch_size=self._batch_size, convert_to_numpy=True,
                                  show_progress_bar=False)


def embed(embedder: Embedder, texts: Sequence[str]) -> np.ndarray:
    """Unit-length float32 vectors of `texts`, shape (len(texts), dim)."""
    vectors = np.asarray(embedder(list(texts)), dtype=np.float32)
    if vectors.ndim != 2 or vectors.shape[0] != len(texts):
        raise RetrievalError(f"the embedder returned shape {vectors.shape} for {len(texts)} texts; "
                             "expected (number of texts, dimension)")
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


def _quiet_transformers() -> None:
    """No weight-loading progress bars on stderr (a CLI's stderr is for its one-line reasons)."""
    try:
        from transformers.utils import logging as transformers_logging

        transformers_logging.disable_progress_bar()
    except ImportError:  # an older sentence-transformers stack without this switch: bars are only cosmetic
        pass
