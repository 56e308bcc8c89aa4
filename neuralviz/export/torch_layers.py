"""PyTorch modules for the layer types that torch.nn has no one-to-one module for.

Each class computes exactly what the neuralviz layer of the same name computes (read beside
neuralviz/layers/<type>.py) and names its parameters as the engine does, so that a
state_dict moves between the two without renaming: `<layer_id>.weight_ih`, not torch's
`weight_ih_l0`. Buffers derived from the configuration (masks, position weights) are
non-persistent, so they never appear in a state_dict.

This file is also the source of the standalone training script (neuralviz/export/script.py
copies the classes a network needs with inspect.getsource), so every class here must be
self-contained: it may use only `math`, `torch`, `nn` and `F`.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn


class Step(nn.Module):
    """The perceptron's threshold: 1 where x > 0, else 0. Its gradient is zero (as the engine's), but
    it stays on the autograd graph (`+ 0 * x`), so a loss through it can still call backward()."""

    def forward(self, x):
        return (x > 0).to(x.dtype) + 0 * x


class GaussianNoise(nn.Module):
    """Adds N(0, std²) noise in training mode only; the identity in evaluation mode."""

    def __init__(self, std=0.1):
        super().__init__()
        self.std = std

    def forward(self, x):
        if not self.training or self.std == 0.0:
            return x
        return x + torch.randn_like(x) * self.std


class Add(nn.Module):
    """Sums its inputs (a residual merge)."""

    def forward(self, *xs):
        y = xs[0]
        for x in xs[1:]:
            y = y + x
        return y


class Concat(nn.Module):
    """Concatenates its inputs along `dim` (1: features or channels; 0 is the batch)."""

    def __init__(self, dim=1):
        super().__init__()
        self.dim = dim

    def forward(self, *xs):
        return torch.cat(xs, dim=self.dim)


class TokenEmbedding(nn.Embedding):
    """nn.Embedding that accepts token ids stored as floats (the engine hands its first layer floats)."""

    def forward(self, ids):
        return super().forward(ids.long())


class Recurrent(nn.Module):
    """One-layer RNN (tanh) / LSTM / GRU over batch-first (N, T, F) input, zero initial state.

    Returns the whole sequence (N, T, H) with return_sequences, else the last state (N, H).
    The parameters are weight_ih, weight_hh, bias_ih, bias_hh (gate orders as torch.nn: LSTM i,f,g,o;
    GRU r,z,n); torch's own fused kernel runs them through torch.func.functional_call.
    """

    CELLS = {"rnn": (nn.RNN, 1), "lstm": (nn.LSTM, 4), "gru": (nn.GRU, 3)}

    def __init__(self, kind, input_size, hidden, return_sequences=False):
        super().__init__()
        cell, gates = self.CELLS[kind]
        self.kind, self.return_sequences = kind, return_sequences
        self.weight_ih = nn.Parameter(torch.empty(gates * hidden, input_size))
        self.weight_hh = nn.Parameter(torch.empty(gates * hidden, hidden))
        self.bias_ih = nn.Parameter(torch.empty(gates * hidden))
        self.bias_hh = nn.Parameter(torch.empty(gates * hidden))
        self._cell = [cell(input_size, hidden, batch_first=True)]  # a list: not a submodule, no parameters of its own
        bound = 1.0 / math.sqrt(hidden)
        for p in self.parameters():
            nn.init.uniform_(p, -bound, bound)

    def forward(self, x):
        weights = {
            "weight_ih_l0": self.weight_ih,
            "weight_hh_l0": self.weight_hh,
            "bias_ih_l0": self.bias_ih,
            "bias_hh_l0": self.bias_hh,
        }
        y = torch.func.functional_call(self._cell[0], weights, (x,))[0]
        return y if self.return_sequences else y[:, -1]


class Clockwork(nn.Module):
    """Clockwork RNN: hidden units in groups with periods; group i updates at steps t with t % P_i == 0.

    weight_hh holds only the allowed recurrent entries W[i, j] (P_j >= P_i) in row-major order.
    """

    def __init__(self, input_size, hidden, periods=(1, 2, 4, 8), return_sequences=False):
        super().__init__()
        q, r = divmod(hidden, len(periods))
        sizes = [q + 1] * r + [q] * (len(periods) - r)
        period = torch.repeat_interleave(torch.tensor(list(periods)), torch.tensor(sizes))
        self.register_buffer("unit_period", period, persistent=False)
        self.register_buffer("mask", period[None, :] >= period[:, None], persistent=False)
        self.periods, self.return_sequences = tuple(periods), return_sequences
        bound = 1.0 / math.sqrt(hidden)
        self.weight_ih = nn.Parameter(torch.empty(hidden, input_size).uniform_(-bound, bound))
        self.weight_hh = nn.Parameter(torch.empty(int(self.mask.sum())).uniform_(-bound, bound))
        self.bias = nn.Parameter(torch.empty(hidden).uniform_(-bound, bound))

    def forward(self, x):
        n, steps, _ = x.shape
        w = torch.zeros(self.mask.shape, dtype=x.dtype, device=x.device).masked_scatter(self.mask, self.weight_hh)
        pre = x @ self.weight_ih.T + self.bias
        h = x.new_zeros(n, w.shape[0])
        states = []
        for t in range(steps):
            new = torch.tanh(pre[:, t] + h @ w.T)
            h = torch.where(t % self.unit_period == 0, new, h)
            states.append(h)
        return torch.stack(states, dim=1) if self.return_sequences else h


class Polynomial(nn.Module):
    """Every monomial of the inputs of degree 1..degree, degree by degree (neuralviz's order)."""

    def __init__(self, features, degree=3):
        super().__init__()
        self.degree, self.steps = degree, 0
        last = torch.arange(features)
        for k in range(1, degree):
            counts = features - last  # a monomial ending in x_j takes x_j, ..., x_{d-1}
            parent = torch.repeat_interleave(torch.arange(len(last)), counts)
            var = torch.cat([torch.arange(int(j), features) for j in last])
            self.register_buffer(f"parent{k}", parent, persistent=False)
            self.register_buffer(f"variable{k}", var, persistent=False)
            self.steps, last = k, var

    def forward(self, x):
        terms = [x]
        for k in range(1, self.steps + 1):
            terms.append(terms[-1][..., getattr(self, f"parent{k}")] * x[..., getattr(self, f"variable{k}")])
        return torch.cat(terms, dim=-1)


class StochasticDense(nn.Module):
    """Linear with Gaussian weights N(mean, softplus(rho)²): one draw per call in training mode, the mean
    in evaluation mode. `kl()` is the prior term to add to the loss (neuralviz adds its gradient itself)."""

    def __init__(self, in_features, units, bias=True, sigma_init=0.05, prior_sigma=None, kl_weight=1e-3):
        super().__init__()
        bound = 1.0 / math.sqrt(in_features)
        rho0 = sigma_init + math.log(-math.expm1(-sigma_init))  # softplus(rho0) = sigma_init
        self.weight_mean = nn.Parameter(torch.empty(units, in_features).uniform_(-bound, bound))
        self.weight_rho = nn.Parameter(torch.full((units, in_features), rho0))
        self.bias = nn.Parameter(torch.empty(units).uniform_(-bound, bound)) if bias else None
        self.sigma_init, self.prior_sigma, self.kl_weight = sigma_init, prior_sigma, kl_weight

    def forward(self, x):
        w = self.weight_mean
        if self.training:
            w = w + F.softplus(self.weight_rho) * torch.randn_like(w)
        return F.linear(x, w, self.bias)

    def kl(self):
        if self.prior_sigma is None:
            return self.weight_mean.new_zeros(())
        sigma = F.softplus(self.weight_rho)
        sp = self.prior_sigma
        per_weight = torch.log(sp / sigma) + (sigma**2 + self.weight_mean**2) / (2 * sp * sp) - 0.5
        return self.kl_weight * per_weight.sum()


class PdeRefine(nn.Module):
    """u <- u + dt * (W_out * relu(W_u * u + W_f * F + b) + b_out), `iterations` times with tied weights."""

    def __init__(self, classes, features, iterations=5, hidden=16, kernel_size=3, dt=0.2):
        super().__init__()
        k = kernel_size
        bound, bound_out = 1.0 / math.sqrt((classes + features) * k * k), 1.0 / math.sqrt(hidden * k * k)
        self.weight_u = nn.Parameter(torch.empty(hidden, classes, k, k).uniform_(-bound, bound))
        self.weight_f = nn.Parameter(torch.empty(hidden, features, k, k).uniform_(-bound, bound))
        self.bias = nn.Parameter(torch.empty(hidden).uniform_(-bound, bound))
        self.weight_out = nn.Parameter(torch.empty(classes, hidden, k, k).uniform_(-bound_out, bound_out))
        self.bias_out = nn.Parameter(torch.empty(classes).uniform_(-bound_out, bound_out))
        self.iterations, self.pad, self.dt, self.kernel_size = iterations, k // 2, dt, k

    def forward(self, u, features):
        drive = F.conv2d(features, self.weight_f, self.bias, padding=self.pad)  # the same every iteration
        for _ in range(self.iterations):
            z = F.conv2d(u, self.weight_u, padding=self.pad) + drive
            u = u + self.dt * F.conv2d(torch.relu(z), self.weight_out, self.bias_out, padding=self.pad)
        return u


class MemoryNetwork(nn.Module):
    """End-to-end memory network (Sukhbaatar et al. 2015) over (N, S + 1, J) token ids: S sentences then the
    question. Tables E0..E_hops ("adjacent" tying) or B, A, C and H ("layerwise"); temporal tables T<name>."""

    def __init__(
        self,
        slots,
        words,
        vocab,
        dim=20,
        hops=3,
        tying="adjacent",
        position_encoding=True,
        temporal_encoding=True,
        time_noise=0.0,
    ):
        super().__init__()
        names = [f"E{k}" for k in range(hops + 1)] if tying == "adjacent" else ["B", "A", "C"]
        for name in names:
            setattr(self, name, nn.Parameter(0.1 * torch.randn(vocab, dim)))
            if temporal_encoding and name != "B":
                setattr(self, f"T{name}", nn.Parameter(0.1 * torch.randn(slots, dim)))
        if tying == "adjacent":
            self.question_table, self.hop_tables = "E0", [(f"E{k}", f"E{k + 1}") for k in range(hops)]
        else:
            self.question_table, self.hop_tables = "B", [("A", "C")] * hops
            self.H = nn.Parameter(0.1 * torch.randn(dim, dim))
        j = torch.arange(1, words + 1, dtype=torch.float64)[:, None] / words
        k = torch.arange(1, dim + 1, dtype=torch.float64)[None, :] / dim
        pe = (1 - j) - k * (1 - 2 * j) if position_encoding else torch.ones(words, dim, dtype=torch.float64)
        self.register_buffer("pe", pe, persistent=False)
        self.tying, self.temporal, self.time_noise, self.slots = tying, temporal_encoding, time_noise, slots
        self.config = {
            "vocab": vocab,
            "dim": dim,
            "hops": hops,
            "tying": tying,
            "position_encoding": position_encoding,
            "temporal_encoding": temporal_encoding,
            "time_noise": time_noise,
        }

    def forward(self, x):
        ids = x.long()
        story, question = ids[:, :-1], ids[:, -1:]
        weights = (ids != 0)[..., None] * self.pe
        present = (story != 0).any(dim=2)
        times = self._times(present)
        u = self._bag(self.question_table, question, weights[:, -1:])[:, 0]
        memories = {}
        for a_name, c_name in self.hop_tables:
            for name in (a_name, c_name):
                if name not in memories:
                    memories[name] = self._memory(name, story, weights[:, :-1], times)
            scores = torch.einsum("nsd,nd->ns", memories[a_name], u).masked_fill(~present, -1e30)
            e = torch.exp(scores - scores.max(dim=1, keepdim=True).values) * present
            total = e.sum(dim=1, keepdim=True)
            p = e / torch.where(total > 0, total, torch.ones_like(total))
            o = torch.einsum("ns,nsd->nd", p, memories[c_name])
            u = (u @ self.H.T if self.tying == "layerwise" else u) + o
        return u

    def _times(self, present):
        """Random noise (training only): a blank after a sentence pushes every older sentence one row back."""
        if not (self.training and self.temporal and self.time_noise > 0):
            return None
        blank = (torch.rand(present.shape, device=present.device) < self.time_noise) & present
        shift = torch.flip(torch.cumsum(torch.flip(blank.long(), [1]), 1), [1])
        return torch.clamp(torch.arange(self.slots, device=present.device)[None, :] - shift, min=0)

    def _bag(self, name, ids, weights):
        return torch.einsum("nrjd,nrjd->nrd", weights, getattr(self, name)[ids])

    def _memory(self, name, story, weights, times):
        m = self._bag(name, story, weights)
        if self.temporal:
            table = getattr(self, f"T{name}")
            m = m + (table[None] if times is None else table[times])
        return m
