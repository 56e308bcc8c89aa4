"""GanWorker: trains a GAN in a WorkerHost thread and sends GanFrames (frames.py) at up to 30 a second.

A FrameWorker (play / pause / step / train_for / speed), plus what GAN Lab lets you do by hand: one D step,
one G step, k D steps per G step, the two learning rates, the points you draw, and slow motion, which tells
each step in numbered sub-steps held HOLD_S seconds each (the update happens as its sub-step 5 is shown).
Every error (a preset that does not build, a drawing left empty) reaches the page through `failed`.
"""

from __future__ import annotations

import time

import numpy as np
from PyQt6.QtCore import pyqtSlot

from ...generative.gan import GAN
from ..common.error_text import describe_error
from ..common.frame_worker import MAX_SPEED, TICK_S, FrameWorker
from .frames import D_PHASES, G_PHASES, GanFrame, make_frame

HOLD_S = 1.25  # GAN Lab's slow-motion hold per sub-step
FAKE_POINTS = 200  # GAN Lab shows 150 fake and 450 real dots
REAL_POINTS = 400


class _Steps:
    """What FrameWorker's loop counts: the GAN's steps (its `step` name is a method on GAN)."""

    def __init__(self, gan: GAN):
        self.gan = gan

    @property
    def step(self) -> int:
        return self.gan.steps_done


class GanWorker(FrameWorker):
    # a frame goes out between training chunks, once the GUI has drawn the last one, and takes the worker ~4 ms
    # to compute: aiming at 40 a second keeps the room at >= 30
    frame_rate = 40.0

    def __init__(self, speed: int = MAX_SPEED, budget: int | None = None):
        super().__init__(speed=speed)
        self.gan: GAN | None = None
        self._steps: _Steps | None = None
        self.budget = budget  # stop (with a final frame) at this step; None: train until paused
        self._chunk = 8
        self._fixed_z = self._real = None
        self._slow = False
        self._phase: tuple[str, int] | None = None  # ("D" or "G", 0..4) while slow motion tells a step
        self._phase_at = 0.0
        self._d_told = 0

    def _model(self):
        return self._steps

    # ------------------------------------------------------------------ commands
    @pyqtSlot(object, int)
    def configure(self, preset, seed: int) -> None:
        """A fresh GAN from a preset name or dict, step 0, paused; on an error keep the current one and say why."""
        self._halt()
        try:
            gan = GAN.from_preset(preset, seed=seed)
            fixed_z = gan.latent(FAKE_POINTS, seed=seed + 7)
            real = self._draw_real(gan)
        except Exception as err:  # noqa: BLE001 - every failure must reach the page, not kill the thread
            self.failed.emit(describe_error(err, with_trace=False))
            return
        self.gan, self._steps, self._fixed_z, self._real = gan, _Steps(gan), fixed_z, real
        self._phase = None
        self._emit(force=True)

    @staticmethod
    def _draw_real(gan: GAN):
        try:
            return gan.real(REAL_POINTS, seed=11)
        except ValueError:  # nothing drawn yet: no real points to show
            return np.zeros((0, 2), dtype=np.float32)

    def _act(self, what: str, fn) -> None:
        """Run fn on the GAN (paused), then send a full frame; an error pauses and is shown."""
        if self.gan is None:
            return
        self._halt()
        try:
            fn(self.gan)
        except Exception as err:  # noqa: BLE001
            self.failed.emit(f"{what}: {describe_error(err, with_trace=False)}")
        self._emit(force=True)

    @pyqtSlot()
    def step_d(self) -> None:
        self._act("D step", lambda g: g.step_d())

    @pyqtSlot()
    def step_g(self) -> None:
        self._act("G step", lambda g: g.step_g())

    @pyqtSlot(int)
    def set_k_d(self, k: int) -> None:
        if self.gan is not None:
            self.gan.set_k_d(int(k))
            self._emit(force=True)

    @pyqtSlot(str)
    def set_loss(self, loss: str) -> None:
        if self.gan is not None:
            try:
                self.gan.set_loss(loss)
            except ValueError as err:
                self.failed.emit(describe_error(err, with_trace=False))
            self._emit(force=True)

    @pyqtSlot(object, object)
    def set_lr(self, lr_g, lr_d) -> None:
        if self.gan is not None:
            try:
                self.gan.set_lr(lr_g, lr_d)
            except (TypeError, ValueError) as err:
                self.failed.emit(describe_error(err, with_trace=False))
            self._emit(force=True)

    @pyqtSlot(object)
    def set_points(self, points) -> None:
        """The drawn points (the whole list): the real data of a "points" source from now on."""
        if self.gan is None:
            return
        try:
            self.gan.set_points(points)
        except (TypeError, ValueError) as err:
            self.failed.emit(describe_error(err, with_trace=False))
            return
        self._real = self._draw_real(self.gan)
        self._emit(force=True)

    @pyqtSlot(object, object)
    def set_networks(self, generator, discriminator) -> None:
        """New players (specs from the editor dialog; None keeps one): the same game rebuilt here, in the
        worker thread, at step 0 with fresh weights; on an error the current GAN stays and the page says why."""
        if self.gan is None:
            return
        self._halt()
        try:
            gan = self.gan.with_networks(generator, discriminator)
        except Exception as err:  # noqa: BLE001 - every failure must reach the page, not kill the thread
            self.failed.emit(f"New networks: {describe_error(err, with_trace=False)}")
            return
        self.gan, self._steps, self._phase = gan, _Steps(gan), None
        self._emit(force=True)

    @pyqtSlot(bool)
    def set_slow(self, on: bool) -> None:
        self._slow = bool(on)
        self._phase = None
        self._d_told = 0
        self._emit(force=True)

    # ------------------------------------------------------------------ the loop
    @pyqtSlot()
    def _tick(self) -> None:
        if self._slow and self._target is None:  # a train_for (a scripted run) goes at full speed
            self._slow_tick()
        else:
            self.tick_steps(self._chunk, self.budget)

    def _slow_tick(self) -> None:
        """Slow motion: hold each sub-step HOLD_S seconds; D's update as D's sub-step 5 shows, G's as G's."""
        if not self._playing or self.gan is None:
            self._schedule()
            return
        now = time.perf_counter()
        if self._phase is not None and now - self._phase_at < HOLD_S:
            return
        side, i = self._phase or ("G", 4)
        if i < 4:
            side, i = side, i + 1
        elif side == "D" and self._d_told + 1 < self.gan.k_d:
            side, i, self._d_told = "D", 0, self._d_told + 1
        elif side == "D" or self.gan.k_d == 0:
            side, i = "G", 0
        else:
            side, i, self._d_told = "D", 0, 0
        self._phase, self._phase_at = (side, i), now
        if i == 4:
            update = self.gan.step_d if side == "D" else self.gan.step_g
            if not self._guarded(update):
                return
        self._emit(force=True)

    def _guarded(self, fn) -> bool:
        try:
            fn()
        except Exception as err:  # noqa: BLE001 - diverged, or a drawing left empty
            self._halt()
            self.failed.emit(f"Training stopped: {describe_error(err, with_trace=False)}")
            self._emit(force=True, final=True)
            return False
        return True

    def _train(self, steps: int) -> bool:
        start = time.perf_counter()

        def run():
            for _ in range(steps):
                self.gan.step()

        if not self._guarded(run):
            return False
        per_step = (time.perf_counter() - start) / steps
        self._chunk = max(1, min(256, int(TICK_S / 4 / max(per_step, 1e-7))))
        return True

    def _emit(self, force: bool = False, final: bool = False) -> None:
        if self.gan is None or not self._frame_due(force, self.frame_rate):
            return
        now = time.perf_counter()
        phase, side = "", ""
        if self._slow and self._phase is not None:
            side, i = self._phase
            phase = (D_PHASES if side == "D" else G_PHASES)[i]
        try:
            frame: GanFrame = make_frame(
                self.gan,
                self._fixed_z,
                self._real,
                steps_per_second=self._steps_per_second(),
                playing=self._playing,
                final=final,
                phase=phase,
                phase_side=side,
            )
        except Exception as err:  # noqa: BLE001
            self._halt()
            self.failed.emit(f"Could not draw the GAN: {describe_error(err, with_trace=False)}")
            return
        self._send(frame, now)
