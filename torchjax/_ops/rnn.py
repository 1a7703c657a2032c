"""Recurrent ops: torch.lstm / gru / rnn_tanh / rnn_relu (a whole stack of layers, dense or
packed, as ONE op whose time loops are ``lax.scan``s) and the single-step cells
torch.lstm_cell / gru_cell / rnn_tanh_cell / rnn_relu_cell.

Gate layouts are torch's: LSTM (i, f, g, o), GRU (r, z, n) with
n = tanh(W_in x + b_in + r * (W_hn h + b_hn)). Dropout between layers arrives as precomputed
masks (drawn on the host by torch's generator, already divided by 1-p). A packed input is
scattered to a padded (T, B, .) grid inside the op; steps past a sequence's end keep its state,
so final states are taken at each sequence's true last step (the reverse direction starts there).
"""
import warnings

import numpy as np
import jax
import jax.numpy as jnp
from jax import lax

from .registry import op, composite, call, OPS, NAMESPACES
from .._tensor import Tensor

def _matmul(a, b):
    """Matrix products at full float32 precision, like torch's CPU kernels (see linalg.py)."""
    return jnp.matmul(a, b, precision=lax.Precision.HIGHEST)


def _mm(x, w):
    return _matmul(x, w.T)


def _step(mode, gi, h, c, w_hh, b_hh, w_hr):
    """One time step given the input projection gi = W_ih x + b_ih."""
    gh = _mm(h, w_hh)
    if b_hh is not None:
        gh = gh + b_hh
    if mode == "LSTM":
        i, f, g, o = jnp.split(gi + gh, 4, axis=-1)
        c = jax.nn.sigmoid(f) * c + jax.nn.sigmoid(i) * jnp.tanh(g)
        h = jax.nn.sigmoid(o) * jnp.tanh(c)
        return (_mm(h, w_hr) if w_hr is not None else h), c
    if mode == "GRU":
        ir, iz, inn = jnp.split(gi, 3, axis=-1)
        hr, hz, hn = jnp.split(gh, 3, axis=-1)
        r, z = jax.nn.sigmoid(ir + hr), jax.nn.sigmoid(iz + hz)
        n = jnp.tanh(inn + r * hn)
        return (h - n) * z + n, c
    pre = gi + gh
    return (jnp.tanh(pre) if mode == "RNN_TANH" else jnp.maximum(pre, 0)), c


def _direction(mode, x, h0, c0, w, has_biases, valid, reverse):
    """Run one direction of one layer over x (T, B, I); returns (ys, h_T, c_T)."""
    w_ih, w_hh = w[0], w[1]
    b_ih, b_hh = (w[2], w[3]) if has_biases else (None, None)
    w_hr = w[-1] if len(w) == 2 + 2 * has_biases + 1 else None
    gi = _mm(x, w_ih) + (b_ih if b_ih is not None else 0)

    def body(carry, inp):
        h, c = carry
        g, v = inp
        h2, c2 = _step(mode, g, h, c, w_hh, b_hh, w_hr)
        if v is None:
            return (h2, c2), h2
        h2 = jnp.where(v, h2, h)
        c2 = None if c is None else jnp.where(v, c2, c)
        return (h2, c2), jnp.where(v, h2, jnp.zeros((), h2.dtype))

    (h, c), ys = lax.scan(body, (h0, c0), (gi, valid), reverse=reverse)
    return ys, h, c


def _packed_index(batch_sizes):
    bs = np.asarray(batch_sizes, dtype=np.int64)
    t = np.repeat(np.arange(len(bs)), bs)
    b = np.concatenate([np.arange(n) for n in bs]) if len(bs) else np.zeros(0, np.int64)
    return t, b, len(bs), int(bs[0]) if len(bs) else 0


def _check_dtypes(input, arrays):
    for a in arrays:
        if a is not None and a.dtype != input.dtype:
            raise RuntimeError("expected m1 and m2 to have the same dtype, but got: "
                               f"{_dname(input.dtype)} != {_dname(a.dtype)}")


_CPP_NAMES = {"float32": "float", "float64": "double", "float16": "c10::Half",
              "bfloat16": "c10::BFloat16", "int64": "long int", "int32": "int",
              "int16": "short int", "int8": "signed char", "uint8": "unsigned char",
              "bool": "bool", "complex64": "c10::complex<float>",
              "complex128": "c10::complex<double>"}


def _dname(dt):
    """The C++ type name torch's TORCH_CHECK messages print for a dtype."""
    return _CPP_NAMES.get(np.dtype(dt).name, np.dtype(dt).name)


@op(tensors=("input", "hx", "cx"), lists=("params", "masks"), promote=False, method=False,
    function=False, grad=lambda key: key[0][-1])
def _rnn_stack(input, hx, cx, params, masks, mode, has_biases, num_layers, bidirectional,
               batch_first, batch_sizes, gname):
    _check_dtypes(input, (hx, cx) + tuple(params))
    nd = 2 if bidirectional else 1
    per = len(params) // (num_layers * nd)
    packed = batch_sizes is not None
    if packed:
        ti, bi, T, B = _packed_index(batch_sizes)
        x = jnp.zeros((T, B) + input.shape[1:], input.dtype).at[ti, bi].set(input)
        valid = jnp.zeros((T, B, 1), bool).at[ti, bi].set(True)
    else:
        x = jnp.swapaxes(input, 0, 1) if batch_first else input
        valid = None
    hs, cs = [], []
    for layer in range(num_layers):
        outs = []
        for d in range(nd):
            k = layer * nd + d
            w = params[k * per:(k + 1) * per]
            ys, h, c = _direction(mode, x, hx[k], None if cx is None else cx[k], w, has_biases,
                                  valid, reverse=d == 1)
            outs.append(ys)
            hs.append(h)
            cs.append(c)
        x = outs[0] if nd == 1 else jnp.concatenate(outs, axis=-1)
        if layer < num_layers - 1 and masks:
            m = masks[layer]
            if packed:
                m = jnp.zeros(x.shape, m.dtype).at[ti, bi].set(m)
            x = x * m
    if packed:
        out = x[ti, bi]
    else:
        out = jnp.swapaxes(x, 0, 1) if batch_first else x
    h_n = jnp.stack(hs)
    return (out, h_n, jnp.stack(cs)) if mode == "LSTM" else (out, h_n)


def _draw_masks(like_shape, hidden_out, num_layers, dropout, train, dtype):
    """torch's at::dropout between layers, in layer order."""
    if not (dropout and train and num_layers > 1):
        return ()
    shape = tuple(like_shape[:-1]) + (hidden_out,)
    return tuple(dropout_noise(shape, dropout, dtype) for _ in range(num_layers - 1))


def run_rnn(mode, input, hx, params, has_biases, num_layers, dropout, train, bidirectional,
            batch_first, batch_sizes=None):
    """The shared body of torch.lstm / gru / rnn_tanh / rnn_relu (dense or packed)."""
    if mode == "LSTM":
        h0, c0 = hx
    else:
        h0, c0 = hx, None
    params = tuple(params)
    hidden_out = h0.shape[-1]
    shape = tuple(input.shape)
    if batch_first and batch_sizes is None:  # torch runs (and drops out) time-major
        shape = (shape[1], shape[0]) + shape[2:]
    masks = _draw_masks(shape, hidden_out * (2 if bidirectional else 1), num_layers,
                        dropout, train, input.dtype)
    bs = None if batch_sizes is None else tuple(int(b) for b in batch_sizes.tolist())
    gname = _output_node_name(mode, input, h0, c0, bidirectional, batch_first, bs)
    out, *hidden = call(OPS["_rnn_stack"], (input, h0, c0, params, masks),
                        (mode, bool(has_biases), int(num_layers), bool(bidirectional),
                         bool(batch_first), bs, gname))
    if gname != "StackBackward0" and out.grad_fn is not None:  # h_n, c_n are stacks in torch
        hidden = [call(OPS["_renamed"], (h,), ("StackBackward0",)) for h in hidden]
    return (out, *hidden)


def _output_node_name(mode, input, h0, c0, bidirectional, batch_first, batch_sizes):
    """The grad_fn torch's CPU RNN gives its output: the last op of the path it takes."""
    if batch_sizes is not None or (bidirectional and not batch_first):
        return "CatBackward0"
    if batch_first:
        return "TransposeBackward0" if mode == "LSTM" else "TransposeBackward1"
    if mode == "LSTM" and input.dtype.name == "float32" and c0.shape[-1] == h0.shape[-1]:
        return "MkldnnRnnLayerBackward0"  # oneDNN's LSTM (not with proj_size)
    return "StackBackward0"


@op(promote=False, method=False, function=False, grad=lambda key: key[0][-1])
def _renamed(input, gname):
    return input


def _register_stack(name, mode):
    def fn(input, *args):
        # the packed overload is (data, batch_sizes, hx, params, has_biases, num_layers,
        # dropout, train, bidirectional): its third argument is params, not has_biases
        if not isinstance(args[2], bool):
            batch_sizes, hx, params, hb, nl, p, train, bi = args
            return run_rnn(mode, input, hx, params, hb, nl, p, train, bi, False, batch_sizes)
        hx, params, hb, nl, p, train, bi, bf = args
        return run_rnn(mode, input, hx, params, hb, nl, p, train, bi, bf)
    fn.__name__ = fn.__qualname__ = name
    composite(method=False, name=name)(fn)
    return fn


lstm = _register_stack("lstm", "LSTM")
gru = _register_stack("gru", "GRU")
rnn_tanh = _register_stack("rnn_tanh", "RNN_TANH")
rnn_relu = _register_stack("rnn_relu", "RNN_RELU")


# ---------------------------------------------------------------- cells

def _cell_fn(mode, input, hx, cx, w_ih, w_hh, b_ih, b_hh):
    _check_dtypes(input, (hx, cx, w_ih, w_hh, b_ih, b_hh))
    if input.shape[1] != w_ih.shape[1]:
        raise RuntimeError(f"input has inconsistent input_size: got {input.shape[1]} expected "
                           f"{w_ih.shape[1]}")
    for i, h in enumerate(x for x in (hx, cx) if x is not None):
        if input.shape[0] != h.shape[0]:
            raise RuntimeError(f"Input batch size {input.shape[0]} doesn't match hidden{i} batch "
                               f"size {h.shape[0]}")
        if h.shape[1] != w_hh.shape[1]:
            raise RuntimeError(f"hidden{i} has inconsistent hidden_size: got {h.shape[1]}, "
                               f"expected {w_hh.shape[1]}")
    gi = _mm(input, w_ih) + (b_ih if b_ih is not None else 0)
    return _step(mode, gi, hx, cx, w_hh, b_hh, None)


@op(tensors=("input", "hx", "cx", "w_ih", "w_hh", "b_ih", "b_hh"), promote=False, method=False,
    function=False, grad="MulBackward0")
def _lstm_cell(input, hx, cx, w_ih, w_hh, b_ih=None, b_hh=None):
    return _cell_fn("LSTM", input, hx, cx, w_ih, w_hh, b_ih, b_hh)


@op(tensors=("input", "hx", "w_ih", "w_hh", "b_ih", "b_hh"), promote=False, method=False,
    grad="AddBackward0")
def gru_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    return _cell_fn("GRU", input, hx, None, w_ih, w_hh, b_ih, b_hh)[0]


@op(tensors=("input", "hx", "w_ih", "w_hh", "b_ih", "b_hh"), promote=False, method=False,
    grad="TanhBackward0")
def rnn_tanh_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    return _cell_fn("RNN_TANH", input, hx, None, w_ih, w_hh, b_ih, b_hh)[0]


@op(tensors=("input", "hx", "w_ih", "w_hh", "b_ih", "b_hh"), promote=False, method=False,
    grad="ReluBackward0")
def rnn_relu_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    return _cell_fn("RNN_RELU", input, hx, None, w_ih, w_hh, b_ih, b_hh)[0]


@composite(method=False)
def lstm_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    h, c = call(OPS["_lstm_cell"], (input, hx[0], hx[1], w_ih, w_hh, b_ih, b_hh), ())
    if c.grad_fn is not None:  # torch's c' is an add node, h' a mul
        c = call(OPS["_renamed"], (c,), ("AddBackward0",))
    return h, c


# ---------------------------------------------------------------- attention

F = "nn.functional"


def _sdpa_grad(key):
    statics = key[0]  # (is_causal, scale, enable_gqa, dropout_p, ndim)
    return ("ScaledDotProductFlashAttentionForCpuBackward0" if statics[3] == 0 and statics[4] == 4
            else "UnsafeViewBackward0")


def safe_softmax(x):
    """torch's _safe_softmax: rows that are entirely -inf give 0 instead of nan."""
    dead = jnp.all(x == -jnp.inf, axis=-1, keepdims=True)
    return jnp.where(dead, jnp.zeros((), x.dtype),
                     jax.nn.softmax(jnp.where(dead, jnp.zeros((), x.dtype), x)))


def _attn_bias(mask, L, S, is_causal, dtype):
    """The additive bias torch builds from is_causal and a bool/float attn_mask."""
    bias = None
    if is_causal:
        bias = jnp.where(jnp.tril(jnp.ones((L, S), bool)), 0, -jnp.inf).astype(dtype)
    if mask is not None:
        m = jnp.where(mask, 0, -jnp.inf).astype(dtype) if mask.dtype == jnp.bool_ else mask
        bias = m if bias is None else bias + m
    return bias


@op(tensors=("query", "key", "value", "attn_mask", "dropout_mask"), promote=False, method=False,
    function=False, grad=_sdpa_grad)
def _sdpa(query, key, value, attn_mask, dropout_mask, is_causal, scale, enable_gqa, dropout_p,
          ndim):
    if enable_gqa and key.shape[-3] != query.shape[-3]:
        rep = query.shape[-3] // key.shape[-3]
        key, value = jnp.repeat(key, rep, axis=-3), jnp.repeat(value, rep, axis=-3)
    s = scale if scale is not None else 1 / np.sqrt(query.shape[-1])
    attn = _matmul(query, jnp.swapaxes(key, -2, -1)) * jnp.asarray(s, query.dtype)
    bias = _attn_bias(attn_mask, query.shape[-2], key.shape[-2], is_causal, query.dtype)
    if bias is not None:
        attn = attn + bias
    attn = safe_softmax(attn)
    if dropout_mask is not None:
        attn = attn * dropout_mask
    return _matmul(attn, value)


def _sdpa_checks(query, key, value, attn_mask, enable_gqa):
    if not (query.dtype == key.dtype == value.dtype):
        raise RuntimeError(
            "Expected query, key, and value to have the same dtype, but got query.dtype: "
            f"{_dname(query.dtype.np)} key.dtype: {_dname(key.dtype.np)} and value.dtype: "
            f"{_dname(value.dtype.np)} instead.")
    if attn_mask is not None and not attn_mask.is_floating_point() and \
            attn_mask.dtype.np != np.bool_:
        raise RuntimeError(
            "Expected attn_mask dtype to be bool or float or to match query dtype, but got "
            f"attn_mask.dtype: {_dname(attn_mask.dtype.np)} and  query.dtype: "
            f"{_dname(query.dtype.np)} instead.")
    if query.dim() < 2 or key.dim() < 2 or value.dim() < 2:
        raise RuntimeError(
            "Expected query, key, and value to all be  at least 2 dimensional, but got query.dim: "
            f"{query.dim()} key.dim: {key.dim()} and value.dim: {value.dim()} instead.")
    if enable_gqa and query.shape[-3] % key.shape[-3]:
        raise RuntimeError("Number of heads in key and value must divide the number of heads in ")


def dropout_noise(shape, p, dtype):
    """at::dropout's CPU noise as a host array: bernoulli_(1-p) / (1-p); zeros (no draw) for
    p == 1."""
    from .. import random as _random
    if p == 1:
        return np.zeros(shape, dtype.np)
    return _random.default_generator._impl.dropout_mask(tuple(shape), p, dtype.np)


@composite(method=False, namespace=F)
def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0,
                                 is_causal=False, scale=None, enable_gqa=False):
    _sdpa_checks(query, key, value, attn_mask, enable_gqa)
    noise = None
    if dropout_p > 0:
        batch = np.broadcast_shapes(tuple(query.shape[:-2]), tuple(key.shape[:-2]))
        noise = dropout_noise(tuple(batch) + (query.shape[-2], key.shape[-2]), dropout_p,
                              query.dtype)
    return call(OPS["_sdpa"], (query, key, value, attn_mask, noise),
                (bool(is_causal), scale, bool(enable_gqa), float(dropout_p), query.dim()))


# ---------------------------------------------------------------- packing (nn.utils.rnn)

@op(tensors=("input",), promote=False, method=False, function=False,
    grad="PackPaddedSequenceBackward0")
def _pack_padded(input, batch_sizes, batch_first):
    ti, bi, _, _ = _packed_index(batch_sizes)
    x = jnp.swapaxes(input, 0, 1) if batch_first else input
    return x[ti, bi]


@op(tensors=("data",), promote=False, method=False, function=False, grad="CopySlices")
def _pad_packed(data, batch_sizes, batch_first, padding_value, total_length):
    ti, bi, _, B = _packed_index(batch_sizes)
    out = jnp.full((total_length, B) + data.shape[1:], padding_value, data.dtype)
    out = out.at[ti, bi].set(data)
    return jnp.swapaxes(out, 0, 1) if batch_first else out


@op(tensors=(), lists=("sequences",), promote=False, method=False, function=False,
    grad="CopySlices")
def _pad_sequence(sequences, batch_first, padding_value, padding_side):
    T = max(s.shape[0] for s in sequences)
    dt, trail = sequences[0].dtype, sequences[0].shape[1:]
    rows = []
    for s in sequences:
        for d, (a, b) in enumerate(zip(s.shape[1:], trail)):
            if a != b:
                raise RuntimeError(f"The size of tensor a ({b}) must match the size of tensor b "
                                   f"({a}) at non-singleton dimension {d + 1}")
        s = s.astype(dt)
        pad = jnp.full((T - s.shape[0],) + s.shape[1:], padding_value, s.dtype)
        rows.append(jnp.concatenate((s, pad) if padding_side == "right" else (pad, s)))
    out = jnp.stack(rows, axis=0 if batch_first else 1)
    return out


# ---------------------------------------------------------------- multi-head attention

def _lin(x, w, b):
    y = _mm(x, w)
    return y if b is None else y + b


def _pad_last(m):
    return None if m is None else jnp.pad(m, [(0, 0)] * (m.ndim - 1) + [(0, 1)])


@op(tensors=("query", "key", "value", "in_proj_weight", "in_proj_bias", "bias_k", "bias_v",
             "out_proj_weight", "out_proj_bias", "q_proj_weight", "k_proj_weight",
             "v_proj_weight", "static_k", "static_v", "attn_mask", "key_padding_mask", "noise"),
    promote=False, method=False, function=False, grad="ViewBackward0")
def _mha(query, key, value, in_proj_weight, in_proj_bias, bias_k, bias_v, out_proj_weight,
         out_proj_bias, q_proj_weight, k_proj_weight, v_proj_weight, static_k, static_v,
         attn_mask, key_padding_mask, noise, num_heads, add_zero_attn, need_weights,
         average_attn_weights, is_causal, is_batched):
    if not is_batched:
        query, key, value = query[:, None], key[:, None], value[:, None]
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask[None]
    L, B, E = query.shape
    H, hd = num_heads, E // num_heads
    bq = bk = bv = None
    if in_proj_bias is not None:
        bq, bk, bv = jnp.split(in_proj_bias, 3)
    if q_proj_weight is None:
        q_proj_weight, k_proj_weight, v_proj_weight = jnp.split(in_proj_weight, 3)
    q = _lin(query, q_proj_weight, bq)
    k = _lin(key, k_proj_weight, bk)
    v = _lin(value, v_proj_weight, bv)
    if attn_mask is not None and attn_mask.ndim == 2:
        attn_mask = attn_mask[None]
    if bias_k is not None:
        k = jnp.concatenate([k, jnp.broadcast_to(bias_k, (1, B, E))])
        v = jnp.concatenate([v, jnp.broadcast_to(bias_v, (1, B, E))])
        attn_mask, key_padding_mask = _pad_last(attn_mask), _pad_last(key_padding_mask)
    heads = lambda t: jnp.swapaxes(t.reshape(t.shape[0], B * H, hd), 0, 1)  # noqa: E731
    q = heads(q)
    k = heads(k) if static_k is None else static_k
    v = heads(v) if static_v is None else static_v
    if add_zero_attn:
        k = jnp.concatenate([k, jnp.zeros((B * H, 1, hd), k.dtype)], axis=1)
        v = jnp.concatenate([v, jnp.zeros((B * H, 1, hd), v.dtype)], axis=1)
        attn_mask, key_padding_mask = _pad_last(attn_mask), _pad_last(key_padding_mask)
    S = k.shape[1]
    if key_padding_mask is not None:
        kpm = jnp.broadcast_to(key_padding_mask.reshape(B, 1, 1, S), (B, H, 1, S))
        kpm = kpm.reshape(B * H, 1, S)
        attn_mask = kpm if attn_mask is None else attn_mask + kpm
    if need_weights:
        w = _matmul(q * jnp.asarray(np.sqrt(1.0 / hd), q.dtype), jnp.swapaxes(k, 1, 2))
        w = jax.nn.softmax(w if attn_mask is None else w + attn_mask)
    else:
        w = _matmul(q, jnp.swapaxes(k, 1, 2)) * jnp.asarray(1 / np.sqrt(hd), q.dtype)
        bias = _attn_bias(attn_mask, L, S, is_causal and attn_mask is None, q.dtype)
        w = safe_softmax(w if bias is None else w + bias)
    if noise is not None:
        w = w * noise
    out = jnp.swapaxes(_matmul(w, v), 0, 1).reshape(L * B, E)
    out = _lin(out, out_proj_weight, out_proj_bias).reshape(L, B, -1)
    if not is_batched:
        out = out[:, 0]
    if not need_weights:
        return out
    w = w.reshape(B, H, L, S)
    if average_attn_weights:
        w = jnp.mean(w, axis=1)
    return out, (w if is_batched else w[0])


@composite(method=False, namespace=F, name="_mha_shape_check")
def _mha_shape_check(query, key, value, key_padding_mask, attn_mask, num_heads):
    if query.dim() not in (2, 3):
        raise AssertionError("query should be unbatched 2D or batched 3D tensor but received "
                             f"{query.dim()}-D query tensor")
    b = query.dim() == 3
    kind, n = ("batched (3-D)", 3) if b else ("unbatched (2-D)", 2)
    if key.dim() != n or value.dim() != n:
        raise AssertionError(f"For {kind} `query`, expected `key` and `value` to be {n}-D but "
                             f"found {key.dim()}-D and {value.dim()}-D tensors respectively")
    if key_padding_mask is not None and key_padding_mask.dim() != n - 1:
        raise AssertionError(f"For {kind} `query`, expected `key_padding_mask` to be `None` or "
                             f"{n - 1}-D but found {key_padding_mask.dim()}-D tensor instead")
    if attn_mask is not None:
        if attn_mask.dim() not in (2, 3):
            raise AssertionError(f"For {kind} `query`, expected `attn_mask` to be `None`, 2-D or "
                                 f"3-D but found {attn_mask.dim()}-D tensor instead")
        if not b and attn_mask.dim() == 3:
            expected = (num_heads, query.shape[0], key.shape[0])
            if tuple(attn_mask.shape) != expected:
                raise AssertionError(f"Expected `attn_mask` shape to be {expected} but got "
                                     f"{attn_mask.shape}")
    return b


@composite(method=False, namespace=F, name="_none_or_dtype")
def none_or_dtype(input):
    if input is None:
        return None
    if isinstance(input, Tensor):
        return input.dtype
    raise RuntimeError("input to _none_or_dtype() must be None or torch.Tensor")


@composite(method=False, namespace=F, name="_in_projection_packed")
def in_projection_packed(q, k, v, w, b=None):
    """torch's F._in_projection_packed: q, k, v projected by the three row blocks of w."""
    linear = NAMESPACES[F]["linear"]
    ws = w.chunk(3)
    bs = (None,) * 3 if b is None else b.chunk(3)
    return [linear(x, wi, bi) for x, wi, bi in zip((q, k, v), ws, bs)]


@composite(method=False, namespace=F, name="_in_projection")
def in_projection(q, k, v, w_q, w_k, w_v, b_q=None, b_k=None, b_v=None):
    linear = NAMESPACES[F]["linear"]
    return linear(q, w_q, b_q), linear(k, w_k, b_k), linear(v, w_v, b_v)


@composite(method=False, namespace=F, name="_canonical_mask")
def canonical_mask(mask, mask_name, other_type, other_name, target_type, check_other=True):
    """torch's F._canonical_mask: a bool mask becomes a float mask with -inf where True."""
    if mask is None:
        return None
    import torchjax
    if mask.dtype != torchjax.bool and not mask.is_floating_point():
        raise AssertionError(f"only bool and floating types of {mask_name} are supported")
    if check_other and other_type is not None and mask.dtype != other_type:
        warnings.warn(f"Support for mismatched {mask_name} and {other_name} is deprecated. Use "
                      "same type for both instead.", stacklevel=3)
    if not mask.is_floating_point():
        mask = torchjax.zeros_like(mask, dtype=target_type).masked_fill_(mask, float("-inf"))
    return mask


@composite(method=False, namespace=F)
def multi_head_attention_forward(query, key, value, embed_dim_to_check, num_heads, in_proj_weight,
                                 in_proj_bias, bias_k, bias_v, add_zero_attn, dropout_p,
                                 out_proj_weight, out_proj_bias, training=True,
                                 key_padding_mask=None, need_weights=True, attn_mask=None,
                                 use_separate_proj_weight=False, q_proj_weight=None,
                                 k_proj_weight=None, v_proj_weight=None, static_k=None,
                                 static_v=None, average_attn_weights=True, is_causal=False):
    is_batched = _mha_shape_check(query, key, value, key_padding_mask, attn_mask, num_heads)
    tgt_len, bsz, embed_dim = query.shape if is_batched else (query.shape[0], 1, query.shape[1])
    src_len = key.shape[0]
    key_padding_mask = canonical_mask(key_padding_mask, "key_padding_mask",
                                      None if attn_mask is None else attn_mask.dtype, "attn_mask",
                                      query.dtype)
    if is_causal and attn_mask is None:
        raise RuntimeError("Need attn_mask if specifying the is_causal hint. You may use the "
                           "Transformer module method `generate_square_subsequent_mask` to create "
                           "this mask.")
    if is_causal and key_padding_mask is None and not need_weights:
        attn_mask = None
    else:
        attn_mask = canonical_mask(attn_mask, "attn_mask", None, "", query.dtype, False)
        if key_padding_mask is not None:
            is_causal = False
    if embed_dim != embed_dim_to_check:
        raise AssertionError(f"was expecting embedding dimension of {embed_dim_to_check}, but "
                             f"got {embed_dim}")
    head_dim = embed_dim // num_heads
    if head_dim * num_heads != embed_dim:
        raise AssertionError(f"embed_dim {embed_dim} not divisible by num_heads {num_heads}")
    if use_separate_proj_weight:
        if key.shape[:2] != value.shape[:2]:
            raise AssertionError(f"key's sequence and batch dims {key.shape[:2]} do not match "
                                 f"value's {value.shape[:2]}")
        for n, w in (("q", q_proj_weight), ("k", k_proj_weight), ("v", v_proj_weight)):
            if w is None:
                raise AssertionError(f"use_separate_proj_weight is True but {n}_proj_weight is "
                                     "None")
    else:
        if key.shape != value.shape:
            raise AssertionError(f"key shape {key.shape} does not match value shape "
                                 f"{value.shape}")
        if in_proj_weight is None:
            raise AssertionError("use_separate_proj_weight is False but in_proj_weight is None")
        q_proj_weight = k_proj_weight = v_proj_weight = None
    if attn_mask is not None:
        want = (tgt_len, src_len) if attn_mask.dim() == 2 else (bsz * num_heads, tgt_len, src_len)
        if attn_mask.dim() not in (2, 3):
            raise RuntimeError(f"attn_mask's dimension {attn_mask.dim()} is not supported")
        if tuple(attn_mask.shape) != want:
            raise RuntimeError(f"The shape of the {attn_mask.dim()}D attn_mask is "
                               f"{attn_mask.shape}, but should be {want}.")
    if (bias_k is None) != (bias_v is None):
        raise AssertionError("bias_k is set but bias_v is None" if bias_v is None else
                             "bias_v is set but bias_k is None")
    if bias_k is not None:
        for n, s in (("key", static_k), ("value", static_v)):
            if s is not None:
                raise AssertionError(f"bias cannot be added to static {n}.")
        src_len += 1
    for n, s in (("k", static_k), ("v", static_v)):
        if s is not None:
            if s.size(0) != bsz * num_heads:
                raise AssertionError(f"expecting static_{n}.size(0) of {bsz * num_heads}, but got "
                                     f"{s.size(0)}")
            if s.size(2) != head_dim:
                raise AssertionError(f"expecting static_{n}.size(2) of {head_dim}, but got "
                                     f"{s.size(2)}")
    if static_k is not None:
        src_len = static_k.size(1)
    src_len += bool(add_zero_attn)
    if key_padding_mask is not None:
        kp = key_padding_mask.shape if is_batched else (1,) + tuple(key_padding_mask.shape)
        if kp[0] != bsz:
            raise AssertionError(f"Expected key_padded_mask.shape[0] to be {bsz}, but got {kp[0]}")
        padded = kp[1] + (bias_k is not None) + bool(add_zero_attn)
        if padded != src_len:
            raise AssertionError(f"Expected key_padded_mask.shape[1] to be {src_len}, but got "
                                 f"{padded}")
    noise = None
    if training and dropout_p > 0:
        noise = dropout_noise((bsz * num_heads, tgt_len, src_len), dropout_p, query.dtype)
    res = call(OPS["_mha"], (query, key, value, in_proj_weight, in_proj_bias, bias_k, bias_v,
                             out_proj_weight, out_proj_bias, q_proj_weight, k_proj_weight,
                             v_proj_weight, static_k, static_v, attn_mask, key_padding_mask,
                             noise),
               (int(num_heads), bool(add_zero_attn), bool(need_weights),
                bool(average_attn_weights), bool(is_causal), is_batched))
    return res if need_weights else (res, None)
