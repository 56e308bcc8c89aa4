"""The lecture-style story generator, the memory layout, and answering the lecture's own story.

The trained model is the shipped assets/models/story-qa.nvz (made by `python benchmarks/story_qa.py --save
assets/models/story-qa.nvz`, which trains the story-qa preset with seed 0): training to the lecture's
answers takes about a minute, too long for the suite, and a file keeps the test independent of the machine.
"""

import numpy as np
import pytest

import neuralviz as nv
from neuralviz import presets
from neuralviz.ask import main as ask_main
from neuralviz.data import story_qa

LECTURE = dict(style="lecture", actors=5, places=6, objects=3, events=12)
PLACES = set(story_qa.LECTURE_PLACES)


@pytest.fixture(scope="module")
def lecture_ds():
    return nv.data.load("story_qa", n=600, layout="memory", memory=16, seed=5, **LECTURE)


@pytest.fixture(scope="module")
def trained():
    return nv.load(nv.data.asset_path("models/story-qa.nvz"))


def rows_as_words(ds, example):
    return [[ds.vocab[i] for i in row if i] for row in example]


def answer_by_reading(sentences: list[list[str]], question: list[str]) -> str:
    """An independent reading of a lecture-style story: moves, takes, drops "there", then the question."""
    actor_at, holder, object_at, previous = {}, {}, {}, None
    for words in sentences:
        who, place = words[0], words[-1] if "to" in words else None
        if place is not None:
            actor_at[who] = place
        elif words[1] in ("took", "got", "grabbed"):
            holder[words[-1]] = who
            actor_at.setdefault(who, object_at[words[-1]])  # took it where it lay
        elif words[1] in ("dropped", "left"):
            obj = words[-2]
            actor_at.setdefault(who, previous)  # "there": the place of the sentence before
            holder[obj], object_at[obj] = None, actor_at[who]
        previous = place
    if question[2] == "the":
        obj = question[3]
        return actor_at[holder[obj]] if holder.get(obj) else object_at[obj]
    return actor_at[question[2]]


def test_answers_follow_from_the_story(lecture_ds):
    ds = lecture_ds
    for x, y in ((ds.x_train, ds.y_train), (ds.x_test, ds.y_test)):
        for example, label in zip(x, y):
            rows = rows_as_words(ds, example)
            assert answer_by_reading([r for r in rows[:-1] if r], rows[-1]) == ds.class_names[label]


def test_the_lectures_sentence_forms_names_and_places(lecture_ds):
    ds = lecture_ds
    text = " ".join(story_qa.story_text(ds.vocab, e) for e in ds.x_train)
    for form in (
        "travelled to",
        "journeyed to",
        "went to",
        "went back to",
        "took the",
        "got the",
        "dropped the ring there.",
        "left the ring there.",
        "died.",
        "The end.",
        "Where is the ring?",
        "now?",
    ):
        assert form in text, form
    for name in ("Bilbo", "Frodo", "Gollum", "Sam", "Sauron", "the cave", "the Shire", "Mount-Doom", "the Grey-havens"):
        assert name in text, name
    assert "to the Mount-Doom" not in text


def test_no_answer_in_the_question_and_stories_of_varying_length(lecture_ds):
    ds = lecture_ds
    questions = ds.x_train[:, -1]
    assert not (np.isin(np.array(ds.vocab)[questions], list(PLACES))).any()
    lengths = (ds.x_train[:, :-1] != 0).any(axis=2).sum(axis=1)
    assert lengths.min() <= 5 and lengths.max() >= 12 and len(np.unique(lengths)) >= 6
    kinds = np.array(ds.vocab)[questions[:, 2]]
    assert 0.3 < np.mean(kinds == "the") < 0.7  # objects and people both asked
    assert ds.x_train.shape[1:] == (17, story_qa.WORDS)
    tokens = nv.data.load("story_qa", n=60, seed=5, **LECTURE)
    for ids in tokens.x_train:
        words = [tokens.vocab[i] for i in ids if i]
        question = words[len(words) - 1 - words[::-1].index(".") :]
        assert not PLACES & set(question)


def test_seeded_and_the_layouts_tell_the_same_stories():
    a = nv.data.load("story_qa", n=50, layout="memory", seed=2, **LECTURE)
    b = nv.data.load("story_qa", n=50, layout="memory", seed=2, **LECTURE)
    c = nv.data.load("story_qa", n=50, layout="memory", seed=3, **LECTURE)
    tokens = nv.data.load("story_qa", n=50, seed=2, **LECTURE)
    assert np.array_equal(a.x_train, b.x_train) and np.array_equal(a.y_test, b.y_test)
    assert not np.array_equal(a.x_train, c.x_train)
    assert a.vocab == c.vocab == tokens.vocab == presets.load("story-qa")["network"]["layers"][0]["words"]
    assert [story_qa.story_text(a.vocab, e) for e in a.x_train] == tokens.decode(tokens.x_train)
    assert a.decode(a.x_train[0])[-1].startswith("Where is")


def test_memory_option_must_hold_the_story():
    with pytest.raises(ValueError, match=r"option memory=8 is shorter than the longest story \(13 sentences"):
        nv.data.load("story_qa", n=20, layout="memory", memory=8, **LECTURE)
    with pytest.raises(ValueError, match=r"option style='tolkien'"):
        nv.data.load("story_qa", n=20, style="tolkien")


def test_the_lectures_story_reads_as_written():
    sentences = story_qa.split_text(story_qa.LECTURE_STORY)
    assert len(sentences) == 12 and sentences[6] == ["frodo", "journeyed", "to", "mount-doom"]
    assert sentences[-1] == ["the", "end"] and story_qa.split_text("Where is Bilbo now?") == [
        ["where", "is", "bilbo", "now"]
    ]


def test_the_trained_model_answers_the_lecture(trained):
    for question, expected in story_qa.LECTURE_QUESTIONS.items():
        assert story_qa.answer(trained, story_qa.LECTURE_STORY, question) == expected
    reading = story_qa.read(trained, story_qa.LECTURE_STORY, "Where is the ring?")
    assert len(reading.sentences) == 12 and reading.sentences[7] == "Frodo dropped the ring there."
    assert len(reading.attention) == 3 and all(a.shape == (12,) for a in reading.attention)
    np.testing.assert_allclose([a.sum() for a in reading.attention], 1.0, rtol=1e-5)
    assert max(reading.probabilities, key=reading.probabilities.get) == "Mount-Doom"


def test_the_shipped_model_is_the_presets_network(trained):
    spec = presets.load("story-qa")["network"]
    assert [{k: v for k, v in l.items() if k != "inputs"} for l in trained.to_spec()["layers"]] == spec["layers"]


def test_words_outside_the_vocabulary_are_named(trained):
    with pytest.raises(ValueError, match=r"words outside the vocabulary: 'moria', 'gimli'"):
        story_qa.answer(trained, "Bilbo travelled to Moria. Gimli took the ring.", "Where is the ring?")
    with pytest.raises(ValueError, match=r"'hobbit'"):
        story_qa.answer(trained, "Bilbo travelled to the cave.", "Where is the hobbit?")
    with pytest.raises(ValueError, match="one sentence"):
        story_qa.answer(trained, "Bilbo travelled to the cave.", "Where is Bilbo? Where is Frodo?")
    with pytest.raises(ValueError, match="no sentences"):
        story_qa.answer(trained, " . ", "Where is Bilbo?")
    with pytest.raises(ValueError, match="at most 6 fit"):
        story_qa.answer(trained, "Bilbo went back to the the Shire.", "Where is Bilbo?")
    plain = nv.Network.from_spec({"input_shape": [2], "layers": [{"id": "d", "type": "dense", "units": 6}]})
    with pytest.raises(ValueError, match="'memory' layer with its 'words'"):
        story_qa.answer(plain, "Bilbo travelled to the cave.", "Where is Bilbo?")


def test_cli_ask(capsys):
    story = story_qa.LECTURE_STORY
    assert ask_main(["story-qa", "--story", story, "--question", "Where is Bilbo now?"]) == 0
    assert capsys.readouterr().out.strip() == "Grey-havens"
    assert ask_main(["story-qa", "--story", story, "--question", "Where is the ring?", "-v"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Mount-Doom\n") and "Frodo dropped the ring there." in out
    assert ask_main(["story-qa", "--story", "Bilbo went to Moria.", "--question", "Where is Bilbo?"]) == 2
    assert "'moria'" in capsys.readouterr().err
    assert ask_main(["no-such-preset", "--story", "x.", "--question", "y?"]) == 2
    assert "neither a model file nor a preset" in capsys.readouterr().err
