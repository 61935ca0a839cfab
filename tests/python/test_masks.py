"""Masks mean what they mean in torch, by dtype, never by truthiness: boolean / 0-1 keeps
the True keys, float is added to the scores, MultiHeadAttention's key_padding_mask
marks the keys to ignore. Oracles: F.scaled_dot_product_attention and
nn.MultiheadAttention (float64), autograd for the gradients; the shared fixture
tests/fixtures/masks.json is replayed here and in Node and Chromium."""

import json
import math
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import fixtures_masks as FM  # noqa: E402
import ruvector_attention as ra  # noqa: E402
from tolerances import assert_close  # noqa: E402

F = torch.nn.functional
CASES = json.loads((Path(__file__).parents[1] / "fixtures" / "masks.json").read_text())["cases"]
SDPA, MHA = ("sdpa", "torch"), ("mha", "torch")


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_fixture_replays(case):
    if "error" in case:
        with pytest.raises(getattr(ra, case["error"]["class"])) as err:
            FM.replay(case)
        for word in case["error"]["message_contains"]:
            assert word in str(err.value)
        return
    got = np.asarray(FM.replay(case), np.float64)
    want = np.asarray(FM.F.decode(case["expected"]), np.float64)
    tol = case["tolerance"]
    np.testing.assert_allclose(got, want, rtol=tol["rtol"], atol=tol["atol"])


def data(seed=0, n=11, d=6, b=None):
    g = torch.Generator().manual_seed(seed)
    q = torch.randn((d,) if b is None else (b, d), generator=g, dtype=torch.float64)
    return q, torch.randn(n, d, generator=g, dtype=torch.float64), \
        torch.randn(n, d, generator=g, dtype=torch.float64)


def torch_sdpa(q, K, V, mask):
    return F.scaled_dot_product_attention(q[None, None], K[None], V[None], attn_mask=mask)[0, 0]


def test_every_form_of_the_same_mask_gives_the_same_answer():
    q, K, V = (x.float().numpy() for x in data())
    keep = np.array([1, 0, 1, 1, 0, 1, 1, 1, 0, 1, 1], bool)
    attn = ra.ScaledDotProductAttention(6)
    want = attn.forward(q, K, V, mask=keep)
    additive = np.where(keep, 0.0, -np.inf)
    forms = [keep.tolist(), keep.astype(np.uint8), keep.astype(np.int64), keep.astype(int).tolist(),
             torch.tensor(keep), additive, additive.astype(np.float32).tolist(),
             torch.tensor(additive, dtype=torch.float16), memoryview(keep.astype(np.uint8))]
    for form in forms:
        assert np.array_equal(attn.forward(q, K, V, mask=form), want), type(form)
    # the float mask of zeros keeps every key (read as booleans it would drop them all)
    assert np.array_equal(attn.forward(q, K, V, mask=np.zeros(11)), attn.forward(q, K, V))


def test_sdpa_float_mask_shifts_equal_torch_forward_weights_batch_and_backward():
    q, K, V = data(1)
    mask = torch.tensor([0.0, -1.5, float("-inf"), 2.0, 0.3, 0.0, -0.7, float("-inf"), 1.1, 0.0, -3.0],
                        dtype=torch.float64)
    attn = ra.ScaledDotProductAttention(6)
    args = [x.float().numpy() for x in (q, K, V)]
    assert_close(attn.forward(*args, mask=mask.numpy()), torch_sdpa(q, K, V, mask), SDPA)
    w = torch.softmax(K @ q / math.sqrt(6) + mask, 0)
    assert_close(attn.attention_weights(args[0], args[1], mask=mask.numpy()), w, SDPA)
    Q = torch.randn(4, 6, dtype=torch.float64)
    per_row = mask[None].repeat(4, 1)
    per_row[2, :4] = float("-inf")
    expect = F.scaled_dot_product_attention(Q[:, None], K.expand(4, -1, -1), V.expand(4, -1, -1),
                                            attn_mask=mask)[:, 0]
    assert_close(attn.forward_batch(Q.float().numpy(), args[1], args[2], mask=mask.numpy()), expect, SDPA)
    Ks, Vs = K.expand(4, -1, -1).contiguous(), V.expand(4, -1, -1).contiguous()
    expect = F.scaled_dot_product_attention(Q[:, None], Ks, Vs, attn_mask=per_row[:, None])[:, 0]
    assert_close(attn.forward_batch(Q.float().numpy(), Ks.float().numpy(), Vs.float().numpy(),
                                    mask=per_row.numpy()), expect, SDPA)
    tq, tK, tV = (x.clone().requires_grad_() for x in (q, K, V))
    g = torch.randn(6, dtype=torch.float64)
    (torch_sdpa(tq, tK, tV, mask) @ g).backward()
    got = attn.backward(*args, g.float().numpy(), mask=mask.numpy())
    for a, e in ((got.query, tq.grad), (got.keys, tK.grad), (got.values, tV.grad)):
        assert_close(a, e, SDPA)


def test_all_masked_rows_give_zeros_in_every_form():
    q, K, V = (x.float().numpy() for x in data(2))
    for mech in (ra.ScaledDotProductAttention(6), ra.MultiHeadAttention(6, 2, seed=1)):
        for mask in (np.zeros(11, bool), np.full(11, -np.inf), [0] * 11):
            assert not np.asarray(mech.forward(q, K, V, mask=mask)).any()
            assert not np.asarray(mech.attention_weights(q, K, mask=mask)).any()
    mha = ra.MultiHeadAttention(6, 2, seed=1)
    assert not np.asarray(mha.forward(q, K, V, key_padding_mask=np.ones(11, bool))).any()


def torch_mha(seed=3, d=6, h=2):
    torch.manual_seed(seed)
    ref = torch.nn.MultiheadAttention(d, h, batch_first=True).double()
    with torch.no_grad():
        ref.in_proj_bias.normal_()
        ref.out_proj.bias.normal_()
    ours = ra.MultiHeadAttention(d, h)
    ours.load_state_dict({k: v.float() for k, v in ref.state_dict().items()})
    return ref, ours


def test_multihead_masks_and_key_padding_mask_equal_nn_multiheadattention():
    ref, ours = torch_mha()
    q, K, V = data(4)
    pad = torch.tensor([False, True, False, False, False, True, False, False, False, False, True])
    shift = torch.tensor([0.0, 0.5, -1.0, float("-inf"), 0.2, 0.0, 1.5, 0.0, -0.3, 0.0, 0.0],
                         dtype=torch.float64)
    keep = torch.rand(11, generator=torch.Generator().manual_seed(1)) > 0.3
    keep[0] = True
    args = [x.float().numpy() for x in (q, K, V)]
    for attn_mask, kpm in ((shift, None), (None, pad), (shift, pad), (keep, pad), (None, pad.double() * -2.0)):
        torch_mask = None if attn_mask is None else \
            (~attn_mask if attn_mask.dtype == torch.bool else attn_mask)[None]  # torch bool: True = blocked
        out, w = ref(q[None, None], K[None], V[None], attn_mask=torch_mask,
                     key_padding_mask=None if kpm is None else kpm[None])
        kw = {"mask": None if attn_mask is None else attn_mask.numpy(),
              "key_padding_mask": None if kpm is None else kpm.numpy()}
        assert_close(ours.forward(*args, **kw), out[0, 0], MHA)
        assert_close(ours.attention_weights(args[0], args[1], **kw), w[0, 0], MHA)
        tq, tK, tV = (x.clone().requires_grad_() for x in (q, K, V))
        g = torch.randn(6, dtype=torch.float64)
        ref.zero_grad()
        o, _ = ref(tq[None, None], tK[None], tV[None], attn_mask=torch_mask,
                   key_padding_mask=None if kpm is None else kpm[None])
        (o[0, 0] @ g).backward()
        got = ours.backward(*args, g.float().numpy(), **kw)
        for a, e in ((got.query, tq.grad), (got.keys, tK.grad), (got.values, tV.grad)):
            assert_close(a, e, MHA)
        for name, p in ref.named_parameters():
            assert_close(got.params[name], p.grad, MHA, what=name)
    Q = torch.randn(3, 6, dtype=torch.float64)
    out, _ = ref(Q[:, None], K.expand(3, -1, -1), V.expand(3, -1, -1), attn_mask=shift[None],
                 key_padding_mask=pad[None].expand(3, -1))
    assert_close(ours.forward_batch(Q.float().numpy(), args[1], args[2], mask=shift.numpy(),
                                    key_padding_mask=pad.numpy()), out[:, 0], MHA)


@pytest.mark.parametrize("bad,error,words", [
    ("abcdefghijk", ra.UnsupportedError, "string"),
    (list("abcdefghijk"), ra.UnsupportedError, "'a'"),
    (np.array(list("abcdefghijk")), ra.UnsupportedError, "dtype"),
    ([0, 1, 2, 1, 1, 1, 1, 1, 1, 1, 1], ra.UnsupportedError, "mask[2] = 2"),
    (np.array([1] * 10 + [3]), ra.UnsupportedError, "mask[10] = 3"),
    ([0.0] * 10 + [float("nan")], ra.NumericalInstabilityError, "mask[10] is nan"),
    (np.array([0.0] * 5 + [np.inf] + [0.0] * 5), ra.NumericalInstabilityError, "mask[5] is inf"),
    ([True] * 10, ra.DimensionMismatchError, "10 entries, expected 11"),
])
def test_bad_masks_are_typed_errors(bad, error, words):
    q, K, V = (x.float().numpy() for x in data())
    with pytest.raises(error, match=None) as err:
        ra.ScaledDotProductAttention(6).forward(q, K, V, mask=bad)
    assert words in str(err.value)


def test_mechanisms_without_a_score_bias_refuse_finite_shifts_but_take_0_and_minus_inf():
    q, K, V = (0.1 * x.float().numpy() for x in data())
    keep = np.arange(11) % 3 != 1
    for mech in (ra.FlashAttention(6, 4), ra.HyperbolicAttention(6), ra.GraphRoPE(6),
                 ra.LocalGlobalAttention(6, 4, 2), ra.LinearAttention(6, 8)):
        name = type(mech).__name__
        assert np.array_equal(mech.forward(q, K, V, mask=np.where(keep, 0.0, -np.inf)),
                              mech.forward(q, K, V, mask=keep)), name
        with pytest.raises(ra.UnsupportedError, match="finite amounts"):
            mech.forward(q, K, V, mask=np.where(keep, 0.5, -np.inf))
