"""Lecture topics 2 and 3: the output maps of untrained networks (nv.viz.prior) and the loss surface with
gradient descent walking on it (nv.viz.surface), and their scene views (PriorView, SurfaceView)."""

from __future__ import annotations

import os

import numpy as np
import pytest

import neuralviz as nv
from neuralviz.network import Network
from neuralviz.viz import Descent, ParameterPlane, auto_contrast, descend, loss_surface, prior_maps, random_direction

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

GUI_WAIT_MS = 30_000  # generous for a loaded machine: the waits end as soon as the condition holds


def mlp(widths, activation, inputs=2, bias=True):
    layers = []
    for i, w in enumerate(widths):
        layers += [{"id": f"h{i}", "type": "dense", "units": w, "bias": bias}, {"id": f"a{i}", "type": activation}]
    layers.append({"id": "out", "type": "dense", "units": 1, "bias": bias})
    return {"format": "neuralviz.network/1", "input_shape": [inputs], "layers": layers}


# ---------------------------------------------------------------------------------------------- prior maps
def test_prior_maps_are_the_untrained_networks_outputs_and_deterministic_by_seed():
    spec = mlp([16], "tanh")
    maps = prior_maps(spec, [3, 4], resolution=12)
    assert maps.shape == (2, 12, 12) and maps.dtype == np.float64
    np.testing.assert_array_equal(maps, prior_maps(spec, [3, 4], resolution=12))
    np.testing.assert_array_equal(maps[1], prior_maps(spec, [4], resolution=12)[0])  # a seed's map, alone or not
    assert np.abs(maps[0] - maps[1]).max() > 1e-3  # another seed, another function
    x = nv.viz.input_grid(nv.viz.PRIOR_EXTENT, 12)
    direct = nv.predict(Network.from_spec(spec, seed=3), x)[:, 0].reshape(12, 12)
    np.testing.assert_allclose(maps[0], direct, rtol=1e-6, atol=1e-7)


def test_prior_maps_refuse_bad_input():
    spec = mlp([4], "relu")
    with pytest.raises(ValueError, match="seeds is empty"):
        prior_maps(spec, [])
    with pytest.raises(ValueError, match="seeds must be integers >= 0"):
        prior_maps(spec, [-1])
    with pytest.raises(ValueError, match="resolution"):
        prior_maps(spec, [0], resolution=1)
    with pytest.raises(ValueError, match="features"):
        prior_maps(mlp([4], "relu", inputs=3), [0], resolution=4)


def test_auto_contrast_stretches_each_map_to_the_colour_scale():
    rng = np.random.default_rng(0)
    maps = np.stack([0.001 * rng.standard_normal((16, 16)) + 5.0, 10.0 * rng.standard_normal((16, 16))])
    out = auto_contrast(maps)
    assert out.shape == maps.shape
    assert out.min() >= -1.0 and out.max() <= 1.0
    for m in out:  # each map reaches the end of the scale, centred on its median
        assert np.abs(m).max() == pytest.approx(1.0)
        assert abs(np.median(m)) < 1e-12
    # an offset and a positive scale change nothing: the shape is what is shown
    np.testing.assert_allclose(auto_contrast(3.0 * maps + 7.0), out, atol=1e-9)
    flat = auto_contrast(np.full((1, 8, 8), 0.37))
    np.testing.assert_array_equal(flat, 0.0)  # constant: neutral, not rounding noise stretched
    with pytest.raises(ValueError, match="percentile"):
        auto_contrast(maps, percentile=0)


def test_default_architectures_draw_visibly_different_functions():
    """The storyboard's promise: deep ReLU maps are rougher (creased) than wide shallow tanh maps."""
    from neuralviz.app.lecture.prior_setup import default_architectures

    def roughness(spec):
        a = auto_contrast(prior_maps(spec, range(16), resolution=32))
        lap = a[:, 2:, 1:-1] + a[:, :-2, 1:-1] + a[:, 1:-1, 2:] + a[:, 1:-1, :-2] - 4 * a[:, 1:-1, 1:-1]
        return np.abs(lap).mean()

    tanh, relu = (roughness(a["network"]) for a in default_architectures())
    assert relu > 2.0 * tanh


# ---------------------------------------------------------------------------------------------- surface
@pytest.fixture(scope="module")
def neuron():
    """One tanh neuron without biases, v·tanh(w·x), fitting sin(πx/2): the surface view's default problem."""
    ds = nv.data.load("sine", seed=0, frequency=0.5, n=60)
    net = Network.from_spec(mlp([1], "tanh", inputs=1, bias=False), seed=0, dtype="float64")
    return net, ds.x_train, ds.targets("mse")


def direct_loss(net, x, y, state):
    copy = Network.from_spec(net.to_spec(), dtype="float64")
    copy.load_state_dict(state)
    return nv.losses.mse(copy.forward(x), y, grad=False)[0]


def test_surface_values_are_the_loss_at_those_weights(neuron):
    net, x, y = neuron
    before = net.state_dict()
    plane = ParameterPlane(net, x, y, "mse", ["h0.weight[0, 0]", "out.weight[0,0]"])
    assert plane.start == (float(before["h0.weight"][0, 0]), float(before["out.weight"][0, 0]))
    a, b, z = loss_surface(plane, (-4, 4), (-3, 3), resolution=9)
    assert z.shape == (9, 9) and a[0] == -4 and a[-1] == 4 and b[-1] == 3
    for i, j in [(0, 0), (2, 7), (8, 3), (4, 4)]:
        state = {"h0.weight": np.array([[a[j]]]), "out.weight": np.array([[b[i]]])}
        assert z[i, j] == pytest.approx(direct_loss(net, x, y, state), rel=1e-12)
    for name, value in before.items():  # the plane works on its own copy
        np.testing.assert_array_equal(net.state_dict()[name], value)


def test_a_random_slice_is_theta0_plus_a_d1_plus_b_d2(neuron):
    net, x, y = neuron
    d1, d2 = random_direction(net, 0), random_direction(net, 1)
    assert d1.shape == (net.num_parameters(),) and not np.allclose(d1, d2)
    plane = ParameterPlane(net, x, y, "mse", [d1, d2])
    assert plane.start == (0.0, 0.0)
    theta = np.concatenate([p.value.ravel() for p in net.parameters()]) + 0.7 * d1 - 0.3 * d2
    state = {"h0.weight": theta[:1].reshape(1, 1), "out.weight": theta[1:].reshape(1, 1)}
    assert plane.loss_at(0.7, -0.3) == pytest.approx(direct_loss(net, x, y, state), rel=1e-12)


def test_the_gradient_along_the_axes_matches_finite_differences(neuron):
    net, x, y = neuron
    for axes in (["h0.weight[0,0]", "out.weight[0,0]"], [random_direction(net, 2), random_direction(net, 3)]):
        plane = ParameterPlane(net, x, y, "mse", axes)
        p, h = np.array([0.8, -0.6]), 1e-6
        _, grad = plane.value_and_gradient(*p)
        numeric = [(plane.loss_at(*(p + h * e)) - plane.loss_at(*(p - h * e))) / (2 * h) for e in np.eye(2)]
        np.testing.assert_allclose(grad, numeric, rtol=1e-6, atol=1e-9)


def test_small_steps_go_downhill_and_large_ones_are_caught_diverging(neuron):
    net, x, y = neuron
    plane = ParameterPlane(net, x, y, "mse", ["h0.weight[0,0]", "out.weight[0,0]"])
    path, losses = descend(plane, (3.5, -1.0), lr=0.05, steps=40)
    assert path.shape == (41, 2) and losses.shape == (41,)
    assert np.all(np.diff(losses) <= 1e-12) and losses[-1] < 0.5 * losses[0]
    assert losses[-1] == pytest.approx(plane.loss_at(*path[-1]))  # the path lies on the surface
    momentum = Descent(plane, (3.5, -1.0), lr=0.1, momentum=0.9)
    momentum.step(150)
    assert momentum.losses[-1] < 1e-3 and not momentum.diverged
    wild = Descent(plane, (3.5, -1.0), lr=50.0)
    wild.step(100)
    assert wild.diverged and wild.step_count < 100 and np.all(np.isfinite(wild.path))


def test_plane_and_descent_refuse_bad_input(neuron):
    net, x, y = neuron
    with pytest.raises(ValueError, match="unknown weight 'h9.weight"):
        ParameterPlane(net, x, y, "mse", ["h9.weight[0,0]", "out.weight[0,0]"])
    with pytest.raises(ValueError, match="outside its shape"):
        ParameterPlane(net, x, y, "mse", ["h0.weight[0,1]", "out.weight[0,0]"])
    with pytest.raises(ValueError, match="same weight"):
        ParameterPlane(net, x, y, "mse", ["out.weight[0,0]", "out.weight[0, 0]"])
    with pytest.raises(ValueError, match="exactly two"):
        ParameterPlane(net, x, y, "mse", ["out.weight[0,0]"])
    with pytest.raises(ValueError, match="direction needs 2 entries"):
        ParameterPlane(net, x, y, "mse", [np.ones(3), np.ones(2)])
    plane = ParameterPlane(net, x, y, "mse", ["h0.weight[0,0]", "out.weight[0,0]"])
    with pytest.raises(ValueError, match="lr"):
        Descent(plane, (0, 0), lr=0.0)
    with pytest.raises(ValueError, match="momentum"):
        Descent(plane, (0, 0), lr=0.1, momentum=1.0)
    with pytest.raises(ValueError, match="a_range"):
        loss_surface(plane, (1, 1), (0, 1), resolution=5)


# ---------------------------------------------------------------------------------------------- views
def make_scene(view, options=None, stop=None, preset=None):
    from neuralviz.lecture.scene import Scene, StopRule

    stop = stop or StopRule(steps=40)
    return Scene(1, 2 if view == "prior" else 3, view, "title", "takeaway", (), view, preset, options or {}, (), stop)


def headless(qtbot, view, steps):
    done = []
    view.run_headless(steps, lambda: done.append(True))
    qtbot.waitUntil(lambda: bool(done), timeout=GUI_WAIT_MS)


@pytest.fixture
def theme():
    from neuralviz.app.common.theme import make_theme

    return make_theme(large_fonts=True)


def test_prior_view_draws_galleries_and_rerolls(qtbot, theme):
    from neuralviz.app.lecture.prior_view import PriorView

    options = {"architectures": [{"label": "tanh", "network": mlp([8], "tanh")},
                                 {"label": "relu", "network": mlp([8, 8], "relu")}],
               "grid": 3, "resolution": 16}  # fmt: skip
    view = PriorView(make_scene("prior", options), theme)
    qtbot.addWidget(view)
    view.resize(1024, 610)
    view.show()
    try:
        headless(qtbot, view, 100)
        assert [len(g.mosaic.images) for g in view.galleries] == [9, 9]
        assert view.status().startswith("draw 1 · seeds 0–8")
        first = view.shown.maps[0].copy()
        assert np.abs(first).max() == pytest.approx(1.0)  # auto-contrasted
        assert view.current_step() == 0 and not view.is_playing()
        view.toggle_play()  # nothing trains: Space does nothing
        assert not view.is_playing()
        view.reset()  # re-roll: the next seeds
        headless(qtbot, view, 0)
        assert view.shown.seeds == tuple(range(9, 18)) and "seeds 9–17" in view.status()
        assert not np.allclose(view.shown.maps[0], first)
        assert view.galleries[0].mosaic.tile_size() > 100  # the maps fill the space
    finally:
        view.shutdown()


def test_the_gallery_plan_fits_the_area_and_takes_the_largest_square_tiles():
    from neuralviz.app.lecture.prior_layout import GAP, SPACING, plan_galleries

    def footprint(plan):
        """(width, height) the plan covers, labels included."""
        mw, mh = plan.mosaic_size()
        if plan.beside:
            return plan.label + SPACING + mw, plan.down * mh + (plan.down - 1) * SPACING
        return plan.across * mw + (plan.across - 1) * SPACING, plan.down * (plan.label + mh) + (plan.down - 1) * SPACING

    for width, height, count, maps in [(984, 600, 3, 16), (1234, 560, 3, 16), (600, 900, 2, 9), (1500, 400, 4, 4)]:
        plan = plan_galleries(width, height, count, maps, lambda w: 60)
        assert plan.columns * plan.rows == maps and plan.across * plan.down >= count
        w, h = footprint(plan)
        assert w <= width and h <= height, (width, height, plan)
        # no other full-row shape side by side would give larger tiles
        side = ((width - (count - 1) * SPACING) // count - 3 * GAP) // 4 if maps == 16 else 0
        assert plan.tile >= side
    # a 4:3 area: three galleries of 16 stacked, labels beside, 8 x 2 maps each, larger than 4 x 4 side by side
    plan = plan_galleries(984, 600, 3, 16, lambda w: 60)
    assert plan.beside and (plan.columns, plan.rows) == (8, 2) and plan.tile > 85
    # 16:9: side by side, and the labels (taller fonts) take only the spare height: the maps keep their size
    wide = [plan_galleries(1234, 560, 3, 16, lambda w, k=k: k) for k in (40, 100)]
    assert not wide[0].beside and (wide[0].columns, wide[0].rows) == (4, 4) and wide[0].tile == wide[1].tile


def test_the_lecture_galleries_fill_the_height_and_large_fonts_keep_the_maps_large(qtbot):
    """At the presenter's 1024 x 768 scene area the three galleries of 16 maps span the height, not the top
    two thirds; large fonts (the labels readable from the back) do not make the maps much smaller."""
    from neuralviz.app.common.theme import make_theme
    from neuralviz.app.lecture.prior_view import PriorView

    archs = [("wide shallow tanh (1 x 64)", [64], "tanh"), ("deep tanh (6 x 16)", [16] * 6, "tanh"),
             ("deep ReLU (6 x 16)", [16] * 6, "relu")]  # fmt: skip
    options = {"architectures": [{"label": a, "network": mlp(w, f)} for a, w, f in archs], "resolution": 8}
    tiles = []
    for large in (False, True):
        view = PriorView(make_scene("prior", options), make_theme(large_fonts=large))
        qtbot.addWidget(view)
        view.resize(1000, 640)
        view.show()
        try:
            headless(qtbot, view, 0)
            mosaics = [g.mosaic.geometry() for g in view.galleries]
            assert max(m.bottom() for m in mosaics) - min(m.top() for m in mosaics) > 0.85 * view.board.height()
            for g in view.galleries:  # the labels do not run into the maps
                assert not g.title.geometry().intersects(g.mosaic.geometry())
                assert not g.subtitle.geometry().intersects(g.mosaic.geometry())
            tiles.append(view.galleries[0].mosaic.tile_size())
        finally:
            view.shutdown()
    assert tiles[0] > 85 and tiles[1] >= 0.9 * tiles[0]


def test_prior_view_options_are_checked(theme):
    from neuralviz.app.lecture.prior_setup import read_options

    assert read_options({}).grid == 4 and len(read_options({}).architectures) == 2
    with pytest.raises(ValueError, match="'grid'"):
        read_options({"grid": 9})
    with pytest.raises(ValueError, match="'network'"):
        read_options({"architectures": [{"label": "x"}]})


def test_surface_view_walks_and_the_stop_rule_pauses_it(qtbot, theme):
    from neuralviz.app.lecture.surface_view import SurfaceView
    from neuralviz.lecture.scene import StopRule

    view = SurfaceView(make_scene("surface", {"resolution": 11, "speed": 5}, StopRule(steps=40)), theme)
    qtbot.addWidget(view)
    view.resize(1280, 560)
    view.show()
    try:
        headless(qtbot, view, 0)
        assert view.current_step() == 0 and view.data.z.shape == (11, 11)
        start_loss = view.current_loss()
        headless(qtbot, view, 1000)  # bounded by the stopping rule
        assert view.current_step() == 40 and view.current_loss() < start_loss
        assert "stopped after 40 steps" in view.status()
        assert [len(p) for p in view.frame.paths] == [41, 41]
        view.reset()
        qtbot.waitUntil(lambda: view.current_step() == 0, timeout=GUI_WAIT_MS)
        view.toggle_play()  # played live, it pauses by itself at the budget
        qtbot.waitUntil(lambda: view.current_step() == 40 and not view.is_playing(), timeout=GUI_WAIT_MS)
    finally:
        view.shutdown()


def test_surface_view_stops_below_the_loss_and_reports_divergence(qtbot, theme):
    from neuralviz.app.lecture.surface_view import SurfaceView
    from neuralviz.lecture.scene import StopRule

    options = {"resolution": 11, "runs": [{"label": "plain", "lr": 1.2}]}
    view = SurfaceView(make_scene("surface", options, StopRule(steps=500, loss_below=0.01)), theme)
    qtbot.addWidget(view)
    view.resize(1024, 610)
    view.show()
    try:
        headless(qtbot, view, 1000)
        assert 0 < view.current_step() < 500 and view.current_loss() < 0.01
        assert "stopped: loss" in view.status()
        view.slider.setValue(view.slider.maximum())  # step x4: it blows up
        qtbot.waitUntil(lambda: view.current_step() == 0, timeout=GUI_WAIT_MS)
        headless(qtbot, view, 200)
        assert view.frame.diverged == (True,) and "diverged" in view.status()
    finally:
        view.shutdown()


def test_surface_view_takes_a_preset_and_a_random_slice(qtbot, theme):
    from neuralviz.app.lecture.surface_setup import read_setup
    from neuralviz.app.lecture.surface_view import SurfaceView

    preset = nv.presets.load("xor")
    setup = read_setup(make_scene("surface", {}, preset=preset))
    assert setup.axes == ("h1.weight[0, 0]", "out.bias[0]")  # a first-layer and a last-layer weight
    options = {"axes": "random", "range": [[-1, 1], [-1, 1]], "resolution": 9, "runs": [{"label": "gd", "lr": 0.1}]}
    view = SurfaceView(make_scene("surface", options, preset=preset), theme)
    qtbot.addWidget(view)
    try:
        headless(qtbot, view, 5)
        assert view.current_step() == 5 and view.data.labels == ("direction 1", "direction 2")
    finally:
        view.shutdown()
    with pytest.raises(ValueError, match="'axes'"):
        read_setup(make_scene("surface", {"axes": ["h.weight[0,0]"]}))
    with pytest.raises(ValueError, match="'runs'"):
        read_setup(make_scene("surface", {"runs": []}))
    with pytest.raises(ValueError, match="needs lr > 0"):
        read_setup(make_scene("surface", {"runs": [{"label": "x", "lr": -1}]}))


def test_a_surface_scene_with_a_bad_weight_name_says_so_and_does_not_hang(qtbot, theme):
    from neuralviz.app.lecture.surface_view import SurfaceView

    view = SurfaceView(make_scene("surface", {"axes": ["nope.weight[0,0]", "out.weight[0,0]"]}), theme)
    qtbot.addWidget(view)
    try:
        headless(qtbot, view, 10)
        assert "unknown weight 'nope.weight[0,0]'" in view.status()
    finally:
        view.shutdown()
