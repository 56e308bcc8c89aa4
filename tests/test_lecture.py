"""Lecture mode without Qt: the scene files (assets/lecture), their checks, `neuralviz lecture --list` and
its argument errors, and the recording writers."""

import json
import sys

import numpy as np
import pytest

from neuralviz import presets
from neuralviz.cli import main
from neuralviz.lecture import StopRule, find_scene, load_scenes
from neuralviz.lecture import recording as rec
from neuralviz.lecture.scene import NOTES_RANGE, VIEWS, scene_files

# the storyboard's talk order (../shared/research/lecture_scenes.md), by topic
TALK_ORDER = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 17, 12, 13, 16, 15, 14, 18, 19]
ISSUE_TOPICS = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 14, 19}


# ----------------------------------------------------------------------------------------------- the scenes
def test_scenes_load_numbered_in_file_order():
    scenes = load_scenes()
    files = scene_files()
    assert [s.number for s in scenes] == list(range(1, len(files) + 1))
    assert [s.path for s in scenes] == [str(f) for f in files]
    assert len({s.name for s in scenes}) == len(scenes)


def test_scenes_cover_the_issue_topics_in_talk_order():
    topics = [s.topic for s in load_scenes()]
    assert set(topics) >= ISSUE_TOPICS
    assert topics == sorted(topics, key=TALK_ORDER.index)


def test_every_scene_is_complete_and_its_preset_exists():
    for s in load_scenes():  # the strict load: a named preset must exist
        assert isinstance(s.stop, StopRule) and s.stop.steps >= 1, s.name
        assert s.takeaway and "\n" not in s.takeaway, s.name
        assert NOTES_RANGE[0] <= len(s.notes) <= NOTES_RANGE[1], s.name
        assert s.view in VIEWS, s.name
        if s.preset_name:
            assert s.preset_name in presets.names(None) and s.preset is not None, s.name
        assert s.title and len(s.title) <= 70, f"{s.name}: a title must fit one line on a projector"


# issue 17's scenes: name -> (view, topic); "11+" (learning without the history) is topic 11, after the race
RECURRENT_SCENES = {
    "recurrent": ("sequence", 11),
    "rnn-vs-lstm": ("race", 11),
    "without-history": ("online", 11),
    "story-qa": ("sequence", 17),
}


def test_recurrent_scenes_in_talk_order():
    scenes = load_scenes()
    by_name = {s.name: s for s in scenes}
    for name, (view, topic) in RECURRENT_SCENES.items():
        s = by_name[name]
        assert (s.view, s.topic) == (view, topic), name
        assert NOTES_RANGE[0] <= len(s.notes) <= NOTES_RANGE[1] and len(s.title) <= 70, name
        assert s.stop.steps <= 1500, f"{name}: a scene's budget must render headless in well under a minute"
    assert by_name["recurrent"].preset_name == "lstm-adding" and by_name["recurrent"].options["cell"] == "lstm"
    assert by_name["story-qa"].preset_name == "story-qa" and by_name["without-history"].preset is None
    names = [s.name for s in scenes]
    assert names.index("recurrent") < names.index("rnn-vs-lstm") < names.index("without-history")
    assert names.index("without-history") < names.index("story-qa")
    topics = [s.topic for s in scenes]
    assert topics == sorted(topics, key=TALK_ORDER.index)


def test_find_scene_by_number_text_or_name():
    scenes = load_scenes(check_presets=False)
    depth = next(s for s in scenes if s.name == "depth")
    assert find_scene("depth", scenes) is depth
    assert find_scene(depth.number, scenes) is depth
    assert find_scene(f" {depth.number} ", scenes) is depth
    with pytest.raises(ValueError, match="unknown scene 'nope'.*depth"):
        find_scene("nope", scenes)
    with pytest.raises(ValueError, match="unknown scene"):
        find_scene(len(scenes) + 1, scenes)


def test_stop_rule_reasons():
    rule = StopRule(steps=100, loss_below=0.05)
    assert not rule.reached(10, 0.5) and rule.reason(10, 0.5) == ""
    assert rule.reached(100, None) and "after 100 steps" in rule.reason(100)
    assert rule.reached(3, 0.01) and "0.01 < 0.05" in rule.reason(3, 0.01)


GOOD = {
    "format": "neuralviz.scene/1",
    "topic": 5,
    "name": "xor",
    "title": "XOR",
    "takeaway": "hidden units bend the boundary",
    "notes": ["one", "two"],
    "view": "studio",
    "preset": "xor",
    "stop": {"steps": 100},
}


@pytest.mark.parametrize(
    "change, key",
    [
        ({"stop": None}, "stop"),
        ({"stop": {"loss_below": 0.1}}, "stop"),
        ({"stop": {"steps": 0}}, "stop"),
        ({"stop": {"steps": 10, "loss_below": -1}}, "stop"),
        ({"stop": {"steps": 10, "until": 3}}, "stop"),
        ({"view": "slides"}, "view"),
        ({"notes": ["only one"]}, "notes"),
        ({"notes": ["1", "2", "3", "4", "5"]}, "notes"),
        ({"takeaway": ""}, "takeaway"),
        ({"title": "two\nlines"}, "title"),
        ({"topic": 0}, "topic"),
        ({"name": "Bad Name"}, "name"),
        ({"preset": "no-such-preset"}, "preset"),
        ({"preset": {"network": {}}}, "preset"),
        ({"script": [{"do": "pause"}]}, "script"),
        ({"colour": "red"}, "colour"),
        ({"format": "neuralviz.scene/0"}, "format"),
    ],
)
def test_bad_scene_file_names_the_file_and_key(tmp_path, change, key):
    doc = {**GOOD, **change}
    doc = {k: v for k, v in doc.items() if v is not None}
    (tmp_path / "01-bad.json").write_text(json.dumps(doc))
    with pytest.raises(ValueError) as err:
        load_scenes(tmp_path)
    assert "01-bad.json" in str(err.value) and repr(key) in str(err.value)


def test_scene_file_that_is_not_json_or_a_duplicate(tmp_path):
    (tmp_path / "01-a.json").write_text("{ not json")
    with pytest.raises(ValueError, match="01-a.json: not a readable scene file"):
        load_scenes(tmp_path)
    (tmp_path / "01-a.json").write_text(json.dumps(GOOD))
    (tmp_path / "02-b.json").write_text(json.dumps(GOOD))
    with pytest.raises(ValueError, match="02-b.json: 'name' 'xor' is already used"):
        load_scenes(tmp_path)
    with pytest.raises(ValueError, match="no scene files"):
        load_scenes(tmp_path / "nothing-here")


def test_missing_preset_tolerated_when_asked(tmp_path):
    (tmp_path / "01-a.json").write_text(json.dumps({**GOOD, "view": "race", "preset": "not-written-yet"}))
    (s,) = load_scenes(tmp_path, check_presets=False)
    assert s.preset is None and s.preset_name == "not-written-yet"


# ----------------------------------------------------------------------------------------------- the command line
def test_list_prints_number_topic_name_title(capsys):
    assert main(["lecture", "--list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    scenes = load_scenes(check_presets=False)
    assert lines[0].split() == ["number", "topic", "name", "title"]
    assert len(lines) == len(scenes) + 1
    for line, s in zip(lines[1:], scenes):
        number, topic, name, title = line.split(None, 3)
        assert (int(number), int(topic), name, title) == (s.number, s.topic, s.name, s.title)


def test_list_needs_no_qt():
    import subprocess

    code = "import sys; from neuralviz.cli import main; main(['lecture', '--list']); print('PyQt6' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().endswith("False")


@pytest.mark.parametrize(
    "argv, said",
    [
        (["--scene", "nope", "--screenshot", "x.png"], "unknown scene 'nope'"),
        (["--scene", "1", "--record", "out.avi"], "must end in .gif or .mp4"),
        (["--scene", "1", "--screenshot", "/no/such/folder/x.png"], "does not exist"),
    ],
)
def test_bad_scene_or_output_is_one_line(capsys, tmp_path, monkeypatch, argv, said):
    monkeypatch.chdir(tmp_path)
    assert main(["lecture", *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("neuralviz lecture: error:") and said in err and len(err.splitlines()) == 1


@pytest.mark.parametrize(
    "argv, said",
    [
        (["--size", "1024"], "expected WIDTHxHEIGHT"),
        (["--size", "100x100"], "out of range"),
        (["--seconds", "0"], "must be in (0, 3600]"),
    ],
)
def test_bad_size_or_seconds_is_a_usage_error(capsys, argv, said):
    with pytest.raises(SystemExit) as exit_:
        main(["lecture", *argv])
    assert exit_.value.code == 2 and said in capsys.readouterr().err


# ----------------------------------------------------------------------------------------------- recording
def _frames(n=3, h=20, w=30):
    rng = np.random.default_rng(0)
    return [rng.integers(0, 255, (h, w, 3), dtype=np.uint8) for _ in range(n)]


def test_gif_round_trip(tmp_path):
    Image = pytest.importorskip("PIL.Image")
    frames = _frames()
    frames.append(np.zeros((10, 50, 3), np.uint8))  # a resized view: fitted to the first frame's size
    path = rec.write_video(frames, tmp_path / "a.gif", fps=10)
    with Image.open(path) as im:
        assert im.size == (30, 20) and im.n_frames == 4


def test_recorder_checks_and_caps(tmp_path):
    pytest.importorskip("PIL.Image")
    r = rec.Recorder(tmp_path / "b.gif", fps=5, max_frames=2)
    for f in _frames(3):
        r.add(f)
    assert len(r) == 2
    assert r.save().stat().st_size > 0
    with pytest.raises(ValueError, match="H x W x 3"):
        r.add(np.zeros((4, 4), np.uint8))
    with pytest.raises(ValueError, match="uint8"):
        r.add(np.zeros((4, 4, 3), np.float32))
    with pytest.raises(rec.RecordingError, match="no frames"):
        rec.write_gif([], tmp_path / "c.gif")


def test_missing_tools_are_named(tmp_path, monkeypatch):
    monkeypatch.setattr(rec.shutil, "which", lambda name: None)
    with pytest.raises(rec.RecordingError, match="needs the ffmpeg program"):
        rec.check_target(tmp_path / "a.mp4")
    with pytest.raises(rec.RecordingError, match="needs the ffmpeg program"):
        rec.write_mp4(_frames(), tmp_path / "a.mp4")
    monkeypatch.setitem(sys.modules, "PIL", None)  # as if Pillow were not installed
    monkeypatch.setitem(sys.modules, "PIL.Image", None)
    with pytest.raises(rec.RecordingError, match="needs Pillow.*neuralviz\\[record\\]"):
        rec.check_target(tmp_path / "a.gif")
    with pytest.raises(rec.RecordingError, match="folder"):
        rec.check_target(tmp_path / "missing" / "a.gif")
    with pytest.raises(rec.RecordingError, match=".gif or .mp4"):
        rec.check_target(tmp_path / "a.webm")


def test_mp4_through_ffmpeg(tmp_path):
    if rec.shutil.which("ffmpeg") is None:
        pytest.skip("no ffmpeg on the PATH")
    path = rec.write_video(_frames(5, 21, 33), tmp_path / "a.mp4")  # odd sides: cropped to even
    assert path.stat().st_size > 0
