"""The one place the window imports calibration from: nn.calibration (issue 11), or until it is
merged the stand-in with the same API. Everything in ui/ uses `from ui.calib import cal`."""
try:
    from nn import calibration as cal
except ImportError:  # nn/calibration.py not merged yet
    from ui import _calibration_standin as cal

__all__ = ["cal"]
