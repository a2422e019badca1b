"""Errors that reach the user: each message says what was wrong, shows the value and suggests a fix."""


class NNError(ValueError):
    """Base class of every error this package raises on purpose."""


class ConfigError(NNError):
    """A hyperparameter or option is invalid, e.g. "Learning rate must be greater than 0 (got -0.1)."."""


class DataError(NNError):
    """A data file or image cannot be used; the message names the file, line and problem."""


class ModelFileError(NNError):
    """A model file cannot be saved or loaded; the message names the file and the reason."""


class TrainingError(NNError):
    """Training cannot go on, e.g. the loss became NaN; the message gives a hint such as a lower lr."""
