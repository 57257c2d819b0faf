"""`TokenizerConfig`: the tokenizer settings saved in a run's config.json and a bundle's bundle.json."""

from __future__ import annotations

import dataclasses
import os
from typing import Any

from fnet_keras.text.errors import TokenizerError

# Version of the tokenizer *rules* (see fnet_keras/text/wordpiece.py). Bump it when a rule
# changes, so a bundle tokenized under old rules is refused instead of silently mis-tokenized.
RULES_VERSION = 1

# tf_text.FastWordpieceTokenizer's max_bytes_per_word; keras-hub's WordPieceTokenizer does not
# expose it, so it is a fixed rule rather than a free setting.
MAX_WORD_BYTES = 100


@dataclasses.dataclass(frozen=True)
class TokenizerConfig:
    """How text becomes token ids; both tokenizer halves read exactly these settings.

    Args:
        lowercase: apply Unicode NFKC_Casefold to each word.
        strip_accents: NFD-decompose the text and delete nonspacing marks (gc=Mn).
        split_on_cjk: make every CJK ideograph a word of its own.
        sequence_length: packed length: `[CLS] tokens [SEP]` then `[PAD]`s; at least 2.
        max_word_bytes: a word longer than this many UTF-8 bytes becomes `[UNK]`.
            Recorded so ports can read every rule from the saved dict; only 100 is supported.
    """

    lowercase: bool = True
    strip_accents: bool = True
    split_on_cjk: bool = True
    sequence_length: int = 128
    max_word_bytes: int = MAX_WORD_BYTES

    def __post_init__(self):
        for name in ("lowercase", "strip_accents", "split_on_cjk"):
            value = getattr(self, name)
            if not isinstance(value, bool):
                raise TokenizerError(f"tokenizer setting {name!r} must be true or false, got {value!r}")
        length = self.sequence_length
        if not isinstance(length, int) or isinstance(length, bool) or length < 2:
            raise TokenizerError(
                f"tokenizer setting 'sequence_length' must be an integer >= 2 "
                f"(room for [CLS] and [SEP]), got {length!r}"
            )
        if self.max_word_bytes != MAX_WORD_BYTES or isinstance(self.max_word_bytes, bool):
            raise TokenizerError(
                f"tokenizer setting 'max_word_bytes' must be {MAX_WORD_BYTES} (fixed by keras-hub's "
                f"WordPieceTokenizer), got {self.max_word_bytes!r}"
            )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict; `from_dict` reads it back."""
        return {"version": RULES_VERSION, **dataclasses.asdict(self)}

    @classmethod
    def from_dict(cls, data: Any, path: str | os.PathLike | None = None) -> TokenizerConfig:
        """Reads `to_dict` output; every key is required and no other key is allowed.

        Args:
            data: the dict, e.g. `json.load(f)["tokenizer"]`.
            path: the file it came from, named in errors.
        """
        if not isinstance(data, dict):
            raise TokenizerError(f"tokenizer config must be a JSON object, got {data!r}", path)
        expected = {"version"} | {field.name for field in dataclasses.fields(cls)}
        unknown = sorted(set(data) - expected, key=str)
        if unknown:
            raise TokenizerError(f"unknown tokenizer setting(s) {unknown}; known: {sorted(expected)}", path)
        missing = sorted(expected - set(data))
        if missing:
            raise TokenizerError(f"tokenizer config lacks {missing}", path)
        version = data["version"]
        if version != RULES_VERSION or isinstance(version, bool):
            raise TokenizerError(
                f"tokenizer rules version {version!r} is not supported; this fnet_keras "
                f"implements version {RULES_VERSION}",
                path,
            )
        settings = {key: value for key, value in data.items() if key != "version"}
        try:
            return cls(**settings)
        except TokenizerError as error:
            raise TokenizerError(error.reason, path) from None
