"""`WarmupDecay`: linear warmup to a peak learning rate, then linear or cosine decay."""

from __future__ import annotations

import math

import keras
from keras import ops

# AdamW does not decay these (BERT's convention): biases, LayerNorm and embedding tables; in
# fine-tuning and pre-training alike.
NO_WEIGHT_DECAY = ["bias", "gamma", "beta", "embeddings"]


@keras.saving.register_keras_serializable(package="fnet_keras")
class WarmupDecay(keras.optimizers.schedules.LearningRateSchedule):
    """Learning rate as a function of the optimizer step (`optimizer.iterations`).

    Step `s` (0-based) of `total_steps`: during the first `warmup_steps` steps (0: start at the peak)
    the rate is `peak_learning_rate * (s + 1) / warmup_steps` (never 0, so the first step already
    learns); afterwards it decays to `final_learning_rate` at `total_steps`, `"linear"`ly or along half
    a `"cosine"`, and stays there. The rate depends on the step alone, so a resumed run whose
    optimizer step is restored continues the schedule exactly.
    """

    def __init__(self, peak_learning_rate, warmup_steps, total_steps, decay="linear",
                 final_learning_rate=0.0):
        if decay not in ("linear", "cosine"):
            raise ValueError(f"`decay` must be 'linear' or 'cosine'; received decay={decay!r}.")
        if not 0 <= warmup_steps < total_steps:
            raise ValueError(
                f"Need 0 <= warmup_steps < total_steps; received warmup_steps={warmup_steps}, "
                f"total_steps={total_steps}."
            )
        self.peak_learning_rate = float(peak_learning_rate)
        self.warmup_steps = int(warmup_steps)
        self.total_steps = int(total_steps)
        self.decay = decay
        self.final_learning_rate = float(final_learning_rate)

    def __call__(self, step):
        step = ops.cast(step, "float32")
        peak, final = self.peak_learning_rate, self.final_learning_rate
        warmup = peak * (step + 1.0) / max(self.warmup_steps, 1)
        progress = ops.clip((step - self.warmup_steps) / (self.total_steps - self.warmup_steps), 0.0, 1.0)
        if self.decay == "linear":
            decayed = peak - (peak - final) * progress
        else:
            decayed = final + (peak - final) * 0.5 * (1.0 + ops.cos(math.pi * progress))
        return ops.where(step < self.warmup_steps, warmup, decayed)

    def get_config(self):
        names = ("peak_learning_rate", "warmup_steps", "total_steps", "decay", "final_learning_rate")
        return {name: getattr(self, name) for name in names}
