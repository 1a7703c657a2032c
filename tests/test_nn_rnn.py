"""nn.RNN / LSTM / GRU, the cells, torch.lstm & co. and nn.utils.rnn against real torch."""
import warnings

import numpy as np
import pytest
import torch

import torchjax
import torchjax.nn as tnn
from torchjax.nn.utils import rnn as trnn
from torch.nn.utils import rnn as rnn_utils


def tj(t, grad=None):
    r = torchjax.tensor(t.detach().numpy())
    return r.requires_grad_() if (t.requires_grad if grad is None else grad) else r


def close(a, b, **kw):
    if isinstance(a, (tuple, list)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            close(x, y, **kw)
        return
    assert tuple(a.shape) == tuple(b.shape), (a.shape, b.shape)
    assert str(a.dtype) == str(b.dtype)
    torch.testing.assert_close(torch.from_numpy(np.array(b.detach().numpy())), a.detach(),
                               **kw)


def build(cls_name, *args, **kw):
    """Default init under the same seed in both libraries must agree bit for bit."""
    torch.manual_seed(0)
    m = getattr(torch.nn, cls_name)(*args, **kw)
    torchjax.manual_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = getattr(tnn, cls_name)(*args, **kw)
    assert [n for n, _ in m.named_parameters()] == [n for n, _ in ours.named_parameters()]
    for (_, p), (_, q) in zip(m.named_parameters(), ours.named_parameters()):
        np.testing.assert_array_equal(p.detach().numpy(), q.detach().numpy())
    assert repr(m) == repr(ours)
    return m, ours


def flat(x):
    if isinstance(x, (tuple, list)):
        return [y for e in x for y in flat(e)]
    if hasattr(x, "batch_sizes"):
        return [x.data]
    return [x]


def check_grads(m, ours, out_t, out_j, inputs_t, inputs_j):
    ft, fj = flat(out_t), flat(out_j)
    close(ft, fj)
    rng = np.random.default_rng(0)
    cots = [rng.standard_normal(tuple(t.shape)).astype(np.float32) for t in ft]
    sum(((t * torch.from_numpy(c)).sum() for t, c in zip(ft, cots))).backward()
    sum(((t * torchjax.tensor(c)).sum() for t, c in zip(fj, cots))).backward()
    for a, b in zip(inputs_t, inputs_j):
        close(a.grad, b.grad)
    for (n, p), (_, q) in zip(m.named_parameters(), ours.named_parameters()):
        close(p.grad, q.grad, msg=n)


CASES = [
    ("RNN", (3, 4), {}),
    ("RNN", (3, 4, 2), dict(nonlinearity="relu", bias=False, batch_first=True)),
    ("LSTM", (3, 4, 2), dict(bidirectional=True)),
    ("LSTM", (3, 5), dict(proj_size=2, batch_first=True, bidirectional=True)),
    ("GRU", (3, 4, 2), dict(bidirectional=True, batch_first=True)),
    ("GRU", (3, 4), dict(bias=False)),
]


@pytest.mark.parametrize("name,args,kw", CASES)
def test_rnn_dense(name, args, kw):
    m, ours = build(name, *args, **kw)
    torch.manual_seed(1)
    x = torch.randn(*((2, 5, 3) if m.batch_first else (5, 2, 3)), requires_grad=True)
    X = tj(x)
    nd = 2 if m.bidirectional else 1
    hsz = m.proj_size or m.hidden_size
    h0 = torch.randn(m.num_layers * nd, 2, hsz, requires_grad=True)
    hx = h0
    inputs_t, inputs_j = [x, h0], [X, tj(h0)]
    if name == "LSTM":
        c0 = torch.randn(m.num_layers * nd, 2, m.hidden_size, requires_grad=True)
        hx = (h0, c0)
        inputs_t.append(c0)
        inputs_j.append(tj(c0))
    hj = tuple(inputs_j[1:]) if name == "LSTM" else inputs_j[1]
    check_grads(m, ours, m(x, hx), ours(X, hj), inputs_t, inputs_j)
    # no initial state, unbatched input
    close(flat(m(x[:, 0] if not m.batch_first else x[0])),
          flat(ours(X[:, 0] if not ours.batch_first else X[0])))


@pytest.mark.parametrize("name,kw", [("LSTM", {}), ("GRU", dict(batch_first=True,
                                                                 bidirectional=True))])
def test_rnn_dropout_train_matches_torch_rng(name, kw):
    m, ours = build(name, 3, 4, 3, dropout=0.5, **kw)
    x = torch.randn(4, 2, 3)
    torch.manual_seed(5)
    torchjax.manual_seed(5)
    close(flat(m(x)), flat(ours(tj(x))))
    seqs = [torch.randn(n, 3) for n in (2, 4, 3)]
    torch.manual_seed(6)
    torchjax.manual_seed(6)
    close(flat(m(rnn_utils.pack_sequence(seqs, enforce_sorted=False))),
          flat(ours(trnn.pack_sequence([tj(s) for s in seqs], enforce_sorted=False))))
    m.eval()
    ours.eval()
    close(flat(m(x)), flat(ours(tj(x))))


@pytest.mark.parametrize("name,kw", [("LSTM", dict(bidirectional=True, num_layers=2)),
                                     ("GRU", dict(batch_first=True)),
                                     ("RNN", dict(bidirectional=True))])
def test_rnn_packed(name, kw):
    m, ours = build(name, 3, 4, **kw)
    torch.manual_seed(2)
    seqs = [torch.randn(n, 3, requires_grad=True) for n in (3, 5, 1)]
    ps = rnn_utils.pack_sequence(seqs, enforce_sorted=False)
    js = [tj(s) for s in seqs]
    pj = trnn.pack_sequence(js, enforce_sorted=False)
    close([ps.data, ps.batch_sizes, ps.sorted_indices, ps.unsorted_indices], list(pj))
    out_t, out_j = m(ps), ours(pj)
    assert isinstance(out_j[0], trnn.PackedSequence)
    check_grads(m, ours, out_t, out_j, seqs, js)
    pad_t = rnn_utils.pad_packed_sequence(out_t[0], batch_first=True, total_length=6)
    pad_j = trnn.pad_packed_sequence(out_j[0], batch_first=True, total_length=6)
    close(list(pad_t), list(pad_j))
    # an initial state is permuted into the sorted order and the final state back
    h0 = torch.randn(m.num_layers * (2 if m.bidirectional else 1), 3, 4)
    hx = (h0, h0 * 2) if name == "LSTM" else h0
    hj = (tj(h0), tj(h0 * 2)) if name == "LSTM" else tj(h0)
    close(flat(m(ps, hx)), flat(ours(pj, hj)))


def test_rnn_errors_and_repr():
    m, ours = build("LSTM", 3, 4, 2, bias=False, batch_first=True, dropout=0.25,
                    bidirectional=True, proj_size=2)
    assert repr(ours) == "LSTM(3, 4, proj_size=2, num_layers=2, bias=False, batch_first=True, " \
        "dropout=0.25, bidirectional=True)"
    bad = [lambda M, T: M(T.randn(2, 5, 4)),
           lambda M, T: M(T.randn(2, 5, 3), (T.zeros(4, 3, 2), T.zeros(4, 2, 4))),
           lambda M, T: M(T.randn(2, 5, 3), (T.zeros(4, 2, 2), T.zeros(4, 2, 5))),
           lambda M, T: M(T.randn(2, 5, 3), (T.zeros(2, 2), T.zeros(2, 4))),
           lambda M, T: M(T.randn(2, 3, 5, 3)),
           lambda M, T: M(T.randn(2, 5, 3, dtype=T.float64))]
    for f in bad:
        with pytest.raises(Exception) as et:
            f(m, torch)
        with pytest.raises(type(et.value)) as ej:
            f(ours, torchjax)
        assert str(ej.value) == str(et.value)
    for args, kw in [((3, 4), dict(dropout=2)), ((3, 4), dict(proj_size=4)),
                     ((3, 0), {}), ((3, 4), dict(bias=1))]:
        with pytest.raises(Exception) as et:
            torch.nn.LSTM(*args, **kw)
        with pytest.raises(type(et.value), match=str(et.value)[:20]):
            tnn.LSTM(*args, **kw)
    with pytest.raises(ValueError, match="proj_size argument is only supported"):
        tnn.GRU(3, 4, proj_size=2)
    with pytest.raises(ValueError, match="Unknown nonlinearity 'x'"):
        tnn.RNN(3, 4, nonlinearity="x")


@pytest.mark.parametrize("name,kw", [("RNNCell", {}), ("RNNCell", dict(nonlinearity="relu",
                                                                        bias=False)),
                                     ("LSTMCell", {}), ("GRUCell", {})])
def test_cells(name, kw):
    m, ours = build(name, 3, 4, **kw)
    torch.manual_seed(3)
    x = torch.randn(2, 3, requires_grad=True)
    h = torch.randn(2, 4, requires_grad=True)
    c = torch.randn(2, 4, requires_grad=True)
    X, H, C = tj(x), tj(h), tj(c)
    if name == "LSTMCell":
        out_t, out_j, it, ij = m(x, (h, c)), ours(X, (H, C)), [x, h, c], [X, H, C]
        assert [t.grad_fn.name() for t in out_j] == [t.grad_fn.name() for t in out_t]
    else:
        out_t, out_j, it, ij = m(x, h), ours(X, H), [x, h], [X, H]
        assert out_j.grad_fn.name() == out_t.grad_fn.name()
    check_grads(m, ours, out_t, out_j, it, ij)
    close(flat(m(x[0].detach())), flat(ours(X[0].detach())))
    for f in [lambda M, T: M(T.randn(2, 5)), lambda M, T: M(T.randn(2, 2, 3))]:
        with pytest.raises(Exception) as et:
            f(m, torch)
        with pytest.raises(type(et.value)) as ej:
            f(ours, torchjax)
        assert str(ej.value) == str(et.value)


def test_functional_lstm_gru():
    torch.manual_seed(4)
    m = torch.nn.GRU(3, 4, 2)
    x, h = torch.randn(5, 2, 3), torch.zeros(2, 2, 4)
    params = [tj(p) for p in m._flat_weights]
    o = torch.gru(x, h, m._flat_weights, True, 2, 0.0, False, False, False)
    r = torchjax.gru(tj(x), tj(h), params, True, 2, 0.0, False, False, False)
    close(list(o), list(r))


def test_pad_pack_utils():
    torch.manual_seed(6)
    seqs = [torch.randn(n, 2, requires_grad=True) for n in (4, 2, 3)]
    js = [tj(s) for s in seqs]
    for kw in [{}, dict(batch_first=True, padding_value=-1.0), dict(padding_side="left")]:
        close(rnn_utils.pad_sequence(seqs, **kw), trnn.pad_sequence(js, **kw))
    pt = rnn_utils.pad_sequence(seqs)
    pj = trnn.pad_sequence(js)
    a = rnn_utils.pack_padded_sequence(pt, torch.tensor([4, 2, 3]), enforce_sorted=False)
    b = trnn.pack_padded_sequence(pj, torchjax.tensor([4, 2, 3]), enforce_sorted=False)
    close(list(a), list(b))
    assert b.data.grad_fn.name() == "PackPaddedSequenceBackward0"
    close(rnn_utils.unpack_sequence(a), trnn.unpack_sequence(b))
    ut = rnn_utils.pad_packed_sequence(a)
    uj = trnn.pad_packed_sequence(b)
    close(list(ut), list(uj))
    (ut[0] * torch.arange(24.).reshape(4, 3, 2)).sum().backward()
    (uj[0] * torchjax.arange(24.).reshape(4, 3, 2)).sum().backward()
    close([s.grad for s in seqs], [s.grad for s in js])
    for lengths in ([2, 4, 3], [4, 2, 0], [4, 2]):
        with pytest.raises(RuntimeError) as et:
            rnn_utils.pack_padded_sequence(pt, lengths)
        with pytest.raises(RuntimeError) as ej:
            trnn.pack_padded_sequence(pj, lengths)
        assert str(ej.value) == str(et.value)
    with pytest.raises(ValueError, match="Expected total_length to be at least"):
        trnn.pad_packed_sequence(b, total_length=2)
    ps = trnn.PackedSequence(b.data, b.batch_sizes)
    assert ps.sorted_indices is None and ps.unsorted_indices is None
    assert isinstance(ps, tuple) and len(ps) == 4


def test_pad_sequence_errors_and_dtype():
    for mod, T in ((rnn_utils, torch), (trnn, torchjax)):
        assert mod.pad_sequence([T.zeros(2, dtype=T.int64), T.ones(3)]).dtype == T.int64
    cases = [lambda M, T: M.pad_sequence([]),
             lambda M, T: M.pad_sequence([T.zeros(2, 3), T.zeros(2, 4)]),
             lambda M, T: M.pad_sequence([T.zeros(2)], padding_side="x")]
    for f in cases:
        with pytest.raises(Exception) as et:
            f(rnn_utils, torch)
        with pytest.raises(type(et.value)) as ej:
            f(trnn, torchjax)
        assert str(ej.value) == str(et.value)


def _node_names(lib, name, kw, x, packed):
    inp = lib.tensor(x)
    m = getattr(lib.nn, name)(3, 4, **kw).to(inp.dtype)
    if packed:
        inp = lib.nn.utils.rnn.pack_padded_sequence(inp, [5, 3], batch_first=kw.get("batch_first"))
    out, h = m(inp)
    out = out.data if packed else out
    return [t.grad_fn.name() for t in (out, *(h if isinstance(h, tuple) else (h,)))]


@pytest.mark.parametrize("name", ["RNN", "LSTM", "GRU"])
@pytest.mark.parametrize("kw", [{}, dict(batch_first=True), dict(bidirectional=True),
                                dict(num_layers=2, batch_first=True, bidirectional=True),
                                dict(proj_size=2)])
@pytest.mark.parametrize("dt", [np.float32, np.float64])
@pytest.mark.parametrize("packed", [False, True])
def test_output_grad_fn_names(name, kw, dt, packed):
    """The output's grad_fn is the last op of torch's CPU path (oneDNN LSTM, transpose, cat);
    h_n/c_n are stacks."""
    if "proj_size" in kw and name != "LSTM":
        return
    x = np.random.default_rng(0).standard_normal((2 if kw.get("batch_first") or packed else 5,
                                                  5 if kw.get("batch_first") or packed else 2,
                                                  3)).astype(dt)
    if packed:
        kw = dict(kw, batch_first=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = _node_names(torch, name, kw, x, packed)
    assert _node_names(torchjax, name, kw, x, packed) == expected
