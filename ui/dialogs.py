"""Tk file dialogs (open/save a model, open a dataset), run on the main thread with a hidden root.

Each function returns a path or None (cancelled). They raise `DialogError` with a clear message
when Tk cannot run (no tkinter, no display); the app shows it in the status bar. `Dialogs` groups
the three so tests can hand the app replacements that return paths without any window.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Callable

MODEL_TYPES = [("Model files", "*.npz"), ("All files", "*")]
DATASET_TYPES = [("MNIST data", "*.csv *.csv.gz *-idx3-ubyte *-idx3-ubyte.gz *.idx3-ubyte"),
                 ("CSV files", "*.csv *.csv.gz"), ("IDX image files", "*idx3-ubyte*"), ("All files", "*")]


class DialogError(OSError):
    """A file dialog could not be shown (no tkinter or no display)."""


def _with_tk(show: Callable):
    """Run `show(root)` with a hidden, topmost Tk root, destroyed afterwards."""
    try:
        import tkinter
        from tkinter import filedialog  # noqa: F401  (imported for its side effect on tkinter)
    except ImportError as e:  # pragma: no cover - depends on the Python build
        raise DialogError(f"File dialogs need tkinter, which this Python lacks ({e}); "
                          "install python3-tk or pass a path on the command line.") from e
    try:
        root = tkinter.Tk()
    except tkinter.TclError as e:
        raise DialogError(f"Cannot open a file dialog: {e}. Is a display available?") from e
    try:
        root.withdraw()
        try:
            root.attributes("-topmost", True)
        except tkinter.TclError:
            pass
        result = show(root)
    except tkinter.TclError as e:
        raise DialogError(f"The file dialog failed: {e}") from e
    finally:
        try:
            root.destroy()
        except Exception:
            pass
    return result or None  # Tk returns "" or () when cancelled


def _initial_dir(folder: str) -> str:
    return folder if os.path.isdir(folder) else os.getcwd()


def ask_open_model(initial_dir: str = "models") -> str | None:
    """Ask for a model file (*.npz) to open; returns its path or None."""
    from tkinter import filedialog
    return _with_tk(lambda root: filedialog.askopenfilename(
        parent=root, title="Open model", initialdir=_initial_dir(initial_dir), filetypes=MODEL_TYPES))


def ask_save_model(initial_dir: str = "models", initial_file: str = "model.npz") -> str | None:
    """Ask where to save a model (*.npz); returns the path (".npz" added if missing) or None."""
    from tkinter import filedialog
    path = _with_tk(lambda root: filedialog.asksaveasfilename(
        parent=root, title="Save model", initialdir=_initial_dir(initial_dir), initialfile=initial_file,
        defaultextension=".npz", filetypes=MODEL_TYPES))
    if path and not path.lower().endswith(".npz"):
        path += ".npz"
    return path


def ask_open_dataset(initial_dir: str = "MNIST") -> str | None:
    """Ask for a dataset file (MNIST CSV or IDX images); returns its path or None."""
    from tkinter import filedialog
    return _with_tk(lambda root: filedialog.askopenfilename(
        parent=root, title="Open dataset (MNIST CSV or IDX)", initialdir=_initial_dir(initial_dir),
        filetypes=DATASET_TYPES))


@dataclass
class Dialogs:
    """The dialog functions the app calls; replace any of them (e.g. in tests) with a function of
    the same signature."""
    open_model: Callable[..., str | None] = ask_open_model
    save_model: Callable[..., str | None] = ask_save_model
    open_dataset: Callable[..., str | None] = ask_open_dataset
