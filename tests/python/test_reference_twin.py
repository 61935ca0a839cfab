"""The float64 reference twin is itself checked against PyTorch (float64, autograd).

If the twin were wrong, every comparison built on it would be meaningless; this
pins it to an independent implementation at float64 precision.
"""

import pytest

np = pytest.importorskip("numpy")
torch = pytest.importorskip("torch")

import reference as R  # noqa: E402
from tolerances import assert_close  # noqa: E402


def _t(x):
    return torch.tensor(x, dtype=torch.float64, requires_grad=True)


@pytest.mark.parametrize("temperature,scale", [(1.0, None), (2.5, None), (0.5, 0.3)])
def test_sdpa_twin_matches_torch(temperature, scale):
    rng = np.random.default_rng(11)
    d, n, dv = 9, 13, 5
    q, k, v, g = rng.standard_normal(d), rng.standard_normal((n, d)), rng.standard_normal((n, dv)), rng.standard_normal(dv)
    mask = rng.random(n) < 0.6
    mask[0] = True
    tq, tk, tv = _t(q), _t(k), _t(v)
    torch_scale = R.logit_scale(d, temperature, scale)
    out = torch.nn.functional.scaled_dot_product_attention(
        tq[None, None], tk[None], tv[None], attn_mask=torch.tensor(mask)[None], scale=torch_scale)[0, 0]
    out.backward(torch.tensor(g))
    kw = dict(temperature=temperature, scale=scale, mask=mask)
    assert_close(R.sdpa_forward(q, k, v, **kw), out.detach().numpy(), ("twin", "torch64"))
    grads = R.sdpa_backward(q, k, v, g, **kw)
    for name, t in (("query", tq), ("keys", tk), ("values", tv)):
        assert_close(grads[name], t.grad.numpy(), ("twin", "torch64"), what=name)


@pytest.mark.parametrize("dim,heads,vdim", [(12, 3, 12), (12, 4, 5), (7, 7, 7)])
def test_mha_twin_matches_torch(dim, heads, vdim):
    torch.manual_seed(3)
    rng = np.random.default_rng(12)
    n = 11
    m = torch.nn.MultiheadAttention(dim, heads, vdim=vdim, batch_first=True, dtype=torch.float64)
    with torch.no_grad():  # torch initialises biases to 0; make them matter
        m.in_proj_bias.normal_()
        m.out_proj.bias.normal_()
    params = R.mha_split({k: v.detach().numpy() for k, v in m.state_dict().items()}, dim)
    q, k, v, g = rng.standard_normal(dim), rng.standard_normal((n, dim)), rng.standard_normal((n, vdim)), rng.standard_normal(dim)
    mask = rng.random(n) < 0.7
    mask[1] = True
    tq, tk, tv = _t(q), _t(k), _t(v)
    out, w = m(tq[None, None], tk[None], tv[None], key_padding_mask=torch.tensor(~mask)[None],
               average_attn_weights=False)
    out[0, 0].backward(torch.tensor(g))
    assert_close(R.mha_forward(params, heads, q, k, v, mask), out[0, 0].detach().numpy(), ("twin", "torch64"))
    assert_close(R.mha_head_weights(params, heads, q, k, mask), w[0, :, 0].detach().numpy(), ("twin", "torch64"))
    grads = R.mha_backward(params, heads, q, k, v, g, mask, separate_proj=vdim != dim)
    for name, t in (("query", tq), ("keys", tk), ("values", tv)):
        assert_close(grads[name], t.grad.numpy(), ("twin", "torch64"), what=name)
    torch_params = dict(m.named_parameters())
    assert set(grads["params"]) == set(torch_params)
    for name, grad in grads["params"].items():
        assert_close(grad, torch_params[name].grad.numpy(), ("twin", "torch64"), what=name)


def test_masked_softmax_all_masked_row_is_zero():
    a = R.masked_softmax(np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([[True, False], [False, False]]))
    np.testing.assert_array_equal(a, [[1.0, 0.0], [0.0, 0.0]])
