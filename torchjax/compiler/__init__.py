"""torch.compiler: the public face of torch.compile. Nothing is traced here, so the decorators
return what they get and is_compiling() is False."""
from .._api import compile  # noqa: F401
from .._dynamo import list_backends, reset  # noqa: F401


def is_compiling():
    return False


is_dynamo_compiling = is_exporting = is_compiling


def disable(fn=None, recursive=True, *, reason=None):
    return fn if fn is not None else (lambda f: f)


def allow_in_graph(fn):
    return fn


def assume_constant_result(fn):
    return fn


def cudagraph_mark_step_begin():
    pass
