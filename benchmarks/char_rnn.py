"""Generation as a model learns: the char-rnn preset's loss and samples at checkpoints, and the sine-forecast
preset's free-running error against the true continuation.

    .venv/bin/python benchmarks/char_rnn.py [--seed 0] [--checkpoints 250,500,1000,1551,3000]

The preset's budget is 1551 steps (11 epochs), near where the test loss stops falling: 16 KB of text is soon
learnt by heart, and the 3000-step checkpoint shows the train loss still falling while the test loss rises.
Text samples are printed at temperatures 0 (argmax), 0.5 and 1. The sine part trains the preset, then runs it free
for 48 steps after a 20-step prompt of 500 fresh sines (periods 4-24 steps, as the dataset draws them) and reports
the error per horizon and per example over the example's own period.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from neuralviz import presets
from neuralviz.generation import free_run, sample_text

PROMPT = "First Citizen:\n"


def char_rnn(seed: int, checkpoints: list[int]) -> None:
    setup = presets.build(presets.load("char-rnn"), seed)
    ds, trainer = setup.dataset, setup.trainer
    print(
        f"char-rnn: {setup.network.num_parameters():,d} parameters, {ds.n_train} training windows, budget "
        f"{setup.budget} steps"
    )
    start, done = time.perf_counter(), 0
    for stop in checkpoints:
        losses = trainer.train_steps(ds.x_train, ds.y_train, stop - done, setup.batch_size)
        done = stop
        test = trainer.evaluate(ds.x_test, ds.y_test)
        print(
            f"\n--- step {done} ({time.perf_counter() - start:.0f} s): train loss (last 50 steps) "
            f"{losses[-50:].mean():.3f}, test loss {test['loss']:.3f}, test accuracy {test['accuracy']:.3f}"
        )
        for temperature in (0.0, 0.5, 1.0):
            text = sample_text(setup.network, ds.vocab, PROMPT, 200, temperature, seed=seed)
            print(f"[T={temperature}] {text!r}")


def sine_forecast(seed: int) -> None:
    start = time.perf_counter()
    net, metrics = presets.train("sine-forecast", seed)
    print(
        f"\nsine-forecast: {metrics['steps']} steps in {time.perf_counter() - start:.1f} s, "
        f"test MSE {metrics['test_loss']:.2e}"
    )
    rng = np.random.default_rng(1000 + seed)
    n, t, ahead = 500, net.input_shape[0], 48
    period = rng.uniform(4.0, 24.0, size=(n, 1))
    phase = rng.uniform(0.0, 2 * np.pi, size=(n, 1))
    wave = np.sin(2 * np.pi * np.arange(t + ahead)[None, :] / period + phase)
    err = np.abs(free_run(net, wave[:, :t], ahead) - wave[:, t:])
    for h in (1, 5, 12, 24, 48):
        rms = np.sqrt((err[:, :h] ** 2).mean())
        print(f"  first {h:2d} steps: mean |error| {err[:, :h].mean():.3f}, RMS {rms:.3f}")
    own = np.array([err[i, : int(np.ceil(period[i, 0]))].max() for i in range(n)])
    print(
        f"  over each example's own period: max |error| median {np.median(own):.3f}, 90th percentile "
        f"{np.quantile(own, 0.9):.3f}; {np.mean(own < 0.1):.0%} of examples stay within 0.1"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--checkpoints", default="250,500,1000,1551,3000")
    args = parser.parse_args()
    sine_forecast(args.seed)
    char_rnn(args.seed, [int(c) for c in args.checkpoints.split(",")])


if __name__ == "__main__":
    main()
