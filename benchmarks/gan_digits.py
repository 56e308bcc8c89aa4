"""The image GAN (preset gan-digits) trained to its budget, timed, and its samples judged by a digits classifier.

A GAN has no test loss; what a sample grid shows can be counted instead (the brief's check, after the unrolled-GAN
paper's mode counts): a LeNet trained here on the real digits (preset digits-cnn) labels 1,000 samples. Reported:
the class histogram (a collapsed generator fills few classes), the number of classes holding at least 5% of the
samples, and the classifier's mean confidence (blurred or broken digits get low confidence). The same figures for
1,000 real test digits (the ceiling) and for the untrained generator (the floor) put them in scale.

    .venv/bin/python benchmarks/gan_digits.py [--seeds 0 1] [--steps N] [--json out.json]

Claim (exit status 1 when not met): after the preset's budget, >= 8 of the 10 classes hold >= 5% of the samples and
the mean confidence is >= 0.8.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
from _races import machine, verdict

import neuralviz as nv

SAMPLES = 1000
MIN_SHARE = 0.05  # a class counts as a mode held when it has at least this share of the samples
CLAIM_MODES, CLAIM_CONFIDENCE = 8, 0.8


def judge(classifier, images: np.ndarray, train: np.ndarray) -> dict:
    """Class histogram, modes held, mean confidence of `images` in [-1, 1] (the classifier reads [0, 1]) and
    their distance to the nearest of the training images `train`."""
    logits = classifier.forward(((images + 1.0) / 2.0).astype(np.float32)).astype(np.float64)
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    hist = np.bincount(p.argmax(axis=1), minlength=10)
    return {
        "histogram": hist.tolist(),
        "modes": int(np.sum(hist >= MIN_SHARE * len(images))),
        "confidence": float(p.max(axis=1).mean()),
        "nearest": nearest_distance(images, train),
    }


def nearest_distance(images: np.ndarray, train: np.ndarray) -> float:
    """Mean over `images` of the RMS pixel distance to the nearest training image (the brief's memorisation check)."""
    a = images.reshape(len(images), -1).astype(np.float64)
    b = train.reshape(len(train), -1).astype(np.float64)
    d2 = (a * a).sum(1)[:, None] - 2.0 * a @ b.T + (b * b).sum(1)[None, :]
    return float(np.sqrt(np.maximum(d2.min(axis=1), 0.0) / a.shape[1]).mean())


def row(label: str, j: dict) -> str:
    return (
        f"{label:24s} modes {j['modes']:2d}/10  confidence {j['confidence']:.3f}  nearest train {j['nearest']:.3f}  "
        f"histogram {j['histogram']}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--steps", type=int, default=None, help="default: the preset's budget")
    parser.add_argument("--json", default=None)
    args = parser.parse_args()
    print(f"machine: {machine()}")
    start = time.perf_counter()
    classifier, metrics = nv.presets.train("digits-cnn", seed=0)
    print(f"classifier digits-cnn: test accuracy {metrics['test_accuracy']:.3f} ({time.perf_counter() - start:.1f} s)")
    digits = nv.data.load("digits", seed=0)  # the split a seed-0 GAN trains on
    train, real = digits.x_train * 2.0 - 1.0, digits.x_test * 2.0 - 1.0
    print(row("real test digits", judge(classifier, real, train)))
    results, ok = [], True
    for seed in args.seeds:
        gan = nv.generative.GAN.from_preset("gan-digits", seed=seed)
        train = gan.source.images  # the digits this GAN sees (the split follows the seed)
        print(row(f"seed {seed}, untrained", judge(classifier, gan.sample(SAMPLES, seed=99), train)))
        start = time.perf_counter()
        history = gan.train(args.steps)
        seconds = time.perf_counter() - start
        j = judge(classifier, gan.sample(SAMPLES, seed=99), train)
        print(row(f"seed {seed}, {gan.steps_done:,d} steps", j))
        print(
            f"{'':24s} {seconds:.1f} s ({gan.steps_done / seconds:,.0f} G+D steps/s); last 200 steps: "
            f"D loss {np.mean(history['d_loss'][-200:]):.3f}, G loss {np.mean(history['g_loss'][-200:]):.3f}"
        )
        met = j["modes"] >= CLAIM_MODES and j["confidence"] >= CLAIM_CONFIDENCE
        ok &= met
        results.append({"seed": seed, "steps": gan.steps_done, "seconds": seconds, **j})
    print(
        f"claim: >= {CLAIM_MODES} classes with >= {MIN_SHARE:.0%} of the samples and mean confidence >= "
        f"{CLAIM_CONFIDENCE} after the budget: {verdict(ok)}"
    )
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"machine": machine(), "results": results}, f, indent=1)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
