"""The lesson text format: the bundled files read, and every bad field is named."""

from __future__ import annotations

import pytest

from cnnviz.lessons import texts

GOOD = """+++
title = "Convolution"
view = "convolution"
[question]
text = "How big is the map?"
answers = ["28", "26", "9"]
right = 1
why = ["a", "b", "c"]
[try_it]
page = "build"
label = "Build it"
preset = "keras_example"
first_kernel_size = 5
settings = {epochs = 2, optimizer = "sgd"}
+++
Some **prose**.
"""


def test_a_good_file_gives_every_field():
    lesson = texts.parse_lesson(GOOD, "02-convolution.md", number=2)
    assert lesson.number == 2
    assert lesson.slug == "convolution"
    assert lesson.title == "Convolution"
    assert lesson.view == "convolution"
    assert lesson.question.answers == ("28", "26", "9")
    assert lesson.question.right == 1
    assert lesson.question.is_right(1) and not lesson.question.is_right(0)
    assert lesson.try_it == texts.TryIt(
        "build", "Build it", "keras_example", 5, {"epochs": 2, "optimizer": "sgd"}
    )
    assert lesson.prose == "Some **prose**."


def test_optional_try_it_fields_may_be_left_out():
    text = GOOD.replace('preset = "keras_example"\n', "").replace("first_kernel_size = 5\n", "")
    text = text.replace('settings = {epochs = 2, optimizer = "sgd"}\n', "")
    lesson = texts.parse_lesson(text, "01-x.md")
    assert lesson.try_it == texts.TryIt("build", "Build it")


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        ('title = "Convolution"', 'title = ""', "title"),
        ('title = "Convolution"', "title = 3", "title"),
        ('view = "convolution"', "", "view"),
        ('text = "How big is the map?"', "text = 1", "question.text"),
        ('answers = ["28", "26", "9"]', 'answers = ["28", "26"]', "question.answers"),
        ('answers = ["28", "26", "9"]', 'answers = ["1", "2", "3", "4", "5"]', "question.answers"),
        ('answers = ["28", "26", "9"]', 'answers = "28"', "question.answers"),
        ("right = 1", "right = 3", "question.right"),
        ("right = 1", "right = true", "question.right"),
        ("right = 1", 'right = "1"', "question.right"),
        ('why = ["a", "b", "c"]', 'why = ["a", "b"]', "question.why"),
        ('page = "build"', 'page = "evaluate"', "try_it.page"),
        ('label = "Build it"', "", "try_it.label"),
        ('preset = "keras_example"', 'preset = "resnet_huge"', "try_it.preset"),
        ("first_kernel_size = 5", "first_kernel_size = 0", "try_it.first_kernel_size"),
        ("first_kernel_size = 5", "first_kernel_size = 5.5", "try_it.first_kernel_size"),
        ("settings = {epochs = 2", "settings = {epoch = 2", "try_it.settings"),
        ("settings = {epochs = 2", "settings = {epochs = -2", "try_it.settings"),
        ('page = "build"', 'page = "build"\ncolour = "red"', "try_it.colour"),
        ('title = "Convolution"', 'title = "Convolution"\nsubtitle = "x"', "subtitle"),
        ("[question]", "[questions]", "questions"),
    ],
)
def test_a_bad_field_is_named_with_the_file(old, new, field):
    assert old in GOOD
    with pytest.raises(ValueError) as caught:
        texts.parse_lesson(GOOD.replace(old, new, 1), "03-bad.md")
    message = str(caught.value)
    assert message.startswith("03-bad.md: field "), message
    assert f"field {field} " in message, message


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("no front matter\n", "front matter"),
        ("+++\ntitle = 'x'\n", "front matter"),
        ("+++\ntitle = \n+++\nprose", "front matter"),
        (GOOD.replace("Some **prose**.", ""), "prose"),
        (
            GOOD.replace("[question]", "")
            .replace('text = "How big is the map?"\n', "")
            .replace('answers = ["28", "26", "9"]\nright = 1\nwhy = ["a", "b", "c"]\n', ""),
            "question",
        ),
    ],
)
def test_a_broken_file_says_what_is_missing(text, field):
    with pytest.raises(ValueError, match=f"^04-broken.md: field {field} "):
        texts.parse_lesson(text, "04-broken.md")


def test_files_are_numbered_by_their_order(tmp_path):
    for name in ("10-later.md", "02-first.md", "notes.md", "README.md"):
        (tmp_path / name).write_text(GOOD.replace("Convolution", name), encoding="utf-8")
    lessons = texts.load_lessons(tmp_path)
    assert [(lesson.number, lesson.slug) for lesson in lessons] == [(1, "first"), (2, "later")]
    assert lessons[1].title == "10-later.md"


def test_two_files_with_one_number_are_refused(tmp_path):
    for name in ("01-a.md", "01-b.md"):
        (tmp_path / name).write_text(GOOD, encoding="utf-8")
    with pytest.raises(ValueError, match="01-b.md: field file name starts with 01"):
        texts.load_lessons(tmp_path)


def test_the_bundled_lessons_read_and_are_short():
    lessons = texts.load_lessons()
    assert len(lessons) >= 6
    assert [lesson.title for lesson in lessons[:6]] == [
        "Images are numbers",
        "Convolution",
        "Activation functions",
        "Pooling",
        "Flattening and dense layers",
        "Loss",
    ]
    for lesson in lessons:
        assert lesson.word_count < texts.MAX_PROSE_WORDS, (lesson.path.name, lesson.word_count)
    # Lesson 2's Try it: the preset with a 5x5 first kernel.
    assert lessons[1].try_it.preset == "keras_example"
    assert lessons[1].try_it.first_kernel_size == 5


def test_every_bundled_lesson_names_a_registered_view():
    from cnnviz.ui.lesson_views import all_views  # noqa: F401
    from cnnviz.ui.lesson_views.registry import VIEWS

    for lesson in texts.load_lessons()[:6]:
        assert lesson.view in VIEWS, lesson.path.name
