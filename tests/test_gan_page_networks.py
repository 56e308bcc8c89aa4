"""The GAN page's players drawn and edited on the Architecture editor's canvas (Edit G… / Edit D…): on OK the
worker thread rebuilds the game with the edited spec at step 0, Reset keeps the edit, and a spec that does not
fit the game is refused with its reason in the page's banner."""

import copy

from conftest import GUI_WAIT_MS, shown_page

from neuralviz.app.gan import page as page_module
from neuralviz.app.gan.page import GanPage


def _first_weight_shape(page):
    return page.host.worker.gan.generator.parameters()[0].value.shape


def test_edit_g_rebuilds_the_game_in_the_worker_and_reset_keeps_it(qtbot, monkeypatch):
    seen = {}

    def fake_edit(parent, spec, title, theme, required_output=None):  # the dialog's OK with 16 first units
        seen["args"] = (title, required_output)
        spec = copy.deepcopy(spec)
        spec["layers"][0]["units"] = 16
        return spec

    monkeypatch.setattr(page_module, "edit_spec", fake_edit)
    p = shown_page(qtbot, GanPage, (1024, 640))
    try:
        qtbot.waitUntil(lambda: p.frame is not None, timeout=GUI_WAIT_MS)
        p.step()
        qtbot.waitUntil(lambda: p.frame is not None and p.frame.step >= 1, timeout=GUI_WAIT_MS)
        assert p.edit_network("generator")
        assert seen["args"] == ("Generator G", (2,))
        assert "16" in p.nets.text()
        qtbot.waitUntil(lambda: p.frame is not None and p.frame.step == 0, timeout=GUI_WAIT_MS)
        qtbot.waitUntil(lambda: _first_weight_shape(p)[0] == 16, timeout=GUI_WAIT_MS)
        p.reset()
        qtbot.wait(100)
        qtbot.waitUntil(lambda: p.frame is not None and p.frame.step == 0, timeout=GUI_WAIT_MS)
        qtbot.waitUntil(lambda: _first_weight_shape(p)[0] == 16, timeout=GUI_WAIT_MS)
    finally:
        p.shutdown()


def test_a_player_that_does_not_fit_the_game_is_refused_in_the_banner(qtbot):
    p = shown_page(qtbot, GanPage, (1024, 640))
    try:
        qtbot.waitUntil(lambda: p.frame is not None, timeout=GUI_WAIT_MS)
        bad = {"input_shape": [2], "layers": [{"id": "o", "type": "dense", "units": 3}]}
        p.host.post(p.host.worker.set_networks, bad, None)
        qtbot.waitUntil(lambda: "generator makes" in p.message.text, timeout=GUI_WAIT_MS)
    finally:
        p.shutdown()
