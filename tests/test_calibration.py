"""Temperature scaling, calibration error, thresholds, the verdict and the stored calibration."""

import json
import zipfile

import numpy as np
import pytest

from nn.calibration import (
    FAIRLY_SURE,
    SURE_WORDS,
    Calibration,
    calibrated_proba,
    choose_thresholds,
    expected_calibration_error,
    fit,
    fit_temperature,
    judge,
    logits,
    reliability,
    verdict,
)
from nn.errors import ConfigError
from nn.model_io import load_model, save_model
from nn.network import Network


def _sampled(t_true, n=20000, seed=0):
    rng = np.random.default_rng(seed)
    z = rng.normal(0, 3, (n, 10))
    p = np.exp(z / t_true)
    p /= p.sum(axis=1, keepdims=True)
    labels = (p.cumsum(axis=1) > rng.random((n, 1))).argmax(axis=1)
    return z, labels, p


@pytest.mark.parametrize("t_true", [0.5, 1.0, 2.5])
def test_fit_temperature_recovers_a_known_temperature(t_true):
    z, labels, _ = _sampled(t_true)
    assert abs(fit_temperature(z, labels) / t_true - 1) < 0.05


def test_ece_is_near_zero_when_calibrated_and_large_when_overconfident():
    rng = np.random.default_rng(1)
    conf = rng.uniform(0.1, 1.0, 50000)
    correct = rng.random(50000) < conf  # right with exactly the stated probability
    assert expected_calibration_error(conf, correct) < 0.01
    over = np.full(50000, 0.99)
    assert expected_calibration_error(over, rng.random(50000) < 0.6) > 0.35


def test_reliability_counts_sum_to_n_and_edges_fall_in_range():
    conf = np.array([0.0, 1 / 15, 0.5, 1.0, 0.999])
    mean_conf, acc, count = reliability(conf, [1, 0, 1, 1, 0])
    assert count.sum() == 5 and len(count) == 15
    assert count[0] == 2 and count[-1] == 2 and acc[-1] == 0.5


def _p(top, second, d1=7, d2=1):
    p = np.full(10, (1 - top - second) / 8)
    p[d1], p[d2] = top, second
    return p


def test_verdict_kinds_close_rule_and_words():
    cal = Calibration(sure=0.9, not_digit_below=0.3, close_ratio=0.5)
    v = verdict(_p(0.95, 0.03), cal)
    assert (v.kind, v.digit, v.words) == ("digit", 7, "sure it is a 7")
    v = verdict(_p(0.75, 0.1), cal)
    assert (v.kind, v.words) == ("unsure", "7 or 1?")  # below `sure`: not an answer to rely on
    v = verdict(_p(0.75, 0.1), Calibration(sure=0.7))
    assert (v.kind, v.words) == ("digit", "fairly sure it is a 7") and v.confidence < SURE_WORDS
    v = verdict(_p(0.5, 0.3, 4, 9), cal)
    assert (v.kind, v.digit, v.second, v.words) == ("unsure", 4, 9, "4 or 9?")
    v = verdict(_p(0.62, 0.33, 4, 9), Calibration(sure=FAIRLY_SURE))  # above `sure`, but close: 0.33 >= 0.5 * 0.62
    assert (v.kind, v.words) == ("unsure", "4 or 9?")
    v = verdict(_p(0.25, 0.1), cal)
    assert (v.kind, v.words, v.digit) == ("not a digit", "not a digit", 7)
    assert abs(v.probabilities.sum() - 1) < 1e-12
    v = verdict(_p(0.95, 0.03), Calibration(sure=0.96))
    assert v.kind == "unsure"


@pytest.mark.parametrize("field, value", [("temperature", 0.0), ("temperature", float("nan")),
                                          ("sure", 1.5), ("not_digit_below", 0.95), ("close_ratio", 0.0),
                                          ("sure", True)])
def test_calibration_refuses_out_of_range_values(field, value):
    with pytest.raises(ConfigError, match=field):
        Calibration(**{field: value})


def test_calibrated_proba_divides_the_logits_by_t():
    net = Network((8,))
    x = np.random.default_rng(0).random((5, 784)).astype(np.float32)
    z = logits(net, x).astype(np.float64)
    net.calibration = Calibration(temperature=2.0)
    e = np.exp(z / 2 - (z / 2).max(axis=1, keepdims=True))
    assert np.allclose(calibrated_proba(net, x), e / e.sum(axis=1, keepdims=True))
    assert [v.digit for v in judge(net, x)] == list(net.predict(x))


def test_choose_thresholds_keeps_the_asked_share_of_digits():
    rng = np.random.default_rng(2)
    conf = rng.uniform(0.6, 1.0, 10000)
    th = choose_thresholds(conf, conf > 0.6, keep=0.97)
    assert FAIRLY_SURE <= th["sure"] <= SURE_WORDS and th["digits_kept"] >= 0.97 and th["not_digit_below"] == 0.0
    nd = rng.uniform(0.1, 0.6, 1000)
    th = choose_thresholds(conf, conf > 0.6, nd)
    assert th["digits_not_digit"] <= 0.01 and th["nondigits_rejected"] > 0.8 and th["not_digit_below"] <= th["sure"]


def test_fit_returns_a_calibration_saying_where_it_was_fitted():
    rng = np.random.default_rng(3)
    x, labels = rng.random((200, 784)).astype(np.float32), rng.integers(0, 10, 200)
    cal = fit(Network((8,)), x, labels, x_nondigit_val=rng.random((50, 784)).astype(np.float32))
    assert cal.fitted_on == "validation: 200 MNIST digits and 50 non-digits"
    assert 0.05 <= cal.temperature <= 20


def test_stored_calibration_round_trips_and_an_old_file_gets_the_default(tmp_path):
    net = Network((8,))
    net.calibration = Calibration(1.7, 0.8, 0.2, 0.4, "validation: 5,000 MNIST digits")
    assert load_model(save_model(tmp_path / "m.npz", net))[0].calibration == net.calibration
    old = tmp_path / "old.npz"
    with zipfile.ZipFile(tmp_path / "m.npz") as src, zipfile.ZipFile(old, "w") as dst:
        for item in src.namelist():
            if item != "calibration.npy":
                dst.writestr(item, src.read(item))
    assert load_model(old)[0].calibration == Calibration()


@pytest.mark.parametrize("stored", [json.dumps({"temperature": -1}), json.dumps({"sure": "high"}),
                                    "[1, 2]", "not json", json.dumps({"temperature": 1e400}),
                                    json.dumps({"temperature": 10**400})])
def test_a_bad_stored_calibration_means_the_default_and_the_rest_loads(tmp_path, stored):
    net = Network((8,))
    path = save_model(tmp_path / "m.npz", net)
    with np.load(path) as f:
        arrays = dict(f)
    arrays["calibration"] = np.array(stored)
    np.savez(path, **arrays)
    loaded, _ = load_model(path)
    assert loaded.calibration == Calibration() and np.array_equal(loaded.params, net.params)
