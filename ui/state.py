"""AppState: what the window shows, in one place. Main thread only (the trainer reports through
its event queue; the window's parts copy what they need into here).

Each record has one writer, named in its docstring, and a `version` that the writer bumps on every
change: a view remembers the version it last drew and pulls new data when it moves on
(ui.view.View.follow), so nobody has to tell the views that something changed."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

SMOOTHING = 0.15  # weight of the newest batch loss in the smoothed training-loss curve


@dataclass
class DataInfo:
    """The loaded data: arrays and where they came from. Written by ui.jobs.DataLoader."""
    train_path: str = ""
    test_path: str = ""
    is_sample: bool = False
    note: str = ""
    x_train: np.ndarray | None = None      # (n, 784) uint8, the digits the trainer uses
    labels_train: np.ndarray | None = None
    x_val: np.ndarray | None = None        # held out from the training file, scored every epoch
    labels_val: np.ndarray | None = None
    x_test: np.ndarray | None = None       # the test file: gallery, confusion, test accuracy
    labels_test: np.ndarray | None = None
    loading: bool = False
    error: str = ""

    @property
    def n_train(self) -> int:
        return 0 if self.x_train is None else len(self.x_train)

    @property
    def n_val(self) -> int:
        return 0 if self.x_val is None else len(self.x_val)

    @property
    def n_test(self) -> int:
        return 0 if self.x_test is None else len(self.x_test)


@dataclass
class Progress:
    """Training progress and the metric history of the current run (or of the model file's
    history). Written by ui.training_run.TrainingRun, and by ui.model_store and ui.evaluation
    through the methods below, which bump `version`."""
    status: str = "idle"            # idle | running | paused | stopping
    epoch: int = 0
    epochs: int = 0
    batch: int = 0
    batches: int = 0
    samples_per_s: float = 0.0
    eta_s: float = 0.0
    n_train: int = 0
    n_val: int = 0
    loss_x: list = field(default_factory=list)   # fractional epoch of each BatchDone
    loss_raw: list = field(default_factory=list)
    loss_smooth: list = field(default_factory=list)
    epoch_x: list = field(default_factory=list)
    train_loss: list = field(default_factory=list)
    val_loss: list = field(default_factory=list)
    val_acc: list = field(default_factory=list)  # percent
    test_x: list = field(default_factory=list)
    test_acc: list = field(default_factory=list)  # percent, scored in the background after epochs
    test_loss: list = field(default_factory=list)  # only from a model file's history (the CLI's)
    started_at: float = 0.0
    version: int = 0                 # bumped on every change to the history the plots show

    def reset(self) -> None:
        version = self.version
        self.__init__()
        self.version = version + 1  # never back to an old number a view may have drawn

    def touch(self) -> None:
        self.version += 1

    def add_batch(self, x: float, loss: float) -> None:
        """Record a batch loss; the smoothed curve is an EMA debiased at the start (as in Adam)."""
        self.loss_x.append(x)
        self.loss_raw.append(loss)
        n = len(self.loss_raw)
        prev = self.loss_smooth[-1] * (1 - (1 - SMOOTHING) ** (n - 1)) if n > 1 else 0.0
        m = (1 - SMOOTHING) * prev + SMOOTHING * loss
        self.loss_smooth.append(m / (1 - (1 - SMOOTHING) ** n))
        self.version += 1

    def add_epoch(self, epoch: int, train_loss: float, val_loss: float, val_acc: float) -> None:
        """Record an epoch's losses and validation accuracy (percent)."""
        self.epoch_x.append(epoch)
        self.train_loss.append(train_loss)
        self.val_loss.append(val_loss)
        self.val_acc.append(val_acc)
        self.version += 1

    def add_test(self, epoch: int, acc: float) -> None:
        """Record an epoch's test accuracy (percent), scored in the background."""
        self.test_x.append(epoch)
        self.test_acc.append(acc)
        self.version += 1

    def load_history(self, history) -> None:
        """Replace the history with a model file's curves (a ui.metadata.History, already checked)."""
        self.reset()
        for key in ("epoch_x", "train_loss", "val_loss", "val_acc", "test_x", "test_acc", "test_loss"):
            setattr(self, key, list(getattr(history, key)))
        self.epochs = self.epoch = len(self.epoch_x)
        self.version += 1

    @property
    def fraction(self) -> float:
        """How far through the current epoch (0..1)."""
        return self.batch / self.batches if self.batches else 0.0


@dataclass
class Prediction:
    """What the pad's drawing is read as, with the model of the moment. Written by
    ui.prediction.read, which bumps `version`."""
    empty: bool = True
    probs: np.ndarray | None = None      # (10,) calibrated probabilities (the verdict's)
    digit: int = -1
    confidence: float = 0.0              # calibrated probability that `digit` is right
    verdict: Any = None                  # nn.calibration.Verdict: digit, unsure or not a digit
    x: np.ndarray | None = None          # (28, 28) the image the network saw
    stages: list = field(default_factory=list)
    hidden: list = field(default_factory=list)  # hidden activations, one (n_l,) array per layer
    message: str = ""
    ms: float = 0.0                      # compute time of the last prediction
    version: int = 0


@dataclass(frozen=True)
class Score:
    """The current model's accuracy as scored in the window, and on which test set."""
    accuracy: float                      # percent
    path: str                            # the test file scored (DataInfo.test_path at the time)
    n: int                               # digits in it
    epoch: int | None = None             # the training epoch whose snapshot was scored, if any
    model: Any = field(default=None, compare=False, repr=False)  # the network scored


@dataclass
class Results:
    """The newest confusion matrix (of the validation set after an epoch, or of the test set once
    scored), the misread test digits and the calibrated confidences on the test set. Written through `show_confusion` (ui.training_run,
    ui.evaluation), `show_mistakes` and `show_reliability` (ui.evaluation); each bumps its own version."""
    confusion: np.ndarray | None = None  # (10, 10) counts, rows true digits
    confusion_caption: str = ""
    confusion_version: int = 0
    mistakes: tuple = ()                 # (images (n, 784) uint8, labels (n,), preds (n,), caption)
    mistakes_version: int = 0
    reliability: tuple = ()              # (confidence (n,), correct (n,) bool, caption) on the test set
    reliability_version: int = 0

    def show_confusion(self, matrix, caption: str) -> None:
        self.confusion, self.confusion_caption = matrix, caption
        self.confusion_version += 1

    def show_mistakes(self, images, labels, preds, caption: str) -> None:
        self.mistakes = (images, labels, preds, caption)
        self.mistakes_version += 1

    def show_reliability(self, confidence, correct, caption: str) -> None:
        self.reliability = (confidence, correct, caption)
        self.reliability_version += 1


@dataclass
class AppState:
    """Everything the window shows; the parts update it, the views read it. The model fields are
    written by ui.model_store.ModelStore (and `test_score` by ui.evaluation.EvalQueue)."""
    model: Any = None                    # nn.network.Network (a read-only snapshot while training)
    model_version: int = 0               # bumped whenever `model` is replaced
    model_source: str = ""               # a path, "fresh weights", "training run", ...
    model_meta: dict = field(default_factory=dict)  # its file's metadata ({} for none)
    model_unsaved: bool = False          # trained weights nobody saved yet (autosaved on quit)
    test_score: Score | None = None  # scored here on the loaded test set (None: not yet)
    data: DataInfo = field(default_factory=DataInfo)
    progress: Progress = field(default_factory=Progress)
    prediction: Prediction = field(default_factory=Prediction)
    results: Results = field(default_factory=Results)
    preprocess: bool = True              # False: show what the network says on a plain resize
    show_help: bool = False
    message: str = ""
    level: str = "info"
