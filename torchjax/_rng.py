"""PyTorch's CPU random generator (mt19937 + ATen's samplers), bit-exact, in numpy.

Engine: numpy's MT19937 bit generator yields the same raw 32-bit stream as
at::mt19937 once its key is set directly (pos=624 means "twist before the next
draw"). Samplers follow ATen's CPU kernels (DistributionTemplates.h,
DistributionsHelper.h, TransformationHelper.h, Distributions.cpp,
MultinomialKernel.cpp, TensorFactories.cpp randperm). Everything returns
numpy arrays in C order. Kernels in torch's native/cpu/ are built with FMA, so
`a * b + c` there is one fused operation (fma32 / fma64).

Vendor note: on Intel CPUs with MKL, torch's bernoulli_(float p) (and so
dropout) uses MKL's stream instead; this module reproduces the default kernel
(AMD and non-MKL builds).
"""
import math
import os
import struct
import warnings

import ml_dtypes
import numpy as np

from . import _rng_math as M
from ._stl import topk_largest

f32, f64 = np.float32, np.float64
BF16, F16 = np.dtype(ml_dtypes.bfloat16), np.dtype(np.float16)
DEFAULT_SEED = 67280421310721          # c10::default_rng_seed_val
STATE_SIZE = 5056                      # sizeof(CPUGeneratorImplState)
_N = 624
_TWO_PI = 2.0 * np.pi
_TORCH_NAMES = {"bool": "Bool", "uint8": "Byte", "int8": "Char", "int16": "Short",
                "int32": "Int", "int64": "Long", "float16": "Half", "bfloat16": "BFloat16",
                "float32": "Float", "float64": "Double", "uint16": "UInt16",
                "uint32": "UInt32", "uint64": "UInt64"}


def _temper(y):
    y = y.astype(np.uint32)
    y ^= y >> 11
    y ^= (y << 7) & np.uint32(0x9D2C5680)
    y ^= (y << 15) & np.uint32(0xEFC60000)
    return y ^ (y >> 18)


def _init_genrand(seed):
    key = [seed & 0xFFFFFFFF]
    for j in range(1, _N):
        p = key[-1]
        key.append((1812433253 * (p ^ (p >> 30)) + j) & 0xFFFFFFFF)
    return np.array(key, dtype=np.uint32)


def _shape(shape):
    if isinstance(shape, (int, np.integer)):
        return (int(shape),)
    return tuple(int(s) for s in shape)


def _numel(shape):
    n = 1
    for s in shape:
        n *= s
    return n


def _is_reduced(dt):
    return dt == F16 or dt == BF16


def from_double(x, dt):
    """static_cast<scalar_t>(double): half/bfloat16 go through float."""
    dt = np.dtype(dt)
    if _is_reduced(dt):
        return np.asarray(x, f64).astype(f32).astype(dt)
    return np.asarray(x, f64).astype(dt)


def from_int64(x, dt):
    """static_cast<scalar_t>(int64_t): half/bfloat16 go through float."""
    dt = np.dtype(dt)
    if _is_reduced(dt):
        return x.astype(f32).astype(dt)
    return x.astype(dt)


_CPP_NAMES = {"bool": "bool", "uint8": "unsigned char", "int8": "signed char",
              "int16": "short int", "int32": "int", "int64": "long int",
              "float16": "c10::Half", "bfloat16": "c10::BFloat16", "float32": "float",
              "float64": "double", "uint16": "short unsigned int", "uint32": "unsigned int",
              "uint64": "long unsigned int"}


def _scalar_name(dt):
    dt = np.dtype(dt)
    return {"complex64": "ComplexFloat", "complex128": "ComplexDouble"}.get(
        dt.name, _TORCH_NAMES.get(dt.name, dt.name))


def _not_implemented(kernel, dt):
    return NotImplementedError(f'"{kernel}" not implemented for \'{_scalar_name(dt)}\'')


def _g(x):
    """A double as C++ ostream prints it."""
    return f"{x:g}"


class CPUGenerator:
    """at::CPUGeneratorImpl: mt19937 state, seed and the cached Box-Muller normal."""

    def __init__(self, seed=DEFAULT_SEED):
        self._bg = np.random.MT19937(0)
        self.manual_seed(seed)

    # ------------------------------------------------------------ engine ----

    def manual_seed(self, seed):
        seed = int(seed)
        if not -(1 << 63) <= seed < (1 << 64):
            raise ValueError("Overflow when unpacking long long")
        seed &= (1 << 64) - 1
        self._seed = seed
        self._set_engine(_init_genrand(seed), left=1, nxt=0)
        self._normal = None          # next_double_normal_sample_
        self._float_normal = None    # next_float_normal_sample_ (never drawn on CPU)
        return self

    def seed(self):
        s = int.from_bytes(os.urandom(8), "little")
        self.manual_seed(s)
        return s

    def initial_seed(self):
        return self._seed

    def _set_engine(self, key, left, nxt):
        key = np.asarray(key, dtype=np.uint32)
        if left + nxt == _N + 1:     # every state torch itself produces
            self._bg.state = {"bit_generator": "MT19937", "state": {"key": key, "pos": nxt}}
            self._prefix = None
        else:                        # left-1 more draws from key[nxt:], then twist
            if nxt + left - 1 > _N:
                raise RuntimeError("mt19937 state would read past its 624 words")
            self._bg.state = {"bit_generator": "MT19937", "state": {"key": key, "pos": _N}}
            self._prefix = (_temper(key[nxt:nxt + left - 1]), nxt, 0)

    def _engine(self):
        """(key uint32[624], left, next) as at::mt19937_data_pod holds them."""
        st = self._bg.state["state"]
        key = np.asarray(st["key"], dtype=np.uint32)
        if self._prefix is not None:
            vals, nxt, used = self._prefix
            return key, len(vals) - used + 1, nxt + used
        pos = int(st["pos"])
        return key, _N + 1 - pos, pos

    def _raw32(self, n):
        """n raw mt19937 outputs (uint32)."""
        if n <= 0:
            return np.empty(0, np.uint32)
        head = None
        if self._prefix is not None:
            vals, nxt, used = self._prefix
            k = min(n, len(vals) - used)
            head = vals[used:used + k]
            n -= k
            self._prefix = (vals, nxt, used + k)
            if n == 0:
                return head.copy()
            self._prefix = None
        out = self._bg.random_raw(n).astype(np.uint32)
        return out if head is None else np.concatenate([head, out])

    def _raw64(self, n):
        """n random64() values: (first << 32) | second."""
        r = self._raw32(2 * n).astype(np.uint64).reshape(n, 2)
        return (r[:, 0] << np.uint64(32)) | r[:, 1]

    def random(self):
        return int(self._raw32(1)[0])

    def random64(self):
        return int(self._raw64(1)[0])

    def _snapshot(self):
        return self._bg.state, self._prefix

    def _restore(self, snap):
        self._bg.state, self._prefix = snap

    # ------------------------------------------------------------- state ----

    def get_state(self):
        """torch.get_rng_state() bytes (CPUGeneratorImplState, 5056 bytes)."""
        key, left, nxt = self._engine()
        b = bytearray(STATE_SIZE)
        struct.pack_into("<QiiQ", b, 0, self._seed, left, 1, nxt)
        b[24:24 + 8 * _N] = key.astype("<u8").tobytes()
        off = 24 + 8 * _N
        if self._normal is not None:
            struct.pack_into("<d", b, off + 8, self._normal)       # normal_y
            struct.pack_into("<i", b, off + 24, 1)                 # normal_is_valid
        if self._float_normal is not None:
            struct.pack_into("<f?", b, off + 32, self._float_normal, True)
        return bytes(b)

    def set_state(self, state):
        b = bytes(state)
        if len(b) != STATE_SIZE:
            raise RuntimeError(
                f"Expected a CPUGeneratorImplState of size {STATE_SIZE} but found the "
                f"input RNG state size to be {len(b)}")
        seed, left, seeded, nxt = struct.unpack_from("<QiiQ", b, 0)
        nxt &= 0xFFFFFFFF
        if not (seeded != 0 and 0 < left <= _N and nxt <= _N):
            raise RuntimeError("Invalid mt19937 state")
        key = np.frombuffer(b, "<u8", _N, 24).astype(np.uint32)
        off = 24 + 8 * _N
        normal_y, = struct.unpack_from("<d", b, off + 8)
        valid, = struct.unpack_from("<i", b, off + 24)
        fnormal, fvalid = struct.unpack_from("<fB", b, off + 32)
        self._seed = seed
        self._set_engine(key, left, nxt)
        self._normal = normal_y if valid else None
        self._float_normal = fnormal if fvalid else None

    def clone(self):
        g = CPUGenerator.__new__(CPUGenerator)
        g._bg = np.random.MT19937(0)
        g.set_state(self.get_state())
        return g

    # ------------------------------------------------------- base draws ----

    def _uniform24(self, n):
        """uniform_real_distribution<float>(0, 1): 24 random bits * 2^-24."""
        return (self._raw32(n) & np.uint32(0xFFFFFF)).astype(f32) * f32(2.0 ** -24)

    def _uniform53(self, n):
        """uniform_real_distribution<double>(0, 1): 53 bits of random64()."""
        r = self._raw64(n) & np.uint64((1 << 53) - 1)
        return r.astype(f64) * 2.0 ** -53

    def _std_normal_doubles(self, n):
        """n draws of normal_distribution<double>(0, 1) before the mean/std step,
        using and refilling the cached second Box-Muller value."""
        out = np.empty(n, f64)
        i = 0
        if n and self._normal is not None:
            out[0], self._normal, i = self._normal, None, 1
        m = n - i
        if m:
            pairs = (m + 1) // 2
            u = self._uniform53(2 * pairs).reshape(pairs, 2)
            r = np.sqrt(-2.0 * M.libm(M.log1p, -u[:, 1]))
            theta = _TWO_PI * u[:, 0]
            c = r * M.libm(M.cos, theta)
            s = r * M.libm(M.sin, theta)
            out[i::2] = c[:len(out[i::2])]
            out[i + 1::2] = s[:len(out[i + 1::2])]
            if m % 2:
                self._normal = float(s[-1])
        return out

    def _normal_doubles(self, n, mean, std):
        z = self._std_normal_doubles(n)
        return M.fma64(z, std, mean) if (mean != 0 or std != 1) else z

    # ---------------------------------------------------------- samplers ----

    def uniform(self, shape, dtype=f32, low=0.0, high=1.0):
        """torch.rand / Tensor.uniform_(low, high)."""
        shape, dt = _shape(shape), np.dtype(dtype)
        if dt.kind == "c":
            real = f32 if dt == np.complex64 else f64
            out = self.uniform(shape + (2,), real, low, high)
            return out.view(dt).reshape(shape)
        if not (dt == f32 or dt == f64 or _is_reduced(dt)):
            raise _not_implemented("check_uniform_bounds", dt)
        fmax = float(_finfo(dt).max)
        for v, what in ((low, "from"), (high, "to")):
            if not -fmax <= v <= fmax:
                raise RuntimeError(f"{what} is out of bounds for {_CPP_NAMES[dt.name]}")
        if not low <= high:
            raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found "
                               f"from={_g(low)} > to={_g(high)}")
        if not high - low <= fmax:
            raise RuntimeError(
                f"uniform_ expects to-from <= std::numeric_limits<{_scalar_name(dt)}>::max(), "
                f"but found to={_g(high)} and from={_g(low)} which result in to-from to "
                "exceed the limit")
        n = _numel(shape)
        if dt == f64:
            x = self._uniform53(n)
            rng = f64(high) - f64(low)
            v = M.fma64(x, rng, low) if low != 0 else x * rng
            v = np.where(v == f64(high), f64(low), v)
        else:
            lo, hi = f32(low), f32(high)
            x = self._uniform24(n)
            rng = hi - lo
            v = M.fma32(x, rng, lo) if lo != 0 else x * rng
            v = v.astype(dt)
            to_s, from_s = from_double(high, dt), from_double(low, dt)
            v = np.where(v == to_s, from_s, v).astype(dt)
        return v.reshape(shape)

    def normal(self, shape, dtype=f32, mean=0.0, std=1.0, scalar_path=False):
        """torch.randn / Tensor.normal_(mean, std). scalar_path=True is the
        per-element kernel torch uses for non-contiguous tensors (the caller then
        puts values in torch's iteration order)."""
        shape, dt = _shape(shape), np.dtype(dtype)
        if std < 0:
            raise RuntimeError(f"normal expects std >= 0.0, but found std {_g(std)}")
        if dt.kind == "c":
            real = f32 if dt == np.complex64 else f64
            out = self.normal(shape + (2,), real, mean, std / np.sqrt(2.0), scalar_path)
            return out.view(dt).reshape(shape)
        if not (dt == f32 or dt == f64 or _is_reduced(dt)):
            raise _not_implemented("normal_kernel_cpu", dt)
        n = _numel(shape)
        if n < 16 or scalar_path:
            return from_double(self._normal_doubles(n, mean, std), dt).reshape(shape)
        if dt == f64:
            return self._normal_fill64(n, mean, std).reshape(shape)
        if dt == f32:
            d = self._uniform24(n)
            blocks = n // 16
            d[:blocks * 16] = _box_muller32(d[:blocks * 16], mean, std)
            if n % 16:
                d[n - 16:] = _box_muller32(self._uniform24(16), mean, std)
            return d.reshape(shape)
        # half / bfloat16: 16 float uniforms per block, float Box-Muller, cast
        blocks = -(-n // 16)
        buf = _box_muller32(self._uniform24(16 * blocks), mean, std)
        if n % 16:
            buf = np.concatenate([buf[:(blocks - 1) * 16][:n - 16], buf[-16:]])
        return buf.astype(dt).reshape(shape)

    def _normal_fill64(self, n, mean, std):
        d = self._uniform53(n)
        blocks = n // 16
        d[:blocks * 16] = _box_muller64(d[:blocks * 16], mean, std)
        if n % 16:
            d[n - 16:] = _box_muller64(self._uniform53(16), mean, std)
        return d

    def normal_tensor(self, mean, std, dtype=None):
        """torch.normal(mean, std) with a tensor mean and/or std (numpy arrays or
        floats): draw normal(0, std or 1) in the output dtype, then mul/add."""
        mt, st = isinstance(mean, np.ndarray), isinstance(std, np.ndarray)
        if not (mt or st):
            raise TypeError("normal_tensor needs an array mean or std; use normal(shape, ...)")
        if st and std.size and np.min(std) < 0:
            raise RuntimeError("normal expects all elements of std >= 0.0")
        if mt and not st:
            dt = np.dtype(dtype or mean.dtype)
            out = self.normal(mean.shape, dt, 0.0, std)
            return _binop(out, mean, np.add, dt)
        if st and not mt:
            dt = np.dtype(dtype or std.dtype)
            out = self.normal(std.shape, dt, 0.0, 1.0)
            out = _binop(out, std, np.multiply, dt)
            return _binop(out, np.asarray(mean, dt), np.add, dt)
        dt = np.dtype(dtype or mean.dtype)
        shape = np.broadcast_shapes(mean.shape, std.shape)
        out = self.normal(shape, dt, 0.0, 1.0)
        out = _binop(out, std, np.multiply, dt)
        return _binop(out, mean, np.add, dt)

    def log_normal(self, shape, dtype=f32, mean=1.0, std=2.0):
        if not std > 0:
            raise RuntimeError(f"log_normal_ expects std > 0.0, but found std={_g(std)}")
        shape = _shape(shape)
        z = self._normal_doubles(_numel(shape), mean, std)
        return from_double(M.libm(M.exp, z), dtype).reshape(shape)

    def exponential(self, shape, dtype=f32, lambd=1.0):
        """Tensor.exponential_: -1/lambda * log1p(-u) in double."""
        shape, dt = _shape(shape), np.dtype(dtype)
        if not lambd > 0:
            raise RuntimeError(f"exponential_ expects lambda > 0.0, but found lambda={_g(lambd)}")
        if dt.kind != "f" and not _is_reduced(dt):
            raise RuntimeError(
                "Exponential distribution is a continuous probability distribution. "
                f"dtype must be a floating point but you specified {_scalar_name(dt)}")
        u = self._uniform53(_numel(shape))
        v = (-1.0 / lambd) * M.libm(M.log1p, -u)
        return from_double(v, dt).reshape(shape)

    def geometric(self, shape, dtype=f32, p=0.5):
        if not 0 < p < 1:
            raise RuntimeError(f"geometric_ expects p to be in (0, 1), but got p={_g(p)}")
        shape = _shape(shape)
        u = self._uniform53(_numel(shape))
        v = np.ceil(M.libm(M.log, u) / M.log1p(-p))
        return from_double(v, dtype).reshape(shape)

    def cauchy(self, shape, dtype=f32, median=0.0, sigma=1.0):
        if not sigma > 0:
            raise RuntimeError(f"cauchy_ expects sigma > 0.0, but found sigma={_g(sigma)}")
        shape, dt = _shape(shape), np.dtype(dtype)
        if dt.kind != "f" and not _is_reduced(dt):
            raise RuntimeError("Cauchy distribution is a continuous probability distribution. "
                               f"dtype must be a floating point but you specified "
                               f"{_CPP_NAMES.get(dt.name, dt.name)}")
        u = self._uniform53(_numel(shape))
        t = M.libm(M.tan, np.pi * (u - 0.5))
        return from_double(M.fma64(sigma, t, median), dtype).reshape(shape)

    def random_int(self, shape, low, high, dtype=np.int64):
        """Tensor.random_(low, high) / torch.randint; high=None means up to the
        dtype's max (inclusive); low=-2**63 with high=None is the full 64-bit range."""
        shape, dt = _shape(shape), np.dtype(dtype)
        low = int(low)
        fp = dt.kind == "f" or _is_reduced(dt)
        if high is not None:
            high = int(high)
            if not low < high:
                raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got "
                                   f"from={low} >= to={high}")
            if fp:
                low, high = _update_from(low, dt), _update_to(high, dt)
                if not low < high:
                    raise RuntimeError(
                        "random_ expects 'from' casted to dtype to be less than 'to' casted "
                        f"to dtype, but got from={low} >= to={high}")
            _check_range(low, high - 1, dt)
            rng = (high - low) & ((1 << 64) - 1)
        elif low != -(1 << 63):
            if fp:
                to_inc = min(1 << _digits(dt), (1 << 63) - 1)
                low = _update_from(low, dt)
                if not low < to_inc:
                    raise RuntimeError(
                        "random_ expects 'from' casted to dtype to be less than or equal to "
                        f"'to_inc' casted to dtype, but got from={low} > to_inc={to_inc}")
            else:
                to_inc = 1 if dt == np.bool_ else int(np.iinfo(dt).max)
            _check_range(low, to_inc, dt)
            rng = (to_inc - low + 1) & ((1 << 64) - 1)
        else:
            if dt.kind == "b" or dt == F16 or dt in (np.uint16, np.uint32, np.uint64):
                raise _not_implemented("random_full_64_bits_range_kernel_cpu", dt)
            if dt not in (np.dtype(np.int64), np.dtype(f64), np.dtype(f32), BF16):
                raise RuntimeError("random_full_64_bits_range_kernel_cpu handles only int64, "
                                   "double, float and bfloat16")
            v = self._raw64(_numel(shape)).view(np.int64)
            return from_int64(v, dt).reshape(shape)
        n = _numel(shape)
        v = self._raw64(n) if rng >= 1 << 28 else self._raw32(n).astype(np.uint64)
        v = (v % np.uint64(rng)) + np.uint64(low & ((1 << 64) - 1))
        return from_int64(v.view(np.int64), dt).reshape(shape)

    def random_default(self, shape, dtype=np.int64):
        """Tensor.random_() with no bounds: [0, 2^mantissa] for floats,
        [0, max] for integers, val & 1 for bool."""
        shape, dt = _shape(shape), np.dtype(dtype)
        n = _numel(shape)
        wide = dt == np.int64 or dt == f64
        if dt.kind not in "biuf" and not _is_reduced(dt) or dt in (np.uint16, np.uint32,
                                                                   np.uint64):
            raise _not_implemented("random_kernel_cpu", dt)
        v = self._raw64(n) if wide else self._raw32(n).astype(np.uint64)
        if dt == np.bool_:
            return (v & np.uint64(1)).astype(np.bool_).reshape(shape)
        if dt.kind == "f" or _is_reduced(dt):
            mod = (1 << _digits(dt)) + 1
        else:
            mod = int(np.iinfo(dt).max) + 1
        return from_int64((v % np.uint64(mod)).view(np.int64), dt).reshape(shape)

    def randperm(self, n, dtype=np.int64):
        """torch.randperm(n): Fisher-Yates with random() % (n - i) (n < 2^32/20),
        else the inside-out shuffle with random64()."""
        n = int(n)
        if n < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {n}: [{n}]")
        if n < 0xFFFFFFFF // 20:
            a = list(range(n))
            if n > 1:
                z = self._raw32(n - 1).astype(np.int64) % np.arange(n, 1, -1, dtype=np.int64)
                for i, j in enumerate((z + np.arange(n - 1)).tolist()):
                    a[i], a[j] = a[j], a[i]
        else:
            z = (self._raw64(n) % np.arange(1, n + 1, dtype=np.uint64)).tolist()
            a = [0] * n
            for i, j in enumerate(z):
                a[i] = a[j]
                a[j] = i
        return from_int64(np.array(a, dtype=np.int64), dtype)

    def bernoulli(self, shape, p, dtype=f32):
        """Tensor.bernoulli_(float p): double uniform < p."""
        shape = _shape(shape)
        if not 0 <= p <= 1:
            raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={_g(p)}")
        keep = self._uniform53(_numel(shape)) < p
        return keep.astype(dtype).reshape(shape)

    def bernoulli_tensor(self, p, dtype=None, shape=None):
        """torch.bernoulli(p) / Tensor.bernoulli_(p_tensor): p broadcast to shape;
        double uniform for float64 p, float uniform otherwise."""
        p = np.asarray(p)
        shape = p.shape if shape is None else _shape(shape)
        dt = np.dtype(dtype or p.dtype)
        pb = np.broadcast_to(p, shape)
        n = _numel(shape)
        if p.dtype == f64:
            keep = self._uniform53(n) < pb.ravel()
        else:
            keep = self._uniform24(n) < pb.astype(f32).ravel()
        return keep.astype(dt).reshape(shape)

    def dropout_mask(self, shape, p, dtype=f32):
        """The multiplier F.dropout (CPU, training, 0<p<1) applies:
        bernoulli_(1 - p) then div_(1 - p), in the input dtype."""
        q = 1.0 - p
        noise = self.bernoulli(shape, q, dtype)
        dt = np.dtype(dtype)
        if _is_reduced(dt):   # reduced float / scalar: multiply by float reciprocal
            return (noise.astype(f32) * (f32(1) / f32(q))).astype(dt)
        return (noise / dt.type(q)).astype(dt)

    def multinomial(self, probs, num_samples, replacement=False):
        """torch.multinomial on a 1-D or 2-D numpy array of probabilities."""
        probs = np.asarray(probs)
        _check_multinomial(probs, num_samples, replacement)
        if probs.size == 0:
            return np.empty(probs.shape[:-1] + (num_samples,), np.int64)
        rows = probs.reshape(-1, probs.shape[-1])
        k = probs.shape[-1]
        if not replacement or num_samples == 1:
            with np.errstate(invalid="ignore"):
                ok = rows.max() < np.inf and rows.min() >= 0
            if not ok:
                raise RuntimeError(
                    "probability tensor contains either `inf`, `nan` or element < 0")
            if np.any(rows.astype(f64).sum(axis=1) == 0):
                raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
            q = self.exponential(probs.shape, probs.dtype, 1.0).reshape(rows.shape)
            r = (rows / q).astype(probs.dtype)
            if num_samples == 1:
                out = np.argmax(r, axis=-1)[:, None]
            else:
                out = np.stack([_topk(row, num_samples) for row in r.astype(f64)])
        else:
            acc = f64 if probs.dtype == f64 else f32
            out = np.empty((rows.shape[0], num_samples), np.int64)
            for i, row in enumerate(rows.astype(acc)):
                _check_row(row)
                cum = np.cumsum(row, dtype=acc)
                cum = cum / cum[-1]
                cum[k - 1] = 1
                u = self._uniform53(num_samples)
                out[i] = np.searchsorted(cum.astype(f64), u, side="left")
        return out.astype(np.int64).reshape(probs.shape[:-1] + (num_samples,))

    def poisson(self, rates, dtype=None):
        """torch.poisson: numpy's algorithms as in ATen's sample_poisson (built
        without FMA), one element at a time."""
        rates = np.asarray(rates)
        dt = np.dtype(dtype or rates.dtype)
        lam = rates.astype(f64).ravel().tolist()
        snap = self._snapshot()
        buf, pos, used = [], 0, 0

        def uni():
            nonlocal buf, pos, used
            if pos == len(buf):
                buf, pos = self._uniform53(256).tolist(), 0
            pos += 1
            used += 1
            return buf[pos - 1]

        out = [_sample_poisson(x, uni) for x in lam]
        self._restore(snap)
        self._raw32(2 * used)
        return from_double(np.array(out, f64), dt).reshape(rates.shape)


# ------------------------------------------------------------- helpers ----

def _check_multinomial(probs, n, replacement):
    dt = probs.dtype
    if not (dt.kind == "f" or _is_reduced(dt)):
        raise RuntimeError("multinomial only supports floating-point dtypes for input, got: "
                           f"{_scalar_name(dt)}")
    if probs.ndim not in (1, 2):
        raise RuntimeError("prob_dist must be 1 or 2 dim")
    if probs.shape[-1] > 1 << 24:
        raise RuntimeError("number of categories cannot exceed 2^24")
    if n <= 0:
        raise RuntimeError("cannot sample n_sample <= 0 samples")
    if not replacement and n > probs.shape[-1]:
        raise RuntimeError(
            "cannot sample n_sample > prob_dist.size(-1) samples without replacement")


def _check_row(row):
    """MultinomialKernel.cpp's per-row checks, in its order."""
    for v in row.tolist():
        if not v >= 0:
            raise RuntimeError(
                "invalid multinomial distribution (encountering probability entry < 0)")
        if not math.isfinite(v):
            raise RuntimeError("invalid multinomial distribution (encountering probability "
                               "entry = infinity or NaN)")
    if not row.sum() > 0:
        raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")


def _topk(row, k):
    """torch's CPU topk indices; ties (zero probabilities) replay libstdc++."""
    order = np.argsort(-row, kind="stable")
    top = row[order[:k + 1]]
    if np.isnan(top).any() or np.any(top[1:] == top[:-1]):
        return np.array(topk_largest(row, k), np.int64)
    return order[:k]


def _box_muller32(d, mean, std):
    """NormalFill16<float> (AVX2) over consecutive 16-blocks of float32 uniforms."""
    b = d.reshape(-1, 2, 8)
    u1 = f32(1) - b[:, 0]
    u2 = b[:, 1]
    radius = np.sqrt(f32(-2) * M.log_ps(u1))
    theta = f32(_TWO_PI) * u2
    s, c = M.sincos_ps(theta)
    n1, n2 = radius * c, radius * s
    out = np.stack([n1, n2], axis=1)
    if mean != 0 or std != 1:
        out = M.fma32(out, f32(std), f32(mean))
    return out.reshape(-1)


def _box_muller64(d, mean, std):
    """NormalFill16<double>: libm log/cos/sin, std::fma for mean/std."""
    b = d.reshape(-1, 2, 8)
    u1 = 1.0 - b[:, 0]
    radius = np.sqrt(-2.0 * M.libm(M.log, u1))
    theta = _TWO_PI * b[:, 1]
    out = np.stack([radius * M.libm(M.cos, theta), radius * M.libm(M.sin, theta)], axis=1)
    if mean != 0 or std != 1:
        out = M.fma64(out, std, mean)
    return out.reshape(-1)


def _promote(a, b):
    a, b = np.dtype(a), np.dtype(b)
    if a == b:
        return a
    if f64 in (a, b):
        return np.dtype(f64)
    return np.dtype(f32)


def _binop(out, other, op, dt):
    """In-place torch op out.op_(other): compute in the promoted float type, store
    in dt (numpy half / bfloat16 arithmetic rounds through float like torch)."""
    other = np.asarray(other)
    ct = _promote(out.dtype, other.dtype)
    return op(out.astype(ct), other.astype(ct)).astype(dt)


def _finfo(dt):
    return ml_dtypes.finfo(dt) if _is_reduced(dt) else np.finfo(dt)


def _digits(dt):
    dt = np.dtype(dt)
    return {F16: 11, BF16: 8, np.dtype(f32): 24, np.dtype(f64): 53}[dt]


def _round_trip(v, dt):
    """static_cast<int64_t>(static_cast<scalar_t>(v)); x86 gives INT64_MIN for
    values out of range (inf included)."""
    with np.errstate(over="ignore"):
        x = float(from_int64(np.array([v], np.int64), dt).astype(f64)[0])
    return int(x) if abs(x) < 2.0 ** 63 else -(1 << 63)


def _update_from(frm, dt):
    plus1 = _round_trip(frm + 1, dt)
    if plus1 < frm:
        n = abs(frm + 1).bit_length() - 1
        frm = plus1 + (1 << (n - _digits(dt) + 1))
    return frm


def _update_to(to, dt):
    minus1 = _round_trip(to - 1, dt)
    if minus1 >= to:
        n = abs(to - 1).bit_length() - 1
        to = minus1 - (1 << (n - _digits(dt) + 1))
    return to


def _check_range(frm, to_inc, dt):
    dt = np.dtype(dt)
    if dt.kind == "f" or _is_reduced(dt):
        info = _finfo(dt)
        lo, hi = float(info.min), float(info.max)
    elif dt == np.uint64:
        lo, hi = 0, (1 << 63) - 1
    elif dt == np.bool_:
        lo, hi = 0, 1
    else:
        lo, hi = int(np.iinfo(dt).min), int(np.iinfo(dt).max)
    name = _CPP_NAMES[dt.name]
    if not lo <= frm <= hi:
        raise RuntimeError(f"from is out of bounds for {name}")
    if not lo <= to_inc <= hi:
        raise RuntimeError(f"to - 1 is out of bounds for {name}")
    if dt.kind == "f" or _is_reduced(dt):
        d = _digits(dt)
        for v, what in ((frm, "from"), (to_inc, "to - 1")):
            if not -(1 << d) <= v <= 1 << d:
                warnings.warn(
                    f"{what} is out of bounds [-(2^{d}), 2^{d}]. Due to precision limitations "
                    f"{name} can support discrete uniform distribution only within this range. "
                    "This warning will become an error in version 1.7 release, please fix the "
                    "code in advance", UserWarning, stacklevel=3)


def _sample_poisson(lam, uni):
    if lam < 0 or lam != lam:
        raise RuntimeError("invalid Poisson rate, expected rate to be non-negative")
    if lam >= 10:
        slam, loglam = math.sqrt(lam), M.log(lam)
        b = 0.931 + 2.53 * slam
        a = -0.059 + 0.02483 * b
        invalpha = 1.1239 + 1.1328 / (b - 3.4)
        vr = 0.9277 - 3.6224 / (b - 2)
        while True:
            U = uni() - 0.5
            V = uni()
            us = 0.5 - abs(U)
            k = int(math.floor((2 * a / us + b) * U + lam + 0.43))
            if us >= 0.07 and V <= vr:
                return k
            if k < 0 or (us < 0.013 and V > us):
                continue
            if (M.log(V) + M.log(invalpha) - M.log(a / (us * us) + b)) <= \
                    (-lam + k * loglam - M.lgamma(k + 1.0)):
                return k
    if lam == 0:
        return 0
    enlam, x, prod = M.exp(-lam), 0, 1.0
    while True:
        prod *= uni()
        if prod > enlam:
            x += 1
        else:
            return x
