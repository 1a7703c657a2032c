"""Spectral ops: the window functions (hann/hamming/blackman/bartlett/kaiser_window) and
stft/istft.

Windows are computed on the host in the window's dtype with torch's CPU arithmetic (arange, scaled
by a scalar cast to the dtype, cos, ...), like the range factories. stft frames the (centre-padded,
through F.pad as torch does) signal with one gather, multiplies by the centred window and takes an
rfft/fft per frame: one op whose grad_fn is torch's last step (TransposeBackward1, SqueezeBackward4
for a 1-D signal, ViewAsRealBackward0 with return_complex=False). istft inverts each frame and
overlap-adds the frames and the squared window envelope with scatter-adds."""
import warnings

import jax.numpy as jnp
import numpy as np

from .. import _dtype as D
from ._util import wrap_dim
from .registry import op, composite, call, OPS


# ---------------------------------------------------------------- window functions

def _window_checks(name, n, dtype):
    if n < 0:
        raise RuntimeError(f"{name} requires non-negative window_length, got window_length={n}")
    if not dtype.is_floating_point:
        raise RuntimeError(f"{name} expects floating point dtypes, got: TensorOptions(dtype="
                           f"{_cpp_type(dtype)}, device=cpu, layout=Strided (default), "
                           "requires_grad=false (default), pinned_memory=false, "
                           "memory_format=(nullopt))")


_CPP = {D.bool: "bool", D.uint8: "unsigned char", D.int8: "signed char", D.int16: "short int",
        D.int32: "int", D.int64: "long int", D.float16: "c10::Half", D.bfloat16: "c10::BFloat16",
        D.float32: "float", D.float64: "double", D.complex64: "c10::complex<float>",
        D.complex128: "c10::complex<double>"}


def _cpp_type(dtype):
    return _CPP.get(dtype, str(dtype).removeprefix("torch."))


def _window(name, n, periodic, dtype, device, requires_grad, body):
    """torch's window factory frame: checks, the 0/1-length cases, the periodic extension."""
    from .creation import _finish
    dtype = dtype or D.get_default_dtype()
    _window_checks(name, n, dtype)
    if n <= 1:
        vals = np.ones(n, dtype.np)
    else:
        m = n + 1 if periodic else n
        vals = body(np.arange(m, dtype=dtype.np), m, dtype.np.type)[:n]
    return _finish(np.asarray(vals, dtype.np), dtype, device, requires_grad, None)


def _hamming_body(alpha, beta):
    def body(k, m, f):
        return np.cos(k * f(np.pi * 2.0 / (m - 1))) * f(-beta) + f(alpha)
    return body


@composite(method=False)
def hamming_window(window_length, periodic=True, alpha=0.54, beta=0.46, *, dtype=None,
                   layout=None, device=None, pin_memory=False, requires_grad=False):
    return _window("hamming_window", window_length, periodic, dtype, device, requires_grad,
                   _hamming_body(alpha, beta))


@composite(method=False)
def hann_window(window_length, periodic=True, *, dtype=None, layout=None, device=None,
                pin_memory=False, requires_grad=False):
    return _window("hann_window", window_length, periodic, dtype, device, requires_grad,
                   _hamming_body(0.5, 0.5))


def _blackman(k, m, f):
    w = k * f(np.pi / (m - 1))
    return np.cos(w * f(4)) * f(0.08) - np.cos(w * f(2)) * f(0.5) + f(0.42)


@composite(method=False)
def blackman_window(window_length, periodic=True, *, dtype=None, layout=None, device=None,
                    pin_memory=False, requires_grad=False):
    return _window("blackman_window", window_length, periodic, dtype, device, requires_grad,
                   _blackman)


def _bartlett(k, m, f):
    w = k * f(2.0 / (m - 1))
    half = ((m - 1) >> 1) + 1
    w[half:] = w[half:] * f(-1) + f(2)
    return w


@composite(method=False)
def bartlett_window(window_length, periodic=True, *, dtype=None, layout=None, device=None,
                    pin_memory=False, requires_grad=False):
    return _window("bartlett_window", window_length, periodic, dtype, device, requires_grad,
                   _bartlett)


@composite(method=False)
def kaiser_window(window_length, periodic=True, beta=12.0, *, dtype=None, layout=None,
                  device=None, pin_memory=False, requires_grad=False):
    def body(k, m, f):
        a = (m - 1) / 2.0
        r = (k.astype(np.float64) - a) / a
        return np.i0(beta * np.sqrt(np.abs(1 - r * r))) / np.i0(beta)
    return _window("kaiser_window", window_length, periodic, dtype, device, requires_grad, body)


# ---------------------------------------------------------------- stft / istft

def _tstr(t, istft=False):
    name = {D.float32: "Float", D.float64: "Double", D.float16: "Half", D.bfloat16: "BFloat16",
            D.complex64: "ComplexFloat", D.complex128: "ComplexDouble"}.get(
                t.dtype, D.SCALAR_NAME[t.dtype])
    return f"CPU{name}Type" if istft else f"torch.{name}Tensor"


def _opt(v):
    return "None" if v is None else str(int(v) if isinstance(v, bool) else v)


def _win_repr(window):
    return "None" if window is None else f"{_tstr(window)}{{{list(window.shape)}}}"


def _centered(window, n_fft, win_length, dt):
    """The window zero-padded to n_fft, centred (None: a box of win_length ones)."""
    w = jnp.ones((win_length,), dt) if window is None else window
    left = (n_fft - win_length) // 2
    return jnp.pad(w, (left, n_fft - win_length - left))


def _frames_index(n_frames, hop, n_fft):
    return np.arange(n_frames)[:, None] * hop + np.arange(n_fft)[None, :]


def _stft_grad(key):
    s = key[0]
    if not s[5]:  # return_complex
        return "ViewAsRealBackward0"
    return "SqueezeBackward4" if s[7] else "TransposeBackward1"


@op(tensors=("input", "window"), function=False, method=False, name="_stft", grad=_stft_grad,
    saves=())
def _stft_k(input, window, n_fft, hop_length, win_length, normalized, onesided,
            return_complex, align, squeeze):
    x = input if input.ndim == 2 else input[None]
    length = x.shape[1]
    if align:
        n_frames = 1 + (length - win_length) // hop_length
        p = (n_fft - win_length) // 2
        x = jnp.pad(x, ((0, 0), (p, p)))
    else:
        n_frames = 1 + (length - n_fft) // hop_length
    frames = x[:, _frames_index(n_frames, hop_length, n_fft)]
    if window is not None or win_length < n_fft:
        frames = frames * _centered(window, n_fft, win_length, x.dtype)
    norm = "ortho" if normalized else "backward"
    if jnp.iscomplexobj(frames) or not onesided:
        out = jnp.fft.fft(frames, axis=-1, norm=norm)
    else:
        out = jnp.fft.rfft(frames, axis=-1, norm=norm)
    out = jnp.swapaxes(out, 1, 2)
    if squeeze:
        out = out[0]
    if not return_complex:
        out = jnp.stack([out.real, out.imag], axis=-1)
    return out


@composite()
def stft(input, n_fft, hop_length=None, win_length=None, window=None, center=True,
         pad_mode="reflect", normalized=False, onesided=None, return_complex=None,
         align_to_window=None):
    if center and align_to_window is not None:
        raise RuntimeError("stft align_to_window should only be set when center = false")
    if window is None:
        warnings.warn("A window was not provided. A rectangular window will be applied,which is "
                      "known to cause spectral leakage. Other windows such as torch.hann_window "
                      "or torch.hamming_window are recommended to reduce spectral leakage.To "
                      "suppress this warning and use a rectangular window, explicitly set "
                      "`window=torch.ones(n_fft, device=<device>)`.", stacklevel=2)
    ndim = input.dim()
    if center:
        from .. import nn
        pad = int(n_fft // 2)
        x = nn.functional.pad(input.view([1] * (3 - ndim) + list(input.shape)), [pad, pad],
                              pad_mode)
        input = x.view(x.shape[-ndim:])
    hop = n_fft >> 2 if hop_length is None else hop_length
    win = n_fft if win_length is None else win_length
    cplx = input.dtype.is_complex or (window is not None and window.dtype.is_complex)
    rc = cplx if return_complex is None else return_complex
    if not rc and return_complex is None:
        raise RuntimeError("stft requires the return_complex parameter be given for real "
                           "inputs, and will further require that return_complex=True in a "
                           "future PyTorch release.")
    head = (f"stft({_tstr(input)}{list(input.shape)}, n_fft={n_fft}, hop_length={hop}, "
            f"win_length={win}, window={_win_repr(window)}, normalized={int(normalized)}, "
            f"onesided={_opt(onesided)}, return_complex={_opt(return_complex)}, "
            f"align_to_window={_opt(align_to_window)}) : ")
    if not (input.dtype.is_floating_point or input.dtype.is_complex):
        raise RuntimeError(head + "expected a tensor of floating point or complex values")
    if ndim > 2 or ndim < 1:
        raise RuntimeError(head + "expected a 1D or 2D tensor")
    length = input.shape[-1]
    if n_fft <= 0 or n_fft > length:
        raise RuntimeError(head + f"expected 0 < n_fft < {length}, but got n_fft={win}")
    if hop <= 0:
        raise RuntimeError(head + f"expected hop_length > 0, but got hop_length={hop}")
    if win <= 0 or win > n_fft:
        raise RuntimeError(head + f"expected 0 < win_length <= n_fft, but got win_length={win}")
    if window is not None and (window.dim() != 1 or window.shape[0] != win):
        raise RuntimeError(head + "expected a 1D window tensor of size equal to win_length="
                           f"{win}, but got window with size {list(window.shape)}")
    side = (not cplx) if onesided is None else onesided
    if cplx and side:
        raise RuntimeError("Cannot have onesided output if window or input is complex")
    return call(OPS["_stft"], (input, window), (n_fft, hop, win, bool(normalized), side, rc,
                                                bool(align_to_window), ndim == 1))


def _istft_grad(key):
    s = key[0]
    if s[-1]:  # zero-padded tail
        return "ConstantPadNdBackward0"
    return "SqueezeBackward1" if s[-2] else "DivBackward0"


@op(tensors=("input", "window"), promote=False, function=False, method=False, name="_istft",
    grad=_istft_grad, saves=())
def _istft_k(input, window, n_fft, hop_length, win_length, center, normalized, onesided,
             length, return_complex, squeeze, padded):
    x = jnp.swapaxes(input if input.ndim == 3 else input[None], 1, 2)  # (B, frames, freq)
    n_frames = x.shape[1]
    norm = "ortho" if normalized else "backward"
    if return_complex:
        frames = jnp.fft.ifft(x, axis=-1, norm=norm)
    else:
        if not onesided:
            x = x[..., :n_fft // 2 + 1]
        frames = jnp.fft.irfft(x, n=n_fft, axis=-1, norm=norm)
    rdt = frames.real.dtype
    w = _centered(window, n_fft, win_length, rdt)
    frames = frames * w
    total = n_fft + hop_length * (n_frames - 1)
    idx = _frames_index(n_frames, hop_length, n_fft)
    y = jnp.zeros((frames.shape[0], total), frames.dtype).at[:, idx].add(frames)
    env = jnp.zeros((total,), (w * w).dtype).at[idx].add(jnp.broadcast_to(w * w, idx.shape))
    start, end = _istft_span(n_fft, center, length, total)
    y = y[:, start:end] / env[start:end]
    if squeeze:
        y = y[0]
    if padded:
        y = jnp.pad(y, [(0, 0)] * (y.ndim - 1) + [(0, end - total)])
    return y


def _istft_span(n_fft, center, length, total):
    start = n_fft // 2 if center else 0
    if length is not None:
        end = start + length
    else:
        end = -(n_fft // 2) if center else total
    return start, end


@composite()
def istft(input, n_fft, hop_length=None, win_length=None, window=None, center=True,
          normalized=False, onesided=None, length=None, return_complex=False):
    if window is None:
        warnings.warn("A window was not provided. A rectangular window will be applied.Please "
                      "provide the same window used by stft to make the inversion lossless.To "
                      "suppress this warning and use a rectangular window, explicitly set "
                      "`window=torch.ones(n_fft, device=<device>)`.", stacklevel=2)
    hop = n_fft >> 2 if hop_length is None else hop_length
    win = n_fft if win_length is None else win_length
    if not input.dtype.is_complex:
        raise RuntimeError("istft requires a complex-valued input tensor matching the output from "
                        "stft with return_complex=True.")
    head = (f"istft({_tstr(input, True)}{list(input.shape)}, n_fft={n_fft}, hop_length={hop}, "
            f"win_length={win}, window={_win_repr(window)}, center={int(center)}, "
            f"normalized={int(normalized)}, onesided={_opt(onesided)}, length={_opt(length)}, "
            f"return_complex={int(return_complex)}) ")
    rdim = input.dim() + 1
    wrap_dim(-2, rdim), wrap_dim(-3, rdim)  # torch reads these sizes first
    if input.numel() == 0:
        raise RuntimeError(head + ": input tensor cannot be empty.")
    if rdim not in (3, 4):
        raise RuntimeError(head + f": expected a tensor with 3 or 4 dimensions, but got {rdim}")
    n_frames, fft_size = input.shape[-1], input.shape[-2]
    side = fft_size != n_fft if onesided is None else onesided
    if side and n_fft // 2 + 1 != fft_size:
        raise RuntimeError(head + ": expected the frequency dimension (3rd to the last) of the "
                           "input tensor to match n_fft / 2 + 1 when onesided=True, but got "
                           f"{fft_size}")
    if not side and n_fft != fft_size:
        raise RuntimeError(head + ": expected the frequency dimension (3rd to the last) of the "
                           f"input tensor to match n_fft when onesided=False, but got {fft_size}")
    if not 0 < hop <= win:
        raise RuntimeError(head + ": expected 0 < hop_length <= win_length")
    if not 0 < win <= n_fft:
        raise RuntimeError(head + ": expected 0 < win_length <= n_fft")
    if window is not None and (window.dim() != 1 or window.shape[0] != win):
        raise RuntimeError(head + ": Invalid window shape. window has to be 1D and length of "
                           "`win_length`")
    if return_complex and side:
        raise RuntimeError("Cannot have onesided output if window or input is complex")
    if not return_complex and window is not None and window.dtype.is_complex:
        raise RuntimeError("Complex windows are incompatible with return_complex=False")
    total = n_fft + hop * (n_frames - 1)
    start, end = _istft_span(n_fft, center, length, total)
    # torch's check on the overlap-added squared window (a read of the window's values)
    w = np.ones(win) if window is None else np.asarray(window._value)
    left = (n_fft - win) // 2
    w = np.pad(w ** 2, (left, n_fft - win - left))
    env = np.zeros(total, w.dtype)
    np.add.at(env, _frames_index(n_frames, hop, n_fft), np.broadcast_to(w, (n_frames, n_fft)))
    env = env[start:end]
    if env.size and np.abs(env).min() < 1e-11:
        raise RuntimeError(head + "window overlap add min: 1\n[ CPUBoolType{} ]")
    padded = end > total
    if padded:
        warnings.warn("The length of signal is shorter than the length parameter. Result is "
                      "being padded with zeros in the tail. Please check your center and "
                      "hop_length settings.", stacklevel=2)
    return call(OPS["_istft"], (input, window),
                (n_fft, hop, win, bool(center), bool(normalized), side, length,
                 bool(return_complex), rdim == 3, padded))
