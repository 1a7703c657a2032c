"""torch.compile, torch._dynamo and torch.compiler as scripts see them, against real torch (torch's
side is never called: that would run inductor; torchjax runs compiled modules eagerly)."""
import pytest
import torch

import torchjax as tj


def _outcome(f):
    try:
        return f()
    except Exception as e:  # noqa: BLE001 - compared below
        return e


def test_compiled_module_wraps_like_torch():
    for m in (torch, tj):
        m.manual_seed(0)
    lin, tlin = tj.nn.Linear(2, 3), torch.nn.Linear(2, 3)
    c, tc = tj.compile(lin), torch.compile(tlin)
    assert type(c).__name__ == type(tc).__name__ == "OptimizedModule"
    assert isinstance(c, tj.nn.Module)
    assert list(c.state_dict()) == list(tc.state_dict()) == ["_orig_mod.weight", "_orig_mod.bias"]
    assert [n for n, _ in c.named_modules()] == [n for n, _ in tc.named_modules()]
    assert repr(c) == repr(tc)
    assert c.weight is lin.weight and c._orig_mod is lin and c.in_features == 2
    x = tj.ones(4, 2)
    assert tj.equal(c(x), lin(x))
    c.eval()
    assert not lin.training


@pytest.mark.parametrize("kw", [dict(backend="bogus"), dict(mode="bogus"), dict(disable=True),
                                dict(backend="eager"), dict(mode="reduce-overhead", options={"a": 1}),
                                dict(mode="max-autotune")])
def test_compile_arguments_like_torch(kw):
    got = _outcome(lambda: tj.compile(tj.nn.Linear(2, 3), **kw))
    want = _outcome(lambda: torch.compile(torch.nn.Linear(2, 3), **kw))
    if isinstance(want, Exception):
        assert type(got).__name__ == type(want).__name__ and str(got) == str(want)
    else:
        assert type(got).__name__ == type(want).__name__


def test_compile_functions_and_decorator_form():
    f = tj.compile(lambda x: x + 1)
    assert f(tj.ones(1)).tolist() == [2.0]

    @tj.compile(mode="reduce-overhead")
    def g(x):
        return x * 2
    assert g(tj.ones(2)).tolist() == [2.0, 2.0]
    for m in (torch, tj):
        got = _outcome(lambda: m.compile(3))
        assert type(got) is AssertionError
        assert str(got) == "A callable function is expected, but <class 'int'> is provided."


def test_dynamo_and_compiler_namespaces():
    import torchjax._dynamo as dyn
    assert dyn.list_backends() == torch._dynamo.list_backends()
    assert dyn.list_backends(exclude_tags=()) == [
        b for b in torch._dynamo.list_backends(exclude_tags=()) if "TESTING_ONLY" not in b]
    assert tj.compiler.is_compiling() is torch.compiler.is_compiling() is False

    @tj.compiler.disable
    def h(x):
        return x
    assert h(3) == 3
    assert tj.compiler.disable(recursive=False)(h) is h
