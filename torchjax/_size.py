"""torch.Size and torch.device."""
import jax


class Size(tuple):
    def __repr__(self):
        return f"torch.Size([{', '.join(map(str, self))}])"

    __str__ = __repr__

    def numel(self):
        n = 1
        for s in self:
            n *= s
        return n

    def __getitem__(self, i):
        r = tuple.__getitem__(self, i)
        return Size(r) if isinstance(i, slice) else r

    def __add__(self, other):
        return Size(tuple.__add__(self, tuple(other)))

    def __reduce__(self):
        return (Size, (tuple(self),))


_TYPES = ("cpu", "cuda", "mps", "xla", "meta", "tpu")


class device:
    __slots__ = ("type", "index")

    def __init__(self, type, index=None):
        if isinstance(type, device):
            type, index = type.type, type.index
        elif isinstance(type, int):
            type, index = "cuda", type
        elif ":" in type:
            type, idx = type.split(":", 1)
            if not idx.isdigit():
                raise RuntimeError(f"Invalid device string: '{type}:{idx}'")
            index = int(idx)
        if type not in _TYPES:
            raise RuntimeError("Expected one of cpu, cuda, ipu, xpu, mkldnn, opengl, opencl, ideep, "
                               "hip, ve, fpga, maia, xla, lazy, vulkan, mps, meta, hpu, mtia, "
                               f"privateuseone device type at start of device string: {type}")
        self.type, self.index = type, index

    def __repr__(self):
        return f"device(type='{self.type}'" + (f", index={self.index})" if self.index is not None else ")")

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other):
        if isinstance(other, str):
            other = device(other)
        return isinstance(other, device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self):
        return hash((self.type, self.index))

    def __reduce__(self):
        return (device, (str(self),))

    def __enter__(self):
        return self

    def __exit__(self, *a):
        return False


CPU = device("cpu")


def accelerators():
    """JAX's non-CPU devices: what torch's 'cuda' maps to here."""
    try:
        return [d for d in jax.devices() if d.platform != "cpu"]
    except RuntimeError:
        return []


def jax_device(dev):
    """The jax.Device for a torch device (cpu, or cuda:i = i-th accelerator)."""
    dev = device(dev) if not isinstance(dev, device) else dev
    if dev.type == "cpu":
        return jax.devices("cpu")[0]
    if dev.type in ("cuda", "tpu"):
        acc = accelerators()
        if not acc:
            raise AssertionError("Torch not compiled with CUDA enabled")
        i = dev.index or 0
        if i >= len(acc):
            raise RuntimeError("CUDA error: invalid device ordinal")
        return acc[i]
    raise RuntimeError(f"torchjax does not support device type '{dev.type}'")


def torch_device(jdev):
    if jdev.platform == "cpu":
        return CPU
    return device("cuda", accelerators().index(jdev))
