"""`BackboneModel`: the config round trip shared by the models built around a backbone."""

import keras


class BackboneModel(keras.Model):
    """A functional `keras.Model` whose config is its backbone (serialized) plus `CONFIG_FIELDS`.

    Subclasses build their graph in `__init__(backbone, ...)`, keep each argument named in
    `CONFIG_FIELDS` as an attribute, and are registered with `register_keras_serializable`.
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
