"""`TokenizerConfig`: the tokenizer settings saved in a run's config.json and a bundle's bundle.json."""

from __future__ import annotations

import dataclasses
import os
from typing import Any

from fnet_keras.text.errors import TokenizerError

# Version of the saved tokenizer settings and rules. 1: keras-hub's rules only, no "rules" key
# (runs and bundles written before the MediaPipe rules; still read). 2: a "rules" key names the
# rule set. Bump it when a rule changes, so settings written under old rules are refused
# instead of silently mis-tokenized.
RULES_VERSION = 2
SUPPORTED_RULES_VERSIONS = (1, 2)

# The rule sets (the package docstring says what each is for).
MEDIAPIPE_RULES = "mediapipe"
KERAS_HUB_RULES = "keras_hub"
TOKENIZER_RULES = (MEDIAPIPE_RULES, KERAS_HUB_RULES)
DEFAULT_RULES = MEDIAPIPE_RULES

FLAGS = ("lowercase", "strip_accents", "split_on_cjk")
# Flags left None take these values. Under "keras_hub" they are defaults; under "mediapipe"
# they are what MediaPipe does, and no other value is accepted.
RULE_FLAGS = {
    KERAS_HUB_RULES: {"lowercase": True, "strip_accents": True, "split_on_cjk": True},
    MEDIAPIPE_RULES: {"lowercase": True, "strip_accents": False, "split_on_cjk": True},
}
# What MediaPipe's flags mean, for the error that refuses other values.
_MEDIAPIPE_FLAG_REASONS = {
    "lowercase": "MediaPipe always lower-cases A-Z",
    "strip_accents": "MediaPipe keeps accents",
    "split_on_cjk": "MediaPipe always splits CJK ideographs",
}

# Words longer than this many UTF-8 bytes become [UNK]: tf_text.FastWordpieceTokenizer's
# max_bytes_per_word (keras-hub does not expose it) and MediaPipe's max_bytes_per_token.
# A fixed rule rather than a free setting.
MAX_WORD_BYTES = 100


@dataclasses.dataclass(frozen=True)
class TokenizerConfig:
    """How text becomes token ids; every tokenizer (in-graph, pure Python) reads exactly these settings.

    Args:
        rules: `"mediapipe"` (the default, for bundles that run in MediaPipe) or `"keras_hub"`.
        lowercase, strip_accents, split_on_cjk: steps of the rules (written down in
            `fnet_keras/text/mediapipe_rules.py` and `fnet_keras/text/wordpiece.py`); None takes
            the value of `RULE_FLAGS`, the only one "mediapipe" accepts.
        sequence_length: packed length: `[CLS] tokens [SEP]` then `[PAD]`s; at least 2.
        max_word_bytes: a word longer than this many UTF-8 bytes becomes `[UNK]`.
            Recorded so ports can read every rule from the saved dict; only 100 is supported.

    Example:
        TokenizerConfig(sequence_length=64)                      # MediaPipe's rules
        TokenizerConfig(rules="keras_hub", strip_accents=False)  # keras-hub's, accents kept
    """

    rules: str = DEFAULT_RULES
    lowercase: bool | None = None
    strip_accents: bool | None = None
    split_on_cjk: bool | None = None
    sequence_length: int = 128
    max_word_bytes: int = MAX_WORD_BYTES

    def __post_init__(self):
        if self.rules not in TOKENIZER_RULES:
            raise TokenizerError(
                f"tokenizer setting 'rules' must be one of {', '.join(map(repr, TOKENIZER_RULES))}, "
                f"got {self.rules!r}"
            )
        for name in FLAGS:
            value = getattr(self, name)
            if value is None:
                object.__setattr__(self, name, RULE_FLAGS[self.rules][name])
            elif not isinstance(value, bool):
                raise TokenizerError(f"tokenizer setting {name!r} must be true or false, got {value!r}")
            elif self.rules == MEDIAPIPE_RULES and value != RULE_FLAGS[MEDIAPIPE_RULES][name]:
                fixed = str(RULE_FLAGS[MEDIAPIPE_RULES][name]).lower()
                raise TokenizerError(
                    f"tokenizer setting {name!r} must be {fixed} under rules 'mediapipe' "
                    f"({_MEDIAPIPE_FLAG_REASONS[name]}), got {str(value).lower()}; "
                    f"use rules 'keras_hub' for other settings"
                )
        length = self.sequence_length
        if not isinstance(length, int) or isinstance(length, bool) or length < 2:
            raise TokenizerError(
                f"tokenizer setting 'sequence_length' must be an integer >= 2 "
                f"(room for [CLS] and [SEP]), got {length!r}"
            )
        if self.max_word_bytes != MAX_WORD_BYTES or isinstance(self.max_word_bytes, bool):
            raise TokenizerError(
                f"tokenizer setting 'max_word_bytes' must be {MAX_WORD_BYTES} (fixed by keras-hub's "
                f"WordPieceTokenizer and MediaPipe's BERT tokenizer), got {self.max_word_bytes!r}"
            )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (version 2, every flag resolved); `from_dict` reads it back."""
        return {"version": RULES_VERSION, **dataclasses.asdict(self)}

    @classmethod
    def from_dict(cls, data: Any, path: str | os.PathLike | None = None) -> TokenizerConfig:
        """Reads `to_dict` output (or a version 1 dict, as `rules="keras_hub"`); every key is
        required and no other key is allowed. `path`, the file it came from, is named in errors."""
        if not isinstance(data, dict):
            raise TokenizerError(f"tokenizer config must be a JSON object, got {data!r}", path)
        version = data.get("version")
        expected = {"version"} | {field.name for field in dataclasses.fields(cls)}
        if version == 1 and not isinstance(version, bool):
            expected.discard("rules")
        unknown = sorted(set(data) - expected, key=str)
        if unknown:
            raise TokenizerError(f"unknown tokenizer setting(s) {unknown}; known: {sorted(expected)}", path)
        missing = sorted(expected - set(data))
        if missing:
            raise TokenizerError(f"tokenizer config lacks {missing}", path)
        if version not in SUPPORTED_RULES_VERSIONS or isinstance(version, bool):
            raise TokenizerError(
                f"tokenizer rules version {version!r} is not supported; this fnet_keras "
                f"implements versions {', '.join(map(str, SUPPORTED_RULES_VERSIONS))}",
                path,
            )
        settings = {key: value for key, value in data.items() if key != "version"}
        if version == 1:
            settings["rules"] = KERAS_HUB_RULES
        for name in FLAGS:  # Saved dicts hold resolved flags: None is not a saved value.
            if settings[name] is None:
                raise TokenizerError(f"tokenizer setting {name!r} must be true or false, got None", path)
        try:
            return cls(**settings)
        except TokenizerError as error:
            raise TokenizerError(error.reason, path) from None
