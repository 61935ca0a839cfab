"""backward(): gradients w.r.t. query, keys, values and every parameter, checked
against the float64 twin and against torch autograd (float64)."""

import pytest

np = pytest.importorskip("numpy")
torch = pytest.importorskip("torch")

import reference as R  # noqa: E402
import ruvector_attention as ra  # noqa: E402
from inputs import mha_with_biases, rand, rand_mask  # noqa: E402
from tolerances import assert_close  # noqa: E402


def _leaf(x):
    return torch.tensor(np.asarray(x), dtype=torch.float64, requires_grad=True)


@pytest.mark.parametrize("n,d,dv", [(1, 1, 1), (3, 7, 3), (4, 17, 17), (5, 33, 1), (17, 3, 7),
                                    (127, 127, 33), (128, 128, 128), (1000, 33, 17), (10000, 17, 5)])
def test_sdpa_backward_matches_reference(n, d, dv):
    q, k, v, g = rand(d, 1), rand((n, d), 2), rand((n, dv), 3), rand(dv, 4)
    grads = ra.ScaledDotProductAttention(d).backward(q, k, v, g)
    ref = R.sdpa_backward(q, k, v, g)
    for name in ("query", "keys", "values"):
        assert_close(getattr(grads, name), ref[name], ("sdpa", "backward"), what=f"{name} n={n} d={d}")
    assert dict(grads.params) == {}  # no learnable parameters


@pytest.mark.parametrize("temperature,scale,masked", [(1.0, None, True), (0.5, None, False), (2.0, 0.1, True)])
def test_sdpa_backward_matches_torch_autograd(temperature, scale, masked):
    n, d, dv = 127, 33, 17
    q, k, v, g = rand(d, 5), rand((n, d), 6), rand((n, dv), 7), rand(dv, 8)
    mask = rand_mask(n, 9) if masked else None
    tq, tk, tv = _leaf(q), _leaf(k), _leaf(v)
    out = torch.nn.functional.scaled_dot_product_attention(
        tq[None, None], tk[None], tv[None], scale=R.logit_scale(d, temperature, scale),
        attn_mask=None if mask is None else torch.tensor(mask)[None])[0, 0]
    out.backward(torch.tensor(g, dtype=torch.float64))
    attn = ra.ScaledDotProductAttention(d, temperature=temperature, scale=scale)
    grads = attn.backward(q, k, v, g, mask=mask)
    for name, leaf in (("query", tq), ("keys", tk), ("values", tv)):
        assert_close(getattr(grads, name), leaf.grad, ("sdpa", "torch"), what=name)
    if masked:  # masked keys take no part, so they get no gradient at all
        assert np.all(np.asarray(grads.keys)[~mask] == 0) and np.all(np.asarray(grads.values)[~mask] == 0)


def test_sdpa_backward_fully_masked_is_zero():
    d, n = 7, 5
    grads = ra.ScaledDotProductAttention(d).backward(rand(d, 1), rand((n, d), 2), rand((n, 3), 3), rand(3, 4),
                                                     mask=np.zeros(n, dtype=bool))
    for name, shape in (("query", (d,)), ("keys", (n, d)), ("values", (n, 3))):
        np.testing.assert_array_equal(getattr(grads, name), np.zeros(shape, np.float32), err_msg=name)


MHA_CASES = [(12, 3, None, 5), (33, 3, None, 17), (24, 4, 5, 17), (128, 8, None, 128), (16, 16, None, 1000),
             (7, 1, 3, 4)]


@pytest.mark.parametrize("dim,heads,value_dim,n", MHA_CASES)
def test_mha_backward_matches_reference(dim, heads, value_dim, n):
    mha = mha_with_biases(ra, dim, heads, value_dim=value_dim, seed=4)
    state = {k: np.asarray(v) for k, v in mha.state_dict().items()}
    p = R.mha_split(state, dim)
    q, k, v, g = rand(dim, 1), rand((n, dim), 2), rand((n, value_dim or dim), 3), rand(dim, 4)
    grads = mha.backward(q, k, v, g)
    ref = R.mha_backward(p, heads, q, k, v, g, separate_proj=value_dim not in (None, dim))
    for name in ("query", "keys", "values"):
        assert_close(getattr(grads, name), ref[name], ("mha", "backward"), what=name)
    assert set(grads.params) == set(state), "one gradient per state_dict entry, same names"
    for name, grad in grads.params.items():
        assert np.asarray(grad).shape == state[name].shape, name
        assert_close(grad, ref["params"][name], ("mha", "backward"), what=name)


@pytest.mark.parametrize("value_dim,bias,masked", [(None, True, False), (None, True, True), (5, True, True), (None, False, False)])
def test_mha_backward_matches_torch_autograd(value_dim, bias, masked):
    dim, heads, n = 24, 4, 33
    torch.manual_seed(13)
    m = torch.nn.MultiheadAttention(dim, heads, vdim=value_dim, bias=bias, batch_first=True, dtype=torch.float64)
    if bias:
        with torch.no_grad():
            m.in_proj_bias.normal_()
            m.out_proj.bias.normal_()
    ours = ra.MultiHeadAttention(dim, heads, value_dim=value_dim, bias=bias)
    ours.load_state_dict({k: v.detach().numpy() for k, v in m.state_dict().items()})
    q, k, v, g = rand(dim, 1), rand((n, dim), 2), rand((n, value_dim or dim), 3), rand(dim, 4)
    mask = rand_mask(n, 5) if masked else None
    tq, tk, tv = _leaf(q), _leaf(k), _leaf(v)
    out, _ = m(tq[None, None], tk[None], tv[None],
               key_padding_mask=None if mask is None else torch.tensor(~mask)[None])
    out[0, 0].backward(torch.tensor(g, dtype=torch.float64))
    grads = ours.backward(q, k, v, g, mask=mask)
    for name, leaf in (("query", tq), ("keys", tk), ("values", tv)):
        assert_close(getattr(grads, name), leaf.grad, ("mha", "torch"), what=name)
    torch_params = dict(m.named_parameters())
    assert set(grads.params) == set(torch_params)
    for name, grad in grads.params.items():
        assert_close(grad, torch_params[name].grad, ("mha", "torch"), what=name)


def test_mha_gradient_drives_a_loss_down():
    """The gradients are usable for training: one SGD step on the parameters lowers
    0.5*|out - target|^2 (guards against a sign or transpose slip the oracles share a blind spot on)."""
    dim, heads, n = 16, 4, 9
    mha = mha_with_biases(ra, dim, heads, seed=6)
    q, k, v, target = rand(dim, 1), rand((n, dim), 2), rand((n, dim), 3), rand(dim, 4)

    def loss():
        return 0.5 * float(((np.asarray(mha.forward(q, k, v), np.float64) - target) ** 2).sum())

    before = loss()
    grads = mha.backward(q, k, v, np.asarray(mha.forward(q, k, v)) - target)
    state = mha.state_dict()
    mha.load_state_dict({name: np.asarray(state[name]) - 1e-2 * np.asarray(grads.params[name]) for name in state})
    assert loss() < before
