"""How much speed the app's training path costs, measured against plain ``model.fit``.

The app trains through a TrainingJob: a background thread, callbacks that record every batch as
plain floats, guard against divergence and check for a stop, and weight snapshots per epoch.
This module trains the same model architecture from the same initial weights on the same
training and validation arrays both ways, one epoch at a time, alternating which side goes
first, and compares images per second.

Only the training call is timed. For plain Keras that is ``model.fit`` itself; for the app it is
the job's own ``train_seconds`` (the wall time of its ``model.fit``), so the test-set evaluation
the job runs after each segment is left out, as are thread start-up and data splitting.

Wall time swings widely on a machine shared with other programs (here, one of the two cores comes
and goes, halving or doubling the speed from one epoch to the next), so the benchmark also counts
the process's CPU time during each training call: the work done, whoever else is running.
"""

from __future__ import annotations

import dataclasses
import gc
import statistics
import time
from collections.abc import Callable, Sequence

from cnnviz.data.datasets import Dataset
from cnnviz.model import spec as spec_module
from cnnviz.model.with_keras import builder
from cnnviz.training import fitting
from cnnviz.training import settings as training_settings
from cnnviz.training.job import TrainingJob
from cnnviz.training.job_state import JobState
from cnnviz.training.scheduler import TrainingScheduler

# The app redraws its progress about once a second; the benchmark polls as often, so the cost of
# copying the history for a reader is part of what is measured.
APP_POLL_SECONDS = 1.0


@dataclasses.dataclass(frozen=True)
class EpochTiming:
    """What one timed epoch took."""

    seconds: float  # wall time of the training call
    cpu_seconds: float  # CPU time of the whole process (all threads) meanwhile
    samples: int  # training images trained on

    @property
    def samples_per_second(self) -> float:
        return self.samples / self.seconds

    @property
    def cpu_microseconds_per_sample(self) -> float:
        return 1e6 * self.cpu_seconds / self.samples


@dataclasses.dataclass(frozen=True)
class RoundMeasurement:
    """One round: one epoch trained each way with the same batch size."""

    batch_size: int
    round_number: int  # 1-based
    first: str  # "plain" or "app": which side trained first in this round
    plain: EpochTiming
    app: EpochTiming

    @property
    def plain_samples_per_second(self) -> float:
        return self.plain.samples_per_second

    @property
    def app_samples_per_second(self) -> float:
        return self.app.samples_per_second

    @property
    def ratio(self) -> float:
        return self.app_samples_per_second / self.plain_samples_per_second

    @property
    def cpu_ratio(self) -> float:
        """Plain CPU time per image over the app's: below 1 when the app does more work."""
        return self.plain.cpu_microseconds_per_sample / self.app.cpu_microseconds_per_sample


@dataclasses.dataclass(frozen=True)
class BatchSizeResult:
    """The medians over all rounds of one batch size."""

    batch_size: int
    plain_samples_per_second: float
    app_samples_per_second: float
    rounds: tuple[RoundMeasurement, ...]

    @property
    def ratio(self) -> float:
        """App speed over plain speed: 1.0 means the app's extras cost nothing."""
        return self.app_samples_per_second / self.plain_samples_per_second

    @property
    def cpu_ratio(self) -> float:
        """The median of the rounds' CPU ratios (see RoundMeasurement.cpu_ratio)."""
        return statistics.median(measurement.cpu_ratio for measurement in self.rounds)

    @property
    def round_ratio(self) -> float:
        """The median of the rounds' own ratios.

        Both sides of a round run back to back, under much the same load from other programs,
        so on a busy machine this is steadier than the ratio of the two medians.
        """
        return statistics.median(measurement.ratio for measurement in self.rounds)

    def as_dict(self) -> dict:
        return {
            "batch_size": self.batch_size,
            "plain_samples_per_second": round(self.plain_samples_per_second, 1),
            "app_samples_per_second": round(self.app_samples_per_second, 1),
            "ratio": round(self.ratio, 4),
            "round_ratio": round(self.round_ratio, 4),
            "cpu_ratio": round(self.cpu_ratio, 4),
        }


@dataclasses.dataclass(frozen=True)
class BenchmarkReport:
    """Everything a benchmark measured, ready to print or to turn into JSON."""

    dataset: str
    data_source: str
    model_name: str
    params: int
    rounds: int
    train_images: int
    validation_images: int
    results: tuple[BatchSizeResult, ...]

    def as_dict(self) -> dict:
        return {
            "dataset": self.dataset,
            "data_source": self.data_source,
            "model": self.model_name,
            "params": self.params,
            "results": [result.as_dict() for result in self.results],
            "rounds": self.rounds,
            "train_images": self.train_images,
            "validation_images": self.validation_images,
        }


def describe_round(measurement: RoundMeasurement) -> str:
    """One line for a round, e.g. for the command line."""
    plain, app = measurement.plain, measurement.app
    return (
        f"batch size {measurement.batch_size}, round {measurement.round_number} "
        f"({measurement.first} first): plain {plain.samples_per_second:,.0f} images/s "
        f"({plain.cpu_microseconds_per_sample:.0f} CPU us/image), app "
        f"{app.samples_per_second:,.0f} images/s ({app.cpu_microseconds_per_sample:.0f} CPU "
        f"us/image), ratio {measurement.ratio:.3f}, CPU ratio {measurement.cpu_ratio:.3f}"
    )


def describe_result(result: BatchSizeResult) -> str:
    """One line for a batch size's medians."""
    return (
        f"batch size {result.batch_size}: median plain {result.plain_samples_per_second:,.0f} "
        f"images/s, app {result.app_samples_per_second:,.0f} images/s, ratio app/plain "
        f"{result.ratio:.3f} (median of round ratios {result.round_ratio:.3f}, "
        f"of CPU ratios {result.cpu_ratio:.3f})"
    )


def time_plain_epoch(model, x_train, y_train, validation, batch_size: int) -> EpochTiming:
    """Time one epoch of plain ``model.fit``, validation included."""
    # Collect garbage now, so that a collection left over from the other side's run does not
    # land inside this measurement.
    gc.collect()
    cpu_started, started = time.process_time(), time.perf_counter()
    model.fit(
        x_train,
        y_train,
        batch_size=batch_size,
        epochs=1,
        validation_data=validation,
        verbose=0,
    )
    seconds = time.perf_counter() - started
    return EpochTiming(seconds, time.process_time() - cpu_started, len(x_train))


def time_app_epoch(
    job: TrainingJob,
    settings: training_settings.TrainingSettings,
    poll_seconds: float = APP_POLL_SECONDS,
) -> EpochTiming:
    """Train one more epoch through the job, as the app does, and time its model.fit.

    The job measures its own wall and CPU time around its fit calls, so this thread only reads
    the progress once every `poll_seconds`, as the app's progress fragment does, and otherwise
    sleeps: a watcher that woke up every few milliseconds would take the interpreter's lock from
    the training thread that often, a cost plain ``model.fit`` does not pay.

    Raises:
        RuntimeError: when the job does not finish (it failed, diverged or was stopped).
    """
    gc.collect()
    seconds_before, samples_before = job.train_seconds, job.samples_trained
    cpu_before = job.train_cpu_seconds
    job.start(epochs=1, settings=settings)
    while not job.wait(timeout=poll_seconds):
        job.status()
    if job.state != JobState.FINISHED:
        raise RuntimeError(f"The app's training run ended {job.state}: {job.message}")
    return EpochTiming(
        seconds=job.train_seconds - seconds_before,
        cpu_seconds=job.train_cpu_seconds - cpu_before,
        samples=job.samples_trained - samples_before,
    )


def _warm_up_limit(train_count: int, batch_size: int) -> int:
    # A few batches are enough to trace and compile the training and validation steps; Keras
    # feeds batches with an unknown batch dimension, so a short last batch causes no retrace.
    wanted = 4 * batch_size + batch_size // 2
    return max(10, min(train_count, wanted))


@dataclasses.dataclass
class _Sides:
    """Both sides of one batch size's comparison: the app's job and a plain Keras model, built
    with the same initial weights, and the data they train on."""

    job: TrainingJob
    plain_model: object  # a compiled keras.Model
    initial_weights: list
    data: tuple  # x_train, y_train, x_validation, y_validation
    settings: training_settings.TrainingSettings
    poll_seconds: float

    @classmethod
    def build(cls, dataset: Dataset, spec: dict, settings, poll_seconds: float) -> _Sides:
        job = TrainingJob(spec, dataset, settings, scheduler=TrainingScheduler(1), name="benchmark")
        plain_model = builder.build_model(spec, dataset.input_shape, dataset.num_classes)
        initial_weights = job.model.get_weights()
        plain_model.set_weights(initial_weights)
        fitting.compile_model(plain_model, settings.optimizer, settings.learning_rate)
        data = fitting.split_data(dataset, settings)
        return cls(job, plain_model, initial_weights, data, settings, poll_seconds)

    def _time_plain(self, count: int | None = None) -> EpochTiming:
        x_train, y_train, x_validation, y_validation = self.data
        validation = None
        if x_validation is not None:
            validation = (x_validation[:count], y_validation[:count])
        return time_plain_epoch(
            self.plain_model, x_train[:count], y_train[:count], validation, self.settings.batch_size
        )

    def warm_up(self) -> None:
        """Trace and compile both sides before anything is timed."""
        count = _warm_up_limit(len(self.data[0]), self.settings.batch_size)
        self._time_plain(count)
        warm_up_settings = dataclasses.replace(self.settings, train_limit=count)
        time_app_epoch(self.job, warm_up_settings, poll_seconds=self.poll_seconds)

    def time_round(self, round_index: int) -> RoundMeasurement:
        """One epoch each way, the side going first alternating from round to round."""
        # Both sides start every round from the same weights, so neither trains a model that
        # has drifted into, say, more dead units than the other's.
        self.plain_model.set_weights(self.initial_weights)
        self.job.model.set_weights(self.initial_weights)
        order = ("plain", "app") if round_index % 2 == 0 else ("app", "plain")
        timings = {}
        for side in order:
            if side == "plain":
                timings[side] = self._time_plain()
            else:
                timings[side] = time_app_epoch(self.job, self.settings, self.poll_seconds)
        return RoundMeasurement(
            batch_size=self.settings.batch_size,
            round_number=round_index + 1,
            first=order[0],
            plain=timings["plain"],
            app=timings["app"],
        )


def benchmark_batch_size(
    dataset: Dataset,
    spec: dict,
    settings: training_settings.TrainingSettings,
    rounds: int,
    on_round: Callable[[RoundMeasurement], None] | None = None,
    poll_seconds: float = APP_POLL_SECONDS,
) -> BatchSizeResult:
    """Compare both training paths at `settings.batch_size` over `rounds` alternating rounds."""
    sides = _Sides.build(dataset, spec, settings, poll_seconds)
    sides.warm_up()
    measurements = []
    for round_index in range(rounds):
        measurement = sides.time_round(round_index)
        measurements.append(measurement)
        if on_round is not None:
            on_round(measurement)
    # Drop both models before the next batch size builds its own (each leaves memory behind).
    del sides
    gc.collect()
    return BatchSizeResult(
        batch_size=settings.batch_size,
        plain_samples_per_second=statistics.median(
            item.plain_samples_per_second for item in measurements
        ),
        app_samples_per_second=statistics.median(
            item.app_samples_per_second for item in measurements
        ),
        rounds=tuple(measurements),
    )


def _checked_settings(
    batch_sizes: Sequence[int], rounds: int, **values
) -> list[training_settings.TrainingSettings]:
    """One epoch's settings per batch size, each checked as the app checks them."""
    if rounds < 1:
        raise ValueError(f"rounds must be at least 1. Received: {rounds}")
    if not batch_sizes:
        raise ValueError("Give at least one batch size.")
    all_settings = [
        training_settings.TrainingSettings(epochs=1, batch_size=batch_size, **values)
        for batch_size in batch_sizes
    ]
    for settings in all_settings:
        settings.check()
    return all_settings


def run_benchmark(
    dataset: Dataset,
    spec: dict,
    batch_sizes: Sequence[int],
    rounds: int,
    *,
    train_limit: int | None = None,
    optimizer: str = "adam",
    learning_rate: float = 0.001,
    seed: int = 0,
    on_round: Callable[[RoundMeasurement], None] | None = None,
    poll_seconds: float = APP_POLL_SECONDS,
) -> BenchmarkReport:
    """Measure the app's training path against plain ``model.fit`` for each batch size.

    Args:
        dataset: the loaded data set.
        spec: the model to train, as a layer spec.
        batch_sizes: one comparison per batch size.
        rounds: timed epochs per side and batch size (after one untimed warm-up).
        train_limit: use only this many training images (None: all), as in the app.
        optimizer: "adam", "sgd" or "rmsprop".
        learning_rate: the optimizer's learning rate.
        seed: picks the training subset and validation images, and the initial weights.
        on_round: called with each round's figures as soon as they are measured.
        poll_seconds: how often the job's status is read while it trains.

    Raises:
        ValueError: for rounds below 1, no batch sizes, or settings TrainingSettings rejects.
        SpecError: when the spec does not fit the data set.
    """
    all_settings = _checked_settings(
        batch_sizes,
        rounds,
        optimizer=optimizer,
        learning_rate=learning_rate,
        train_limit=train_limit,
        seed=seed,
    )
    layer_infos = spec_module.validate(spec, dataset.input_shape, dataset.num_classes)

    x_train, _, x_validation, _ = fitting.split_data(dataset, all_settings[0])
    results = tuple(
        benchmark_batch_size(dataset, spec, settings, rounds, on_round, poll_seconds)
        for settings in all_settings
    )
    return BenchmarkReport(
        dataset=dataset.info.name,
        data_source=dataset.source,
        model_name=str(spec.get("name") or "custom"),
        params=spec_module.total_params(layer_infos),
        rounds=rounds,
        train_images=len(x_train),
        validation_images=0 if x_validation is None else len(x_validation),
        results=results,
    )
