"""PyTorch front end: every mechanism with a ``backward`` as a ``torch.nn.Module``.

    import ruvector_attention.torch as rat
    mha = rat.MultiHeadAttention(64, 4, seed=0)     # same name and arguments as ra.*
    out = mha(query, keys, values, key_padding_mask=pad)   # tensors in, tensors out
    out.sum().backward()                             # reaches query/keys/values and mha's params

Each module holds the mechanism's parameters as ``torch.nn.Parameter``s under the
mechanism's ``state_dict()`` names (``out_proj.weight`` is a sub-module's
``weight``, as in torch), so ``load_state_dict`` takes a torch layer's state dict
directly. The forward and the backward are the library's own kernels, through one
``torch.autograd.Function``; autograd never sees inside them.

Shapes: query (D,) or (B, D); keys (N, D) shared by the B queries, or (B, N, D);
values likewise (N, DV) / (B, N, DV) -> (DV,) or (B, DV). ``mask`` (N,) or (B, N)
follows torch SDPA's ``attn_mask`` (bool keeps True keys, float is added to the
scores); MultiHeadAttention also takes ``key_padding_mask`` (True = ignore).
Floating dtypes other than float32 (float64, float16, bfloat16) are computed in
float32 and converted back; tensors on another device come back on it.
"""

try:
    import torch as _torch
except ImportError as exc:  # the package itself never needs torch
    raise ImportError("ruvector_attention.torch needs PyTorch: pip install torch") from exc

import numpy as _np

from .core import MECHANISMS
from .errors import DimensionMismatchError, UnsupportedError

__all__ = []


def _host(t, name):
    """A tensor -> contiguous float32 numpy (None stays None); other kinds pass through."""
    if t is None or not isinstance(t, _torch.Tensor):
        return t
    if t.dtype.is_complex:
        raise UnsupportedError(f"{name} has dtype {t.dtype}, expected a real tensor")
    t = t.detach().cpu()
    if t.dtype.is_floating_point and t.dtype != _torch.float32:
        t = t.to(_torch.float32)
    return t.contiguous().numpy()


def _back(a, like):
    """numpy float32 result -> a tensor with ``like``'s floating dtype and device."""
    t = _torch.from_numpy(_np.ascontiguousarray(a, dtype=_np.float32))
    dtype = like.dtype if like.dtype.is_floating_point else _torch.float32
    return t.to(device=like.device, dtype=dtype)


def _rows(query, keys, values, mask):
    """Split a call into single-query calls: [(q, K, V, mask)], and whether it was batched."""
    if query.ndim == 1:
        return [(query, keys, values, mask)], False
    if query.ndim != 2:
        raise DimensionMismatchError(f"query must be (D,) or (B, D), got shape {query.shape}")
    b = query.shape[0]
    own = keys.ndim == 3
    if own and (keys.shape[0] != b or values.ndim != 3 or values.shape[0] != b):
        raise DimensionMismatchError(
            f"per-query keys {tuple(keys.shape)} / values {tuple(values.shape)} must both start "
            f"with the batch size {b}", expected=b, actual=keys.shape[0])
    per_row_mask = mask is not None and getattr(mask, "ndim", 1) == 2
    if per_row_mask and mask.shape[0] != b:
        raise DimensionMismatchError(f"mask has {mask.shape[0]} rows, expected {b} (one per query)",
                                     expected=b, actual=mask.shape[0])
    return [(query[i], keys[i] if own else keys, values[i] if own else values,
             mask[i] if per_row_mask else mask) for i in range(b)], True


class _Apply(_torch.autograd.Function):
    """out = mechanism.forward(query, keys, values); backward = mechanism.backward."""

    @staticmethod
    def forward(ctx, module, extra, query, keys, values, mask, *params):
        mech = module._sync(params)
        q, K, V, m = (_host(t, n) for t, n in ((query, "query"), (keys, "keys"),
                                                (values, "values"), (mask, "mask")))
        host_extra = {k: _host(v, k) for k, v in extra.items()}
        calls, batched = _rows(q, K, V, m)
        outs, seeds = [], []
        for cq, cK, cV, cm in calls:
            outs.append(_np.asarray(module._call(mech, cq, cK, cV, cm, host_extra)))
            seeds.append(getattr(mech, "_last_drop_seed", None))
        ctx.module, ctx.calls, ctx.batched, ctx.extra, ctx.seeds = module, calls, batched, \
            host_extra, seeds
        ctx.likes = (query, keys, values) + tuple(params)
        out = _np.stack(outs) if batched else outs[0]
        return _back(out, query)

    @staticmethod
    def backward(ctx, grad_output):
        module, mech = ctx.module, ctx.module._mech
        g = _host(grad_output, "grad_output")
        names = module._names
        gq, gk, gv = [], [], []
        gp = {name: 0.0 for name in names}
        for i, (cq, cK, cV, cm) in enumerate(ctx.calls):
            if ctx.seeds[i] is not None:  # the dropout draw of this row's forward
                mech._last_drop_seed = ctx.seeds[i]
            kw = dict(ctx.extra)
            if cm is not None:
                kw["mask"] = cm
            grads = mech.backward(cq, cK, cV, g[i] if ctx.batched else g, **kw)
            gq.append(_np.asarray(grads.query))
            gk.append(_np.asarray(grads.keys).reshape(cK.shape))
            gv.append(_np.asarray(grads.values).reshape(cV.shape))
            for name in names:
                gp[name] = gp[name] + _np.asarray(grads.params[name])
        query, keys, values = ctx.likes[:3]
        own = keys.ndim == 3
        if ctx.batched:
            gq = _np.stack(gq)
            gk = _np.stack(gk) if own else _np.sum(gk, axis=0)
            gv = _np.stack(gv) if own else _np.sum(gv, axis=0)
        else:
            gq, gk, gv = gq[0], gk[0], gv[0]
        param_grads = tuple(_back(_np.asarray(gp[n]).reshape(like.shape), like)
                            for n, like in zip(names, ctx.likes[3:]))
        return (None, None, _back(gq, query), _back(gk, keys), _back(gv, values), None) \
            + param_grads


class _TorchAttention(_torch.nn.Module):
    """Base of the generated modules: ``_mech`` is the library mechanism, ``_names``
    its parameter names (``state_dict()`` order)."""

    mechanism = None  # the ruvector_attention class this module wraps

    def __init__(self, *args, **kwargs):
        super().__init__()
        self._mech = self.mechanism(*args, **kwargs)
        self._names = list(self._mech.parameter_names())
        for name, value in self._mech.state_dict().items():
            owner, _, leaf = name.rpartition(".")
            module = self
            for part in filter(None, owner.split(".")):
                if not hasattr(module, part):
                    module.add_module(part, _torch.nn.Module())
                module = getattr(module, part)
            module.register_parameter(leaf, _torch.nn.Parameter(_torch.from_numpy(
                _np.array(value, dtype=_np.float32))))

    def _params(self):
        own = dict(self.named_parameters())
        return tuple(own[n] for n in self._names)

    def _sync(self, params):
        """Copy the current parameter values into the mechanism (an optimizer may have
        stepped them) and its train / eval mode."""
        self._mech.train(self.training)
        if params:
            self._mech.load_state_dict({n: _host(p, n) for n, p in zip(self._names, params)})
        return self._mech

    def _call(self, mech, q, K, V, mask, extra):
        kw = {k: v for k, v in extra.items() if k != "metadata"}
        if mask is not None:
            kw["mask"] = mask
        if "metadata" in extra:
            return mech.forward_with_metadata(q, K, V, extra["metadata"], **kw)
        return mech.forward(q, K, V, **kw)

    def forward(self, query, keys, values, mask=None, **extra):
        """``mechanism.forward(query, keys, values, mask=mask, **extra)`` on tensors, with
        gradients to query, keys, values and the parameters (extra: the mechanism's own
        keyword inputs, e.g. ``metadata``, ``edge_features``)."""
        for name, t in (("query", query), ("keys", keys), ("values", values)):
            if not isinstance(t, _torch.Tensor):
                raise UnsupportedError(f"{name} must be a torch.Tensor, got {type(t).__name__}")
        return _Apply.apply(self, extra, query, keys, values, mask, *self._params())

    def extra_repr(self):
        return repr(self._mech)


class _TorchMultiHead(_TorchAttention):
    def forward(self, query, keys, values, mask=None, key_padding_mask=None):
        """As ``nn.MultiheadAttention`` for one query (or B queries): ``mask`` is an
        SDPA-style ``attn_mask`` (bool keeps True keys, float is added), and
        ``key_padding_mask`` (N,) or (B, N) marks the keys to ignore (True = ignore,
        a float one is added)."""
        mask = _combine(mask, key_padding_mask)
        return super().forward(query, keys, values, mask)


def _combine(attn_mask, key_padding_mask):
    """torch's merge of an attn_mask and a key_padding_mask into one additive / keep mask."""
    if key_padding_mask is None:
        return attn_mask
    if key_padding_mask.dtype.is_floating_point:
        pad = key_padding_mask
    else:
        pad = _torch.zeros(key_padding_mask.shape, dtype=_torch.float32,
                           device=key_padding_mask.device)
        pad = pad.masked_fill(key_padding_mask.to(_torch.bool), float("-inf"))
    if attn_mask is None:
        return pad
    if not attn_mask.dtype.is_floating_point:
        attn_mask = _torch.zeros(attn_mask.shape, dtype=_torch.float32,
                                 device=attn_mask.device).masked_fill(
            ~attn_mask.to(_torch.bool), float("-inf"))
    return attn_mask + pad


def _module_for(name, cls):
    base = _TorchMultiHead if name == "MultiHeadAttention" else _TorchAttention
    doc = (f"``torch.nn.Module`` over ``ruvector_attention.{name}`` (same arguments); "
           f"gradients by the library's own backward.\n\n{cls.__doc__ or ''}")
    return type(name, (base,), {"mechanism": cls, "__doc__": doc, "__module__": __name__})


for _name, _cls in MECHANISMS.items():
    if callable(getattr(_cls, "backward", None)):
        globals()[_name] = _module_for(_name, _cls)
        __all__.append(_name)
