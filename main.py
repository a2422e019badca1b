"""Handwritten-digit recognizer: `python main.py` opens the window; `python main.py --help` lists commands."""

import logging
import os
import sys


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if not argv:
        # One BLAS thread for the whole window process: with two on a 2-core machine the frames
        # arrive late while training. Must be set before NumPy is imported.
        for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ.setdefault(var, "1")
        os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")  # no pygame banner on the console
        from ui.app import run_app

        return run_app()
    from nn.cli import main as cli_main

    return cli_main(argv)


if __name__ == "__main__":
    sys.exit(main())
