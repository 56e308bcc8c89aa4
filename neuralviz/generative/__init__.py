"""Generative models: auto-encoders (a code space to walk and add in) and GANs (two nets in a game).

    z = nv.generative.encode(net, x)            # a spec with a layer whose id is "code"
    images = nv.generative.decode(net, z)
    gan = nv.generative.GAN.from_preset("gan-ring", seed=0)
    gan.train()                                  # the preset's budget
    gan.sample(500), gan.real(500)
    nv.generative.slerp(z_a, z_b, 0.5)           # a point between two latent vectors (White 2016)

The names load on first use, so `import neuralviz` stays fast.
"""

from __future__ import annotations

import importlib

_NAMES = {
    "encode": "autoencoder",
    "decode": "autoencoder",
    "interpolate": "autoencoder",
    "arithmetic": "autoencoder",
    "GAN": "gan",
    "lerp": "latent",
    "slerp": "latent",
    "mode_coverage": "metrics",
}

__all__ = sorted(_NAMES)


def __getattr__(name: str):
    if name not in _NAMES:
        raise AttributeError(f"module 'neuralviz.generative' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{_NAMES[name]}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_NAMES))
