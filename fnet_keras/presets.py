"""What models can be built, as plain data (no TensorFlow): the presets (sizes), the model kinds
(token mixings), the FourierMixing methods, and the parameter count of each.

The CLI and `TrainSettings` check choices against these before TensorFlow loads; the layers,
models, pre-training, the budget and the reports derive their lists and titles from `MODEL_KINDS`,
so each kind is written once.

`embedding_dim` below `hidden_dim` factorizes the embeddings (ALBERT-style): on a
small model the token table is half or more of the parameters, so it is the main
lever on device size. `base` and `large` are the paper's sizes.
"""

import dataclasses
from typing import Any


@dataclasses.dataclass(frozen=True)
class ModelKind:
    """One kind of model: a token mixing of `FNetBackbone` (`TrainSettings.mixing`).

    Attributes:
        name: the `--mixing` value, and the kind's part of run directory names ("fourier").
        title: what reports call it ("FNet").
        detail: what it is, in words (latency reports print "TITLE (DETAIL)").
        per_block: whether one `FNetEncoder` block can have it (hybrid mixes blocks of two kinds).
        pretrainable: whether masked-LM pre-training takes it (linear mixing's weights depend on
            the length).
        candidate: whether `fnet-keras budget --mixings` offers it (none is a latency floor, not a
            model to ship).
        backbone: whether it is an `FNetBackbone` (the bag of embeddings has no blocks).
    """

    name: str
    title: str
    detail: str
    per_block: bool = True
    pretrainable: bool = False
    candidate: bool = True
    backbone: bool = True

    @property
    def settings(self) -> dict[str, Any]:
        """The `TrainSettings` fields that make this kind of model."""
        return {"mixing": self.name}

    @property
    def label(self) -> str:
        return f"{self.title} ({self.detail})"


# The one table of model kinds: FNet, its Transformer twin, hybrid (attention in the top blocks),
# the paper's learned linear mixing, and none (the mixing sublayer removed: the "FF-only" floor of
# the latency comparisons, what FNet would cost if mixing were free).
MODEL_KINDS: dict[str, ModelKind] = {
    kind.name: kind
    for kind in (
        ModelKind("fourier", "FNet", "Fourier mixing in every block", pretrainable=True),
        ModelKind("attention", "Transformer twin", "attention in every block", pretrainable=True),
        ModelKind("hybrid", "Hybrid", "attention in the top block", per_block=False, pretrainable=True),
        ModelKind("linear", "linear mixing", "the paper's learned linear mixing"),
        ModelKind("none", "FF-only floor", "mixing sublayer removed", candidate=False),
        ModelKind("bag", "bag of embeddings", "mean of the token embeddings, no blocks: MediaPipe Model "
                  "Maker's average-word-embedding baseline", per_block=False, backbone=False),
    )
}
MIXINGS = tuple(MODEL_KINDS)  # `TrainSettings.mixing`
BACKBONE_MIXINGS = tuple(name for name, kind in MODEL_KINDS.items() if kind.backbone)  # FNetBackbone's
BLOCK_MIXINGS = tuple(name for name, kind in MODEL_KINDS.items() if kind.per_block)  # FNetEncoder's
PRETRAIN_MIXINGS = tuple(name for name, kind in MODEL_KINDS.items() if kind.pretrainable)
CANDIDATE_KINDS = {name: kind for name, kind in MODEL_KINDS.items() if kind.candidate}  # budget's
# The pair every comparison starts from: FNet and its Transformer twin (the same blocks, attention
# for mixing).
FNET_AND_TWIN = ("fourier", "attention")
# How FourierMixing computes the transform (`fnet_keras.layers.FourierMixing` documents each).
FOURIER_METHODS = ("auto", "fft", "dft", "rfft")
# FourierMixing's scaling: "none", the paper's unscaled DFT (numpy's norm="backward"); "ortho",
# 1/sqrt(sequence_length * hidden_dim) (numpy's norm="ortho").
NORMALIZATIONS = ("none", "ortho")
# What FNetBackbone's pooled output reads: "first", the first token's vector ([CLS]); "mean", the
# mean of the real (non-padding) tokens.
POOLINGS = ("first", "mean")


def is_power_of_two(n) -> bool:
    """Whether `n` is a positive power of two (LiteRT's RFFT2D runs only at such lengths)."""
    return isinstance(n, int) and not isinstance(n, bool) and n > 0 and n & (n - 1) == 0


PRESETS = {
    "tiny": {
        "num_layers": 2, "hidden_dim": 128, "intermediate_dim": 512,
        "embedding_dim": 128, "num_heads": 2, "max_sequence_length": 512,
        "description": "2 blocks, 128 hidden: the smallest useful classifier.",
    },
    "mini": {
        "num_layers": 4, "hidden_dim": 256, "intermediate_dim": 1024,
        "embedding_dim": 128, "num_heads": 4, "max_sequence_length": 512,
        "description": "4 blocks, 256 hidden, factorized 128-wide embeddings.",
    },
    "small": {
        "num_layers": 4, "hidden_dim": 512, "intermediate_dim": 2048,
        "embedding_dim": 128, "num_heads": 8, "max_sequence_length": 512,
        "description": "4 blocks, 512 hidden, factorized 128-wide embeddings.",
    },
    "medium": {
        "num_layers": 8, "hidden_dim": 512, "intermediate_dim": 2048,
        "embedding_dim": 128, "num_heads": 8, "max_sequence_length": 512,
        "description": "8 blocks, 512 hidden, factorized 128-wide embeddings.",
    },
    "base": {
        "num_layers": 12, "hidden_dim": 768, "intermediate_dim": 3072,
        "embedding_dim": 768, "num_heads": 12, "max_sequence_length": 512,
        "description": "FNet-Base of the paper.",
    },
    "large": {
        "num_layers": 24, "hidden_dim": 1024, "intermediate_dim": 4096,
        "embedding_dim": 1024, "num_heads": 16, "max_sequence_length": 512,
        "description": "FNet-Large of the paper.",
    },
}

# The keys of a preset that are FNetBackbone arguments.
BACKBONE_KEYS = (
    "num_layers", "hidden_dim", "intermediate_dim", "embedding_dim", "num_heads",
    "max_sequence_length",
)


def get_preset(name):
    """The preset dict for `name`, with an error listing the known names."""
    if name not in PRESETS:
        raise ValueError(f"Unknown preset {name!r}; known presets: {', '.join(PRESETS)}.")
    return dict(PRESETS[name])


def count_parameters(
    preset, vocabulary_size, num_classes=2, mixing="fourier", num_attention_layers=1,
    sequence_length=None,
):
    """Parameters of `TextClassifier.from_preset(...)`, computed from the sizes alone.

    Returns `{"total": ..., "embeddings": ..., "non_embedding": ...}`. "embeddings" counts
    the token and position tables (what factorization shrinks). A test checks this against
    `model.count_params()`, so the README table can quote it without building `large`.
    """
    p = get_preset(preset)
    e, h, f, n = p["embedding_dim"], p["hidden_dim"], p["intermediate_dim"], p["num_layers"]
    s = sequence_length or p["max_sequence_length"]
    embeddings = vocabulary_size * e + p["max_sequence_length"] * e
    stem = 2 * e + (e * h + h if e != h else 0)  # LayerNorm, optional projection
    block_common = 2 * h * f + f + h + 4 * h  # feed-forward, two LayerNorms
    mixing_params = {"fourier": 0, "none": 0, "attention": 4 * h * h + 4 * h, "linear": s * s + h * h}
    if mixing == "hybrid":
        per_block = [mixing_params["attention"]] * num_attention_layers
        per_block += [0] * (n - num_attention_layers)
    else:
        per_block = [mixing_params[mixing]] * n
    blocks = n * block_common + sum(per_block)
    head = h * h + h + h * num_classes + num_classes  # pooler and logits
    total = embeddings + stem + blocks + head
    return {"total": total, "embeddings": embeddings, "non_embedding": total - embeddings}


def preset_table(vocabulary_size=8000, num_classes=2):
    """The README's preset table (markdown), computed by `count_parameters`."""
    rows = [
        "| preset | layers | hidden | FF | embedding | heads | FNet params | non-embedding "
        "| Transformer twin params | non-embedding |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, p in PRESETS.items():
        fnet = count_parameters(name, vocabulary_size, num_classes, "fourier")
        twin = count_parameters(name, vocabulary_size, num_classes, "attention")
        rows.append(
            f"| `{name}` | {p['num_layers']} | {p['hidden_dim']} | {p['intermediate_dim']} "
            f"| {p['embedding_dim']} | {p['num_heads']} | {fnet['total']:,} "
            f"| {fnet['non_embedding']:,} | {twin['total']:,} | {twin['non_embedding']:,} |"
        )
    return "\n".join(rows)

