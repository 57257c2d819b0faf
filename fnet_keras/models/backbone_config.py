"""`BackboneConfig`: the config round trip shared by the models built around a backbone."""

import keras


class BackboneConfig:
    """Mixin for a `keras.Model` whose config is its backbone (serialized) plus `CONFIG_FIELDS`:
    `class TextClassifier(BackboneConfig, keras.Model)`.

    A mixin, not a `keras.Model` subclass: Keras rebases a functional model's class onto `Functional`
    at its first construction, which would turn a shared base functional for the subclassed
    `MaskedLM` too. Subclasses keep each argument named in `CONFIG_FIELDS` as an attribute.
    """

    CONFIG_FIELDS: tuple[str, ...] = ()

    def get_config(self):
        return {
            "name": self.name,
            "trainable": self.trainable,
            "backbone": keras.layers.serialize(self.backbone),
            **{field: getattr(self, field) for field in self.CONFIG_FIELDS},
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["backbone"] = keras.layers.deserialize(config["backbone"])
        return cls(**config)
