"""Model files: round trips for random architectures; corrupt, truncated, foreign and pickled files
are refused with one clear line, and a failed save or load changes nothing."""

import os
import tempfile

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from nn.errors import ModelFileError
from nn.model_io import FORMAT_VERSION, load_model, save_model
from nn.network import Network


@settings(max_examples=15, deadline=None)
@given(layers=st.lists(st.integers(1, 40), min_size=1, max_size=4),
       act=st.sampled_from(["relu", "sigmoid", "tanh"]),
       loss=st.sampled_from(["cross_entropy", "mse"]),
       opt=st.sampled_from(["sgd", "momentum", "adam"]))
def test_round_trip_random_architectures(tmp_path_factory, layers, act, loss, opt):
    path = tmp_path_factory.mktemp("m") / "model.npz"
    net = Network(layers, act, loss, opt, seed=len(layers))
    x = np.random.default_rng(0).random((20, 784), dtype=np.float32)
    net.partial_fit(x, np.arange(20) % 10)
    save_model(path, net, {"test_accuracy": 0.5, "history": [{"epoch": 1, "loss": 1.0}]})
    back, meta = load_model(path)
    assert back.sizes == net.sizes and back.activations == net.activations and back.loss == net.loss
    assert np.array_equal(back.params, net.params)
    assert np.allclose(back.predict_proba(x), net.predict_proba(x))
    assert meta["test_accuracy"] == 0.5 and meta["history"][0]["epoch"] == 1
    assert meta["hyperparameters"]["optimizer"] == opt and "created" in meta
    assert back.optimizer.t == net.optimizer.t


def test_saving_a_snapshot_and_per_layer_activations(tmp_path):
    net = Network((8, 6), ("tanh", "relu"))
    path = save_model(tmp_path / "snap.npz", net.snapshot())
    back, _ = load_model(path)
    assert back.activations == ("tanh", "relu")
    with np.load(path, allow_pickle=False) as npz:
        assert set(npz.files) >= {"format", "format_version", "sizes", "activations", "loss",
                                  "w1", "b1", "w2", "b2", "w3", "b3", "metadata"}
        assert int(npz["format_version"]) == FORMAT_VERSION


def _write_npz(path, **arrays):
    with open(path, "wb") as f:
        np.savez(f, **arrays)


def _valid_arrays():
    net = Network((4,))
    with tempfile.TemporaryDirectory() as d:
        p = os.path.join(d, "m.npz")
        save_model(p, net)
        with np.load(p, allow_pickle=False) as npz:
            save = {k: npz[k] for k in npz.files}
    return save


@pytest.mark.parametrize("change, match", [
    (lambda a: a.pop("w2"), "missing w2"),
    (lambda a: a.update(w1=a["w1"][:, :3]), "shape"),
    (lambda a: a.update(w1=a["w1"].astype(np.int32)), "floating-point"),
    (lambda a: a["b1"].__setitem__(0, np.nan), "NaN"),
    (lambda a: a.update(format_version=np.array(FORMAT_VERSION + 1)), "version"),
    (lambda a: a.update(format=np.array("something-else")), "not a model saved by this program"),
    (lambda a: a.update(sizes=np.array([100, 4, 10])), "784 inputs"),
    (lambda a: a.update(activations=np.array(["swish"])), "unknown activation"),
    (lambda a: a.update(metadata=np.array("{not json")), "metadata"),
    (lambda a: a.pop("sizes"), "missing sizes"),
])
def test_bad_contents_are_refused(tmp_path, change, match):
    arrays = _valid_arrays()
    change(arrays)
    path = tmp_path / "bad.npz"
    _write_npz(path, **arrays)
    with pytest.raises(ModelFileError, match=match):
        load_model(path)


def test_foreign_npz_not_a_zip_truncated_missing_and_pickled(tmp_path):
    foreign = tmp_path / "foreign.npz"
    _write_npz(foreign, a=np.zeros(3))
    with pytest.raises(ModelFileError, match="not a model saved by this program"):
        load_model(foreign)
    text = tmp_path / "text.npz"
    text.write_text("hello")
    with pytest.raises(ModelFileError):
        load_model(text)
    good = save_model(tmp_path / "good.npz", Network((4,)))
    data = good.read_bytes()
    for cut in (10, len(data) // 2, len(data) - 30):
        trunc = tmp_path / f"trunc{cut}.npz"
        trunc.write_bytes(data[:cut])
        with pytest.raises(ModelFileError):
            load_model(trunc)
    with pytest.raises(ModelFileError, match="does not exist"):
        load_model(tmp_path / "nope.npz")
    with pytest.raises(ModelFileError, match="folder"):
        load_model(tmp_path)
    pickled = tmp_path / "pickled.npz"
    arrays = _valid_arrays()
    arrays["metadata"] = np.array([{"evil": 1}], dtype=object)
    _write_npz(pickled, **arrays)
    with pytest.raises(ModelFileError, match="pickled"):
        load_model(pickled)
    single = tmp_path / "single.npy"
    np.save(single, np.zeros(3))
    with pytest.raises(ModelFileError, match="single NumPy array"):
        load_model(single)


def test_save_is_atomic_and_never_leaves_half_files(tmp_path, monkeypatch):
    path = tmp_path / "model.npz"
    save_model(path, Network((4,), seed=1))
    before = path.read_bytes()

    def broken_savez(f, **arrays):
        f.write(b"half a file")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(np, "savez", broken_savez)
    with pytest.raises(ModelFileError, match="No space left"):
        save_model(path, Network((4,), seed=2))
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["model.npz"]


def test_save_into_missing_folder_creates_it_and_unwritable_is_clear(tmp_path):
    path = save_model(tmp_path / "new" / "m.npz", Network((3,)))
    assert path.exists()
    with pytest.raises(ModelFileError, match="Cannot save"):
        save_model(tmp_path / "new" / "m.npz" / "inside.npz", Network((3,)))


def test_saved_file_has_ordinary_permissions(tmp_path):
    old = os.umask(0o022)
    try:
        path = save_model(tmp_path / "perm.npz", Network((3,)))
    finally:
        os.umask(old)
    assert path.stat().st_mode & 0o777 == 0o644
