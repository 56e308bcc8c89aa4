"""PriorWorker: the prior-gallery scene's thread (a HostedWorker run by a WorkerHost), and what it sends.

Nothing trains: each draw computes every gallery's maps once (one untrained network per seed, each map
auto-contrasted) and sends them as one immutable PriorFrame. That is too slow for the GUI thread: 16 maps of
64 x 64 take 20-50 ms for the default pair on an idle core of a Xeon (130-220 ms with the 2-core machine
loaded by 7 processes).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...viz.prior import auto_contrast, prior_maps
from ..common.error_text import describe_error
from ..common.frame_worker import HostedWorker
from .prior_setup import PriorConfig

__all__ = ["PriorWorker", "PriorFrame"]


@dataclass(frozen=True)
class PriorFrame:
    serial: int
    draw: int
    seeds: tuple[int, ...]
    maps: tuple[np.ndarray, ...]  # per architecture: (n², res, res) float32 in [-1, 1]


class PriorWorker(HostedWorker):
    """Computes a draw's maps in the WorkerHost's thread."""

    def compute(self, config: PriorConfig, draw: int, serial: int) -> None:
        try:
            seeds = config.seeds(draw)
            maps = tuple(
                auto_contrast(prior_maps(a["network"], seeds, config.resolution, config.extent, a["features"])).astype(
                    np.float32
                )
                for a in config.architectures
            )
        except Exception as err:  # noqa: BLE001 - every failure must reach the view, not kill the thread
            self.failed.emit(describe_error(err, with_trace=False))
            return
        self._send(PriorFrame(serial, draw, tuple(seeds), maps))
