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


def _axpy(acc, c, x):
    """acc + c x."""
    return [a + c * v for a, v in zip(acc, x)]


def gat_backward(mech, q, K, V, F, live, g, params):
    """-> (gq, gK, gV, {param name: flat gradient}).

    Every row term goes through a d-vector computed once per head, so a head costs
    O(N (Din + Fe) + C Din) instead of O(N C Din): a_src·W_h k_j = (W_hᵀ a_src)·k_j,
    <W_h v_j, g_h> = (W_hᵀ g_h)·v_j, and dW_h is a sum of three rank-one terms."""
    cfg = mech._config
    d, h, c, slope, fe = cfg.node_dim, cfg.num_heads, mech.head_channels, cfg.negative_slope, cfg.edge_dim
    n = len(K)
    W = _rows(params["lin.weight"], d)
    We = _rows(params["lin_edge.weight"], fe) if fe else None
    gq, gK, gV = [0.0] * d, [[0.0] * d for _ in range(n)], [[0.0] * d for _ in range(n)]
    gW = [[0.0] * d for _ in range(h * c)]
    gWe = [[0.0] * fe for _ in range(h * c)] if We else None
    grads = {name: [0.0] * len(v) for name, v in params.items()}
    if cfg.bias:
        grads["bias"] = list(g)
    rows_k, rows_v = [K[j] for j in live], [V[j] for j in live]
    rows_f = [F[j] for j in live] if We else None
    for hh in range(h):
        sl = slice(hh * c, (hh + 1) * c)
        Wh, a_src, a_dst = W[sl], params["att_src"][sl], params["att_dst"][sl]
        gh = g[sl] if cfg.concat else [x / h for x in g]
        if not live:
            continue
        s_src, s_out = _tmatvec(Wh, a_src), _tmatvec(Wh, gh)
        xq = _matvec(Wh, q)
        l_dst = _dot(a_dst, xq)
        logits = [_dot(s_src, k) + l_dst for k in rows_k]
        if We:
            a_edge = params["att_edge"][sl]
            s_edge = _tmatvec(We[sl], a_edge)
            logits = [lj + _dot(s_edge, f) for lj, f in zip(logits, rows_f)]
        e = [x if x > 0 else slope * x for x in logits]
        m = max(e)
        p = [2.718281828459045 ** (x - m) for x in e]
        total = sum(p)
        alpha = [x / total for x in p]
        galpha = [_dot(s_out, v) for v in rows_v]
        mean = _dot(alpha, galpha)
        gl = [a * (ga - mean) * (1.0 if lj > 0 else slope)
              for a, ga, lj in zip(alpha, galpha, logits)]
        gsum = sum(gl)
        for t, j in enumerate(live):
            gV[j] = _axpy(gV[j], alpha[t], s_out)   # W_hᵀ (α_j g_h)
            gK[j] = _axpy(gK[j], gl[t], s_src)      # W_hᵀ (dl_j a_src)
        kbar = _tmatvec(rows_k, gl)
        _outer_add(gW[sl], gh, _tmatvec(rows_v, alpha))           # Σ_j α_j g_h ⊗ v_j
        _outer_add(gW[sl], a_src, kbar)                           # Σ_j dl_j a_src ⊗ k_j
        _outer_add(gW[sl], [gsum * x for x in a_dst], q)          # a_dst·W_h q in every logit
        grads["att_src"][sl] = _matvec(Wh, kbar)
        grads["att_dst"][sl] = [gsum * x for x in xq]
        gq = _axpy(gq, gsum, _tmatvec(Wh, a_dst))
        if We:
            fbar = _tmatvec(rows_f, gl)
            grads["att_edge"][sl] = _matvec(We[sl], fbar)
            _outer_add(gWe[sl], a_edge, fbar)
    grads["lin.weight"] = [x for r in gW for x in r]
    if We:
        grads["lin_edge.weight"] = [x for r in gWe for x in r]
    return gq, gK, gV, grads
