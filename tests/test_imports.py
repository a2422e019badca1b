"""nn/ must stay usable without a window: importing it never brings pygame or ui in."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_nn_does_not_import_pygame_or_ui():
    code = ("import sys, pkgutil, importlib, nn\n"
            "for m in pkgutil.iter_modules(nn.__path__): importlib.import_module('nn.' + m.name)\n"
            "bad = [m for m in sys.modules if m == 'pygame' or m.startswith(('pygame.', 'ui'))]\n"
            "print(bad); sys.exit(1 if bad else 0)")
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
