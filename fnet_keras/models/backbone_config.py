"""What the classifiers share: the config round trip (`BackboneConfig`) and the head."""

import keras


class BackboneConfig:
    """Mixin for a `keras.Model` whose config is its backbone (serialized), when it has one, plus
    `CONFIG_FIELDS`: `class TextClassifier(BackboneConfig, keras.Model)`.

    A mixin, not a `keras.Model` subclass: Keras rebases a functional model's class onto `Functional`
    at its first construction, which would turn a shared base functional for the subclassed
    `MaskedLM` too. Subclasses keep each argument named in `CONFIG_FIELDS` as an attribute.
    """

    CONFIG_FIELDS: tuple[str, ...] = ()

    def get_config(self):
        backbone = {"backbone": keras.layers.serialize(self.backbone)} if "backbone" in vars(self) else {}
        return {"name": self.name, "trainable": self.trainable, **backbone,
                **{field: getattr(self, field) for field in self.CONFIG_FIELDS}}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if "backbone" in config:
            config["backbone"] = keras.layers.deserialize(config["backbone"])
        return cls(**config)


def classification_head(features, num_classes, dropout, dtype=None):
    """Dropout, then logits over `num_classes` (an int >= 2, checked): the head of every classifier.
    The logits are float32 also under mixed precision: softmax and the loss need the range."""
    if not isinstance(num_classes, int) or num_classes < 2:
        raise ValueError(f"`num_classes` must be an int >= 2; received {num_classes!r}.")
    features = keras.layers.Dropout(dropout, dtype=dtype, name="head_dropout")(features)
    return keras.layers.Dense(num_classes, dtype="float32", name="logits")(features)
