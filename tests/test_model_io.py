"""Model files: round trips for random architectures; corrupt, truncated, foreign and pickled files
are refused with one clear line, and a failed save or load changes nothing."""

import io
import json
import os
import pickle
import tempfile
import zipfile

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nn import model_io
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
    (lambda a: a.update(w1=np.full_like(a["w1"], 3e38)), "output is not a number"),  # finite, yet overflows
    (lambda a: a.update(format_version=np.array(FORMAT_VERSION + 1)), "version"),
    (lambda a: a.update(format=np.array("something-else")), "not a model saved by this program"),
    (lambda a: a.update(sizes=np.array([100, 4, 10])), "784 inputs"),
    (lambda a: a.update(activations=np.array(["swish"])), "unknown activation"),
    (lambda a: a.update(metadata=np.array("{not json")), "metadata"),
    (lambda a: a.pop("sizes"), "missing sizes"),
    (lambda a: a.update(format_version=np.array(0)), "damaged"),
    (lambda a: a.update(format_version=np.array(-1)), "damaged"),
    (lambda a: a.update(metadata=np.array("[" * 100_000 + "]" * 100_000)), "metadata"),  # RecursionError
    (lambda a: a.update(sizes=np.array([784] + [2] * 11 + [10]), activations=np.array(["relu"] * 11),
                        **{f"w{l}": np.zeros((2 if l > 1 else 784, 2 if l < 12 else 10), np.float32)
                           for l in range(1, 13)},
                        **{f"b{l}": np.zeros(2 if l < 12 else 10, np.float32) for l in range(1, 13)}),
     "^bad.npz: At most 10 hidden layers"),  # a ConfigError would be shown as a usage error
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
    with pytest.raises(ModelFileError, match=r"not a model file \(not an .npz archive\)"):
        load_model(text)
    empty = tmp_path / "empty.npz"
    empty.write_bytes(b"")
    with pytest.raises(ModelFileError, match="empty"):
        load_model(empty)
    raw_pickle = tmp_path / "raw.npz"
    raw_pickle.write_bytes(pickle.dumps({"w1": 1}, protocol=4))
    with pytest.raises(ModelFileError, match="pickled"):
        load_model(raw_pickle)
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


def _save_with_metadata(path, metadata):
    arrays = _valid_arrays()
    arrays["metadata"] = np.array(metadata if isinstance(metadata, str) else json.dumps(metadata))
    _write_npz(path, **arrays)
    return path


@pytest.mark.parametrize("epochs", ['"x"', "NaN", "Infinity", "1e400", "-3", "2.5", "true", "null", "[1]"])
def test_odd_epochs_trained_are_dropped_and_count_as_zero(tmp_path, epochs):
    path = _save_with_metadata(tmp_path / "m.npz", '{"epochs_trained": %s}' % epochs)
    net, meta = load_model(path)
    assert net.epochs_trained == 0 and "epochs_trained" not in meta


def test_epochs_trained_survives_a_round_trip(tmp_path):
    net = Network((4,))
    net.epochs_trained = 7
    back, meta = load_model(save_model(tmp_path / "m.npz", net))
    assert back.epochs_trained == 7 and meta["epochs_trained"] == 7


@pytest.mark.parametrize("hyper", [
    {"seed": "abc"}, {"seed": -3}, {"seed": [1, 2]}, {"seed": 1.5}, {"momentum": "0.9"},
    {"lr": "x"}, {"lr": 10**400}, {"lr": True}, {"weight_decay": None}, {"batch_size": 1.5},
    {"batch_size": "128"}, {"schedule": ["x"]}, {"schedule": "sometimes"}, {"optimizer": 3},
    {"optimizer": "rmsprop"}, {"momentum": 2.0}, "not a dict", [1, 2],
])
def test_odd_hyperparameters_fall_back_to_defaults(tmp_path, hyper):
    path = _save_with_metadata(tmp_path / "m.npz", {"hyperparameters": hyper})
    net, meta = load_model(path)
    default = Network((4,))
    assert (net.optimizer_name, net.lr, net.momentum, net.batch_size, net.schedule) == (
        default.optimizer_name, default.lr, default.momentum, default.batch_size, default.schedule)
    # In the metadata, a value of the wrong type or range is dropped; a well-formed name the Network
    # does not know (rmsprop) is still what the file says, so it stays.
    kept = {k: v for k, v in hyper.items() if k in ("schedule", "optimizer") and isinstance(v, str)} \
        if isinstance(hyper, dict) else None
    assert meta.get("hyperparameters") == kept


def test_a_bad_hyperparameter_does_not_drop_the_good_ones(tmp_path):
    path = _save_with_metadata(tmp_path / "m.npz", {"hyperparameters": {"momentum": "0.9", "lr": 0.25,
                                                                         "optimizer": "sgd"}})
    net, _ = load_model(path)
    assert net.lr == 0.25 and net.optimizer_name == "sgd" and net.momentum == 0.9


def test_an_unexpected_error_becomes_one_line(tmp_path, monkeypatch):
    path = save_model(tmp_path / "m.npz", Network((4,)))

    def broken(*args, **kwargs):
        raise RuntimeError("something\nunforeseen")

    monkeypatch.setattr(model_io, "Network", broken)
    with pytest.raises(ModelFileError, match="^m.npz is damaged \\(RuntimeError: something unforeseen\\)\\.$"):
        load_model(path)


def _npy(shape, dtype="<f4", data=b""):
    """A .npy entry whose header says `shape`, followed by `data` (which need not match)."""
    out = io.BytesIO()
    np.lib.format.write_array_header_1_0(out, {"descr": dtype, "fortran_order": False, "shape": shape})
    return out.getvalue() + data


def _write_zip(path, arrays, raw=None):
    """A .npz of `arrays` plus `raw` entries (name -> .npy bytes), deflated as np.savez_compressed does."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for key, value in arrays.items():
            buf = io.BytesIO()
            np.save(buf, value, allow_pickle=False)
            zf.writestr(key + ".npy", buf.getvalue())
        for key, data in (raw or {}).items():
            zf.writestr(key + ".npy", data)
    return path


def test_a_member_larger_than_its_layer_sizes_allow_is_never_inflated(tmp_path, monkeypatch):
    arrays = _valid_arrays()
    w1 = arrays.pop("w1")  # (784, 4): 12.5 kB of float32; 4 MB of trailing zeros deflate to ~4 kB
    bomb = _write_zip(tmp_path / "bomb.npz", arrays, {"w1": _npy(w1.shape, data=w1.tobytes() + bytes(4 << 20))})
    read, real_read_array = [], np.lib.format.read_array

    def spy(f, *args, **kwargs):
        read.append(f.name)
        return real_read_array(f, *args, **kwargs)

    monkeypatch.setattr(np.lib.format, "read_array", spy)
    with pytest.raises(ModelFileError, match="^bomb.npz: w1 is larger than its layer sizes allow; the file is damaged"):
        load_model(bomb)
    assert bomb.stat().st_size < 100_000 and "format.npy" in read and "w1.npy" not in read


def test_oversized_metadata_and_optimizer_state_are_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(model_io, "_METADATA_LIMIT", 10_000)
    path = _save_with_metadata(tmp_path / "meta.npz", {"note": "x" * 5000})  # 20 kB as UTF-32
    with pytest.raises(ModelFileError, match="metadata is larger"):
        load_model(path)
    net = Network((4,), optimizer="adam")
    net.partial_fit(np.zeros((10, 784), np.float32), np.arange(10))
    path = save_model(tmp_path / "opt.npz", net)
    with np.load(path, allow_pickle=False) as npz:
        arrays = {k: npz[k] for k in npz.files}
    arrays["opt_m"] = np.zeros(net.params.size * 3, np.float32)  # (P,) float64 would be 8P bytes
    with pytest.raises(ModelFileError, match="opt_m is larger than its layer sizes allow"):
        load_model(_write_zip(tmp_path / "opt_big.npz", arrays))


def test_a_header_promising_more_than_the_entry_holds_is_refused_before_allocating(tmp_path):
    arrays = _valid_arrays()
    del arrays["w1"]
    path = _write_zip(tmp_path / "liar.npz", arrays, {"w1": _npy((784, 10**9))})  # 3 TB
    with pytest.raises(ModelFileError, match="w1 holds less data than its header says"):
        load_model(path)


def test_unknown_entries_are_ignored_even_hostile_ones(tmp_path):
    raw = {"zz": _npy((10**12,)),  # 4 TB by its header: numpy would try to allocate it
           "extra": pickle.dumps([1])}
    arrays = _valid_arrays()
    arrays["notes"] = np.zeros(3)
    path = _write_zip(tmp_path / "extra.npz", arrays, raw)
    buf = io.BytesIO()  # an object array under an unknown name, too
    np.save(buf, np.array([{"evil": 1}], dtype=object), allow_pickle=True)
    with zipfile.ZipFile(path, "a") as zf:
        zf.writestr("objects.npy", buf.getvalue())
    net, _ = load_model(path)
    assert net.sizes == (784, 4, 10)


def test_an_object_array_under_a_known_name_is_refused_as_pickled(tmp_path):
    arrays = _valid_arrays()
    arrays["opt_name"] = np.array("adam")
    buf = io.BytesIO()
    np.save(buf, np.array([1, "x"], dtype=object), allow_pickle=True)
    path = _write_zip(tmp_path / "p.npz", arrays, {"opt_t": buf.getvalue()})
    with pytest.raises(ModelFileError, match="pickled"):
        load_model(path)


@pytest.mark.parametrize("change", [
    lambda a: a.update(opt_t=np.array("x")),
    lambda a: a.update(opt_t=np.zeros((2, 2))),
    lambda a: a.update(opt_t=np.array(-1)),
    lambda a: a.update(opt_t=np.array(2.0)),
    lambda a: a.update(opt_m=a["opt_m"][:-1]),
    lambda a: a.update(opt_m=a["opt_m"].astype(np.int64)),
    lambda a: a.update(opt_v=-a["opt_v"] - 1),
    lambda a: a["opt_v"].__setitem__(0, np.inf),
    lambda a: a.pop("opt_v"),
    lambda a: a.update(opt_name=np.array(["adam"])),
])
def test_odd_optimizer_state_means_a_fresh_optimizer(tmp_path, change):
    net = Network((4,), optimizer="adam")
    net.partial_fit(np.zeros((10, 784), np.float32), np.arange(10))
    path = save_model(tmp_path / "m.npz", net)
    with np.load(path, allow_pickle=False) as npz:
        arrays = {k: npz[k] for k in npz.files}
    change(arrays)
    back, _ = load_model(_write_zip(tmp_path / "odd.npz", arrays))
    assert back.optimizer.t == 0 and not back.optimizer.m.any() and not back.optimizer.v.any()
    assert np.array_equal(back.params, net.params)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_fifo_is_neither_read_nor_replaced(tmp_path):
    fifo = tmp_path / "pipe.npz"
    os.mkfifo(fifo)
    keep_open = os.open(fifo, os.O_RDWR | os.O_NONBLOCK)  # so that a reader would not block forever
    try:
        os.write(keep_open, b"not a model file")  # 16 bytes: reading the magic returns at once
        with pytest.raises(ModelFileError, match="not a regular file"):
            load_model(fifo)
        with pytest.raises(ModelFileError, match="^Cannot save .*pipe.npz: not a regular file.$"):
            save_model(fifo, Network((3,)))
    finally:
        os.close(keep_open)
    assert os.listdir(tmp_path) == ["pipe.npz"]


def test_saving_through_a_symlink_keeps_the_link(tmp_path):
    target = save_model(tmp_path / "real.npz", Network((3,), seed=1))
    link = tmp_path / "current.npz"
    link.symlink_to("real.npz")
    save_model(link, Network((5,), seed=2))
    assert link.is_symlink() and load_model(target)[0].sizes == (784, 5, 10)


# ----- metadata: an invalid value is dropped, the rest of the file loads ----------------------------

BAD_NUMBERS = ["1" + "0" * 400, "1e400", "-1e400", "NaN", "Infinity", "-1", '"x"', "[0.5]", '{"a": 1}', "true"]


@pytest.mark.parametrize("bad", BAD_NUMBERS)
@pytest.mark.parametrize("key", ["test_accuracy", "accuracy", "val_accuracy", "test_loss", "epochs",
                                 "epochs_trained", "preprocessing_version"])
def test_an_invalid_top_level_number_is_dropped(tmp_path, key, bad):
    path = _save_with_metadata(tmp_path / "m.npz", '{"%s": %s, "test_data": "t.csv"}' % (key, bad))
    net, meta = load_model(path)
    assert key not in meta and meta["test_data"] == "t.csv" and net.epochs_trained == 0


@pytest.mark.parametrize("key, value", [("test_accuracy", 1.5), ("test_accuracy", -0.1), ("test_loss", -1),
                                        ("epochs", 2.5), ("epochs", 10**10), ("created", 5), ("command", ["ls"]),
                                        ("train_data", None), ("created", "x" * 20_000)])
def test_a_number_out_of_range_or_a_wrong_type_is_dropped(tmp_path, key, value):
    path = _save_with_metadata(tmp_path / "m.npz", {key: value, "epochs_trained": 3})
    net, meta = load_model(path)
    assert key not in meta and meta["epochs_trained"] == net.epochs_trained == 3


@pytest.mark.parametrize("bad", BAD_NUMBERS)
@pytest.mark.parametrize("field", ["epoch", "train_loss", "test_loss", "val_loss", "test_accuracy",
                                   "val_accuracy", "seconds"])
def test_an_invalid_history_value_is_dropped_from_its_epoch(tmp_path, field, bad):
    history = '[{"epoch": 1, "train_loss": 0.5}, {"note": "n", "%s": %s}, 7, "x"]' % (field, bad)
    path = _save_with_metadata(tmp_path / "m.npz", '{"history": %s}' % history)
    _, meta = load_model(path)
    assert meta["history"] == [{"epoch": 1, "train_loss": 0.5}, {"note": "n"}]  # entries not objects go too


@pytest.mark.parametrize("key", ["history", "hyperparameters", "training"])
@pytest.mark.parametrize("value", ['"x"', "3", "null", "[1, 2]", "{}", "[[]]"])
def test_a_list_or_an_object_of_the_wrong_kind_is_dropped(tmp_path, key, value):
    path = _save_with_metadata(tmp_path / "m.npz", '{"%s": %s, "epochs_trained": 2}' % (key, value))
    net, meta = load_model(path)
    assert meta["epochs_trained"] == net.epochs_trained == 2
    if key == "history":
        assert meta.get("history") in (None, [])  # a list keeps only its object entries
    else:
        assert meta.get(key) in (None, {})


def test_deep_nesting_and_hidden_non_finite_numbers_are_dropped(tmp_path):
    deep = "[" * 500 + "]" * 500  # json reads this; a value this deep is no metadata of ours
    text = ('{"note": %s, "extra": {"a": [1, 2, {"b": NaN}]}, "ok": {"a": [1, "x", null]}, '
            '"hyperparameters": {"lr": 0.01, "seed": %s}, "training": {"lr": Infinity, "epochs": 5}, '
            '"history": [{"epoch": 1, "train_loss": 0.1, "deep": %s}]}' % (deep, deep, deep))
    path = _save_with_metadata(tmp_path / "m.npz", text)
    net, meta = load_model(path)
    assert "note" not in meta and "extra" not in meta and meta["ok"] == {"a": [1, "x", None]}
    assert meta["hyperparameters"] == {"lr": 0.01} and net.lr == 0.01
    assert meta["training"] == {"epochs": 5}
    assert meta["history"] == [{"epoch": 1, "train_loss": 0.1}]


def test_what_the_window_and_the_command_line_save_survives_unchanged(tmp_path):
    meta = {"source": "window", "test_accuracy": 0.98, "test_data": "MNIST/mnist_test.csv",
            "history": [{"epoch": 1, "train_loss": 0.3, "val_loss": 0.2, "val_accuracy": 0.95}],
            "train_data": "MNIST/mnist_train.csv", "test_loss": 0.05, "epochs": 1, "command": "python main.py train",
            "training": {"layers": [4], "activation": "relu", "lr": 0.001, "seed": None, "augment": True,
                         "train_limit": None, "epochs": 1}}
    net = Network((4,))
    net.epochs_trained = 1
    _, back = load_model(save_model(tmp_path / "m.npz", net, meta))
    assert {k: back[k] for k in meta} == meta
    assert back["hyperparameters"] == net.hyperparameters() and back["epochs_trained"] == 1


def test_a_failed_load_returns_nothing_and_the_metadata_is_a_fresh_object(tmp_path, monkeypatch):
    path = _save_with_metadata(tmp_path / "m.npz", {"history": [{"epoch": 1}], "test_accuracy": 0.5})
    _, a = load_model(path)
    _, b = load_model(path)
    a["history"][0]["epoch"] = 99
    assert b["history"][0]["epoch"] == 1
    monkeypatch.setattr(model_io, "_load_optimizer_state", lambda *args: 1 / 0)  # fails after the metadata
    with pytest.raises(ModelFileError):
        load_model(path)
