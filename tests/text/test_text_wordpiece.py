"""The pure-Python tokenizer by itself: hand-checked examples of each rule, packing, errors, imports."""

import ast
import sys
from pathlib import Path

import pytest
from import_check import packages_loaded_by

import fnet_keras.text.wordpiece
from fnet_keras.text import (
    CLS_ID,
    PAD_ID,
    SEP_ID,
    SPECIAL_TOKENS,
    TokenizerConfig,
    TokenizerError,
    WordPieceEncoder,
    pack_token_ids,
    save_vocabulary,
)

VOCABULARY = [
    *SPECIAL_TOKENS,
    *"hello world , ! [ ] play ##ing ##s cafe café a ##a b strasse σασ i".split(),
    *"東 京 ##京 å ##å ŉ ##ŉ ʼn ##ʼn".split(),
]
KERAS_HUB = TokenizerConfig(rules="keras_hub")
RAW = TokenizerConfig(rules="keras_hub", lowercase=False, strip_accents=False, split_on_cjk=False)


def tokens(text: str, config: TokenizerConfig = KERAS_HUB) -> list[str]:
    return WordPieceEncoder(VOCABULARY, config).tokenize(text)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Hello, World!", ["hello", ",", "world", "!"]),
        ("Playing plays  playss", ["play", "##ing", "play", "##s", "play", "##s", "##s"]),
        ("Café CAFE cafe\u0301", ["cafe", "cafe", "cafe"]),
        ("東京", ["東", "京"]),
        ("hello\u00a0world\u3000hello\u2003world", ["hello", "world", "hello", "world"]),
        ("hello\u200bworld\x00hello\u00adworld", ["hello", "world", "hello", "world"]),
        ("STRASSE Straße ΣΑΣ σας İ", ["strasse", "strasse", "σασ", "σασ", "i"]),  # Full folding: ß, ς.
        ("[CLS] [SEP]", ["[", "[UNK]", "]", "[", "[UNK]", "]"]),
        ("a \u3164 b", ["a", "b"]),  # HANGUL FILLER folds to nothing: an empty word, no token.
        ("a\u00b4b", ["[UNK]"]),  # U+00B4 folds to U+0020 U+0301; the word is not split again.
        ("playx", ["[UNK]"]),
        ("", []),
        (" \t\n\u200d ", []),
    ],
)
def test_keras_hub_rules(text, expected):
    assert tokens(text) == expected


def test_settings_off():
    assert tokens("café Café CAFE", RAW) == ["café", "[UNK]", "[UNK]"]  # Neither folded nor stripped.
    no_lowercase = TokenizerConfig(rules="keras_hub", lowercase=False)
    assert tokens("Café", no_lowercase) == ["[UNK]"]  # "Cafe": stripped, not folded.
    assert tokens("東京", RAW) == ["東", "##京"]  # One word when CJK is not split.


def test_word_length_limit_counts_utf8_bytes_after_case_folding():
    assert tokens("a" * 100) == ["a"] + ["##a"] * 99
    assert tokens("a" * 101) == ["[UNK]"]
    # U+212B ANGSTROM SIGN: 3 bytes, folds to U+00E5 (2 bytes): 102 bytes in, 68 bytes tokenized.
    no_strip = TokenizerConfig(rules="keras_hub", strip_accents=False)
    assert tokens("\u212b" * 34, no_strip) == ["å"] + ["##å"] * 33
    # U+0149 (2 bytes) folds to U+02BC U+006E (3 bytes): 80 bytes in, 120 after folding.
    assert tokens("ŉ" * 40) == ["[UNK]"]
    assert tokens("ŉ" * 40, RAW) == ["ŉ"] + ["##ŉ"] * 39
    assert tokens("ŉ" * 33) == ["ʼn"] + ["##ʼn"] * 32


def test_encode_packs_truncates_and_pads():
    encoder = WordPieceEncoder(VOCABULARY, TokenizerConfig(rules="keras_hub", sequence_length=6))
    a, b = VOCABULARY.index("a"), VOCABULARY.index("b")
    assert encoder.encode("") == [CLS_ID, SEP_ID, PAD_ID, PAD_ID, PAD_ID, PAD_ID]
    assert encoder.encode("a b") == [CLS_ID, a, b, SEP_ID, PAD_ID, PAD_ID]
    assert encoder.encode("a b a b") == [CLS_ID, a, b, a, b, SEP_ID]
    assert encoder.encode("a b a b a b a") == [CLS_ID, a, b, a, b, SEP_ID]
    assert encoder.encode_batch(["a", ""]) == [encoder.encode("a"), encoder.encode("")]
    assert encoder.token_ids("b a") == [b, a]
    assert pack_token_ids([7, 8, 9], 2) == [CLS_ID, SEP_ID]
    assert len(WordPieceEncoder(VOCABULARY).encode("a")) == 128


def test_from_files(tmp_path):
    path = save_vocabulary(VOCABULARY, tmp_path / "vocab.txt")
    encoder = WordPieceEncoder.from_files(path, TokenizerConfig(rules="keras_hub", sequence_length=8))
    assert encoder.vocabulary == VOCABULARY
    assert encoder.encode("Hello") == [CLS_ID, VOCABULARY.index("hello"), SEP_ID] + [PAD_ID] * 5


def test_bad_text_is_a_tokenizer_error():
    encoder = WordPieceEncoder(VOCABULARY)
    with pytest.raises(TokenizerError, match="lone surrogate U\\+D800 at index 1"):
        encoder.encode("a\ud800")
    with pytest.raises(TokenizerError, match="must be a str, got bytes"):
        encoder.encode(b"hello")


PACKAGE = Path(fnet_keras.__file__).parent
PURE_MODULES = [
    "text/errors",
    "text/config",
    "text/vocabulary",
    "text/wordpiece",
    "text/__init__",
    "text/charsets",
    "text/mediapipe_rules",
    "errors",
    "atomic",
]


@pytest.mark.parametrize("name", PURE_MODULES)
def test_pure_modules_import_only_the_standard_library(name):
    source = (PACKAGE / f"{name}.py").read_text(encoding="utf-8")
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            modules = [node.module]
        else:
            continue
        for module in modules:
            top = module.split(".")[0]
            assert top in sys.stdlib_module_names or module in {
                "fnet_keras.atomic",  # stdlib-only, checked below
                "fnet_keras.errors",
                "fnet_keras.text.charsets",
                "fnet_keras.text.config",
                "fnet_keras.text.errors",
                "fnet_keras.text.mediapipe_rules",
                "fnet_keras.text.vocabulary",
                "fnet_keras.text.wordpiece",
            }, f"{name}.py imports {module}"


def test_importing_the_package_loads_no_tensorflow():
    heavy = ("tensorflow", "keras", "keras_hub", "numpy", "regex")
    statements = "import fnet_keras.text as t; t.WordPieceEncoder; t.load_vocabulary"
    assert packages_loaded_by(statements, heavy) == []
