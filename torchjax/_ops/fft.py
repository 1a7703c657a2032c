"""torch.fft: discrete Fourier transforms (namespace "fft").

Integer and bool inputs are promoted to the default float (to_float=True), so float32 input
gives complex64 like torch. The grad_fn names follow torch's kernels: real-to-complex
(FftR2CBackward0), complex-to-complex (FftC2CBackward0), complex-to-real (FftC2RBackward0), and
ConjBackward0 where torch conjugates the output of an R2C transform (ifft/ihfft of real input).
"""
import jax.numpy as jnp
import numpy as np

from .. import _dtype as D
from .._tensor import wrap
from ._util import wrap_dim
from .registry import op, composite, call, OPS

_NORMS = (None, "backward", "ortho", "forward")
_SWAP = {None: "forward", "backward": "forward", "forward": "backward", "ortho": "ortho"}
_OK = (np.dtype(np.float32), np.dtype(np.float64), np.dtype(np.complex64),
       np.dtype(np.complex128))


def _sn(a):
    return D.SCALAR_NAME[D.from_np(a.dtype)]


def _check(x, norm):
    if norm not in _NORMS:
        raise RuntimeError(f'Invalid normalization mode: "{norm}"')
    if np.dtype(x.dtype) not in _OK:
        raise RuntimeError(f"Unsupported dtype {_sn(x)}")


def _is_c(x):
    return jnp.issubdtype(x.dtype, jnp.complexfloating)


def _to_c(x):
    return x if _is_c(x) else x.astype(jnp.complex64 if x.dtype == jnp.float32
                                       else jnp.complex128)


def _dim1(x, dim):
    if x.ndim == 0:
        raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
    return wrap_dim(dim, x.ndim)


def _npoints(n):
    if n < 1:
        raise RuntimeError(f"Invalid number of data points ({n}) specified")
    return n


def _norm(norm):
    return "backward" if norm is None else norm


# ---- grad_fn names ----
def _name_c(real_name):
    """grad= for ops named by whether the (promoted) input is real or complex."""
    def g(key):
        dt = key[1]
        return real_name if (dt is None or not dt.is_complex) else "FftC2CBackward0"
    return g


_FFT = dict(to_float=True, namespace="fft", method=False, out=True)


# ---- 1-D ----
@op(**_FFT, grad=_name_c("FftR2CBackward0"))
def fft(input, n=None, dim=-1, norm=None):
    _check(input, norm)
    d = _dim1(input, dim)
    n = _npoints(input.shape[d] if n is None else n)
    return jnp.fft.fft(_to_c(input), n=n, axis=d, norm=_norm(norm))


@op(**_FFT, grad=_name_c("ConjBackward0"))
def ifft(input, n=None, dim=-1, norm=None):
    _check(input, norm)
    d = _dim1(input, dim)
    n = _npoints(input.shape[d] if n is None else n)
    return jnp.fft.ifft(_to_c(input), n=n, axis=d, norm=_norm(norm))


@op(**_FFT, grad="FftR2CBackward0")
def rfft(input, n=None, dim=-1, norm=None):
    _check(input, norm)
    if _is_c(input):
        raise RuntimeError(f"rfft expects a real input tensor, but got {_sn(input)}")
    d = _dim1(input, dim)
    n = _npoints(input.shape[d] if n is None else n)
    return jnp.fft.rfft(input, n=n, axis=d, norm=_norm(norm))


@op(**_FFT, grad="FftC2RBackward0")
def irfft(input, n=None, dim=-1, norm=None):
    _check(input, norm)
    d = _dim1(input, dim)
    n = _npoints(2 * (input.shape[d] - 1) if n is None else n)
    return jnp.fft.irfft(_to_c(input), n=n, axis=d, norm=_norm(norm))


@op(**_FFT, grad="FftC2RBackward0")
def hfft(input, n=None, dim=-1, norm=None):
    _check(input, norm)
    d = _dim1(input, dim)
    n = _npoints(2 * (input.shape[d] - 1) if n is None else n)
    return jnp.fft.irfft(jnp.conj(_to_c(input)), n=n, axis=d, norm=_SWAP[norm])


@op(**_FFT, grad="ConjBackward0")
def ihfft(input, n=None, dim=-1, norm=None):
    _check(input, norm)
    if _is_c(input):
        raise RuntimeError(f"ihfft expects a real input tensor, but got {_sn(input)}")
    d = _dim1(input, dim)
    n = _npoints(input.shape[d] if n is None else n)
    return jnp.conj(jnp.fft.rfft(input, n=n, axis=d, norm=_SWAP[norm]))


# ---- n-D ----
def _shape_dims(x, s, dim, c2r=False):
    """torch's canonicalize_fft_shape_and_dim_args: (shape, dims); shape[-1] for c2r ops is the
    output length of the last dim."""
    if dim is not None:
        dims = (dim,) if isinstance(dim, int) else tuple(dim)
        dims = tuple(wrap_dim(d, x.ndim) for d in dims)
        if len(set(dims)) != len(dims):
            raise RuntimeError("FFT dims must be unique")
    if s is not None:
        s = (s,) if isinstance(s, int) else tuple(s)
        if dim is not None:
            if len(s) != len(dims):
                raise RuntimeError("When given, dim and shape arguments must have the same length")
        else:
            if len(s) > x.ndim:
                raise RuntimeError(f"Got shape with {len(s)} values but input tensor only has "
                                   f"{x.ndim} dimensions.")
            dims = tuple(range(x.ndim - len(s), x.ndim))
        shape = []
        for i, (n, d) in enumerate(zip(s, dims)):
            if n == -1:
                n = x.shape[d]
                if c2r and i == len(s) - 1:
                    n = 2 * (n - 1)
            shape.append(_npoints(n))
        shape = tuple(shape)
    else:
        if dim is None:
            dims = tuple(range(x.ndim))
        shape = tuple(x.shape[d] for d in dims)
        if c2r and dims:
            shape = shape[:-1] + (2 * (shape[-1] - 1),)
        for n in shape:
            _npoints(n)
    return shape, dims


def _c2c(x, s, dim, norm, inverse):
    shape, dims = _shape_dims(x, s, dim)
    xc = _to_c(x)
    if not dims:
        return xc
    f = jnp.fft.ifftn if inverse else jnp.fft.fftn
    return f(xc, s=shape, axes=dims, norm=_norm(norm))


def _r2c(x, s, dim, norm, name):
    if _is_c(x):
        raise RuntimeError(f"{name} expects a real-valued input tensor, but got {_sn(x)}")
    shape, dims = _shape_dims(x, s, dim)
    if not dims:
        raise RuntimeError(f"{name} must transform at least one axis")
    return jnp.fft.rfftn(x, s=shape, axes=dims, norm=norm)


def _c2r(x, s, dim, norm, name, conj=False):
    shape, dims = _shape_dims(x, s, dim, c2r=True)
    if not dims:
        raise RuntimeError(f"{name} must transform at least one axis")
    xc = _to_c(x)
    if conj:
        xc = jnp.conj(xc)
    return jnp.fft.irfftn(xc, s=shape, axes=dims, norm=norm)


def _ihf(x, s, dim, norm, name):
    if _is_c(x):
        raise RuntimeError(f"Only supports floating-point dtypes, but found: {_sn(x)}")
    shape, dims = _shape_dims(x, s, dim)
    if not dims:
        raise RuntimeError(f"{name} must transform at least one axis")
    return jnp.conj(jnp.fft.rfftn(x, s=shape, axes=dims, norm=_SWAP[norm]))


@op(**_FFT, grad="FftC2CBackward0")
def fft2(input, s=None, dim=(-2, -1), norm=None):
    _check(input, norm)
    return _c2c(input, s, dim, norm, False)


@op(**_FFT, grad="FftC2CBackward0")
def ifft2(input, s=None, dim=(-2, -1), norm=None):
    _check(input, norm)
    return _c2c(input, s, dim, norm, True)


@op(**_FFT, grad="FftC2CBackward0")
def fftn(input, s=None, dim=None, norm=None):
    _check(input, norm)
    return _c2c(input, s, dim, norm, False)


@op(**_FFT, grad="FftC2CBackward0")
def ifftn(input, s=None, dim=None, norm=None):
    _check(input, norm)
    return _c2c(input, s, dim, norm, True)


@op(**_FFT, grad="FftR2CBackward0")
def rfft2(input, s=None, dim=(-2, -1), norm=None):
    _check(input, norm)
    return _r2c(input, s, dim, _norm(norm), "rfftn")


@op(**_FFT, grad="FftR2CBackward0")
def rfftn(input, s=None, dim=None, norm=None):
    _check(input, norm)
    return _r2c(input, s, dim, _norm(norm), "rfftn")


@op(**_FFT, grad="FftC2RBackward0")
def irfft2(input, s=None, dim=(-2, -1), norm=None):
    _check(input, norm)
    return _c2r(input, s, dim, _norm(norm), "irfftn")


@op(**_FFT, grad="FftC2RBackward0")
def irfftn(input, s=None, dim=None, norm=None):
    _check(input, norm)
    return _c2r(input, s, dim, _norm(norm), "irfftn")


@op(**_FFT, grad="FftC2RBackward0")
def hfft2(input, s=None, dim=(-2, -1), norm=None):
    _check(input, norm)
    return _c2r(input, s, dim, _SWAP[norm], "hfftn", conj=True)


@op(**_FFT, grad="FftC2RBackward0")
def hfftn(input, s=None, dim=None, norm=None):
    _check(input, norm)
    return _c2r(input, s, dim, _SWAP[norm], "hfftn", conj=True)


@op(to_float=True, function=False, method=False, grad=lambda key: key[0][-1])
def _ihfftn(input, s, dim, norm, gname):
    _check(input, norm)
    return _ihf(input, s, dim, norm, "ihfftn")


def _ihfftn_call(input, s, dim, norm, out):
    # torch conjugates a single R2C transform (ConjBackward0) or ends with a C2C transform
    try:
        _, dims = _shape_dims(input, s, dim)
    except Exception:
        dims = (0, 0)
    g = "ConjBackward0" if len(dims) == 1 else "FftC2CBackward0"
    return call(OPS["_ihfftn"], (input,), (s, dim, norm, g), out)


@composite(method=False, namespace="fft")
def ihfft2(input, s=None, dim=(-2, -1), norm=None, *, out=None):
    return _ihfftn_call(input, s, dim, norm, out)


@composite(method=False, namespace="fft")
def ihfftn(input, s=None, dim=None, norm=None, *, out=None):
    return _ihfftn_call(input, s, dim, norm, out)


# ---- shifts and frequencies ----
def _shift(x, dim, sign):
    if dim is None:
        dims = tuple(range(x.ndim))
    else:
        dims = tuple(wrap_dim(d, x.ndim) for d in ((dim,) if isinstance(dim, int) else dim))
    if not dims:
        return x
    shifts = tuple((x.shape[d] // 2) if sign > 0 else ((x.shape[d] + 1) // 2) for d in dims)
    return jnp.roll(x, shifts, dims)


@op(promote=False, namespace="fft", method=False, grad="RollBackward0", saves=())
def fftshift(input, dim=None):
    return _shift(input, dim, 1)


@op(promote=False, namespace="fft", method=False, grad="RollBackward0", saves=())
def ifftshift(input, dim=None):
    return _shift(input, dim, -1)


def _freq(name, n, d, dtype, requires_grad, rfft_):
    dt = dtype if dtype is not None else D.get_default_dtype()
    if not (dt.is_floating_point or dt.is_complex):
        raise RuntimeError(f"{name} requires a floating point or complex dtype")
    if n < 0:
        raise RuntimeError(f"Trying to create tensor with negative dimension {n}: [{n}]")
    if rfft_:
        k = np.arange(n // 2 + 1)
    else:
        k = np.concatenate([np.arange(0, (n - 1) // 2 + 1), np.arange(-(n // 2), 0)]).astype(
            np.int64)
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.asarray(np.float64(1.0) / np.float64(n * d)).astype(dt.np)
        v = jnp.asarray(k.astype(dt.np) * scale)
    t = wrap(v)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _write(t, out):
    if out is None:
        return t
    from .creation import range_out_warning
    from .registry import _write_out
    range_out_warning(out, t.numel())
    _write_out(out, [t], resize_warning=False)
    return out


@composite(method=False, namespace="fft")
def fftfreq(n, d=1.0, *, out=None, dtype=None, layout=None, device=None, pin_memory=False,
            requires_grad=False):
    return _write(_freq("fftfreq", n, d, dtype, requires_grad, False), out)


@composite(method=False, namespace="fft")
def rfftfreq(n, d=1.0, *, out=None, dtype=None, layout=None, device=None, pin_memory=False,
             requires_grad=False):
    return _write(_freq("rfftfreq", n, d, dtype, requires_grad, True), out)
