"""Shared test set-up: a private parse cache, and pygame on its dummy drivers for the UI tests."""

import os
import tempfile

import pytest

# Tests must not write into the user's ~/.cache; each run gets its own cache folder.
os.environ.setdefault("DIGITS_CACHE_DIR", tempfile.mkdtemp(prefix="digits-cache-"))
# No window and no sound device for in-process pygame tests (test_ui_xvfb removes this for its real window).
os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")


@pytest.fixture
def pygame_up():
    """pygame initialised for one test and shut down after it."""
    import pygame  # here, not at the top: tests/test_imports.py checks what nn/ imports

    pygame.init()
    yield
    pygame.quit()
