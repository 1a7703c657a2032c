"""F.scaled_dot_product_attention, F.multi_head_attention_forward, nn.MultiheadAttention and the
nn.Transformer family against real torch."""
import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import torchjax
import torchjax.nn as tnn
import torchjax.nn.functional as TF


def tj(t):
    if t is None or not isinstance(t, torch.Tensor):
        return t
    r = torchjax.tensor(t.detach().numpy())
    return r.requires_grad_() if t.requires_grad else r


def close(a, b, **kw):
    if a is None:
        assert b is None
        return
    assert tuple(a.shape) == tuple(b.shape), (a.shape, b.shape)
    assert str(a.dtype) == str(b.dtype)
    torch.testing.assert_close(torch.from_numpy(np.array(b.detach().numpy())), a.detach(),
                               equal_nan=True, **kw)


def same_error(f):
    with pytest.raises(Exception) as et:
        f(torch)
    with pytest.raises(type(et.value)) as ej:
        f(torchjax)
    assert str(ej.value) == str(et.value)


# ---------------------------------------------------------------- scaled_dot_product_attention

def _mask(*shape):
    g = torch.Generator().manual_seed(7)
    m = torch.rand(*shape, generator=g) > 0.4
    m[..., 1, :] = False  # a fully masked row gives 0 (torch's _safe_softmax)
    return m


SDPA = [
    ((2, 2, 3, 4), (2, 2, 5, 4), {}),
    ((2, 2, 3, 4), (2, 2, 5, 4), dict(attn_mask=_mask(3, 5))),
    ((2, 3, 4), (2, 5, 4), dict(attn_mask=torch.randn(2, 3, 5), scale=0.3)),
    ((1, 2, 4, 4), (1, 2, 4, 4), dict(is_causal=True)),
    ((2, 2, 3, 4), (2, 2, 5, 4), dict(dropout_p=0.4)),
    ((1, 4, 3, 4), (1, 2, 5, 4), dict(enable_gqa=True)),
]


@pytest.mark.parametrize("qs,ks,kw", SDPA)
def test_sdpa(qs, ks, kw):
    torch.manual_seed(0)
    q = torch.randn(*qs, requires_grad=True)
    k = torch.randn(*ks, requires_grad=True)
    v = torch.randn(*ks, requires_grad=True)
    Q, K, V = tj(q), tj(k), tj(v)
    torch.manual_seed(3)
    out = F.scaled_dot_product_attention(q, k, v, **kw)
    torchjax.manual_seed(3)
    res = TF.scaled_dot_product_attention(Q, K, V, **{a: tj(b) for a, b in kw.items()})
    close(out, res)
    assert res.grad_fn.name() == out.grad_fn.name()
    cot = torch.randn(out.shape)
    (out * cot).sum().backward()
    (res * tj(cot)).sum().backward()
    for a, b in ((q, Q), (k, K), (v, V)):
        close(a.grad, b.grad)


def test_sdpa_errors():
    same_error(lambda T: T.nn.functional.scaled_dot_product_attention(*(T.zeros(3),) * 3))
    same_error(lambda T: T.nn.functional.scaled_dot_product_attention(
        T.zeros(1, 4, 3, 2), T.zeros(1, 3, 3, 2), T.zeros(1, 3, 3, 2), enable_gqa=True))
    same_error(lambda T: T.nn.functional.scaled_dot_product_attention(
        T.zeros(2, 3, 4), T.zeros(2, 3, 4, dtype=T.float64), T.zeros(2, 3, 4)))
    same_error(lambda T: T.nn.functional.scaled_dot_product_attention(
        T.zeros(2, 3, 4), T.zeros(2, 3, 4), T.zeros(2, 3, 4), attn_mask=T.zeros(3, 3,
                                                                                dtype=T.int64)))


# ---------------------------------------------------------------- MultiheadAttention

def build(cls, *args, **kw):
    """Default init under the same seed must agree bit for bit; load torch's values anyway."""
    torch.manual_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = getattr(torch.nn, cls)(*args, **kw)
    torchjax.manual_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = getattr(tnn, cls)(*args, **kw)
    assert repr(m) == repr(ours)
    sd_t, sd_j = m.state_dict(), ours.state_dict()
    assert list(sd_t) == list(sd_j)
    for n in sd_t:
        np.testing.assert_array_equal(sd_t[n].numpy(), sd_j[n].numpy(), err_msg=n)
    return m, ours


def check(m, ours, args, kwargs=None, seed=1):
    kwargs = kwargs or {}
    torch.manual_seed(seed)
    out = m(*args, **kwargs)
    torchjax.manual_seed(seed)
    seen = {}
    jargs = [seen.setdefault(id(a), tj(a)) for a in args]  # one tensor passed twice stays one
    res = ours(*jargs, **{a: tj(b) for a, b in kwargs.items()})
    outs, ress = (out, res) if isinstance(out, tuple) else ((out,), (res,))
    for a, b in zip(outs, ress):
        close(a, b)
    cot = torch.randn(outs[0].shape)
    (outs[0] * cot).sum().backward()
    (ress[0] * tj(cot)).sum().backward()
    for a, b in zip(args, jargs):
        if a.requires_grad:
            close(a.grad, b.grad)
    for (n, p), (_, q) in zip(m.named_parameters(), ours.named_parameters()):
        close(p.grad, q.grad, msg=n)
    return ress


MHA = [
    (dict(), {}),
    (dict(add_bias_kv=True, add_zero_attn=True), dict(key_padding_mask=True)),
    (dict(kdim=3, vdim=5, bias=False), dict(attn_mask=True, need_weights=False)),
    (dict(batch_first=True), dict(attn_mask=True, key_padding_mask=True,
                                  average_attn_weights=False)),
    (dict(dropout=0.3), dict(key_padding_mask=True)),
    (dict(dropout=0.3), dict(need_weights=False)),
]


@pytest.mark.parametrize("kw,call", MHA)
def test_mha(kw, call):
    m, ours = build("MultiheadAttention", 4, 2, **kw)
    torch.manual_seed(2)
    bf = kw.get("batch_first", False)
    shp = lambda L, E: (2, L, E) if bf else (L, 2, E)  # noqa: E731
    q = torch.randn(*shp(3, 4), requires_grad=True)
    k = torch.randn(*shp(5, kw.get("kdim", 4)), requires_grad=True)
    v = torch.randn(*shp(5, kw.get("vdim", 4)), requires_grad=True)
    call = dict(call)
    if call.get("key_padding_mask"):
        call["key_padding_mask"] = torch.tensor([[False, False, True, False, False],
                                                 [True, True, False, False, True]])
    if call.get("attn_mask"):
        call["attn_mask"] = torch.rand(3, 5) > 0.7
    check(m, ours, (q, k, v), call)
    m.eval()
    ours.eval()
    check(m, ours, (q.detach(), k.detach(), v.detach()), call)


def test_mha_unbatched_float_mask_and_errors():
    m, ours = build("MultiheadAttention", 4, 2)
    q = torch.randn(3, 4, requires_grad=True)
    check(m, ours, (q, q, q), dict(attn_mask=torch.randn(2, 3, 3)))
    assert "out_proj" in dict(ours.named_children())
    same_error(lambda T: T.nn.MultiheadAttention(4, 0))
    same_error(lambda T: T.nn.MultiheadAttention(5, 2))
    mods = {torch: m, torchjax: ours}
    same_error(lambda T: mods[T](T.zeros(3, 2, 4), T.zeros(5, 4), T.zeros(5, 4)))
    same_error(lambda T: mods[T](T.zeros(3, 2, 4), T.zeros(5, 2, 4), T.zeros(5, 2, 4),
                                 attn_mask=T.zeros(3, 4)))
    same_error(lambda T: mods[T](T.zeros(3, 2, 4), T.zeros(5, 2, 4), T.zeros(5, 2, 4),
                                 key_padding_mask=T.zeros(2, 4, dtype=T.bool)))
    same_error(lambda T: mods[T](T.zeros(3, 2, 4), T.zeros(5, 2, 4), T.zeros(5, 2, 4),
                                 attn_mask=T.zeros(3, 5, dtype=T.int64)))
    same_error(lambda T: mods[T](T.zeros(3, 2, 4), T.zeros(5, 2, 4), T.zeros(5, 2, 4),
                                 is_causal=True))


def test_functional_mha_static_kv():
    torch.manual_seed(4)
    E, H, L, S, B = 4, 2, 3, 5, 2
    w = torch.randn(3 * E, E)
    b = torch.randn(3 * E)
    ow, ob = torch.randn(E, E), torch.randn(E)
    q = torch.randn(L, B, E, requires_grad=True)
    sk = torch.randn(B * H, S, E // H, requires_grad=True)
    sv = torch.randn(B * H, S, E // H)
    args = (q, q, q, E, H, w, b, None, None, True, 0.0, ow, ob)
    out = F.multi_head_attention_forward(*args, static_k=sk, static_v=sv)
    res = TF.multi_head_attention_forward(*[tj(a) for a in args], static_k=tj(sk),
                                          static_v=tj(sv))
    close(out[0], res[0])
    close(out[1], res[1])


# ---------------------------------------------------------------- transformer

def _masks(L, S, B):
    return dict(kpm=torch.tensor([[False] * (S - 1) + [True], [False] * S])[:B])


@pytest.mark.parametrize("kw", [dict(), dict(norm_first=True, activation="gelu", batch_first=True),
                                dict(bias=False, layer_norm_eps=1e-3)])
def test_encoder_layer_and_stack(kw):
    m, ours = build("TransformerEncoderLayer", 4, 2, 8, dropout=0.0, **kw)
    bf = kw.get("batch_first", False)
    x = torch.randn(*((2, 3, 4) if bf else (3, 2, 4)), requires_grad=True)
    mask = torch.nn.Transformer.generate_square_subsequent_mask(3)
    close(mask, tnn.Transformer.generate_square_subsequent_mask(3))
    kpm = torch.tensor([[False, False, True], [False, False, False]])
    check(m, ours, (x,), dict(src_mask=mask, src_key_padding_mask=kpm))
    torch.manual_seed(0)
    enc = torch.nn.TransformerEncoder(m, 2, norm=torch.nn.LayerNorm(4), enable_nested_tensor=False)
    oenc = tnn.TransformerEncoder(ours, 2, norm=tnn.LayerNorm(4), enable_nested_tensor=False)
    oenc.load_state_dict({k: torchjax.tensor(v.numpy()) for k, v in enc.state_dict().items()})
    assert repr(enc) == repr(oenc)
    x.grad = None
    check(enc, oenc, (x,), dict(mask=mask))


def test_encoder_nested_fast_path_zeros_padding():
    m, ours = build("TransformerEncoderLayer", 4, 2, 8, batch_first=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        enc = torch.nn.TransformerEncoder(m, 2).eval()
        oenc = tnn.TransformerEncoder(ours, 2).eval()
    oenc.load_state_dict({k: torchjax.tensor(v.numpy()) for k, v in enc.state_dict().items()})
    x = torch.randn(2, 3, 4)
    kpm = torch.tensor([[False, False, True], [False, False, False]])
    with torch.no_grad():
        out = enc(x, src_key_padding_mask=kpm)
    with torchjax.no_grad():
        res = oenc(tj(x), src_key_padding_mask=tj(kpm))
    close(out, res)


def test_decoder_layer():
    m, ours = build("TransformerDecoderLayer", 4, 2, 8, dropout=0.2, norm_first=True)
    tgt = torch.randn(3, 2, 4, requires_grad=True)
    mem = torch.randn(5, 2, 4, requires_grad=True)
    kpm = torch.tensor([[False] * 4 + [True], [False] * 5])
    check(m, ours, (tgt, mem), dict(tgt_mask=torch.nn.Transformer.generate_square_subsequent_mask(
        3), memory_key_padding_mask=kpm, tgt_is_causal=True))


def test_transformer_full():
    m, ours = build("Transformer", d_model=4, nhead=2, num_encoder_layers=2,
                    num_decoder_layers=1, dim_feedforward=6, dropout=0.1)
    src = torch.randn(5, 2, 4, requires_grad=True)
    tgt = torch.randn(3, 2, 4, requires_grad=True)
    check(m, ours, (src, tgt), dict(tgt_mask=torch.nn.Transformer.generate_square_subsequent_mask(
        3), src_key_padding_mask=torch.tensor([[False] * 4 + [True], [False] * 5])))
    mods = {torch: m, torchjax: ours}
    same_error(lambda T: mods[T](T.zeros(5, 2, 4), T.zeros(3, 3, 4)))
    same_error(lambda T: mods[T](T.zeros(5, 2, 4), T.zeros(3, 2, 5)))
    same_error(lambda T: T.nn.TransformerEncoderLayer(4, 2, activation="tanh"))


def test_mha_eval_fast_path_fully_masked_rows():
    """torch's native (eval, no grad, self-attention) path gives nan for fully padded rows where
    the reference path's safe softmax gives 0; both are reproduced."""
    m, ours = build("MultiheadAttention", 4, 2, batch_first=True)
    x = torch.randn(2, 3, 4)
    kpm = torch.tensor([[False, False, True], [True, True, True]])
    X = tj(x)
    for grad in (False, True):
        m.train(grad)
        ours.train(grad)
        with torch.set_grad_enabled(grad):
            out = m(x, x, x, key_padding_mask=kpm, need_weights=False)[0]
        with torchjax.set_grad_enabled(grad):
            res = ours(X, X, X, key_padding_mask=tj(kpm), need_weights=False)[0]
        close(out, res)
        assert bool(out.isnan().any()) == (not grad)
