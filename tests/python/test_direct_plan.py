"""The plans JS uses to call a kernel export itself (js/src/direct.ts): their argument
types are the kernel's SIGNATURES, and only a class whose forward is the one its plan
describes has one. (The plans are run, and compared byte for byte with the path
through Python, by tests/js/direct.test.mjs.)"""

import json

import pytest
import ruvector_attention as ra
from ruvector_attention import _bridge, _kernel


def plan_of(obj):
    handle = _bridge._register(obj)
    try:
        return json.loads(_bridge.direct_plan(handle))
    finally:
        _bridge.dispose(handle)


@pytest.mark.parametrize("make,kernel", [
    (lambda: ra.ScaledDotProductAttention(16, temperature=0.5), "attend"),
    (lambda: ra.MultiHeadAttention(16, 4, value_dim=8), "mha_forward"),
])
def test_plan_types_are_the_kernel_signature(make, kernel):
    plan = plan_of(make())
    names = {_kernel._p: "ptr", _kernel._i64: "i64", _kernel._i32: "i32", _kernel._f32: "f32",
             _kernel._f64: "f64", _kernel._u64: "u64"}
    assert [t for t, _ in plan["args"]] == [names[t] for t in _kernel.SIGNATURES[kernel][1]]
    assert plan["symbol"] == _kernel.symbol(kernel)
    assert plan["library"] == _kernel.kernel_info()["library"]
    assert {"query", "keys", "values", "mask", "n", "out"} <= {a for _, a in plan["args"] if isinstance(a, str)}


def test_sdpa_plan_carries_the_scale_and_none_while_dropout_trains():
    attn = ra.ScaledDotProductAttention(16, scale=0.3, temperature=2.0, dropout=0.5)
    assert plan_of(attn)["args"][7] == ["f32", 0.15]
    attn.train()
    assert plan_of(attn) is None
    attn.eval()
    assert plan_of(attn) is not None


def test_no_plan_for_classes_without_one_or_overriding_forward():
    assert plan_of(ra.LinearAttention(8)) is None
    assert plan_of(ra.HyperbolicAttention(8, input_mode="euclidean")) is None  # exp_0 runs in Python
    assert plan_of(ra.HyperbolicAttention(8))["args"][16] == ["i32", 2]  # the kernel refuses outside points

    class Shifted(ra.ScaledDotProductAttention):
        def forward(self, query, keys, values, *, mask=None):
            return super().forward(query, keys, values, mask=mask)

    assert plan_of(Shifted(8)) is None


def test_call_plan_checks_the_argument_count():
    with pytest.raises(ra.InternalError, match="arguments"):
        _kernel.call_plan("attend", ["query"])
