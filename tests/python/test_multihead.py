"""MultiHeadAttention against the float64 twin and torch.nn.MultiheadAttention,
including state_dict interchange in both directions."""

import dataclasses

import pytest

np = pytest.importorskip("numpy")
torch = pytest.importorskip("torch")

import reference as R  # noqa: E402
import ruvector_attention as ra  # noqa: E402
from inputs import mha_with_biases, rand, rand_mask  # noqa: E402
from tolerances import assert_close  # noqa: E402

# (dim, heads, value_dim): head counts 1..16, odd head widths, value_dim != dim (torch vdim).
SHAPES = [
    (1, 1, None), (7, 7, None), (16, 1, None), (16, 16, None), (33, 3, None), (33, 11, None),
    (128, 4, None), (128, 8, None), (24, 4, 5), (17, 1, 33), (128, 8, 127),
]
KEY_COUNTS = (1, 5, 17, 128, 1000)


def params_of(mha, dim):
    return R.mha_split({k: np.asarray(v) for k, v in mha.state_dict().items()}, dim)


def torch_mha(dim, heads, value_dim, *, bias=True, seed=0):
    torch.manual_seed(seed)
    m = torch.nn.MultiheadAttention(dim, heads, vdim=value_dim, bias=bias, batch_first=True,
                                    dtype=torch.float64)
    if bias:
        with torch.no_grad():  # torch initialises biases to zero; make them count
            m.in_proj_bias.normal_()
            m.out_proj.bias.normal_()
    return m.eval()


def torch_forward(m, q, k, v, mask=None):
    t = lambda x: torch.tensor(np.asarray(x), dtype=torch.float64)[None]  # noqa: E731
    kpm = None if mask is None else torch.tensor(~mask)[None]  # torch: True = ignore
    with torch.no_grad():
        out, w = m(t(q)[:, None], t(k), t(v), key_padding_mask=kpm, average_attn_weights=False)
    return out[0, 0].numpy(), w[0, :, 0].numpy()  # (D,), (H,N)


@pytest.mark.parametrize("n", KEY_COUNTS)
@pytest.mark.parametrize("dim,heads,value_dim", SHAPES)
def test_forward_and_weights_match_reference(dim, heads, value_dim, n):
    vd = value_dim or dim
    mha = mha_with_biases(ra, dim, heads, value_dim=value_dim, seed=5)
    p = params_of(mha, dim)
    q, k, v = rand(dim, 1), rand((n, dim), 2), rand((n, vd), 3)
    what = f"dim={dim} H={heads} vdim={vd} n={n}"
    out = mha.forward(q, k, v)
    assert isinstance(out, np.ndarray) and out.shape == (dim,)
    assert_close(out, R.mha_forward(p, heads, q, k, v), ("mha", "forward"), what=what)
    assert_close(mha.head_attention_weights(q, k), R.mha_head_weights(p, heads, q, k), ("mha", "weights"), what=what)
    assert_close(mha.attention_weights(q, k), R.mha_weights(p, heads, q, k), ("mha", "weights"), what=what)


@pytest.mark.parametrize("dim,heads,value_dim", [(33, 3, None), (24, 4, 5), (128, 8, None)])
@pytest.mark.parametrize("masked", [False, True])
def test_torch_state_dict_loads_and_gives_torch_outputs(dim, heads, value_dim, masked):
    n = 127
    m = torch_mha(dim, heads, value_dim, seed=21)
    ours = ra.MultiHeadAttention(dim, heads, value_dim=value_dim, seed=999)
    ours.load_state_dict({k: v.numpy() for k, v in m.state_dict().items()})
    q, k, v = rand(dim, 1), rand((n, dim), 2), rand((n, value_dim or dim), 3)
    mask = rand_mask(n, 4) if masked else None
    t_out, t_w = torch_forward(m, q, k, v, mask)
    assert_close(ours.forward(q, k, v, mask=mask), t_out, ("mha", "torch"))
    assert_close(ours.head_attention_weights(q, k, mask=mask), t_w, ("mha", "torch"))
    assert_close(ours.attention_weights(q, k, mask=mask), t_w.mean(axis=0), ("mha", "torch"))


@pytest.mark.parametrize("dim,heads,value_dim,bias", [(33, 3, None, True), (24, 4, 5, True), (16, 2, None, False)])
def test_our_state_dict_loads_into_torch(dim, heads, value_dim, bias):
    ours = mha_with_biases(ra, dim, heads, value_dim=value_dim, bias=bias, seed=8)
    m = torch.nn.MultiheadAttention(dim, heads, vdim=value_dim, bias=bias, batch_first=True,
                                    dtype=torch.float64).eval()
    sd = ours.state_dict()
    # strict=True: our names and shapes are exactly torch's, nothing missing or extra.
    m.load_state_dict({k: torch.tensor(np.asarray(v), dtype=torch.float64) for k, v in sd.items()}, strict=True)
    n = 17
    q, k, v = rand(dim, 1), rand((n, dim), 2), rand((n, value_dim or dim), 3)
    assert_close(ours.forward(q, k, v), torch_forward(m, q, k, v)[0], ("mha", "torch"))


@pytest.mark.parametrize("dim,heads,value_dim,bias", [(12, 3, None, True), (12, 3, 5, True), (12, 3, None, False), (12, 3, 7, False)])
def test_state_dict_names_and_shapes_follow_torch(dim, heads, value_dim, bias):
    ours = ra.MultiHeadAttention(dim, heads, value_dim=value_dim, bias=bias)
    m = torch.nn.MultiheadAttention(dim, heads, vdim=value_dim, bias=bias)
    expected = {k: tuple(v.shape) for k, v in m.state_dict().items()}
    assert {k: tuple(np.asarray(v).shape) for k, v in ours.state_dict().items()} == expected


@pytest.mark.parametrize("masked", [False, True])
def test_head_output_matches_reference(masked):
    dim, heads, n = 33, 3, 17
    mha = mha_with_biases(ra, dim, heads, value_dim=5, seed=2)
    p = params_of(mha, dim)
    q, k, v = rand(dim, 1), rand((n, dim), 2), rand((n, 5), 3)
    mask = rand_mask(n, 6) if masked else None
    for h in range(heads):
        assert_close(mha.head_output(h, q, k, v, mask=mask) if masked else mha.head_output(h, q, k, v),
                     R.mha_head_output(p, heads, h, q, k, v, mask), ("mha", "forward"), what=f"head {h}")


def test_head_weights_rows_sum_to_one_and_mean_is_attention_weights():
    dim, heads, n = 128, 8, 1000
    mha = ra.MultiHeadAttention(dim, heads, seed=3)
    q, k = rand(dim, 1), rand((n, dim), 2)
    hw = mha.head_attention_weights(q, k)
    assert hw.shape == (heads, n)
    assert_close(hw.sum(axis=1), np.ones(heads), ("weights", "sum"))
    assert_close(mha.attention_weights(q, k), hw.astype(np.float64).mean(axis=0), ("mha", "weights"))


def test_mask_matches_reference_and_fully_masked_is_finite():
    dim, heads, n = 24, 4, 33
    mha = mha_with_biases(ra, dim, heads, seed=4)
    p = params_of(mha, dim)
    q, k, v = rand(dim, 1), rand((n, dim), 2), rand((n, dim), 3)
    mask = rand_mask(n, 5)
    assert_close(mha.forward(q, k, v, mask=mask), R.mha_forward(p, heads, q, k, v, mask), ("mha", "forward"))
    none = np.zeros(n, dtype=bool)
    out = mha.forward(q, k, v, mask=none)
    np.testing.assert_array_equal(mha.head_attention_weights(q, k, mask=none), np.zeros((heads, n)))
    # DESIGN.md: a fully masked query gives a zero output (torch would give NaN here).
    np.testing.assert_array_equal(out, np.zeros(dim, np.float32))


def test_seed_determines_weights():
    a = ra.MultiHeadAttention(33, 3, seed=7).state_dict()
    b = ra.MultiHeadAttention(33, 3, seed=7).state_dict()
    c = ra.MultiHeadAttention(33, 3, seed=8).state_dict()
    assert set(a) == set(b) == set(c)
    for name in a:
        np.testing.assert_array_equal(np.asarray(a[name]), np.asarray(b[name]), err_msg=name)
    assert any(not np.array_equal(np.asarray(a[k]), np.asarray(c[k])) for k in a)


def test_logits_near_1000_stay_finite():
    dim, heads, n = 8, 2, 17
    mha = ra.MultiHeadAttention(dim, heads, seed=1)
    q, k, v = rand(dim, 1, scale=300.0), rand((n, dim), 2, scale=300.0), rand((n, dim), 3)
    out = mha.forward(q, k, v)
    hw = mha.head_attention_weights(q, k)
    assert np.all(np.isfinite(out)) and np.all(np.isfinite(hw))
    assert_close(hw.sum(axis=1), np.ones(heads), ("weights", "sum"))


def test_config_is_frozen_and_describes_the_layer():
    mha = ra.MultiHeadAttention(24, 4, value_dim=5, bias=False, seed=3)
    cfg = mha.config()
    assert (cfg.dim, cfg.num_heads, cfg.value_dim, cfg.bias) == (24, 4, 5, False)
    assert mha.hidden_dim == 24
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.num_heads = 2
