"""The evaluation queue: scoring a model on the loaded test set in the background, one job at a
time, the newest request waiting while one runs. A finished score becomes the model's test
accuracy (AppState.test_score), the test-set confusion matrix, the misread digits and the
calibrated confidences for the reliability diagram (AppState.results) and, for a training epoch, a point of the test-accuracy curve."""
from __future__ import annotations

import logging
from typing import Any, Callable

import numpy as np

from nn.training import confusion_matrix
from ui.calib import cal
from ui.describe import test_set_name
from ui.jobs import Job
from ui.state import AppState, Score

log = logging.getLogger(__name__)
GALLERY_SIZE = 60  # misread test digits shown on the Mistakes tab


class EvalQueue:
    """Scores models on the test set in a daemon thread; `poll()` each frame takes the result."""

    def __init__(self, state: AppState, say: Callable[[str, str], Any]):
        self.state, self.say = state, say
        self._job: Job | None = None
        self._pending = False
        self._next: tuple = (None, None)  # (net, epoch) to score when the running job ends

    @property
    def busy(self) -> bool:
        """A score is being computed (or its result not yet taken)."""
        return self._job is not None

    def request(self, net=None, epoch: int | None = None) -> None:
        """Score `net` (default: the current model) on the test set in the background."""
        net = net if net is not None else self.state.model
        if net is None:
            return
        d = self.state.data
        if d.x_test is None or not len(d.x_test):
            if d.loading:
                self._pending = True
            return
        if self._job is not None and not self._job.done:
            self._pending = True  # score the newest model when this one is done
            self._next = (net, epoch)
            return
        self._pending = False
        x, labels = d.x_test, d.labels_test
        self._job = Job("eval", lambda: (net, epoch, _quiet_evaluate(net, x, labels)))

    def poll(self) -> bool:
        """Take a finished score; True if there was one."""
        job = self._job
        if job is None or not job.done:
            return False
        self._job = None
        self.take(job)
        if self._pending:
            net, epoch = self._next
            self._next = (None, None)
            self.request(net, epoch)
        return True

    def take(self, job) -> None:
        """Fold a finished job's (net, epoch, (loss, accuracy, predictions, confidence)) into the state."""
        if job.error is not None:
            log.error("scoring the test set failed", exc_info=job.error)
            return
        s = self.state
        net, epoch, (loss, acc, preds, *rest) = job.result
        confidence = rest[0] if rest else None  # a result without them: no reliability diagram
        if not np.isfinite(loss):  # no meaningless accuracy for outputs that are not numbers
            if net is s.model and epoch is None:
                self.say("This model's output is not a number on some test digits (its weights overflow): "
                         "it is damaged; load or train another.", "error")
            return
        d = s.data
        labels = np.asarray(d.labels_test).astype(np.int64)
        if len(preds) != len(labels):  # the test set changed meanwhile
            return
        if net is s.model or epoch is not None:
            confusion = confusion_matrix(labels, preds)
            wrong = np.flatnonzero(preds != labels)[:GALLERY_SIZE]
            s.test_score = Score(100.0 * acc, d.test_path, len(labels), epoch, net)
            where = f"epoch {epoch}" if epoch is not None else "current model"
            when = f" (epoch {epoch})" if epoch is not None else ""
            s.results.show_confusion(confusion, f"test set, {where}")
            weights = f"epoch {epoch} weights" if epoch is not None else "current weights"
            if confidence is not None and len(confidence) == len(labels):
                s.results.show_reliability(confidence, preds == labels,
                                           f"{test_set_name(d.test_path, len(labels))}, {weights}")
            s.results.show_mistakes(d.x_test[wrong], labels[wrong], preds[wrong],
                                    f"{int((preds != labels).sum()):,} of {len(labels):,} test digits misread"
                                    f"{when}: true → read as. Click one to try it.")
        if epoch is not None:
            s.progress.add_test(epoch, 100.0 * acc)


def _quiet_evaluate(net, x, labels):
    """(loss, accuracy, predictions (n,), calibrated confidence of each prediction (n,))."""
    with np.errstate(all="ignore"):  # a damaged model's overflow is reported by EvalQueue.take
        return cal.evaluate(net, x, labels)
