from ..nn.modules.module import Module


class OptimizedModule(Module):
    """What torch.compile(module) returns: the module registered as `_orig_mod` (so state_dict
    keys gain the `_orig_mod.` prefix, as in torch), attributes read through to it, and calls
    run it eagerly."""

    def __init__(self, mod):
        super().__init__()
        self._orig_mod = mod
        self.forward = mod.__call__
        self.training = mod.training

    def __getattr__(self, name):
        if name == "_orig_mod":
            return self._modules["_orig_mod"]
        return getattr(self._orig_mod, name)
