"""Optimizers, schedules and argument kinds are enums whose values are what JSON holds."""

import json

import pytest

from cnnviz.model.layer_shapes import Argument, ArgumentKind
from cnnviz.model.layer_types import CATALOGUE
from cnnviz.training import lr_schedules
from cnnviz.training.settings import OPTIMIZER_TITLES, Optimizer, TrainingSettings


def test_settings_still_hold_and_write_the_plain_names():
    settings = TrainingSettings(optimizer="rmsprop", lr_schedule="one_cycle")
    settings.check()
    assert settings.optimizer == Optimizer.RMSPROP
    assert settings.lr_schedule == lr_schedules.Schedule.ONE_CYCLE
    assert json.loads(json.dumps({"optimizer": Optimizer.SGD})) == {"optimizer": "sgd"}
    assert OPTIMIZER_TITLES["adam"] == "Adam"  # looked up by the plain name a settings file holds
    assert lr_schedules.SCHEDULE_NAMES == ("constant", "cosine", "one_cycle")


def test_every_argument_of_the_catalogue_has_a_known_kind():
    kinds = {
        argument.kind for record in CATALOGUE.values() for argument in record.arguments.values()
    }
    assert kinds <= set(ArgumentKind)
    assert all(isinstance(kind, ArgumentKind) for kind in kinds)


def test_a_misspelt_kind_fails_when_the_catalogue_is_built():
    assert Argument("int").kind is ArgumentKind.INT
    with pytest.raises(ValueError, match="integer"):
        Argument("integer")
