"""What a sequence model generates on its own while it learns (no Qt; computed in the worker thread).

* Forecast (sine_forecast tasks): a prompt of T values of a sum of sines, the true continuation, and the net's
  free-running continuation (neuralviz.generation.free_run: each prediction fed back as the next input).
* Sample (char_text tasks): the characters the net writes after a window of the test text
  (neuralviz.generation.sample_text), with a fixed seed so that two samples differ only by what the net learned.

Both hold copies only: the GUI thread draws them and never touches the network.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...data.sequences import sum_of_sines
from ...data.text import decode
from ...generation import free_run, sample_text

FREE_STEPS = 60  # values generated after the prompt: three of T = 20, enough to see a drift grow
SAMPLE_LENGTH = 240  # characters per sample: a few lines of a speech
SAMPLE_EVERY = 50  # training steps between two samples (a sample costs a few tens of ms)
SAMPLE_SEED = 0
KINDS = {"sine_forecast": "forecast", "char_text": "text"}


def generation_kind(preset: dict) -> str | None:
    """ "forecast", "text" or None: what the preset's task lets the net generate."""
    ds_cfg = preset.get("dataset") or {}
    return KINDS.get(ds_cfg.get("name")) if isinstance(ds_cfg, dict) else None


@dataclass
class Forecast:
    """A prompt (T values), the true continuation and the net's own (FREE_STEPS values each)."""

    prompt: np.ndarray
    truth: np.ndarray
    generated: np.ndarray


@dataclass
class Sample:
    """The text a net wrote after `prompt` at training step `step`, with its temperature and seed."""

    prompt: str
    text: str
    temperature: float
    seed: int
    step: int


def forecast(net, components: int, example: int, steps: int = FREE_STEPS) -> Forecast:
    """The net's free run after T values of a sum of `components` sines drawn with seed `example` (the page's
    example number picks the wave), against the wave's true continuation."""
    t = int(net.input_shape[0])
    wave = sum_of_sines(1, t + steps, components, np.random.default_rng(example))[0]
    generated = free_run(net, wave[:t], steps)
    return Forecast(wave[:t].copy(), wave[t:].copy(), np.asarray(generated, dtype=np.float64))


def sample(net, vocab: list[str], window: np.ndarray, temperature: float, step: int) -> Sample:
    """SAMPLE_LENGTH characters after the text window `window` (character ids), seed SAMPLE_SEED."""
    prompt = decode(vocab, window)
    text = sample_text(net, vocab, prompt, SAMPLE_LENGTH, temperature, SAMPLE_SEED)
    return Sample(prompt, text, float(temperature), SAMPLE_SEED, int(step))
