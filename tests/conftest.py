"""Shared test set-up: a private parse cache."""

import os
import tempfile

# Tests must not write into the user's ~/.cache; each run gets its own cache folder.
os.environ.setdefault("DIGITS_CACHE_DIR", tempfile.mkdtemp(prefix="digits-cache-"))
