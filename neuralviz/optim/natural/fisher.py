"""The Fisher matrix of the loss actually optimised, and the per-layer statistics every
natural-gradient method is built from.

Scaling convention (DESIGN.md §3). The losses are means over the batch, L = (1/N) Σ_n ℓ_n,
and the metric is their Gauss-Newton matrix with the same scaling,

    F = (1/N) Σ_n J_nᵀ Λ_n J_n,     Λ_n = ∇²_f ℓ_n   (J_n = ∂f(x_n)/∂θ),

so that one undamped exact step with learning rate 1 on a linear least-squares model lands
on the least-squares solution. For the three canonical losses Λ_n is the Fisher of the
model's predictive distribution (the canonical link makes GGN = Fisher), and it does not
depend on the targets:

    mse            ℓ_n = (1/C) ‖f_n − y_n‖²        Λ_n = (2/C) I
    bce            ℓ_n = (1/C) Σ_c bce(f_nc, y_nc)  Λ_n = diag(p(1 − p)) / C
    cross_entropy  ℓ_n = (1/T) Σ_t −log softmax     Λ_n = blockdiag_t(diag(p_t) − p_t p_tᵀ) / T

(C: output elements per example; T: positions per example for a sequence of logits.)

Three variants share one pipeline. Each writes Λ_n as a sum of outer products of K "seed"
vectors s_{n,k}, backpropagates every seed through the network *per example* (a seed is a
vector in output space, not the batch-mean gradient, so no factor N goes missing), and
every method then reads the per-layer quantities it needs:

    "true"       K columns of Λ_n^{1/2}: exact expectation over the model's prediction.
    "mc"         M targets ỹ sampled from the model (Gaussian with σ² = 1/2 for mse,
                 Bernoulli for bce, categorical for cross-entropy); seed = √c ∇_f ℓ_n(ỹ)/√M,
                 where c (= C, or T) undoes the mean over output elements so that
                 E[s sᵀ] = Λ_n exactly: an unbiased estimate of the same matrix.
    "empirical"  the same score with the training labels: the "empirical Fisher"
                 (1/N) Σ_n ∇ℓ_n ∇ℓ_nᵀ (times c). Kept as the lecture's negative example:
                 with N = 1 it is g gᵀ, and it vanishes where the residuals do.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

FISHER_TYPES = ("true", "empirical", "mc")
NG_LOSSES = ("mse", "bce", "cross_entropy")


# ----------------------------------------------------------------------------- output space


def _sigmoid(z: np.ndarray) -> np.ndarray:
    # exp of a non-positive number only, so no overflow for large |z|
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _check_loss(loss: str, out: np.ndarray) -> None:
    if loss not in NG_LOSSES:
        raise ValueError(f"natural gradient: unknown loss {loss!r}; choose one of {', '.join(NG_LOSSES)}")
    if loss == "cross_entropy" and out.ndim < 2:
        raise ValueError(f"cross_entropy needs logits of shape (N, ..., C), got {out.shape}")


def _score(out: np.ndarray, target: np.ndarray, loss: str) -> np.ndarray:
    """√c ∇_f ℓ_n for every example n (shape of out): the per-example score of the loss,
    rescaled so that its covariance under the model is exactly Λ_n."""
    if loss == "mse":
        c = out[0].size
        return 2.0 * (out - target.reshape(out.shape)) / np.sqrt(c)
    if loss == "bce":
        c = out[0].size
        return (_sigmoid(out) - target.reshape(out.shape)) / np.sqrt(c)
    t = max(out[0].size // out.shape[-1], 1)
    labels = np.asarray(target).astype(np.int64).reshape(out.shape[:-1])
    g = _softmax(out)
    np.put_along_axis(g, labels[..., None], np.take_along_axis(g, labels[..., None], -1) - 1.0, -1)
    return g / np.sqrt(t)


def _true_seeds(out: np.ndarray, loss: str) -> np.ndarray:
    """(K, N, *out) columns of Λ_n^{1/2}: Σ_k s_k s_kᵀ = Λ_n for every example."""
    n, shape = out.shape[0], out.shape[1:]
    c = int(np.prod(shape))
    if loss in ("mse", "bce"):
        if loss == "mse":
            scale = np.full((n, c), np.sqrt(2.0 / c), dtype=out.dtype)
        else:
            p = _sigmoid(out.reshape(n, c))
            scale = np.sqrt(p * (1.0 - p) / c)
        seeds = np.zeros((c, n, c), dtype=out.dtype)
        idx = np.arange(c)
        seeds[idx, :, idx] = scale.T  # seed k is the k-th output direction, scaled
        return seeds.reshape(c, n, *shape)
    # softmax: columns √p_j (e_j − p) of each position's block, one seed per (position, class)
    k = shape[-1]
    t = c // k
    p = _softmax(out.reshape(n, t, k))
    seeds = np.zeros((t, k, n, t, k), dtype=out.dtype)
    sq = np.sqrt(p / t)  # (n, t, k)
    for pos in range(t):
        block = -sq[:, pos, :, None] * p[:, pos, None, :]  # (n, j, k): -√p_j p_k
        block[:, np.arange(k), np.arange(k)] += sq[:, pos, :]
        seeds[pos, :, :, pos, :] = block.transpose(1, 0, 2)
    return seeds.reshape(t * k, n, *shape)


def _sample_targets(out: np.ndarray, loss: str, rng: np.random.Generator, m: int) -> np.ndarray:
    """m targets per example drawn from the model's predictive distribution: (m, *out) or labels."""
    if loss == "mse":
        return out + rng.standard_normal((m, *out.shape)) * np.sqrt(0.5)
    u = rng.random((m, *out.shape)) if loss == "bce" else rng.random((m, *out.shape[:-1]))
    if loss == "bce":
        return (u < _sigmoid(out)).astype(out.dtype)
    cdf = np.cumsum(_softmax(out), axis=-1)
    # inverse-CDF sampling: the same uniforms give the same labels for the same outputs, so
    # two networks computing the same function draw the same targets (invariance tests)
    labels = (u[..., None] > cdf).sum(axis=-1)
    return np.minimum(labels, out.shape[-1] - 1)


def output_seeds(
    out: np.ndarray, y, loss: str, fisher: str = "true", rng: np.random.Generator | None = None, mc_samples: int = 1
) -> np.ndarray:
    """Seeds (K, N, *out.shape[1:]) with (1/N) Σ_n Σ_k J_nᵀ s_nk s_nkᵀ J_n the chosen metric.

    In the output's dtype: the scores promote to float64 (numpy float64 scalars, float64
    targets), and the layers' kernels take one dtype, so float64 seeds in a float32 network
    would stop at its first conv2d or leaky_relu."""
    _check_loss(loss, out)
    if fisher == "true":
        return _true_seeds(out, loss)
    if fisher == "empirical":
        if y is None:
            raise ValueError("fisher='empirical' needs the training targets y")
        return _score(out, np.asarray(y), loss)[None].astype(out.dtype, copy=False)
    if fisher == "mc":
        if rng is None:
            rng = np.random.default_rng(0)
        m = int(mc_samples)
        if m < 1:
            raise ValueError(f"mc_samples must be >= 1, got {mc_samples!r}")
        targets = _sample_targets(out, loss, rng, m)
        seeds = np.stack([_score(out, t, loss) for t in targets]) / np.sqrt(m)
        return seeds.astype(out.dtype, copy=False)
    raise ValueError(f"fisher must be one of {', '.join(FISHER_TYPES)}, got {fisher!r}")


def _log_softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=-1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))


def _log_sigmoid(z: np.ndarray) -> np.ndarray:
    # log σ(z) = −softplus(−z), written so that neither exp overflows
    return np.minimum(z, 0.0) - np.log1p(np.exp(-np.abs(z)))


def output_divergence(before: np.ndarray, after: np.ndarray, loss: str) -> float:
    """How far the model's predictive distribution moved between two outputs for the same
    inputs: 2·KL(p_before ‖ p_after), averaged like the loss (mean over examples, and over
    output elements or positions as ℓ_n is). Its second-order expansion in δf = after − before
    is (1/N) Σ_n δf_nᵀ Λ_n δf_n, i.e. δθᵀ F δθ for a small step: the quantity the KL clip
    bounds, here measured exactly instead of through a quadratic model."""
    _check_loss(loss, before)
    b, a = np.asarray(before, np.float64), np.asarray(after, np.float64)
    if loss == "mse":  # Gaussians of equal variance: the quadratic is exact
        return float(2.0 * np.mean((a - b) ** 2))
    if loss == "bce":
        lp, lq = _log_sigmoid(b), _log_sigmoid(a)
        lp1, lq1 = _log_sigmoid(-b), _log_sigmoid(-a)
        kl = np.exp(lp) * (lp - lq) + np.exp(lp1) * (lp1 - lq1)
        return float(2.0 * np.mean(kl))
    lp, lq = _log_softmax(b), _log_softmax(a)
    kl = (np.exp(lp) * (lp - lq)).sum(axis=-1)
    return float(2.0 * np.mean(kl))


def output_metric(out: np.ndarray, loss: str) -> np.ndarray:
    """Λ_n as explicit (N, C, C) matrices over the flattened output (tests, small views)."""
    s = _true_seeds(out, loss).reshape(-1, out.shape[0], out[0].size)
    return np.einsum("kni,knj->nij", s, s)


# ----------------------------------------------------------------------------- backward passes


def _upstream_of_params(net) -> dict[str, bool]:
    """layer id -> whether it or anything feeding it has parameters (where seeds must reach)."""
    reach = {"input": False}
    for entry in net.order:
        lid = entry["id"]
        reach[lid] = bool(net.layers[lid].params) or any(reach.get(s, False) for s in entry["inputs"])
    return reach


def backprop_seeds(net, seeds: np.ndarray) -> dict[str, np.ndarray]:
    """For every layer with parameters: (K, N, *layer output) = ∂(s_k · f_n)/∂(layer output).

    Runs after a forward pass (uses each layer's cached inputs/outputs). Examples do not
    interact in this engine (no batch norm), so row n is example n's own backpropagated seed:
    the per-example quantity K-FAC's G factor needs, with no 1/N from a batch-mean loss.
    Parameter gradients (p.grad) are left exactly as they were: the layers' backward_seeds
    contract, so nothing needs saving here.
    """
    reach = _upstream_of_params(net)
    grads = {net.output_id: seeds}
    kept: dict[str, np.ndarray] = {}
    for entry in reversed(net.order):
        lid = entry["id"]
        g = grads.pop(lid, None)
        if g is None:
            continue
        layer = net.layers[lid]
        if layer.params:
            kept[lid] = g
        if not any(reach[s] for s in entry["inputs"]):
            continue  # nothing upstream has parameters: stop here (saves the widest matmul)
        for src, gi in zip(entry["inputs"], layer.backward_seeds(g)):
            if gi is None or not reach[src]:
                continue
            grads[src] = gi if src not in grads else grads[src] + gi
    return kept


# ----------------------------------------------------------------------------- per-layer stats


def per_example_grads(delta: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Σ_t δ_{k,n,t} x_{n,t}ᵀ for every seed and example: (K, N, T, O) × (N, T, J) -> (K, N, O, J)."""
    if x.shape[1] == 1:  # one location: an outer product, no reduction
        return delta[:, :, 0, :, None] * x[None, :, 0, None, :]
    return np.matmul(delta.swapaxes(-1, -2), x)


class Layout:
    """Where a dense/conv2d layer's parameters sit, and the homogeneous view W̄ = [W | b]
    (d_out × D, D = d_in + 1 with a bias) every structured method works in."""

    def __init__(self, layer, params: list):
        self.layer_id = layer.id
        self.weight_shape = layer.weight.value.shape
        self.d_out = self.weight_shape[0]
        self.d_in = int(np.prod(self.weight_shape[1:]))
        self.has_bias = layer.bias is not None
        self.dim = self.d_in + self.has_bias
        self.weight_index = next(i for i, p in enumerate(params) if p is layer.weight)
        self.bias_index = next(i for i, p in enumerate(params) if p is layer.bias) if self.has_bias else None
        self.indices = [self.weight_index] + ([self.bias_index] if self.has_bias else [])

    def bar(self, per_param: list[np.ndarray]) -> np.ndarray:
        """W̄ (d_out, D) from a list holding one array per network parameter."""
        w = per_param[self.weight_index].reshape(self.d_out, self.d_in)
        if not self.has_bias:
            return w
        return np.concatenate([w, per_param[self.bias_index].reshape(-1, 1)], axis=1)

    def unbar(self, wbar: np.ndarray, out: list) -> None:
        """Writes W̄'s weight and bias parts into out[weight_index], out[bias_index]."""
        out[self.weight_index] = np.ascontiguousarray(wbar[:, : self.d_in]).reshape(self.weight_shape)
        if self.has_bias:
            out[self.bias_index] = np.ascontiguousarray(wbar[:, self.d_in])

    def bar_to_param_index(self) -> np.ndarray:
        """Position, in the layer's [weight.ravel(), bias] segment, of each entry of vec(W̄)."""
        o, j = np.meshgrid(np.arange(self.d_out), np.arange(self.dim), indexing="ij")
        pos = o * self.d_in + j
        if self.has_bias:
            pos[:, self.d_in] = self.d_out * self.d_in + np.arange(self.d_out)
        return pos.ravel()


@dataclass
class LayerStats:
    """What one dense or conv2d layer contributes, in homogeneous coordinates.

    x: (N, T, d_in) inputs (T = 1 for dense, output locations for conv: its patches);
    delta: (K, N, T, d_out) backpropagated seeds at the layer's output (pre-activation).
    The per-example gradient for seed k is Σ_t δ_{k,n,t} x̄_{n,t}ᵀ with x̄ = [x; 1]: the
    bias folded in as the last column of W̄.
    """

    layout: Layout
    x: np.ndarray
    delta: np.ndarray

    @property
    def n(self) -> int:
        return self.x.shape[0]

    @property
    def single_location(self) -> bool:
        return self.x.shape[1] == 1

    def xbar(self) -> np.ndarray:
        if not self.layout.has_bias:
            return self.x
        return np.concatenate([self.x, np.ones((*self.x.shape[:2], 1), dtype=self.x.dtype)], axis=-1)

    def unit_grads(self) -> np.ndarray:
        """(K, N, d_out, D): each seed's per-example gradient, row o = unit o's row of W̄."""
        return per_example_grads(self.delta, self.xbar())

    # -- the structured metrics ----------------------------------------------------------
    def kfac_factors(self) -> tuple[np.ndarray, np.ndarray]:
        """(A, G) with F_layer ≈ G ⊗ A (row-major vec of W̄).

        A = (1/N) Σ_{n,t} x̄ x̄ᵀ, G = (1/(N T)) Σ_{k,n,t} δ δᵀ. For T = 1 this is exact when
        the seeds or the inputs do not depend on the example (one example, deep linear
        nets with squared loss, the output layer under mse); for conv (T locations) it is
        KFC / K-FAC-expand, exact when the locations are independent targets.
        """
        xb = self.xbar().reshape(-1, self.layout.dim)
        a = (xb.T @ xb) / self.n
        d = self.delta.reshape(-1, self.layout.d_out)
        g = (d.T @ d) / (self.n * self.x.shape[1])
        return a, g

    def unit_blocks(self) -> np.ndarray:
        """(d_out, D, D): Ollivier's unitwise metric M^(o), the exact (o, o) block of F."""
        if self.single_location:
            r = np.square(self.delta[:, :, 0]).sum(axis=0)  # (N, d_out) Fisher modulus
            xb = self.xbar()[:, 0]
            weighted = r.T[:, :, None] * xb[None]  # (d_out, N, D)
            return np.matmul(weighted.transpose(0, 2, 1), xb) / self.n
        u = self.unit_grads()
        u = u.transpose(2, 0, 1, 3).reshape(self.layout.d_out, -1, self.layout.dim)
        return np.matmul(u.transpose(0, 2, 1), u) / self.n

    def qd_entries(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(M_ii (d_out, d_in), M_0i (d_out, d_in), M_00 (d_out,)): the diagonal and bias
        entries of each unit's metric, the only ones the quasi-diagonal method keeps."""
        if self.single_location:
            r = np.square(self.delta[:, :, 0]).sum(axis=0)
            x = self.x[:, 0]
            return (r.T @ (x * x)) / self.n, (r.T @ x) / self.n, r.sum(axis=0) / self.n
        u = self.unit_grads()
        w, b = u[..., : self.layout.d_in], u[..., -1]
        if not self.layout.has_bias:
            b = np.zeros_like(b)
        return (
            np.einsum("knoi,knoi->oi", w, w) / self.n,
            np.einsum("knoi,kno->oi", w, b) / self.n,
            np.einsum("kno,kno->o", b, b) / self.n,
        )

    def diagonal(self) -> np.ndarray:
        """(d_out, D): the diagonal of this layer's Fisher block, laid out as W̄."""
        mii, _, m00 = self.qd_entries()
        return np.concatenate([mii, m00[:, None]], axis=1) if self.layout.has_bias else mii


def layer_kind(layer) -> str | None:
    """'dense' or 'conv2d' for the layers the structured methods support, else None."""
    if layer.type == "conv2d":
        return "conv2d"
    if layer.type == "dense":
        return "dense"
    return None


def _layer_stats(layout: Layout, layer, delta: np.ndarray) -> LayerStats:
    """The layer unfolded into one product per output location (conv: its im2col patches)."""
    return LayerStats(layout, *layer.unfold(delta))


class Curvature:
    """Seeds and their backpropagated images for one batch: everything the metrics need.

    Build with `Curvature.from_network(net, y, loss, fisher)` right after a forward pass
    (the Trainer's own pass: no extra forward). Layers other than dense/conv2d that have
    parameters (recurrent, embedding) are supported by the exact and diagonal metrics
    through one masked backward pass per (seed, example): correct, but slow.
    """

    def __init__(self, net, seeds: np.ndarray, deltas: dict[str, np.ndarray]):
        self.net = net
        self.seeds = seeds
        self.k, self.n = seeds.shape[:2]
        self.params = net.parameters()
        self.sizes = [p.size for p in self.params]
        self.offsets = np.concatenate([[0], np.cumsum(self.sizes)]).astype(int)
        self.num_params = int(self.offsets[-1])
        self.layers: dict[str, LayerStats] = {}
        self.other: list[str] = []
        for lid, layer in net.layers.items():
            if not layer.params:
                continue
            if lid not in deltas:
                continue  # does not influence the output: a zero block
            if layer_kind(layer):
                self.layers[lid] = _layer_stats(Layout(layer, self.params), layer, deltas[lid])
            else:
                self.other.append(lid)

    @classmethod
    def from_network(
        cls, net, y, loss: str, fisher: str = "true", rng: np.random.Generator | None = None, mc_samples: int = 1
    ) -> Curvature:
        out = net.outputs.get(net.output_id)
        if out is None:
            raise RuntimeError("natural gradient: run a forward pass before gathering curvature")
        seeds = output_seeds(out, y, loss, fisher, rng, mc_samples)
        return cls(net, seeds, backprop_seeds(net, seeds))

    # -- parameter bookkeeping ----------------------------------------------------------
    def blocks(self) -> list[tuple[str, int, int]]:
        """(parameter name, start, stop) in the flat parameter vector (network order)."""
        return [(p.name, int(a), int(b)) for p, a, b in zip(self.params, self.offsets[:-1], self.offsets[1:])]

    def layer_slice(self, layer_id: str) -> slice:
        idx = [i for i, p in enumerate(self.params) if p.name.rsplit(".", 1)[0] == layer_id]
        return slice(int(self.offsets[idx[0]]), int(self.offsets[idx[-1] + 1]))

    # -- per-example gradients: the rows of U with F = UᵀU ---------------------------------
    def _generic_rows(self, examples: np.ndarray) -> dict[str, np.ndarray]:
        """layer id -> (K, len(examples), P_layer) for the layers without a closed form: one
        masked backward pass per (seed, example) gives the gradient of s_nk · f_n alone."""
        net = self.net
        params = {lid: list(net.layers[lid].params.values()) for lid in self.other}
        rows = {lid: np.zeros((self.k, len(examples), sum(p.size for p in ps))) for lid, ps in params.items()}
        saved = [(p, p.grad.copy()) for p in net.parameters()]
        try:
            for k in range(self.k):
                for j, n in enumerate(examples):
                    seed = np.zeros_like(self.seeds[k])
                    seed[n] = self.seeds[k, n]
                    net.zero_grad()
                    net.backward(seed)
                    for lid, ps in params.items():
                        rows[lid][k, j] = np.concatenate([p.grad.ravel() for p in ps])
        finally:
            for p, g in saved:
                p.grad[...] = g
        return rows

    def jacobian_rows(self, start: int = 0, stop: int | None = None) -> np.ndarray:
        """(K·m, P): rows Λ_n^{1/2}-seeded per-example gradients for examples start..stop,
        divided by √N, so that F = Σ over all chunks of UᵀU."""
        stop = self.n if stop is None else stop
        ex = np.arange(start, stop)
        # float64 even for a float32 network: F = UᵀU accumulated in float32 has rounding
        # errors far above a small damping, and its Cholesky would fail
        u = np.zeros((self.k, len(ex), self.num_params))
        for st in self.layers.values():
            delta = st.delta[:, start:stop].astype(np.float64)
            g = per_example_grads(delta, st.x[start:stop].astype(np.float64))
            lay = st.layout
            u[:, :, self.offsets[lay.weight_index] : self.offsets[lay.weight_index + 1]] = g.reshape(
                self.k, len(ex), -1
            )
            if lay.has_bias:
                u[:, :, self.offsets[lay.bias_index] : self.offsets[lay.bias_index + 1]] = delta.sum(axis=2)
        if self.other:
            for lid, rows in self._generic_rows(ex).items():
                u[:, :, self.layer_slice(lid)] = rows
        return u.reshape(-1, self.num_params) / np.sqrt(self.n)

    def _chunks(self, budget: int = 4_000_000) -> Iterator[tuple[int, int]]:
        step = max(1, budget // max(1, self.k * self.num_params))
        for a in range(0, self.n, step):
            yield a, min(self.n, a + step)

    def dense(self) -> np.ndarray:
        """The full P × P metric F = (1/N) Σ_n Σ_k J_nᵀ s_nk s_nkᵀ J_n (network parameter order)."""
        f = np.zeros((self.num_params, self.num_params))
        for a, b in self._chunks():
            u = self.jacobian_rows(a, b)
            f += u.T @ u
        return f

    def matvec(self, v: np.ndarray) -> np.ndarray:
        """F v without forming F (O(K N P) memory in chunks)."""
        out = np.zeros(self.num_params)
        for a, b in self._chunks():
            u = self.jacobian_rows(a, b)
            out += u.T @ (u @ v)
        return out

    def diagonal(self) -> np.ndarray:
        """diag(F) as a flat vector (network parameter order)."""
        d = np.zeros(self.num_params)
        parts = [None] * len(self.params)
        for st in self.layers.values():
            st.layout.unbar(st.diagonal(), parts)
        for i, part in enumerate(parts):
            if part is not None:
                d[self.offsets[i] : self.offsets[i + 1]] = part.ravel()
        if self.other:
            for a, b in self._chunks():
                u = self.jacobian_rows(a, b)
                for lid in self.other:
                    sl = self.layer_slice(lid)
                    d[sl] += np.einsum("ij,ij->j", u[:, sl], u[:, sl])
        return d


def flat_gradient(net) -> np.ndarray:
    return np.concatenate([p.grad.ravel() for p in net.parameters()])
