"""End-to-end memory network (Sukhbaatar, Szlam, Weston & Fergus 2015, "End-To-End Memory Networks").

The lecture's "answering questions about text": a story is a *memory* of sentences, the question a
query; each hop the query attends over the sentences (softmax of dot products) and adds what it read to
itself, so a second hop can look for what the first one found ("where is the ring?" -> "Frodo dropped
the ring there" -> "Frodo journeyed to Mount-Doom").

Input (S + 1, J) token ids per example: rows 0..S-1 the story's sentences (the most recent in the last
row, empty rows of id 0 before it), row S the question; J words per row, padded with id 0. Output the
controller state u^{K+1} (dim,); a dense layer after it gives the answer's logits.

    sentence i, table E:  m_i = sum_j l_j * E[x_ij] + T_E[i]       (bag of words, position and time)
    question:             u^1 = sum_j l_j * B[q_j]
    hop k = 1..K:         p^k = softmax_i(u^k . m_i^k)  over the non-empty sentences
                          o^k = sum_i p_i^k c_i^k,      u^{k+1} = u^k + o^k   (layerwise: H u^k + o^k)

Tying ("tying"): "adjacent" (the paper's default) has K + 1 tables E^0..E^K with B = A^1 = E^0,
A^k = E^{k-1}, C^k = E^k (temporal tables tied the same way); "layerwise" has one A, one C, one B and a
matrix H for every hop. Padding (id 0) never counts: its words weigh 0 and empty sentences get no
attention, so the nil word needs no re-zeroing.

Position encoding (the paper's form, not the reference code's): l_kj = (1 - j/J) - (k/d)(1 - 2j/J) for
word j = 1..J and dimension k = 1..d; without it l = 1 (a plain bag of words). Temporal encoding T[i] is
indexed by the row, and rows are right-aligned, so it encodes "how many sentences ago" as the paper's
reverse order does. Without it the memory is a set: "went to A ... went to B" and its reverse look alike.

Random noise ("time_noise" p, the paper's RN, training only): after each sentence an empty memory is
inserted with probability p, shifting the time index of every older sentence by one, so the net cannot
lean on exact distances. Drawn from the layer's own generator (Network.reseed).

After a forward, `attention` holds one (N, S) array per hop (rows sum to 1 over the non-empty
sentences): which sentence each hop looked at. Initialisation N(0, 0.1^2), as the reference code.
"""

from __future__ import annotations

import numpy as np

from .. import backend
from .base import Layer

TYINGS = ("adjacent", "layerwise")
MAX_HOPS = 16
NEG = -1e30  # the score of an empty sentence: exp() of it underflows to exactly 0


def normal(rng: np.random.Generator, shape) -> np.ndarray:
    return 0.1 * rng.standard_normal(shape)


def position_encoding(words: int, dim: int) -> np.ndarray:
    """(J, d) weights l_kj = (1 - j/J) - (k/d)(1 - 2j/J), j and k counted from 1 (the paper's eq.)."""
    j = np.arange(1, words + 1)[:, None] / words
    k = np.arange(1, dim + 1)[None, :] / dim
    return (1 - j) - k * (1 - 2 * j)


class MemoryNetwork(Layer):
    type = "memory"
    defaults = {
        "vocab": None,
        "dim": 20,
        "hops": 3,
        "tying": "adjacent",
        "position_encoding": True,
        "temporal_encoding": True,
        "time_noise": 0.0,
        "words": None,
    }
    takes_integer_input = True

    def build(self, rng):
        shape = self.input_shapes[0]
        if len(shape) != 2 or shape[0] < 2:
            raise self.error(
                f"memory needs (sentences + 1, words) token ids: the story's sentences then the question, got {shape}"
            )
        self.slots, self.width = shape[0] - 1, shape[1]
        vocab = self.int_param("vocab", 2)
        dim = self.int_param("dim")
        self.hops = self.int_param("hops", 1, MAX_HOPS)
        self.tying = self.config["tying"]
        if self.tying not in TYINGS:
            raise self.error(f"'tying' must be one of {list(TYINGS)}, got {self.config['tying']!r:.60}")
        self.use_pe = self.bool_param("position_encoding")
        self.use_te = self.bool_param("temporal_encoding")
        self.time_noise = self.float_param("time_noise", 0.0, 1.0)
        self.stochastic = self.time_noise > 0  # draws at training time
        self._check_words(vocab)
        self._declare(vocab, dim)
        self.pe = position_encoding(self.width, dim) if self.use_pe else np.ones((self.width, dim))
        self.attention: list[np.ndarray] = []
        self.noise_rng = np.random.default_rng(0)
        return (dim,)

    def _check_words(self, vocab: int) -> None:
        """`words` (optional): the word of every token id, so that text can be read (story_qa.answer)."""
        words = self.config["words"]
        if words is None:
            return
        if not isinstance(words, list) or not all(isinstance(w, str) and w for w in words):
            raise self.error("'words' must be a list of non-empty strings (the word of each token id)")
        if len(words) != vocab or len(set(words)) != len(words):
            raise self.error(f"'words' must hold {vocab} distinct words (one per token id), got {len(words)}")

    def _declare(self, vocab: int, dim: int) -> None:
        """The tables, and per hop the names of the (A, T_A) and (C, T_C) it reads; B for the question."""
        tables = [f"E{k}" for k in range(self.hops + 1)] if self.tying == "adjacent" else ["B", "A", "C"]
        for name in tables:
            self.add_param(name, (vocab, dim), normal, attr=f"_{name}")
            if self.use_te and name != "B":
                self.add_param(f"T{name}", (self.slots, dim), normal, attr=f"_T{name}")
        if self.tying == "adjacent":
            self.question_table = "E0"
            self.hop_tables = [(f"E{k}", f"E{k + 1}") for k in range(self.hops)]
        else:
            self.question_table = "B"
            self.hop_tables = [("A", "C")] * self.hops
            self.add_param("H", (dim, dim), normal, attr="_H")

    def set_seed(self, rng):
        self.noise_rng = rng

    # ------------------------------------------------------------------ forward
    def forward(self, inputs, train):
        ids = self._ids(inputs[0])
        story, question = ids[:, :-1], ids[:, -1]
        self.ids = ids
        self.word_weights = (ids != 0)[..., None] * self.pe.astype(self.dtype)  # (N, S+1, J, d)
        self.present = (story != 0).any(axis=2)  # (N, S): non-empty sentences
        self.times = self._times(train)
        memories = {}  # table name -> (N, S, d), each built once per forward
        u = self._bag(self.question_table, question[:, None], self.word_weights[:, -1:])[:, 0]
        self.states, self.reads, self.attention = [u], [], []
        for a_name, c_name in self.hop_tables:
            for name in (a_name, c_name):
                if name not in memories:
                    memories[name] = self._memory(name, story)
            m, c = memories[a_name], memories[c_name]
            p = self._softmax(np.einsum("nsd,nd->ns", m, u))
            o = np.einsum("ns,nsd->nd", p, c)
            u = (self._matmul_h(u) if self.tying == "layerwise" else u) + o
            self.attention.append(p)
            self.states.append(u)
        self.memories = memories
        return u

    def _ids(self, x: np.ndarray) -> np.ndarray:
        """Token ids as int64 (the network hands non-embedding first layers floats): whole and in range."""
        if x.dtype.kind not in "iu":
            if x.size and not np.all(np.mod(x, 1) == 0):
                raise ValueError(f"layer '{self.id}' (memory): input must hold integer token ids, got {x.dtype}")
            x = x.astype(np.int64)
        vocab = self.param_shape(self.question_table)[0]
        if x.size and (x.min() < 0 or x.max() >= vocab):
            bad = x[(x < 0) | (x >= vocab)].flat[0]
            raise ValueError(f"layer '{self.id}' (memory): token id {bad} is outside the vocabulary [0, {vocab})")
        return x

    def _times(self, train: bool) -> np.ndarray | None:
        """Row index of each sentence's temporal encoding (N, S); None for the plain row order.

        With time noise at training time: a blank after a sentence (probability p) pushes every older
        sentence one row further back (clipped to the oldest row)."""
        if not (train and self.use_te and self.time_noise > 0) or self.ids.shape[0] == 0:
            return None
        blank = (self.noise_rng.random(self.present.shape) < self.time_noise) & self.present
        # shift of row i = blanks after rows i..S-1 (reverse cumulative sum)
        shift = np.cumsum(blank[:, ::-1], axis=1)[:, ::-1]
        return np.maximum(np.arange(self.slots)[None, :] - shift, 0)

    def _bag(self, name: str, ids: np.ndarray, weights: np.ndarray) -> np.ndarray:
        """sum_j l_j * table[ids_j] for ids (N, R, J) -> (N, R, d)."""
        return np.einsum("nrjd,nrjd->nrd", weights, getattr(self, f"_{name}").value[ids])

    def _memory(self, name: str, story: np.ndarray) -> np.ndarray:
        m = self._bag(name, story, self.word_weights[:, :-1])
        if self.use_te:
            table = getattr(self, f"_T{name}").value
            m = m + (table[None] if self.times is None else table[self.times])
        return m

    def _softmax(self, scores: np.ndarray) -> np.ndarray:
        """Softmax over the non-empty sentences; all zeros for a story with none."""
        scores = np.where(self.present, scores, NEG)
        e = np.exp(scores - scores.max(axis=1, keepdims=True)) * self.present
        total = e.sum(axis=1, keepdims=True)
        return e / np.where(total > 0, total, 1)

    def _matmul_h(self, u: np.ndarray) -> np.ndarray:
        """u H^T through the backend's matmul (the one dense product of a hop)."""
        return backend.current.matmul(np.ascontiguousarray(u), self._H.value, False, True)

    # ------------------------------------------------------------------ backward
    def backward(self, grad_y):
        g = np.asarray(grad_y, dtype=self.dtype)
        grad_mem = {name: np.zeros_like(m) for name, m in self.memories.items()}
        for k in range(self.hops - 1, -1, -1):
            a_name, c_name = self.hop_tables[k]
            u, p = self.states[k], self.attention[k]
            m, c = self.memories[a_name], self.memories[c_name]
            grad_mem[c_name] += p[:, :, None] * g[:, None, :]
            dp = np.einsum("nsd,nd->ns", c, g)
            ds = p * (dp - (p * dp).sum(axis=1, keepdims=True))  # softmax backward; 0 on empty rows
            grad_mem[a_name] += ds[:, :, None] * u[:, None, :]
            g_u = np.einsum("ns,nsd->nd", ds, m)
            if self.tying == "layerwise":
                self._H.grad += backend.current.matmul(np.ascontiguousarray(g), np.ascontiguousarray(u), True, False)
                g_u += backend.current.matmul(np.ascontiguousarray(g), self._H.value, False, False)
            else:
                g_u += g
            g = g_u
        story = self.ids[:, :-1]
        for name, gm in grad_mem.items():
            self._scatter(name, story, self.word_weights[:, :-1], gm)
            if self.use_te:
                t = getattr(self, f"_T{name}").grad
                if self.times is None:
                    t += gm.sum(axis=0)
                else:
                    np.add.at(t, self.times.reshape(-1), gm.reshape(-1, gm.shape[-1]))
        self._scatter(self.question_table, self.ids[:, -1:], self.word_weights[:, -1:], g[:, None, :])
        return [None]  # token ids are not differentiable

    def _scatter(self, name: str, ids: np.ndarray, weights: np.ndarray, grad_rows: np.ndarray) -> None:
        """table.grad[ids_j] += l_j * grad of the row's bag (padding weighs 0, so it adds nothing)."""
        table = getattr(self, f"_{name}")
        contrib = weights * grad_rows[:, :, None, :]
        np.add.at(table.grad, ids.reshape(-1), contrib.reshape(-1, contrib.shape[-1]))

    # ------------------------------------------------------------------ sizes
    def flops(self):
        d = self.output_shape[0]
        rows = (self.slots * (1 + self.hops) + 1) * self.width * d  # bags of words
        return 2 * (rows + self.hops * 2 * self.slots * d + (self.hops * d * d if self.tying == "layerwise" else 0))

    def workspace(self):
        d = self.output_shape[0]
        return (self.slots + 1) * self.width * d + len(self.hop_tables) * self.slots * (d + 1) + self.slots * d
