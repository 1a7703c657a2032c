"""torch._dynamo: what scripts touch of it (torch.compile's OptimizedModule, backends, reset).
torchjax runs compiled models eagerly: compiling a whole step is JAX's job, through jax.jit."""
from . import exc
from .eval_frame import OptimizedModule

# torch._dynamo.list_backends(exclude_tags=()) in torch 2.13; tags ("debug", "experimental")
# hide all but these four by default
_BACKENDS = ("aot_eager", "aot_eager_decomp_partition", "aot_eager_decomp_partition_crossref",
             "aot_eager_decomp_partition_with_mode", "aot_eager_default_partitioner", "aot_ts",
             "cudagraphs", "dynamo_accuracy_minifier_backend", "dynamo_minifier_backend", "eager",
             "eager_debug", "eager_noexcept", "inductor", "invoke_subgraph", "openxla",
             "openxla_eval", "pre_dispatch_eager", "ts", "tvm")
_LISTED = ("cudagraphs", "inductor", "openxla", "tvm")


def list_backends(exclude_tags=("debug", "experimental")):
    return sorted(_LISTED if exclude_tags else _BACKENDS)


def reset():
    """Nothing is cached by torch.compile here (JAX keeps its own executable caches)."""


def is_compiling():
    return False
