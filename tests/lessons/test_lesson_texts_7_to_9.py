"""Lessons 7, 8 and 9's text files follow the lessons contract, so the Learn page's parser loads
them: TOML front matter between +++ lines, then under 250 words of prose."""

import tomllib

import pytest

from cnnviz import app_files

LESSONS_DIR = app_files.assets_dir() / "lessons"
FILES = ("07-gradient-descent.md", "08-backpropagation.md", "09-overfitting.md")
MAX_WORDS = 250


def _split(path):
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "+++", f"{path.name} must start with a +++ line"
    end = lines.index("+++", 1)
    return tomllib.loads("\n".join(lines[1:end])), "\n".join(lines[end + 1 :])


@pytest.mark.parametrize("name", FILES)
def test_the_front_matter_has_every_field_of_the_contract(name):
    from cnnviz.training import presets
    from cnnviz.ui.lesson_views import all_views  # noqa: F401 - registers every view
    from cnnviz.ui.lesson_views.registry import VIEWS

    front, prose = _split(LESSONS_DIR / name)
    assert isinstance(front["title"], str) and front["title"]
    assert front["view"] in VIEWS
    question = front["question"]
    assert question["text"].endswith("?")
    assert 3 <= len(question["answers"]) <= 4
    assert 0 <= question["right"] < len(question["answers"])
    assert len(question["why"]) == len(question["answers"])
    assert question["why"][question["right"]].startswith("Right")
    try_it = front["try_it"]
    assert try_it["page"] in ("build", "train", "inspect")
    assert try_it["label"]
    assert try_it.get("preset", presets.DEFAULT_PRESET) in presets.PRESETS
    assert set(front) <= {"title", "view", "question", "try_it"}


@pytest.mark.parametrize("name", FILES)
def test_the_prose_is_short_and_names_its_formula_after_the_plain_words(name):
    _, prose = _split(LESSONS_DIR / name)
    words = prose.split()
    assert 100 < len(words) < MAX_WORDS
    # Plain words first: no formula in the first paragraph.
    first_paragraph = prose.strip().split("\n\n")[1]  # after the heading
    formula_marks = ("dL/d", "←", " = ")
    assert not any(mark in first_paragraph for mark in formula_marks)
    assert any(mark in prose for mark in formula_marks)


def test_the_lesson_numbers_come_from_the_file_names():
    assert sorted(path.name[:2] for path in LESSONS_DIR.glob("0[789]-*.md")) == ["07", "08", "09"]
