"""Domain errors of the knowledge base; their messages are shown to the user as they are."""


class EmbeddingError(Exception):
    """The configured embedder cannot be built."""


class StoreError(Exception):
    """The chunk store cannot be reached or opened."""
