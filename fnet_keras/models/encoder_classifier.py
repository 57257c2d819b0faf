"""A classification head on a pre-trained BERT-family encoder: the teacher of distilled FNets."""

import keras
from keras import ops

from fnet_keras.layers.pooling import masked_mean
from fnet_keras.models.backbone_config import BackboneConfig, classification_head


@keras.saving.register_keras_serializable(package="fnet_keras")
class TrimPadding(keras.layers.Layer):
    """Cuts the batch's all-padding columns and gives the padding mask.

    Attention ignores padded positions, so dropping the columns where every row pads changes no
    real token's output; short texts (most SST-2 phrases are under 16 pieces of 64) then cost what
    their length costs. Padding is id 0 and follows the real tokens (`[CLS] ... [SEP] [PAD]...`).

    Call arguments:
        token_ids: `(batch, sequence_length)` int32.

    Returns:
        `(token_ids, padding_mask)`, both `(batch, longest_real_length)`.
    """

    def call(self, token_ids):
        mask = ops.not_equal(token_ids, 0)
        length = ops.maximum(ops.max(ops.sum(ops.cast(mask, "int32"), axis=1)), 1)
        return token_ids[:, :length], mask[:, :length]

    def compute_output_spec(self, token_ids):
        shape = (token_ids.shape[0], None)
        return keras.KerasTensor(shape, "int32"), keras.KerasTensor(shape, "bool")


@keras.saving.register_keras_serializable(package="fnet_keras")
class EncoderClassifier(BackboneConfig, keras.Model):
    """Logits over `num_classes` from the mean of a BERT-family encoder's token outputs.

    Mean pooling over real tokens rather than `[CLS]`: sentence-transformers trained
    all-MiniLM-L6-v2 with mean pooling, so its mean is the representation it learned to make.
    Built by `fnet_keras.training.encoder.build_encoder_classifier` from a folder.

    Args:
        backbone: a keras-hub `BertBackbone` (inputs `token_ids`, `padding_mask`, `segment_ids`).
        num_classes: int. Number of labels (2 or more).
        sequence_length: int. Token ids per text (the run's tokenizer packs this many).
        dropout: float. Dropout on the pooled output before the logits.
        **kwargs: `keras.Model` arguments.

    Call arguments:
        inputs: `token_ids` `(batch, sequence_length)` int32, `[PAD]` = 0.

    Reference:
        Reimers and Gurevych, "Sentence-BERT", arXiv 1908.10084 (mean pooling).
    """

    CONFIG_FIELDS = ("num_classes", "sequence_length", "dropout")

    def __init__(self, backbone, num_classes, sequence_length, dropout=0.1, **kwargs):
        token_ids = keras.Input((sequence_length,), dtype="int32", name="token_ids")
        trimmed, mask = TrimPadding(name="trim_padding")(token_ids)
        outputs = backbone(
            {"token_ids": trimmed, "padding_mask": mask, "segment_ids": ops.zeros_like(trimmed)}
        )
        logits = classification_head(masked_mean(outputs["sequence_output"], mask), num_classes, dropout)
        super().__init__(inputs=token_ids, outputs=logits, **kwargs)
        self.backbone = backbone
        self.num_classes = num_classes
        self.sequence_length = sequence_length
        self.dropout = dropout

    @classmethod
    def from_config(cls, config):
        import keras_hub  # noqa: F401  (registers BertBackbone for deserialization)

        return super().from_config(config)
