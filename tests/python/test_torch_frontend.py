"""ruvector_attention.torch: nn.Module wrappers whose gradients come from the library's
own backward. Oracles: torch's own layers (nn.MultiheadAttention,
F.scaled_dot_product_attention) and finite differences (torch.autograd.gradcheck in
float64 over the float32 kernels, so with float32-sized tolerances)."""

import pytest

torch = pytest.importorskip("torch")

import ruvector_attention as ra  # noqa: E402
import ruvector_attention.torch as rat  # noqa: E402
from tolerances import assert_close  # noqa: E402

F = torch.nn.functional
D, N = 6, 5

# constructor arguments and a scale that keeps the inputs inside the curved spaces' ball
CASES = {
    "ScaledDotProductAttention": ((D,), {}),
    "MultiHeadAttention": ((D, 2), {"seed": 3}),
    "FlashAttention": ((D, 2), {}),
    "GraphRoPE": ((D,), {}),
    "StructuralAttention": ((D, 3), {"seed": 1}),
    "HNSWAwareAttention": ((D, 4), {"num_heads": 2, "seed": 1}),
    "CrossSpaceAttention": ((D,), {"seed": 2}),
    "EdgeFeaturedAttention": ((D,), {"num_heads": 2, "seed": 1}),
    "HyperbolicAttention": ((D,), {"learn_curvature": True}),
    "ManifoldAttention": ((D,), {"curvature": -1.0}),
    "MixedCurvatureAttention": ((3, 3), {"curvature": -0.9}),
}


def inputs(dtype=torch.float64, seed=0, b=None):
    g = torch.Generator().manual_seed(seed)
    shape_q = (D,) if b is None else (b, D)
    q = (0.2 * torch.randn(shape_q, generator=g)).to(dtype).requires_grad_()
    K = (0.2 * torch.randn(N, D, generator=g)).to(dtype).requires_grad_()
    V = (0.2 * torch.randn(N, D, generator=g)).to(dtype).requires_grad_()
    return q, K, V


def test_every_mechanism_with_a_backward_is_wrapped():
    expected = {n for n, c in ra.MECHANISMS.items() if callable(getattr(c, "backward", None))}
    assert set(rat.__all__) == expected == set(CASES)
    for name in expected:
        assert issubclass(getattr(rat, name), torch.nn.Module)
        assert getattr(rat, name).mechanism is ra.MECHANISMS[name]


@pytest.mark.parametrize("name", sorted(CASES))
def test_gradcheck_inputs_and_parameters(name):
    args, kwargs = CASES[name]
    module = getattr(rat, name)(*args, **kwargs)
    q, K, V = inputs()
    params = {n: p.detach().double().requires_grad_() for n, p in module.named_parameters()}

    def f(q, K, V, *ps):
        return torch.func.functional_call(module, dict(zip(params, ps)), (q, K, V))

    # float32 kernels under float64 finite differences: eps 1e-3 keeps the rounding
    # error (~1e-7 / eps) and the truncation error (~eps^2) both near 1e-4
    assert torch.autograd.gradcheck(f, (q, K, V, *params.values()), eps=1e-3, atol=2e-3,
                                    rtol=2e-2)


@pytest.mark.parametrize("name", sorted(CASES))
def test_output_equals_the_mechanism(name):
    args, kwargs = CASES[name]
    module = getattr(rat, name)(*args, **kwargs)
    mech = ra.MECHANISMS[name](*args, **kwargs)
    q, K, V = inputs(torch.float32)
    out = module(q, K, V)
    assert isinstance(out, torch.Tensor) and out.dtype == torch.float32
    expected = mech.forward(q.detach().numpy(), K.detach().numpy(), V.detach().numpy())
    assert torch.equal(out.detach(), torch.from_numpy(expected))


def torch_mha(mha, seed=0):
    ours = rat.MultiHeadAttention(D, 2)
    ours.load_state_dict(mha.state_dict())
    return ours


def test_multihead_equals_nn_multiheadattention_with_masks_and_gradients():
    torch.manual_seed(0)
    ref = torch.nn.MultiheadAttention(D, 2, batch_first=True)
    ours = torch_mha(ref)
    b = 3
    q, K, V = inputs(torch.float32, seed=4, b=b)
    pad = torch.tensor([[False, True, False, False, True],
                        [False, False, False, False, False],
                        [True, False, True, False, False]])
    bias = torch.tensor([0.0, -1.5, 0.7, float("-inf"), 0.2])
    for attn_mask, kpm in ((None, None), (None, pad), (bias, None), (bias, pad),
                           (bias.isfinite(), pad)):
        out = ours(q, K, V, mask=attn_mask, key_padding_mask=kpm)
        torch_mask = None
        if attn_mask is not None:  # torch: bool attn_mask True = NOT allowed; ours keeps True
            torch_mask = (~attn_mask if attn_mask.dtype == torch.bool else attn_mask)[None, :]
        expect, _ = ref(q[:, None], K.expand(b, N, D), V.expand(b, N, D), attn_mask=torch_mask,
                        key_padding_mask=kpm, need_weights=False)
        expect = expect[:, 0]
        assert_close(out.detach().numpy(), expect.detach().numpy(), ("mha", "torch"))
        g = torch.randn(b, D)
        wrt = [q, K, V, *ours.parameters()]
        ga = torch.autograd.grad(out, wrt, g)
        gb = torch.autograd.grad(expect, [q, K, V, *ref.parameters()], g)
        for a, e in zip(ga, gb):
            assert_close(a.numpy(), e.numpy(), ("mha", "torch"))


def test_sdpa_equals_torch_sdpa_on_each_mask_form():
    q, K, V = inputs(torch.float32, seed=7, b=4)
    sdpa = rat.ScaledDotProductAttention(D)
    keep = torch.tensor([[True, False, True, True, False]] * 4)
    add = torch.tensor([[0.0, float("-inf"), 0.5, -2.0, 1.0]] * 4)
    for mask in (None, keep, add, keep[0], add[0]):
        out = sdpa(q, K, V, mask=mask)
        m = None if mask is None else (mask if mask.ndim == 2 else mask.expand(4, N))[:, None]
        expect = F.scaled_dot_product_attention(q[:, None], K.expand(4, N, D),
                                                V.expand(4, N, D), attn_mask=m)[:, 0]
        assert_close(out.detach().numpy(), expect.detach().numpy(), ("sdpa", "torch"))
        g = torch.randn(4, D)
        for a, e in zip(torch.autograd.grad(out, (q, K, V), g),
                        torch.autograd.grad(expect, (q, K, V), g)):
            assert_close(a.numpy(), e.numpy(), ("sdpa", "torch"))


def test_all_masked_row_gives_zeros_and_zero_gradients():
    q, K, V = inputs(torch.float32, b=2)
    mask = torch.tensor([[True] * N, [False] * N])
    out = rat.ScaledDotProductAttention(D)(q, K, V, mask=mask)
    assert torch.equal(out[1].detach(), torch.zeros(D))
    gq, = torch.autograd.grad(out.sum(), (q,))
    assert torch.equal(gq[1], torch.zeros(D))


def test_per_query_keys_and_values():
    b = 3
    g = torch.Generator().manual_seed(1)
    q = torch.randn(b, D, generator=g, requires_grad=True)
    K = torch.randn(b, N, D, generator=g, requires_grad=True)
    V = torch.randn(b, N, D, generator=g, requires_grad=True)
    out = rat.ScaledDotProductAttention(D)(q, K, V)
    expect = F.scaled_dot_product_attention(q[:, None], K, V)[:, 0]
    assert_close(out.detach().numpy(), expect.detach().numpy(), ("sdpa", "torch"))
    for a, e in zip(torch.autograd.grad(out.sum(), (q, K, V)),
                    torch.autograd.grad(expect.sum(), (q, K, V))):
        assert a.shape == e.shape
        assert_close(a.numpy(), e.numpy(), ("sdpa", "torch"))


@pytest.mark.parametrize("dtype", [torch.float64, torch.float16, torch.bfloat16])
def test_other_float_dtypes_come_back_in_their_dtype(dtype):
    module = rat.MultiHeadAttention(D, 2, seed=1)
    q, K, V = inputs(dtype, b=2)
    out = module(q, K, V)
    assert out.dtype == dtype
    out.float().sum().backward()
    assert q.grad.dtype == K.grad.dtype == V.grad.dtype == dtype
    expect = module(q.detach().float(), K.detach().float(), V.detach().float())
    tol = {torch.float64: 1e-6, torch.float16: 2e-3, torch.bfloat16: 2e-2}[dtype]
    assert torch.allclose(out.detach().float(), expect.detach(), atol=tol, rtol=tol)


def test_bad_inputs_give_typed_errors():
    module = rat.ScaledDotProductAttention(D)
    q, K, V = inputs(torch.float32)
    with pytest.raises(ra.UnsupportedError, match="complex"):
        module(q.detach().to(torch.complex64), K, V)
    with pytest.raises(ra.UnsupportedError, match="query must be a torch.Tensor"):
        module([0.0] * D, K, V)
    with pytest.raises(ra.DimensionMismatchError, match="query"):
        module(torch.zeros(2, 2, D), K, V)


def test_an_optimizer_step_reaches_the_kernel():
    module = rat.MultiHeadAttention(D, 2, seed=5)
    q, K, V = inputs(torch.float32, b=2)
    before = module(q, K, V).detach()
    opt = torch.optim.SGD(module.parameters(), lr=0.5)
    module(q, K, V).pow(2).sum().backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in module.parameters())
    opt.step()
    after = module(q, K, V).detach()
    assert (after - before).abs().max() > 1e-4
    fresh = ra.MultiHeadAttention(D, 2)
    fresh.load_state_dict({n: p.detach().numpy() for n, p in module.named_parameters()})
    expect = fresh.forward_batch(q.detach().numpy(), K.detach().numpy(), V.detach().numpy())
    assert_close(after.numpy(), expect, ("mha", "consistency"))


def test_dropout_backward_differentiates_each_rows_own_draw():
    module = rat.ScaledDotProductAttention(D, dropout=0.5, seed=3).train()
    q, K, V = inputs(torch.float32, b=3)
    out = module(q, K, V)
    gq, = torch.autograd.grad(out.sum(), (q,))
    mech = ra.ScaledDotProductAttention(D, dropout=0.5, seed=3).train()
    for i in range(3):  # the same draws, row by row
        o = mech.forward(q[i].detach().numpy(), K.detach().numpy(), V.detach().numpy())
        assert torch.equal(out[i].detach(), torch.from_numpy(o))
        gi = mech.backward(q[i].detach().numpy(), K.detach().numpy(), V.detach().numpy(),
                           torch.ones(D).numpy())
        assert torch.equal(gq[i], torch.from_numpy(gi.query))
