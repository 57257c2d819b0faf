"""A classification head on an FNetBackbone."""

import keras

from fnet_keras.models.backbone_config import BackboneConfig, classification_head
from fnet_keras.models.fnet_backbone import FNetBackbone


@keras.saving.register_keras_serializable(package="fnet_keras")
class TextClassifier(BackboneConfig, keras.Model):
    """Logits over `num_classes` from the backbone's `pooled_output`.

    Args:
        backbone: an `FNetBackbone`.
        num_classes: int. Number of labels (2 or more).
        dropout: float. Dropout on the pooled output before the logits.
        **kwargs: `keras.Model` arguments.

    Call arguments:
        inputs: what the backbone takes: `token_ids` `(batch, sequence_length)`
            int32 (or a dict with `segment_ids` too).

    Example:
    >>> model = TextClassifier.from_preset("tiny", vocabulary_size=100,
    ...                                    num_classes=2, sequence_length=16)
    >>> model(np.ones((3, 16), "int32")).shape
    (3, 2)

    Reference:
        Lee-Thorp et al., "FNet: Mixing Tokens with Fourier Transforms",
        arXiv 2105.03824.
    """

    CONFIG_FIELDS = ("num_classes", "dropout")

    def __init__(self, backbone, num_classes, dropout=0.1, **kwargs):
        inputs = backbone.input
        logits = classification_head(backbone(inputs)["pooled_output"], num_classes, dropout)
        super().__init__(inputs=inputs, outputs=logits, **kwargs)
        self.backbone = backbone
        self.num_classes = num_classes
        self.dropout = dropout

    @classmethod
    def from_preset(
        cls, preset, vocabulary_size, num_classes, mixing="fourier", sequence_length=None,
        num_attention_layers=None, dropout=0.1, **backbone_kwargs,
    ):
        """Build any preset with any mixing, e.g. the Transformer twin of `mini`.

        `backbone_kwargs` override preset values or set other `FNetBackbone`
        arguments (`fourier_method`, `mixing_dropout`, `dtype`, ...).
        """
        backbone = FNetBackbone.from_preset(
            preset, vocabulary_size, mixing, sequence_length, num_attention_layers, dropout, **backbone_kwargs
        )
        return cls(backbone=backbone, num_classes=num_classes, dropout=dropout)
