"""torch.utils.data against real torch: datasets, samplers, collation, DataLoader orders."""
import collections
import numpy as np
import pytest
import torch
import torch.utils.data as tud

import torchjax
import torchjax.utils.data as jud
from data_worker_helpers import (EnvProbe, RangeStream, SeedProbe, SlowDataset, SquareDataset,
                                 init_fn, make_stream)


def _seed(s=0):
    torch.manual_seed(s)
    torchjax.manual_seed(s)


def _err(fn):
    with pytest.raises(Exception) as e:
        fn()
    return type(e.value), str(e.value)


def _same_error(f_torch, f_tj):
    assert _err(f_tj) == _err(f_torch)


def _tolist(x):
    if isinstance(x, (torch.Tensor, torchjax.Tensor)):
        return ("T", str(x.dtype).replace("torchjax", "torch"), tuple(x.shape), x.tolist())
    if isinstance(x, dict):
        return {k: _tolist(v) for k, v in x.items()}
    if isinstance(x, tuple) and hasattr(x, "_fields"):
        return (type(x).__name__,) + tuple(_tolist(v) for v in x)
    if isinstance(x, (list, tuple)):
        return type(x).__name__, [_tolist(v) for v in x]
    return x


# ---- datasets ----

def test_tensor_concat_subset_stack_chain():
    xt, xj = torch.arange(12.).reshape(6, 2), torchjax.arange(12.).reshape(6, 2)
    yt, yj = torch.arange(6), torchjax.arange(6)
    dt, dj = tud.TensorDataset(xt, yt), jud.TensorDataset(xj, yj)
    assert len(dj) == 6 and _tolist(dj[4]) == _tolist(dt[4])
    _same_error(lambda: tud.TensorDataset(xt, yt[:3]), lambda: jud.TensorDataset(xj, yj[:3]))
    ct, cj = dt + tud.Subset(dt, [5, 0]), dj + jud.Subset(dj, [5, 0])
    assert isinstance(cj, jud.ConcatDataset) and len(cj) == 8 and cj.cumulative_sizes == [6, 8]
    for i in (0, 5, 6, 7, -1, -8):
        assert _tolist(cj[i]) == _tolist(ct[i])
    _same_error(lambda: ct[-9], lambda: cj[-9])
    _same_error(lambda: tud.ConcatDataset([]), lambda: jud.ConcatDataset([]))
    sj = jud.StackDataset(a=dj, b=range(6))
    assert _tolist(sj.__getitems__([1, 2])) == _tolist(tud.StackDataset(a=dt, b=range(6)).__getitems__([1, 2]))
    assert _tolist(jud.StackDataset(dj, range(6))[3]) == _tolist(tud.StackDataset(dt, range(6))[3])
    _same_error(lambda: tud.StackDataset(dt, range(5)), lambda: jud.StackDataset(dj, range(5)))
    _same_error(lambda: tud.StackDataset(), lambda: jud.StackDataset())

    class R(jud.IterableDataset):
        def __init__(self, n):
            self.n = n

        def __iter__(self):
            return iter(range(self.n))

        def __len__(self):
            return self.n
    ch = R(2) + R(3)
    assert isinstance(ch, jud.ChainDataset) and list(ch) == [0, 1, 0, 1, 2] and len(ch) == 5
    with pytest.raises(AssertionError, match="ChainDataset only supports IterableDataset"):
        list(jud.ChainDataset([range(3)]))
    with pytest.raises(NotImplementedError, match="Subclasses of Dataset"):
        jud.Dataset()[0]


def test_random_split():
    for lengths in ([3, 7], [0.3, 0.3, 0.4], [0.5, 0.5]):
        st = tud.random_split(range(10), lengths, generator=torch.Generator().manual_seed(42))
        sj = jud.random_split(range(10), lengths, generator=torchjax.Generator().manual_seed(42))
        assert [s.indices for s in sj] == [s.indices for s in st]
    _seed(5)
    st, sj = tud.random_split(range(7), [2, 5]), jud.random_split(range(7), [2, 5])
    assert [list(s) for s in sj] == [list(s) for s in st]
    _same_error(lambda: tud.random_split(range(5), [2, 2]), lambda: jud.random_split(range(5), [2, 2]))
    _same_error(lambda: tud.random_split(range(5), [1.5, -0.5]),
                lambda: jud.random_split(range(5), [1.5, -0.5]))


# ---- samplers ----

def test_samplers_match_torch():
    _seed(1)
    for kw in ({}, {"replacement": True}, {"replacement": True, "num_samples": 70},
               {"num_samples": 23}):
        assert list(jud.RandomSampler(range(10), **kw)) == list(tud.RandomSampler(range(10), **kw)), kw
    assert torchjax.rand(3).tolist() == torch.rand(3).tolist()  # the global RNG moved alike
    gt, gj = torch.Generator().manual_seed(7), torchjax.Generator().manual_seed(7)
    assert list(jud.RandomSampler(range(9), generator=gj)) == list(tud.RandomSampler(range(9), generator=gt))
    assert list(jud.SubsetRandomSampler([3, 5, 8, 13], gj)) == list(tud.SubsetRandomSampler([3, 5, 8, 13], gt))
    for repl in (True, False):
        w = [0.1, 0.9, 0.4, 0.7, 3.0, 0.6]
        assert list(jud.WeightedRandomSampler(w, 5, repl, generator=gj)) == \
            list(tud.WeightedRandomSampler(w, 5, repl, generator=gt))
    assert list(jud.SequentialSampler(range(4))) == [0, 1, 2, 3]
    for drop in (True, False):
        bj, bt = jud.BatchSampler(range(10), 3, drop), tud.BatchSampler(range(10), 3, drop)
        assert list(bj) == list(bt) and len(bj) == len(bt)
    _same_error(lambda: tud.BatchSampler(range(3), 0, False), lambda: jud.BatchSampler(range(3), 0, False))
    _same_error(lambda: tud.BatchSampler(range(3), 2, 1), lambda: jud.BatchSampler(range(3), 2, 1))
    _same_error(lambda: tud.RandomSampler(range(3), replacement=1),
                lambda: jud.RandomSampler(range(3), replacement=1))
    _same_error(lambda: tud.RandomSampler([], num_samples=None), lambda: jud.RandomSampler([], num_samples=None))
    _same_error(lambda: tud.WeightedRandomSampler([[1.]], 2), lambda: jud.WeightedRandomSampler([[1.]], 2))
    _same_error(lambda: tud.WeightedRandomSampler([1.], 0), lambda: jud.WeightedRandomSampler([1.], 0))


def test_distributed_sampler():
    from torch.utils.data.distributed import DistributedSampler as TDS
    from torchjax.utils.data.distributed import DistributedSampler as JDS
    for n, reps, kw in [(10, 3, {}), (10, 3, {"drop_last": True}), (11, 4, {"shuffle": False}),
                        (2, 5, {}), (12, 4, {"seed": 9})]:
        for rank in range(reps):
            t, j = TDS(range(n), reps, rank, **kw), JDS(range(n), reps, rank, **kw)
            for epoch in (0, 3):
                t.set_epoch(epoch)
                j.set_epoch(epoch)
                assert list(j) == list(t) and len(j) == len(t), (n, reps, rank, kw)
    _same_error(lambda: TDS(range(4), 2, 2), lambda: JDS(range(4), 2, 2))
    # no process group: torch.distributed is available here but never initialised
    assert torch.distributed.is_available() and not torch.distributed.is_initialized()
    for kw in ({}, {"num_replicas": 2}, {"rank": 0}):
        _same_error(lambda: TDS(range(4), **kw), lambda: JDS(range(4), **kw))


# ---- collation ----

Point = collections.namedtuple("Point", "x y")


def test_default_collate_matches_torch():
    cases = [
        [torch.tensor([1., 2.]), torch.tensor([3., 4.])],
        [np.arange(3, dtype=np.int32), np.arange(3, 6, dtype=np.int32)],
        [1, 2, 3], [1.5, 2.5], [True, False], ["a", "b"], [b"x", b"y"],
        [np.float32(1.5), np.float32(2)], [np.int64(4), np.int64(5)],
        [{"a": 1, "b": [1.0, 2.0]}, {"a": 2, "b": [3.0, 4.0]}],
        [Point(1, 2.0), Point(3, 4.0)],
        [(1, "s"), (2, "t")],
        [[np.ones(2), 3], [np.zeros(2), 4]],
    ]
    for case in cases:
        jcase = [_to_tj(c) for c in case]
        assert _tolist(jud.default_collate(jcase)) == _tolist(tud.default_collate(case)), case
    for bad in ([object(), object()], [np.array(["a"]), np.array(["b"])]):
        _same_error(lambda: tud.default_collate(bad), lambda: jud.default_collate(bad))
    _same_error(lambda: tud.default_collate([[1, 2], [3]]), lambda: jud.default_collate([[1, 2], [3]]))
    _same_error(lambda: tud.default_collate([torch.ones(2), torch.ones(3)]),
                lambda: jud.default_collate([torchjax.ones(2), torchjax.ones(3)]))


def _to_tj(x):
    if isinstance(x, torch.Tensor):
        return torchjax.tensor(x.numpy())
    return x


def test_default_convert_matches_torch():
    for case in (np.arange(3), [np.arange(2), 5], (np.float64(2.0), "s"), Point(np.ones(1), 2),
                 {"k": np.zeros(2, np.float32)}, np.array(["x"]), 7):
        assert _tolist(jud.default_convert(case)) == _tolist(tud.default_convert(case)), case


# ---- DataLoader ----

RangeStreamT = make_stream(tud.IterableDataset)


def test_dataloader_shuffle_order_and_rng_match_torch():
    xt, xj = torch.arange(22.).reshape(11, 2), torchjax.arange(22.).reshape(11, 2)
    _seed(0)
    for kw in ({"batch_size": 3, "shuffle": True}, {"batch_size": 4, "shuffle": True, "drop_last": True},
               {"batch_size": None, "shuffle": True}, {"batch_size": 2}):
        lt, lj = tud.DataLoader(tud.TensorDataset(xt), **kw), jud.DataLoader(jud.TensorDataset(xj), **kw)
        assert len(lj) == len(lt)
        for _ in range(2):
            assert [_tolist(b) for b in lj] == [_tolist(b) for b in lt], kw
    assert torchjax.rand(4).tolist() == torch.rand(4).tolist()
    gt, gj = torch.Generator().manual_seed(3), torchjax.Generator().manual_seed(3)
    a = [b[0].tolist() for b in tud.DataLoader(tud.TensorDataset(xt), 5, shuffle=True, generator=gt)]
    b = [b[0].tolist() for b in jud.DataLoader(jud.TensorDataset(xj), 5, shuffle=True, generator=gj)]
    assert a == b and torchjax.rand(2).tolist() == torch.rand(2).tolist()
    # batch_sampler, custom collate_fn, numpy samples (stacked on the host)
    bs = [[0, 1], [5, 2, 3]]
    lj = jud.DataLoader(SquareDataset(), batch_sampler=bs)
    lt = tud.DataLoader(SquareDataset(), batch_sampler=bs)
    assert [_tolist(b) for b in lj] == [_tolist(b) for b in lt] and len(lj) == 2
    assert list(jud.DataLoader(range(5), batch_size=2, collate_fn=sum)) == [1, 5, 4]
    assert [_tolist(b) for b in jud.DataLoader(RangeStream(5), batch_size=2)] == \
        [_tolist(b) for b in tud.DataLoader(RangeStreamT(5), batch_size=2)]


def test_dataloader_option_errors_match_torch():
    ds = range(4)
    for kw in ({"batch_sampler": [[0]], "batch_size": 2}, {"sampler": [0, 1], "shuffle": True},
               {"batch_size": None, "drop_last": True}, {"num_workers": -1}, {"timeout": -1},
               {"prefetch_factor": 2}, {"persistent_workers": True},
               {"multiprocessing_context": "spawn"}):
        _same_error(lambda: tud.DataLoader(ds, **kw), lambda: jud.DataLoader(ds, **kw))
    _same_error(lambda: tud.DataLoader(RangeStreamT(3), shuffle=True),
                lambda: jud.DataLoader(RangeStream(3), shuffle=True))
    lj = jud.DataLoader(ds)
    with pytest.raises(ValueError, match="batch_size attribute should not be set after DataLoader is initialized"):
        lj.batch_size = 3
    assert len(jud.DataLoader(RangeStream(5), batch_size=2)) == 3


def test_dataloader_workers():
    _seed(0)
    want = [_tolist(b) for b in jud.DataLoader(SquareDataset(), batch_size=3, shuffle=True)]
    after = torchjax.rand(2).tolist()
    _seed(0)
    loader = jud.DataLoader(SquareDataset(), batch_size=3, shuffle=True, num_workers=2,
                            worker_init_fn=init_fn, persistent_workers=True)
    assert [_tolist(b) for b in loader] == want  # same sampler order as num_workers=0
    assert torchjax.rand(2).tolist() == after
    assert len([b for b in loader]) == 4  # persistent workers serve a second epoch
    stream = jud.DataLoader(RangeStream(7), batch_size=2, num_workers=2)
    assert [b.tolist() for b in stream] == [[0, 2], [1, 3], [4, 6], [5]]
    bad = jud.DataLoader(SquareDataset(fail_at=4), batch_size=2, num_workers=1)
    with pytest.raises(ValueError) as e:
        list(bad)
    msg = str(e.value)
    assert msg.startswith("Caught ValueError in DataLoader worker process 0.\nOriginal Traceback")
    assert "cannot load sample 4" in msg and "__getitem__" in msg


def test_worker_seed_state_matches_torch():
    from torch.utils.data._utils.worker import _generate_state as t_state
    from torchjax.utils.data._utils.worker import _generate_state as j_state
    for base, wid in ((0, 0), (12345678901234567, 3), (2 ** 63 - 1, 7)):
        assert j_state(base, wid) == t_state(base, wid)


def test_worker_count_warning_matches_torch():
    import warnings
    n = 64
    msgs = []
    for lib in (tud, jud):
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            lib.DataLoader(range(4), num_workers=n)
        msgs.append([str(x.message) for x in w if "worker processes" in str(x.message)])
    assert msgs[0] == msgs[1] and len(msgs[0]) == 1


def test_pin_memory_warnings_match_torch():
    import warnings
    got = []
    for lib, x in ((tud, torch.arange(4)), (jud, torchjax.arange(4))):
        for kw in ({"pin_memory": True}, {"pin_memory": True, "pin_memory_device": "cuda"},
                   {"pin_memory_device": "cuda"}):
            with warnings.catch_warnings(record=True) as w:
                warnings.simplefilter("always")
                batches = [b[0].tolist() for b in lib.DataLoader(lib.TensorDataset(x), 2, **kw)]
            got.append((batches, [(x.category, str(x.message)) for x in w]))
    assert not torch.accelerator.is_available() and not torchjax.cuda.is_available()
    assert got[3:] == got[:3]
    assert got[0][1] == [(UserWarning, "'pin_memory' argument is set as true but no accelerator is "
                          "found, then device pinned memory won't be used.")]


# real torch forks its DataLoader workers from this process, where JAX runs: the children only
# run torch and Python code
_torch_forks = pytest.mark.filterwarnings("ignore:os.fork:RuntimeWarning")


@_torch_forks
def test_dataloader_in_order_false_matches_torch():
    # sample 0 is slow: with in_order=False the other worker's batches come first
    def run(lib, in_order):
        loader = lib.DataLoader(SlowDataset(8, {0: 1.5}), batch_size=None, num_workers=2,
                                in_order=in_order)
        return [int(b) for b in loader]
    torch_order = run(tud, False)
    ours = run(jud, False)
    for order in (torch_order, ours):
        assert sorted(order) == list(range(8)) and order != sorted(order) and order[0] != 0
    assert ours == torch_order  # [1, 3, 4, 5, 6, 7, 0, 2]: torch's per-worker task limit
    assert run(jud, True) == list(range(8))


@_torch_forks
def test_worker_seeds_match_torch():
    # torch forks its workers; ours come from torchjax's fork server or, when asked, 'spawn'
    for ctx, process in ((None, "_Process"), ("spawn", "SpawnProcess")):
        _seed(3)
        want = list(tud.DataLoader(SeedProbe("torch"), batch_size=None, num_workers=2))
        it = iter(jud.DataLoader(SeedProbe("torchjax"), batch_size=None, num_workers=2,
                                 multiprocessing_context=ctx))
        assert type(it._workers[0]).__name__ == process
        got = list(it)
        assert [d["id"] for d in got] == [0, 1] and got == want
        assert torchjax.rand(2).tolist() == torch.rand(2).tolist()


@_torch_forks
def test_dataloader_timeout_matches_torch():
    def run(lib):
        it = iter(lib.DataLoader(SlowDataset(2, {0: 1.0}), batch_size=None, num_workers=1,
                                 timeout=0.3))
        try:
            list(it)
        finally:  # now: left to pytest's reference cycle, torch's takes 5 s to stop its worker
            it._shutdown_workers()
    _same_error(lambda: run(tud), lambda: run(jud))


def _env_with_torchjax():
    import os
    root = os.path.dirname(os.path.dirname(os.path.abspath(torchjax.__file__)))
    return dict(os.environ, PYTHONPATH=root)


def test_workers_on_cpu_with_current_environment(monkeypatch):
    import subprocess
    import sys
    # importing torchjax creates no JAX backend and no thread: safe in the fork server
    code = ("import threading, torchjax.utils.data; from jax._src import xla_bridge as xb; "
            "print(len(xb._backends), threading.active_count())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env=_env_with_torchjax())
    assert out.stdout.split() == ["0", "1"]
    for value in ("first", "second"):  # the fork server is up by the second
        monkeypatch.setenv("TORCHJAX_TEST_VALUE", value)
        loader = jud.DataLoader(EnvProbe("TORCHJAX_TEST_VALUE"), batch_size=None, num_workers=1)
        assert list(loader) == [["cpu", value, "cpu"]] * 2  # default_convert: tuple -> list


def test_workers_under_runner(tmp_path):
    import subprocess
    import sys
    script = tmp_path / "train.py"
    script.write_text(
        "import torch\n"
        "from torch.utils.data import DataLoader, Dataset, get_worker_info\n\n\n"
        "class Squares(Dataset):\n"
        "    def __len__(self):\n"
        "        return 6\n\n"
        "    def __getitem__(self, i):\n"
        "        assert type(torch.tensor(0)).__module__.startswith('torchjax')\n"
        "        return torch.tensor([i * i]), get_worker_info().id\n\n\n"
        "if __name__ == '__main__':\n"
        "    for persistent in (False, True):\n"
        "        loader = DataLoader(Squares(), batch_size=2, num_workers=2,\n"
        "                            persistent_workers=persistent)\n"
        "        print([(x.tolist(), w.tolist()) for x, w in loader])\n")
    out = subprocess.run([sys.executable, "-m", "torchjax", str(script)], cwd=tmp_path,
                         env=_env_with_torchjax(), capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    want = "[([[0], [1]], [0, 0]), ([[4], [9]], [1, 1]), ([[16], [25]], [0, 0])]"
    assert out.stdout.splitlines() == [want, want]


def test_iterator_in_reference_cycle_stops_workers_promptly():
    import gc
    import time
    it = iter(jud.DataLoader(SquareDataset(), batch_size=2, num_workers=1))
    next(it)
    workers = list(it._workers)
    it.cycle = it
    del it
    start = time.perf_counter()
    gc.collect()
    for w in workers:
        w.join(3)
    assert not any(w.is_alive() for w in workers) and time.perf_counter() - start < 3
