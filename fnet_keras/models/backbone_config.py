"""`BackboneConfig`: the config round trip shared by the models (built around a backbone or not)."""

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
