"""Backward of EdgeFeaturedAttention for one node (pure Python float64; see
edge_featured.py for the forward). Per head h with W_h the rows h·C..(h+1)·C of
``lin.weight``:

    l_j = a_src·W_h k_j + a_dst·W_h q + a_edge·W_e,h f_j,   e_j = LeakyReLU(l_j)
    α = softmax(e),   o_h = Σ_j α_j W_h v_j,   out = ‖_h o_h (or mean_h) + bias
    dα_j = <W_h v_j, g_h>,  de_j = α_j (dα_j - Σ α dα),  dl_j = de_j · (1 if l_j > 0 else slope)

Shapes: q (Din,), K, V (N, Din), F (N, Fe), g (out,).
"""


def _rows(flat, cols):
    return [flat[i * cols:(i + 1) * cols] for i in range(len(flat) // cols)]


def _dot(a, b):
    return sum(x * y for x, y in zip(a, b))


def _matvec(rows, x):
    return [_dot(r, x) for r in rows]


def _tmatvec(rows, y):
    """rowsᵀ y."""
    out = [0.0] * len(rows[0])
    for r, c in zip(rows, y):
        if c:
            for i, v in enumerate(r):
                out[i] += c * v
    return out


def _outer_add(acc_rows, y, x):
    for r, c in zip(acc_rows, y):
        if c:
            for i, v in enumerate(x):
                r[i] += c * v


def gat_backward(mech, q, K, V, F, live, g, params):
    """-> (gq, gK, gV, {param name: flat gradient})."""
    cfg = mech._config
    d, h, c, slope = cfg.node_dim, cfg.num_heads, mech.head_channels, cfg.negative_slope
    n = len(K)
    W = _rows(params["lin.weight"], d)
    We = _rows(params["lin_edge.weight"], cfg.edge_dim) if cfg.edge_dim else None
    gq, gK, gV = [0.0] * d, [[0.0] * d for _ in range(n)], [[0.0] * d for _ in range(n)]
    gW = [[0.0] * d for _ in range(h * c)]
    gWe = [[0.0] * cfg.edge_dim for _ in range(h * c)] if We else None
    grads = {name: [0.0] * len(v) for name, v in params.items()}
    if cfg.bias:
        grads["bias"] = list(g)
    for hh in range(h):
        Wh, sl = W[hh * c:(hh + 1) * c], slice(hh * c, (hh + 1) * c)
        a_src, a_dst = params["att_src"][sl], params["att_dst"][sl]
        gh = g[sl] if cfg.concat else [x / h for x in g]
        if not live:
            continue
        xq = _matvec(Wh, q)
        logits, ys, xks, xes = [], [], [], []
        for j in live:
            xk = _matvec(Wh, K[j])
            lj = _dot(a_src, xk) + _dot(a_dst, xq)
            if We:
                xe = _matvec(We[hh * c:(hh + 1) * c], F[j])
                lj += _dot(params["att_edge"][sl], xe)
                xes.append(xe)
            logits.append(lj)
            xks.append(xk)
            ys.append(_matvec(Wh, V[j]))
        e = [x if x > 0 else slope * x for x in logits]
        m = max(e)
        p = [2.718281828459045 ** (x - m) for x in e]
        total = sum(p)
        alpha = [x / total for x in p]
        galpha = [_dot(y, gh) for y in ys]
        mean = _dot(alpha, galpha)
        gsum = 0.0
        for t, j in enumerate(live):
            gy = [alpha[t] * x for x in gh]  # message W_h v_j
            gV[j] = [a + b for a, b in zip(gV[j], _tmatvec(Wh, gy))]
            _outer_add(gW[hh * c:(hh + 1) * c], gy, V[j])
            gl = alpha[t] * (galpha[t] - mean) * (1.0 if logits[t] > 0 else slope)
            gsum += gl
            # a_src . W_h k_j
            grads["att_src"][sl] = [a + gl * x for a, x in zip(grads["att_src"][sl], xks[t])]
            _outer_add(gW[hh * c:(hh + 1) * c], [gl * x for x in a_src], K[j])
            gK[j] = [a + b for a, b in zip(gK[j], _tmatvec(Wh, [gl * x for x in a_src]))]
            if We:
                a_edge = params["att_edge"][sl]
                grads["att_edge"][sl] = [a + gl * x for a, x in zip(grads["att_edge"][sl], xes[t])]
                _outer_add(gWe[hh * c:(hh + 1) * c], [gl * x for x in a_edge], F[j])
        # a_dst . W_h q appears in every logit of the row
        grads["att_dst"][sl] = [a + gsum * x for a, x in zip(grads["att_dst"][sl], xq)]
        _outer_add(gW[hh * c:(hh + 1) * c], [gsum * x for x in a_dst], q)
        gq = [a + b for a, b in zip(gq, _tmatvec(Wh, [gsum * x for x in a_dst]))]
    grads["lin.weight"] = [x for r in gW for x in r]
    if We:
        grads["lin_edge.weight"] = [x for r in gWe for x in r]
    return gq, gK, gV, grads
