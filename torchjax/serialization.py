"""torch.save / torch.load in PyTorch's zip format (format version 3).

Files name every global by real torch's import path (``torch._utils._rebuild_tensor_v2``,
``torch.FloatStorage``, ``torch.nn.modules.linear.Linear``), so real torch loads what torchjax
writes and the other way round. ``weights_only=True`` (the default) unpickles with an allow-list.
"""
import _compat_pickle
import _codecs
import collections
import contextlib
import io
import os
import pickle
import re
import random as _pyrandom
import types
import zipfile

import jax.numpy as jnp
import numpy as np

from . import _dtype as D
from ._size import Size, device
from ._tensor import Tensor, _new
from ._views import Storage, ViewMeta, contiguous_strides, is_whole, meta_of

__all__ = ["save", "load"]

DEFAULT_PROTOCOL = 2
_ALIGN = 64

UNSAFE_MESSAGE = (
    "In PyTorch 2.6, we changed the default value of the `weights_only` argument in `torch.load` "
    "from `False` to `True`. Re-running `torch.load` with `weights_only` set to `False` will likely "
    "succeed, but it can result in arbitrary code execution. Do it only if you got the file from a "
    "trusted source.")
_DOCS_MESSAGE = ("\n\nCheck the documentation of torch.load to learn more about types accepted by "
                 "default with weights_only https://pytorch.org/docs/stable/generated/torch.load.html.")
_MINIZ = (". This is an internal miniz error. If you are seeing this error, there is a high likelihood "
          "that your checkpoint file is corrupted. This can happen if the checkpoint was not saved "
          "properly, was transferred incorrectly, or the file was modified after saving.")


# ---- storage classes (torch.FloatStorage, ...) and the rebuild functions ----

class _StorageBase:
    dtype = None  # None: untyped (bytes)


class UntypedStorage(_StorageBase):
    pass


class TypedStorage(_StorageBase):
    pass


STORAGE_CLASSES = {d: type(d._storage, (_StorageBase,), {"dtype": d, "__module__": __name__})
                   for d in D.ALL if d._storage}
globals().update({c.__name__: c for c in STORAGE_CLASSES.values()})


class _Loaded:
    """One storage record of a file: raw bytes, shared by every tensor that names its key."""

    def __init__(self, raw, dtype):
        self.raw, self.dtype, self.st, self.st_dtype = raw, dtype, None, None


def _tensor_on(stor, dtype, offset, size, stride, requires_grad):
    size, stride = tuple(size), tuple(stride)
    if stor.st is None or stor.st_dtype is not dtype:
        flat = np.frombuffer(stor.raw, dtype.np, count=len(stor.raw) // dtype.itemsize)
        if offset == 0 and int(np.prod(size)) == flat.size and stride == contiguous_strides(size):
            flat = flat.reshape(size)
        stor.st, stor.st_dtype = Storage(jnp.asarray(flat)), dtype
    t = _new(Tensor)
    t._st = stor.st
    if not is_whole(stor.st.value.shape, size, stride, offset, None):
        t._vm = ViewMeta(size, stride, offset)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _rebuild_tensor(storage, storage_offset, size, stride):
    return _tensor_on(storage, storage.dtype or D.uint8, storage_offset, size, stride, False)


def _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks,
                       metadata=None):
    return _tensor_on(storage, storage.dtype or D.uint8, storage_offset, size, stride, requires_grad)


def _rebuild_tensor_v3(storage, storage_offset, size, stride, requires_grad, backward_hooks, dtype,
                       metadata=None):
    return _tensor_on(storage, dtype, storage_offset, size, stride, requires_grad)


def _set_obj_state(obj, state):
    if isinstance(state, tuple):
        state, slots = state
        for k, v in (slots or {}).items():
            setattr(obj, k, v)
    for k, v in (state or {}).items():
        setattr(obj, k, v)
    return obj


def _rebuild_parameter(data, requires_grad, backward_hooks):
    from .nn.parameter import Parameter
    return Parameter(data, requires_grad)


def _rebuild_parameter_with_state(data, requires_grad, backward_hooks, state):
    return _set_obj_state(_rebuild_parameter(data, requires_grad, backward_hooks), state)


def _rebuild_from_type_v2(func, new_type, args, state):
    ret = func(*args)
    if type(ret) is not new_type:
        from ._tensor import _alias
        rg = ret.requires_grad
        ret = _alias(ret, new_type)
        ret._rg = rg
    return _set_obj_state(ret, state)


def _parameter_class():
    from .nn.parameter import Parameter
    return Parameter


# torch's name for each object torchjax writes as a global, and what each name loads as
_FIXED = {
    "torch._utils._rebuild_tensor": _rebuild_tensor,
    "torch._utils._rebuild_tensor_v2": _rebuild_tensor_v2,
    "torch._utils._rebuild_tensor_v3": _rebuild_tensor_v3,
    "torch._utils._rebuild_parameter": _rebuild_parameter,
    "torch._utils._rebuild_parameter_with_state": _rebuild_parameter_with_state,
    "torch._tensor._rebuild_from_type_v2": _rebuild_from_type_v2,
    "torch.Size": Size,
    "torch.Tensor": Tensor,
    "torch.device": device,
    "torch.storage.UntypedStorage": UntypedStorage,
    "torch.UntypedStorage": UntypedStorage,
    "torch.storage.TypedStorage": TypedStorage,
    "torch.TypedStorage": TypedStorage,
}
_FIXED.update({f"torch.{c.__name__}": c for c in STORAGE_CLASSES.values()})
_FIXED.update({f"torch.{d.name}": d for d in D.ALL})
_NAME_OF = {id(v): k for k, v in _FIXED.items() if not isinstance(v, D.dtype)}
_NAME_OF[id(UntypedStorage)] = "torch.storage.UntypedStorage"
_NAME_OF[id(TypedStorage)] = "torch.storage.TypedStorage"


def _torch_name(obj):
    """torch's 'module.qualname' for a torchjax object, or None for other objects."""
    name = _NAME_OF.get(id(obj))
    if name is not None:
        return name
    mod = getattr(obj, "__module__", None) or ""
    if mod == "torchjax" or mod.startswith("torchjax."):
        return "torch" + mod[8:] + "." + obj.__qualname__
    return None


# ---- save ----

class _Pickler(pickle._Pickler):
    dispatch = dict(pickle._Pickler.dispatch)
    dispatch[types.FunctionType] = lambda self, obj: self.save_global(obj)

    def __init__(self, file, protocol):
        super().__init__(file, protocol)
        self.storages = {}  # id(Storage) -> (key, storage, array)

    def save_global(self, obj, name=None):
        full = _torch_name(obj)
        if full is None:
            return super().save_global(obj, name)
        self._write_global_split(full)
        self.memoize(obj)

    def _write_global_split(self, full):
        module, name = full.rsplit(".", 1)
        self.write(pickle.GLOBAL + f"{module}\n{name}\n".encode("utf-8"))

    def save(self, obj, save_persistent_id=True):
        if type(obj) is D.dtype:
            x = self.memo.get(id(obj))
            if x is not None:
                self.write(self.get(x[0]))
                return
            self.write(pickle.GLOBAL + f"torch\n{obj.name}\n".encode())
            self.memoize(obj)
            return
        super().save(obj, save_persistent_id)

    def persistent_id(self, obj):
        if isinstance(obj, _StorageRef):
            return ("storage", obj.cls, obj.key, "cpu", obj.numel)
        return None

    def reducer_override(self, obj):
        if not isinstance(obj, Tensor):
            return NotImplemented
        if obj._is_param:
            state = {k: v for k, v in obj.__dict__.items() if k != "_st" and k not in _TENSOR_ATTRS}
            data = obj.detach()
            if state:
                return (_rebuild_parameter_with_state,
                        (data, obj.requires_grad, collections.OrderedDict(), state))
            return (_rebuild_parameter, (data, obj.requires_grad, collections.OrderedDict()))
        if type(obj) is not Tensor:  # a user subclass: rebuilt as a Tensor, then given its type
            state = {k: v for k, v in obj.__dict__.items() if k != "_st" and k not in _TENSOR_ATTRS}
            func, args = self._reduce_tensor(obj)
            return (_rebuild_from_type_v2, (func, type(obj), args, state))
        return self._reduce_tensor(obj)

    def _reduce_tensor(self, t):
        shape, stride, offset, comp = meta_of(t)
        st = t._st
        if comp is not None:  # a real/imag view of complex data: its own contiguous storage
            st = Storage(t._value)
            shape, stride, offset = st.value.shape, contiguous_strides(st.value.shape), 0
        ent = self.storages.get(id(st))
        if ent is None:
            ent = self.storages[id(st)] = (str(len(self.storages)), st, np.asarray(st.value))
        key, _, arr = ent
        dt = D.from_np(arr.dtype)
        hooks = collections.OrderedDict()
        rg = t.requires_grad
        if dt in STORAGE_CLASSES:
            ref = _StorageRef(STORAGE_CLASSES[dt], key, arr.size)
            return (_rebuild_tensor_v2, (ref, offset, tuple(shape), tuple(stride), rg, hooks))
        ref = _StorageRef(UntypedStorage, key, arr.size * dt.itemsize)
        return (_rebuild_tensor_v3, (ref, offset, tuple(shape), tuple(stride), rg, hooks, dt))


_TENSOR_ATTRS = frozenset(vars(Tensor))


class _StorageRef:
    __slots__ = ("cls", "key", "numel")

    def __init__(self, cls, key, numel):
        self.cls, self.key, self.numel = cls, key, numel


def _writestr(zf, name, data):
    """A stored entry whose payload starts on a 64-byte boundary (torch's 'FB' padding field)."""
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_STORED
    start = zf.fp.tell() + 30 + len(name.encode("utf-8"))
    pad = (-(start + 4)) % _ALIGN
    info.extra = b"FB" + pad.to_bytes(2, "little") + b"Z" * pad
    zf.writestr(info, data)


def _is_path(f):
    return isinstance(f, (str, os.PathLike))


def save(obj, f, pickle_module=pickle, pickle_protocol=DEFAULT_PROTOCOL,
         _use_new_zipfile_serialization=True, _disable_byteorder_record=False):
    if _is_path(f):
        prefix = os.path.splitext(os.path.basename(os.fspath(f)))[0]
    elif hasattr(f, "write"):
        prefix = "archive"
    else:
        raise AttributeError(f"'{type(f).__name__}' object has no attribute 'write'")
    buf = io.BytesIO()
    p = _Pickler(buf, pickle_protocol)
    p.dump(obj)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as zf:
        _writestr(zf, f"{prefix}/data.pkl", buf.getvalue())
        _writestr(zf, f"{prefix}/.format_version", b"1")
        _writestr(zf, f"{prefix}/.storage_alignment", b"64")
        if not _disable_byteorder_record:
            _writestr(zf, f"{prefix}/byteorder", b"little")
        for key, _st, arr in p.storages.values():
            _writestr(zf, f"{prefix}/data/{key}", np.ascontiguousarray(arr).tobytes())
        _writestr(zf, f"{prefix}/version", b"3\n")
        sid = "".join(str(_pyrandom.randrange(10)) for _ in range(40))
        _writestr(zf, f"{prefix}/.data/serialization_id", sid.encode())
    data = out.getvalue()
    if _is_path(f):
        with open(f, "wb") as fh:
            fh.write(data)
    else:
        f.write(data)


# ---- safe globals ----

_safe_globals = set()


def _full_name(obj):
    if isinstance(obj, tuple):
        return obj[1]
    return _torch_name(obj) or f"{obj.__module__}.{obj.__qualname__}"


def add_safe_globals(safe_globals):
    """Allow these globals (objects, or (object, 'module.name') pairs) in weights_only loads."""
    _safe_globals.update(safe_globals)


def get_safe_globals():
    return list(_safe_globals)


def clear_safe_globals():
    _safe_globals.clear()


class safe_globals(contextlib.ContextDecorator):
    """Context manager adding safe globals for its duration."""

    def __init__(self, safe_globals):
        self.safe_globals = safe_globals

    def __enter__(self):
        self._added = [g for g in self.safe_globals if g not in _safe_globals]
        _safe_globals.update(self._added)

    def __exit__(self, *exc):
        _safe_globals.difference_update(self._added)


def _weights_only_globals():
    g = {
        "collections.OrderedDict": collections.OrderedDict,
        "collections.Counter": collections.Counter,
        "torch.nn.parameter.Parameter": _parameter_class(),
        "_codecs.encode": _codecs.encode,
        "builtins.bytearray": bytearray,
        "builtins.set": set,
        "builtins.complex": complex,
    }
    g.update(_FIXED)
    for obj in _safe_globals:
        g[_full_name(obj)] = obj[0] if isinstance(obj, tuple) else obj
    return g


def get_unsafe_globals_in_checkpoint(f):
    """The pickle GLOBALs of a checkpoint that weights_only loading would refuse."""
    data = open(f, "rb").read() if _is_path(f) else f.read()
    pkl = _open_zip(data)("data.pkl")
    import pickletools
    found = set()
    for op, arg, _ in pickletools.genops(pkl):
        if op.name == "GLOBAL":
            module, name = _fix_name(*arg.split(" ", 1))
            found.add(f"{module}.{name}")
    allowed = _weights_only_globals()
    return [g for g in found if g not in allowed]


# ---- load ----

_BLOCKED = ("sys", "os", "posix", "nt")


def _fix_name(module, name):
    if (module, name) in _compat_pickle.NAME_MAPPING:
        return _compat_pickle.NAME_MAPPING[(module, name)]
    return _compat_pickle.IMPORT_MAPPING.get(module, module), name


def _import_global(module, name):
    """A global by its torch path: torchjax's object of the same path, or the module's own."""
    if module == "torch" or module.startswith("torch."):
        module = "torchjax" + module[5:]
    mod = __import__(module, fromlist=["_"])
    obj = mod
    for part in name.split("."):
        obj = getattr(obj, part)
    return obj


class _Unpickler(pickle.Unpickler):
    def __init__(self, file, records, weights_only, **kw):
        super().__init__(file, **kw)
        self.records, self.weights_only, self.loaded = records, weights_only, {}
        self.allowed = _weights_only_globals() if weights_only else None

    def find_class(self, module, name):
        module, name = _fix_name(module, name)
        full = f"{module}.{name}"
        if self.weights_only:
            if module in _BLOCKED:
                raise pickle.UnpicklingError(
                    f"Trying to load unsupported GLOBAL {full} whose module {module} is blocked.")
            alt = "torch" + full[8:] if full.startswith("torchjax.") else full
            for key in (full, alt):
                if key in self.allowed:
                    return self.allowed[key]
            shown = full[9:] if full.startswith("builtins.") else full
            raise pickle.UnpicklingError(
                f"Unsupported global: GLOBAL {shown} was not an allowed global by default. "
                f"Please use `torch.serialization.add_safe_globals([{shown}])` or the "
                f"`torch.serialization.safe_globals([{shown}])` context manager to allowlist this "
                "global if you trust this class/function.")
        if full in _FIXED:
            return _FIXED[full]
        return _import_global(module, name)

    def persistent_load(self, pid):
        if not (isinstance(pid, tuple) and len(pid) == 5 and pid[0] == "storage"):
            raise pickle.UnpicklingError(f"Unsupported persistent id: {pid!r}")
        _, cls, key, _location, _numel = pid
        if not (isinstance(cls, type) and issubclass(cls, _StorageBase)):
            raise pickle.UnpicklingError(f"Unsupported storage type {cls!r}")
        if key not in self.loaded:
            stor = _Loaded(self.records(f"data/{key}"), cls.dtype)
            self.restore(stor, _location)
            self.loaded[key] = stor
        return self.loaded[key]


def _validate_location(location):
    """torch's check of a storage's (mapped) location; values always load on the default device."""
    if not (location == "cuda" or re.match("cuda(:|[0-9]+)", location)):
        return
    from . import cuda
    index = device(location).index or 0
    if not cuda.is_available():
        raise RuntimeError("Attempting to deserialize object on a CUDA device but "
                           "torch.cuda.is_available() is False. If you are running on a CPU-only "
                           "machine, please use torch.load with map_location=torch.device('cpu') "
                           "to map your storages to the CPU.")
    if index >= cuda.device_count():
        raise RuntimeError(f"Attempting to deserialize object on CUDA device {index} but "
                           f"torch.cuda.device_count() is {cuda.device_count()}. Please use "
                           "torch.load with map_location to map your storages to an existing "
                           "device.")


def _restore_location(map_location):
    """restore(storage, saved_location) as torch's _get_restore_location resolves map_location."""
    if map_location is None:
        return lambda stor, loc: _validate_location(loc)
    if isinstance(map_location, dict):
        return lambda stor, loc: _validate_location(map_location.get(loc, loc))
    if isinstance(map_location, (str, device)):
        return lambda stor, loc: _validate_location(str(map_location))

    def restore(stor, loc):
        if map_location(stor, loc) is None:
            _validate_location(loc)
    return restore


def _wo_message(msg):
    if "was not an allowed global by default." in msg:
        out = ("Weights only load failed. This file can still be loaded, to do so you have two "
               "options, \033[1mdo those steps only if you trust the source of the checkpoint\033[0m. "
               f"\n\t(1) {UNSAFE_MESSAGE}\n\t(2) Alternatively, to load with `weights_only=True` "
               "please check the recommended steps in the following error message.\n\t"
               "WeightsUnpickler error: " + msg)
    else:
        out = f"Weights only load failed. {UNSAFE_MESSAGE}\n"
        if "is blocked" not in msg:
            out += ("Please file an issue with the following so that we can make "
                    "`weights_only=True` compatible with your use case: WeightsUnpickler error: ")
        out += "\n\n" + msg
    return out + _DOCS_MESSAGE


def _open_zip(data):
    if not data:
        raise EOFError("Ran out of input")
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        names = zf.namelist()
    except (zipfile.BadZipFile, ValueError, OSError) as e:
        if data[:2] == b"PK":
            raise RuntimeError("PytorchStreamReader failed reading zip archive: failed finding "
                               "central directory" + _MINIZ) from e
        raise pickle.UnpicklingError(
            "torchjax.load: not a PyTorch zip archive (the legacy pre-1.6 format is not "
            f"supported): invalid load key, {data[:1]!r}.") from e
    if not names or "/" not in names[0]:
        raise RuntimeError("PytorchStreamReader failed reading zip archive: "
                           "file in archive is not in a subdirectory" + _MINIZ)
    prefix = names[0].split("/", 1)[0] + "/"
    present = set(names)

    def record(name):
        if prefix + name not in present:
            raise RuntimeError(f"PytorchStreamReader failed locating file {name}: file not found" + _MINIZ)
        try:
            return zf.read(prefix + name)
        except (zipfile.BadZipFile, OSError, EOFError, ValueError) as e:
            raise RuntimeError(f"PytorchStreamReader failed reading file {name}: {e}" + _MINIZ) from e
    return record


def load(f, map_location=None, pickle_module=None, *, weights_only=None, mmap=None,
         **pickle_load_args):
    if weights_only is None:
        weights_only = pickle_module is None
    if weights_only and pickle_module is not None:
        raise RuntimeError("Can not safely load weights when explicit pickle_module is specified")
    if isinstance(map_location, str) or map_location is None or isinstance(map_location, device):
        pass
    elif not (isinstance(map_location, dict) or callable(map_location)):
        raise ValueError("map_location should be either a string, torch.device, dict or a callable")
    if mmap and not _is_path(f):
        raise ValueError("f must be a file path in order to use the mmap argument")
    # mmap=True: storages end up in device arrays either way, so the file is simply read
    if _is_path(f):
        with open(f, "rb") as fh:
            data = fh.read()
    else:
        data = f.read()
    record = _open_zip(data)
    pkl = record("data.pkl")
    record("version")
    pickle_load_args.setdefault("encoding", "utf-8")
    up = _Unpickler(io.BytesIO(pkl), record, weights_only, **pickle_load_args)
    up.restore = _restore_location(map_location)
    if not weights_only:
        return up.load()
    try:
        return up.load()
    except RuntimeError:
        raise
    except Exception as e:
        raise pickle.UnpicklingError(_wo_message(str(e))) from None
