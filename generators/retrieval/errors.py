"""The one exception retrieval raises for bad input."""


class RetrievalError(ValueError):
    """Bad input to retrieval (a missing or empty tree, a corrupt index, an unavailable embedding model):
    the message is one line saying what was wrong."""
