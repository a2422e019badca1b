"""The calibrated confidence and verdict the window shows (nn/calibration.py)."""
from nn import calibration as cal  # noqa: F401 - re-exported for the views
