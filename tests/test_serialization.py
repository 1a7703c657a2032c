"""torch.save / torch.load: PyTorch's zip format, both directions against real torch."""
import collections
import io
import os
import pickle
import zipfile

import numpy as np
import pytest
import torch

import torchjax

DTYPES = ["float32", "float64", "float16", "bfloat16", "int8", "uint8", "int16", "int32", "int64",
          "bool", "complex64", "complex128", "uint16"]


def _np(t):
    if t.dtype in (torch.bfloat16,):
        return t.float().numpy()
    return t.numpy()


def _npj(t):
    a = np.asarray(t.detach()._value)
    return a.astype(np.float32) if t.dtype == torchjax.bfloat16 else a


def _sample(lib, name):
    base = lib.arange(-3, 9, dtype=lib.float64).reshape(3, 4)
    return base.to(getattr(lib, name))


def _roundtrip_torch_to_tj(obj):
    buf = io.BytesIO()
    torch.save(obj, buf)
    buf.seek(0)
    return torchjax.load(buf)


def _roundtrip_tj_to_torch(obj):
    buf = io.BytesIO()
    torchjax.save(obj, buf)
    buf.seek(0)
    return torch.load(buf)


def test_dtypes_both_ways():
    for name in DTYPES:
        t = _sample(torch, name)
        j = _roundtrip_torch_to_tj(t)
        assert j.dtype == getattr(torchjax, name) and tuple(j.shape) == (3, 4), name
        np.testing.assert_array_equal(_npj(j), _np(t))
        back = _roundtrip_tj_to_torch(_sample(torchjax, name))
        assert back.dtype == t.dtype, name
        torch.testing.assert_close(back, t)


def test_views_share_storage_tj_to_torch():
    x = torchjax.arange(12.).reshape(3, 4)
    d = _roundtrip_tj_to_torch({"x": x, "col": x[:, 1:3], "t": x.t(), "row": x[2], "s": x[0, 3]})
    ptr = d["x"].untyped_storage().data_ptr()
    for k, want in {"col": ((4, 1), 1), "t": ((1, 4), 0), "row": ((1,), 8), "s": ((), 3)}.items():
        assert d[k].untyped_storage().data_ptr() == ptr, k
        assert (d[k].stride(), d[k].storage_offset()) == want, k
    torch.testing.assert_close(d["col"], torch.arange(12.).reshape(3, 4)[:, 1:3])
    d["x"][0, 1] = 100.
    assert d["col"][0, 0].item() == 100.


def test_views_share_storage_torch_to_tj():
    x = torch.arange(24, dtype=torch.int32).reshape(2, 3, 4)
    d = _roundtrip_torch_to_tj({"x": x, "v": x[:, 1:, ::2], "p": x.permute(2, 0, 1), "e": x[0, 0, :0]})
    for k in ("v", "p", "e"):
        assert d[k].stride() == {"v": x[:, 1:, ::2], "p": x.permute(2, 0, 1), "e": x[0, 0, :0]}[k].stride()
        np.testing.assert_array_equal(_npj(d[k]), {"v": x[:, 1:, ::2], "p": x.permute(2, 0, 1),
                                                   "e": x[0, 0, :0]}[k].numpy())
    assert d["v"].storage_offset() == 4
    d["x"][1, 2, 2] = -7  # one storage: the write shows through the view
    assert d["v"][1, 1, 1].item() == -7 and d["p"][2, 1, 2].item() == -7


def test_zero_dim_empty_and_requires_grad():
    obj = {"z": torch.tensor(3.5), "e": torch.zeros(0, 3), "g": torch.ones(2, requires_grad=True)}
    d = _roundtrip_torch_to_tj(obj)
    assert d["z"].dim() == 0 and d["z"].item() == 3.5
    assert tuple(d["e"].shape) == (0, 3)
    assert d["g"].requires_grad and d["g"].is_leaf
    back = _roundtrip_tj_to_torch(d)
    assert back["g"].requires_grad and back["z"].item() == 3.5 and back["e"].shape == (0, 3)


def test_parameters_and_state_dict_metadata():
    sd = collections.OrderedDict(weight=torch.nn.Parameter(torch.randn(3, 2)), bias=torch.randn(3))
    sd._metadata = collections.OrderedDict([("", {"version": 1}), ("fc1", {"version": 1})])
    j = _roundtrip_torch_to_tj(sd)
    assert isinstance(j, collections.OrderedDict) and list(j) == ["weight", "bias"]
    assert j._metadata == sd._metadata
    assert isinstance(j["weight"], torchjax.nn.Parameter) and j["weight"].requires_grad
    np.testing.assert_array_equal(_npj(j["weight"]), sd["weight"].detach().numpy())
    back = _roundtrip_tj_to_torch(j)
    assert isinstance(back["weight"], torch.nn.Parameter) and back._metadata == sd._metadata
    torch.testing.assert_close(back["bias"], sd["bias"])


def test_optimizer_state_dict_from_torch():
    p = torch.nn.Parameter(torch.randn(4))
    opt = torch.optim.Adam([p], lr=0.1)
    p.sum().backward()
    opt.step()
    sd = opt.state_dict()
    j = _roundtrip_torch_to_tj(sd)
    assert j["param_groups"] == sd["param_groups"]
    st, want = j["state"][0], sd["state"][0]
    assert set(st) == set(want)
    for k in want:
        np.testing.assert_array_equal(_npj(st[k]), want[k].numpy())
        assert st[k].dtype == getattr(torchjax, str(want[k].dtype)[6:])


def test_python_containers_and_objects():
    obj = {"l": [1, 2.5, None, "s"], "t": (True, b"xy", 3 + 4j), "set": {1, 2},
           "size": torch.Size([2, 3]), "dev": torch.device("cpu"), "dt": torch.bfloat16,
           "ba": bytearray(b"ab"), "c": collections.Counter("aab")}
    j = _roundtrip_torch_to_tj(obj)
    assert j["l"] == obj["l"] and j["t"] == obj["t"] and j["set"] == {1, 2}
    assert isinstance(j["size"], torchjax.Size) and tuple(j["size"]) == (2, 3)
    assert j["dev"] == torchjax.device("cpu") and j["dt"] is torchjax.bfloat16
    assert j["ba"] == bytearray(b"ab") and j["c"] == collections.Counter("aab")
    back = _roundtrip_tj_to_torch(j)
    assert back["size"] == torch.Size([2, 3]) and back["dt"] is torch.bfloat16
    assert back["dev"] == torch.device("cpu") and back == {**obj}


def test_path_prefix_and_alignment(tmp_path):
    f = tmp_path / "model.pth"
    torchjax.save({"a": torchjax.ones(5), "b": torchjax.zeros(3, dtype=torchjax.int64)}, f)
    with zipfile.ZipFile(f) as z:
        names = z.namelist()
        assert names[:4] == ["model/data.pkl", "model/.format_version", "model/.storage_alignment",
                             "model/byteorder"]
        assert names[-2:] == ["model/version", "model/.data/serialization_id"]
        raw = f.read_bytes()
        for info in z.infolist():
            assert info.compress_type == zipfile.ZIP_STORED
            if "/data/" in info.filename and ".data" not in info.filename:
                start = info.header_offset + 30 + len(info.filename) + \
                    int.from_bytes(raw[info.header_offset + 28:info.header_offset + 30], "little")
                assert start % 64 == 0
    d = torch.load(f)
    torch.testing.assert_close(d["a"], torch.ones(5))
    j = torchjax.load(str(f))
    assert j["b"].dtype == torchjax.int64


class Point:
    def __init__(self, x):
        self.x = x


class Evil:
    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def _err(fn):
    with pytest.raises(Exception) as e:
        fn()
    return e


def test_weights_only_refuses_unknown_globals_like_torch():
    buf = io.BytesIO()
    torch.save({"p": Point(3)}, buf)
    data = buf.getvalue()
    et = _err(lambda: torch.load(io.BytesIO(data)))
    ej = _err(lambda: torchjax.load(io.BytesIO(data)))
    assert ej.type is pickle.UnpicklingError and str(ej.value) == str(et.value)
    assert "add_safe_globals([tests.test_serialization.Point])" in str(ej.value) or \
        "add_safe_globals([test_serialization.Point])" in str(ej.value)
    assert torchjax.serialization.get_unsafe_globals_in_checkpoint(io.BytesIO(data)) == \
        torch.serialization.get_unsafe_globals_in_checkpoint(io.BytesIO(data))
    with torchjax.serialization.safe_globals([Point]):
        assert torchjax.load(io.BytesIO(data))["p"].x == 3
    with pytest.raises(pickle.UnpicklingError):
        torchjax.load(io.BytesIO(data))
    torchjax.serialization.add_safe_globals([Point])
    try:
        assert Point in torchjax.serialization.get_safe_globals()
        assert torchjax.load(io.BytesIO(data))["p"].x == 3
    finally:
        torchjax.serialization.clear_safe_globals()
    assert torchjax.load(io.BytesIO(data), weights_only=False)["p"].x == 3


def test_malicious_pickle_runs_nothing(tmp_path):
    Evil.marker = tmp_path / "pwned"
    buf = io.BytesIO()
    torch.save([torch.ones(1), Evil()], buf)
    data = buf.getvalue()
    et = _err(lambda: torch.load(io.BytesIO(data)))
    ej = _err(lambda: torchjax.load(io.BytesIO(data)))
    assert ej.type is pickle.UnpicklingError and str(ej.value) == str(et.value)
    assert "blocked" in str(ej.value)
    assert not Evil.marker.exists()


def test_corrupt_files_raise_like_torch():
    buf = io.BytesIO()
    torch.save({"a": torch.arange(4.)}, buf)
    raw = buf.getvalue()
    for bad in (raw[:len(raw) // 2], raw[:-30]):
        et, ej = _err(lambda: torch.load(io.BytesIO(bad))), _err(lambda: torchjax.load(io.BytesIO(bad)))
        assert ej.type is RuntimeError is et.type and str(ej.value) == str(et.value)
    no_pkl = io.BytesIO()
    with zipfile.ZipFile(no_pkl, "w") as z:
        z.writestr("archive/version", "3\n")
    et = _err(lambda: torch.load(io.BytesIO(no_pkl.getvalue())))
    ej = _err(lambda: torchjax.load(io.BytesIO(no_pkl.getvalue())))
    assert ej.type is RuntimeError and str(ej.value) == str(et.value)
    with pytest.raises(EOFError):
        torchjax.load(io.BytesIO(b""))
    with pytest.raises(pickle.UnpicklingError):
        torchjax.load(io.BytesIO(b"not a checkpoint at all"))


def test_whole_object_pickle_and_torch_class_names():
    class_names = []
    buf = io.BytesIO()
    torchjax.save({"p": torchjax.nn.Parameter(torchjax.ones(2)), "x": torchjax.ones(1)}, buf)
    with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as z:
        pkl = z.read("archive/data.pkl")
    import pickletools
    for op, arg, _ in pickletools.genops(pkl):
        if op.name == "GLOBAL":
            class_names.append(arg)
    assert all(n.startswith(("torch", "collections")) and not n.startswith("torchjax") for n in class_names)
    assert "torch._utils _rebuild_parameter" in class_names and "torch FloatStorage" in class_names
    # weights_only=False: objects come back whole, Point by its own module
    buf = io.BytesIO()
    torchjax.save({"pt": Point(torchjax.tensor([1, 2]))}, buf)
    buf.seek(0)
    got = torchjax.load(buf, weights_only=False)
    assert got["pt"].x.tolist() == [1, 2]


def test_whole_modules_and_optimizer_state_both_ways():
    torch.manual_seed(0)
    m = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.ReLU())
    buf = io.BytesIO()
    torch.save(m, buf)
    buf.seek(0)
    mj = torchjax.load(buf, weights_only=False)
    assert type(mj) is torchjax.nn.Sequential and isinstance(mj[0], torchjax.nn.Linear)
    x = np.array([[1., -2.]], np.float32)
    np.testing.assert_allclose(_npj(mj(torchjax.tensor(x))), m(torch.tensor(x)).detach().numpy(),
                               rtol=1.3e-6, atol=1e-5)
    buf = io.BytesIO()
    torchjax.save(mj, buf)
    buf.seek(0)
    back = torch.load(buf, weights_only=False)
    assert type(back) is torch.nn.Sequential
    torch.testing.assert_close(back(torch.tensor(x)), m(torch.tensor(x)))
    # a torchjax optimizer's state_dict loads in torch with weights_only=True
    opt = torchjax.optim.SGD(mj.parameters(), lr=0.1, momentum=0.9)
    mj(torchjax.tensor(x)).sum().backward()
    opt.step()
    sd = _roundtrip_tj_to_torch(opt.state_dict())
    want = opt.state_dict()
    assert sd["param_groups"] == want["param_groups"]
    for k, v in want["state"].items():
        np.testing.assert_array_equal(sd["state"][k]["momentum_buffer"].numpy(), _npj(v["momentum_buffer"]))


class TaggedTensor(torchjax.Tensor):
    pass


def test_tensor_subclass_roundtrip():
    from torchjax._tensor import _alias  # torchjax has no Tensor.as_subclass yet
    t = _alias(torchjax.ones(3), TaggedTensor)
    t.tag = "x"
    buf = io.BytesIO()
    torchjax.save({"t": t}, buf)
    data = buf.getvalue()
    with pytest.raises(pickle.UnpicklingError, match="TaggedTensor"):
        torchjax.load(io.BytesIO(data))
    with torchjax.serialization.safe_globals([TaggedTensor]):
        got = torchjax.load(io.BytesIO(data))["t"]
    assert type(got) is TaggedTensor and got.tag == "x" and got.tolist() == [1., 1., 1.]


def _cuda_checkpoint():
    """A torch checkpoint whose storage location reads 'cuda:0' (rewritten: no GPU here)."""
    buf = io.BytesIO()
    torch.save({"w": torch.arange(4.0)}, buf)
    src, out = zipfile.ZipFile(io.BytesIO(buf.getvalue())), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename.endswith("data.pkl"):
                data = data.replace(b"X\x03\x00\x00\x00cpu", b"X\x06\x00\x00\x00cuda:0")
            dst.writestr(info, data)
    return out.getvalue()


@pytest.mark.parametrize("map_location", [None, "cpu", "cuda", {"cuda:0": "cpu"}, {"cuda:0": "cuda:1"},
                                          "device", "fn_none", "fn_storage"])
def test_map_location_like_torch(map_location):
    data = _cuda_checkpoint()

    def resolve(lib):
        if map_location == "device":
            return lib.device("cpu")
        if map_location == "fn_none":
            return lambda storage, loc: None
        if map_location == "fn_storage":
            return lambda storage, loc: storage
        return map_location

    outcomes = []
    for lib in (torch, torchjax):
        try:
            r = lib.load(io.BytesIO(data), map_location=resolve(lib))
            outcomes.append(("ok", r["w"].tolist()))
        except RuntimeError as e:
            outcomes.append(("RuntimeError", str(e)))
    assert outcomes[0] == outcomes[1]


def test_mmap_argument_like_torch(tmp_path):
    path = tmp_path / "m.pt"
    torch.save({"w": torch.arange(6.).reshape(2, 3), "n": 3}, path)
    for lib in (torch, torchjax):
        r = lib.load(str(path), mmap=True)
        assert r["w"].tolist() == [[0., 1., 2.], [3., 4., 5.]] and r["n"] == 3
        with pytest.raises(ValueError, match="^f must be a file path in order to use the mmap "
                                             "argument$"):
            lib.load(io.BytesIO(path.read_bytes()), mmap=True)
