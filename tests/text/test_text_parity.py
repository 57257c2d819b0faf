"""Parity under the "keras_hub" rules: the in-graph tokenizer (keras-hub) and the pure-Python one agree.

Checked on every code point of the guaranteed set (Unicode 13.0) at the word level, on
FastWordpiece against the greedy rule, on 5,000 generated texts per setting end to end, and
on SST-2's test sentences through tf.data; plus the known differences outside the guarantee.
"""

import operator
import random

import pytest
import tensorflow as tf
import tensorflow_text
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fnet_keras.text import SPECIAL_TOKENS, TokenizerConfig, WordPieceEncoder, pretokenize
from fnet_keras.text.learn import learn_vocabulary
from fnet_keras.text.tf_tokenizer import make_tf_tokenizer
from fnet_keras.text.wordpiece import UNICODE_SPACES

KERAS_HUB = TokenizerConfig(rules="keras_hub")
CONFIGS = [
    KERAS_HUB,
    TokenizerConfig(rules="keras_hub", strip_accents=False),
    TokenizerConfig(rules="keras_hub", lowercase=False),
    TokenizerConfig(
        rules="keras_hub", lowercase=False, strip_accents=False, split_on_cjk=False, sequence_length=16
    ),
]
CONFIG_IDS = ["default", "no-strip", "no-lowercase", "raw-no-cjk-len16"]
# Generated texts per setting: 5,000 for the default one, 1,000 for each of the others.
GENERATED_TEXTS = {"default": 5000, "no-strip": 1000, "no-lowercase": 1000, "raw-no-cjk-len16": 1000}
BATCH = 25

# Characters that exercise the rules: cased and accented letters, special foldings, scripts,
# CJK (unified, compatibility, extension B), emoji with ZWJ and skin tones, compatibility
# forms, combining marks (Mn, Mc, Me), spacing accents that fold to a space, punctuation (ASCII
# and not), format characters, default-ignorable fillers, controls, all spaces, private use.
INTERESTING = (
    "aAzZ09éÉèçñÑüÜößẞſﬁﬃÅİıΣσςΐΰΑΒΓαβγάέАБВабвёЁ"
    "אבגعربيहिन्दीไทย한국어각\u1100\u1161\u11a8ひらがなカタカナｶﾀｶﾅ中文字東京\uf900\ufa10\U00020000\U0002f800"
    "😀👍🏽👨\u200d👩\u200d👧\ufe0f\u20e3①②⑴½²ℌℍＡＢＣａｂｃ\u0301\u0308\u0327\u0345\u034f\u20dd"
    "\u1734\u093f\u0903\u00b4\u00a8\u02d8\u0384\u1fef\u037e,.!?;:'\"()[]{}<>@#$%^&*-_=+|\\/~`"
    "\u00a1\u00bf\u2014\u2026\u3001\u3002\u300c\u300d\uff01\uff03\ufe5f\u200b\u200c\u2060\ufeff\u00ad\u061c"
    "\u3164\uffa0\u115f\u1160\x00\x01\x7f\x85\x0b\x1c \t\n\r\f" + UNICODE_SPACES + "\ue000\U000f0000"
    "\u2126\u212a\u212b\uab70\u13a0\u0149\ufdfa"
)
COMMON_WORDS = [
    "the",
    "film",
    "is",
    "n't",
    "playing",
    "café",
    "naïve",
    "東京",
    "привет",
    "καλημέρα",
    "한국어",
    "Straße",
]


def _decode(ragged: tf.RaggedTensor) -> list[list[int]]:
    return ragged.to_list()


@pytest.fixture(scope="module")
def parity_vocabulary() -> list[str]:
    """Learned from a generated multilingual corpus, plus one- and continuation-pieces for INTERESTING."""
    rng = random.Random(0)
    letters = [c for c in INTERESTING if c.isalpha()]
    words = COMMON_WORDS + ["".join(rng.choice(letters) for _ in range(rng.randint(2, 6))) for _ in range(60)]
    corpus = [" ".join(rng.choice(words) for _ in range(rng.randint(3, 12))) for _ in range(600)]
    vocabulary = learn_vocabulary(corpus, vocabulary_size=2000, config=KERAS_HUB)
    extra = []
    for config in CONFIGS:
        for char in INTERESTING:
            for word in pretokenize(char, config):
                extra += [word, "##" + word]
    extra = [token for token in extra if token.removeprefix("##") and not any(c.isspace() for c in token)]
    return list(dict.fromkeys(vocabulary + extra))


def test_parity_vocabulary_is_rich(parity_vocabulary):
    assert tuple(parity_vocabulary[:5]) == SPECIAL_TOKENS
    assert {"東", "##京", "a", "##a", "ß", "ss", "한", "😀", "##😀"} <= set(parity_vocabulary)
    assert len(parity_vocabulary) > 500


@pytest.mark.slow
@pytest.mark.parametrize("config", CONFIGS, ids=CONFIG_IDS)
def test_every_guaranteed_code_point_splits_and_folds_alike(config, guaranteed_code_points, keras_hub_words):
    # Each code point c in "A{c}b {c}": alone, inside a word (composing with "A"), at a word start.
    texts = [f"A{chr(code_point)}b {chr(code_point)}" for code_point in guaranteed_code_points]
    expected = keras_hub_words(texts, config)
    actual = [pretokenize(text, config) for text in texts]
    mismatches = [
        (hex(code_point), tf_words, words)
        for code_point, tf_words, words in zip(guaranteed_code_points, expected, actual, strict=True)
        if words != tf_words
    ]
    assert len(texts) == 143_924 + 6 * 64
    assert mismatches == []


@settings(max_examples=60, deadline=None, derandomize=True)
@given(
    tokens=st.lists(st.text(alphabet="abé東", min_size=1, max_size=4), min_size=1, max_size=12),
    suffixes=st.lists(st.text(alphabet="abé東", min_size=1, max_size=4), max_size=12),
    words=st.lists(st.text(alphabet="abé東", min_size=1, max_size=40), min_size=1, max_size=30),
)
def test_fast_wordpiece_is_greedy_longest_match_first(tokens, suffixes, words):
    vocabulary = list(dict.fromkeys([*SPECIAL_TOKENS, *tokens, *("##" + s for s in suffixes)]))
    # Built as keras-hub's WordPieceTokenizer builds it.
    fast = tensorflow_text.FastWordpieceTokenizer(
        vocab=vocabulary,
        token_out_type=tf.int32,
        suffix_indicator="##",
        unknown_token="[UNK]",
        no_pretokenization=True,
        support_detokenization=True,
    )
    raw = TokenizerConfig(rules="keras_hub", lowercase=False, strip_accents=False, split_on_cjk=False)
    encoder = WordPieceEncoder(vocabulary, raw)
    expected = fast.tokenize(tf.constant(words)).to_list()
    assert [encoder.token_ids(word) for word in words] == expected


def _text_strategy(guaranteed_chars: list[str], vocabulary: list[str]) -> st.SearchStrategy[str]:
    pieces = [token.removeprefix("##") for token in vocabulary[len(SPECIAL_TOKENS) :] if token != "##"]
    fragment = st.one_of(
        st.text(alphabet=st.sampled_from(INTERESTING), min_size=1, max_size=6),
        st.sampled_from(guaranteed_chars),
        st.sampled_from(pieces),
        st.sampled_from(COMMON_WORDS),
        st.text(alphabet=" \t\n\u00a0\u2003\u3000\u200b.,!?#", min_size=1, max_size=4),
        # Long words around the 100-byte limit, with 1- to 4-byte characters, some folding longer.
        st.builds(
            operator.mul,
            st.sampled_from(["a", "é", "東", "ŉ", "\u212b", "ß", "😀", "Ab"]),
            st.integers(20, 110),
        ),
    )
    return st.lists(fragment, max_size=10).map("".join)


@pytest.mark.slow
@pytest.mark.parametrize("config, name", list(zip(CONFIGS, CONFIG_IDS, strict=True)), ids=CONFIG_IDS)
def test_generated_texts_get_identical_ids(config, name, parity_vocabulary, guaranteed_code_points):
    tokenizer = make_tf_tokenizer(parity_vocabulary, config)
    encoder = WordPieceEncoder(parity_vocabulary, config)
    texts_strategy = _text_strategy([chr(c) for c in guaranteed_code_points], parity_vocabulary)
    counts = {"texts": 0, "tokens": 0, "unknown": 0}

    @settings(
        max_examples=GENERATED_TEXTS[name] // BATCH,
        deadline=None,
        derandomize=True,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.large_base_example,
        ],
    )
    @given(texts=st.lists(texts_strategy, min_size=BATCH, max_size=BATCH))
    def check(texts):
        # Unpacked ids: nothing is hidden by truncation. Packing is compared in the tests below.
        batch = tf.constant([text.encode("utf-8") for text in texts], dtype=tf.string)
        tf_ids = _decode(tokenizer.token_ids(batch))
        assert [encoder.token_ids(text) for text in texts] == tf_ids
        counts["texts"] += len(texts)
        counts["tokens"] += sum(map(len, tf_ids))
        counts["unknown"] += sum(row.count(1) for row in tf_ids)

    check()
    assert counts["texts"] == GENERATED_TEXTS[name]
    print(f"{name}: {counts}")
    assert counts["unknown"] < counts["tokens"] / 2, counts  # Most tokens are real pieces, not [UNK].


@pytest.mark.slow
def test_sst2_test_sentences_get_identical_ids_through_tf_data(sst2_test_sentences):
    sentences = sst2_test_sentences
    # Learning from 400 sentences (about a second) gives a small vocabulary: many words split into pieces.
    vocabulary = learn_vocabulary(sentences[:400], vocabulary_size=8000, config=KERAS_HUB)
    config = TokenizerConfig(rules="keras_hub", sequence_length=64)
    tokenizer = make_tf_tokenizer(vocabulary, config)
    dataset = tf.data.Dataset.from_tensor_slices(sentences).batch(256).map(tokenizer)
    tf_ids = [row for batch in dataset.as_numpy_iterator() for row in batch.tolist()]
    assert len(tf_ids) == len(sentences) > 800
    assert tf_ids == WordPieceEncoder(vocabulary, config).encode_batch(sentences)
    unpacked = _decode(tokenizer.token_ids(tf.constant(sentences)))
    assert unpacked == [WordPieceEncoder(vocabulary, config).token_ids(s) for s in sentences]
    assert max(map(len, unpacked)) > 62, "some sentences are truncated, so truncation is compared too"


def test_outside_the_guarantee_the_halves_can_differ(keras_hub_words):
    config = KERAS_HUB
    # U+1C89 CYRILLIC CAPITAL LETTER TJE (Unicode 16): ICU folds it, Python 3.11 does not know it.
    assert keras_hub_words(["\u1c89"], config) == [["\u1c8a"]]
    assert pretokenize("\u1c89", config) == ["\u1c89"]
    # U+11B00 DEVANAGARI HEAD MARK (Unicode 15) is punctuation to RE2, unassigned to Python 3.11.
    assert keras_hub_words(["a\U00011b00b"], config) == [["a", "\U00011b00", "b"]]
    assert pretokenize("a\U00011b00b", config) == ["a\U00011b00b"]


def test_the_space_mapping_is_needed(keras_hub_words):
    from keras_hub.src.tokenizers.word_piece_tokenizer import pretokenize as keras_hub_pretokenize

    texts = ["a\u00a0b", "a\x00b c"]
    bare = keras_hub_pretokenize(tf.constant(texts), lowercase=True, strip_accents=True).to_list()
    assert bare == [["a b".encode()], [b"a"]], "NBSP: one word with a space; NUL: the rest is lost"
    assert keras_hub_words(texts, KERAS_HUB) == [["a", "b"], ["a", "b", "c"]]
    assert [pretokenize(text, KERAS_HUB) for text in texts] == [["a", "b"], ["a", "b", "c"]]


def test_packing_short_exact_overlong_and_empty_texts_alike(parity_vocabulary):
    config = TokenizerConfig(rules="keras_hub", sequence_length=8)
    tokenizer = make_tf_tokenizer(parity_vocabulary, config)
    encoder = WordPieceEncoder(parity_vocabulary, config)
    texts = ["", " \u3000 ", "the film", "a b c d e f", "a b c d e f g", "x " * 20, "東" * 300]
    assert [len(encoder.token_ids(text)) for text in texts] == [0, 0, 2, 6, 7, 20, 300]
    eager = tokenizer(tf.constant(texts))
    assert eager.dtype == tf.int32 and eager.shape == (len(texts), 8)
    assert eager.numpy().tolist() == encoder.encode_batch(texts)
    assert eager.numpy().tolist()[0] == [2, 3, 0, 0, 0, 0, 0, 0]
    mapped = next(iter(tf.data.Dataset.from_tensor_slices(texts).batch(len(texts)).map(tokenizer)))
    assert mapped.numpy().tolist() == eager.numpy().tolist()
