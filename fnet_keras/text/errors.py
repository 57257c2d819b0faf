"""The one exception type for bad tokenizer input: vocabularies, configs, texts."""

from fnet_keras.errors import LocatedError


class TokenizerError(LocatedError):
    """Bad tokenizer input (a vocabulary file, a run's or bundle's tokenizer settings)."""
