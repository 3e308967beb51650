"""Lessons 7-9 import TensorFlow only when a comparison is first trained: opening the Learn
page (which imports every view) must stay fast on a fresh server."""

import subprocess
import sys


def test_lessons_7_to_9_and_their_views_import_without_tensorflow():
    code = (
        "import sys\n"
        "import cnnviz.lessons.descent, cnnviz.lessons.optimizers, cnnviz.lessons.backprop\n"
        "import cnnviz.lessons.overfitting, cnnviz.ui.lesson_views.all_views\n"
        "import cnnviz.bench.lessons\n"
        "assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
