"""The parts of training behind `fnet_keras.train`: settings, run directory, schedule, data
pipeline, checkpoints, strategies. `fnet_keras.train` (`fit`, `evaluate`) puts them together.

`settings` and `run_dir` are plain Python; the other modules import TensorFlow.
"""
