"""The red-flag screen's learned second line: features, the shipped weights, and how a
reply uses it when no pattern names a sign."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from bot.core.normalisation import normalise
from bot.core.red_flag_model import (
    BUCKETS,
    RedFlagModel,
    Verdict,
    features,
    reading_units,
    sentence_pieces,
    shipped_red_flag_model,
)
from bot.core.replies import safety_notice
from bot.core.safety import POSSIBLE_RED_FLAG, RedFlagScreener
from bot.core.types import Urgency
from tests.helpers import shipped_library


def model_that_fires_on(word: str) -> RedFlagModel:
    """A real model whose only strong weight is one word's: fires on that word alone."""
    weights = np.zeros(BUCKETS, dtype=np.float32)
    weights[features((word,))] = 10.0
    return RedFlagModel(weights, bias=-5.0, threshold=0.5)


def test_features_are_stable_hashes_in_range() -> None:
    ids = features(("lost", "feeling", "everywhere"))
    assert ids == features(("lost", "feeling", "everywhere"))  # crc32, not Python's salted hash
    assert all(0 <= i < BUCKETS for i in ids)


def test_the_model_reads_each_sentence_and_each_neighbouring_pair() -> None:
    # "numb" and "legs" only meet in the pair of sentences.
    model = RedFlagModel(np.zeros(BUCKETS, dtype=np.float32), bias=-5.0, threshold=0.5)
    pair = features(("numb", "legs"))
    single = set(features(("numb",))) | set(features(("legs",)))
    model.weights[list(set(pair) - single)] = 10.0  # only the word pair "numb legs" counts
    assert model.verdict(normalise("So numb. Legs too.")) is Verdict.FIRES
    assert model.verdict(normalise("So numb. Not much. Legs too.")) is Verdict.QUIET


@pytest.mark.parametrize(
    "text",
    [
        "",
        "🙂",
        "My legs went numb.",
        "My back hurts. My back hurts. My back hurts.",  # pairs that share every feature
        "Fell on the ice. Couldn't feel my legs after. Then the numbness spread to my bum!",
        "word " * 200,
    ],
)
def test_the_fast_score_equals_scoring_every_span_one_by_one(text: str) -> None:
    model = shipped_red_flag_model()
    assert model is not None
    message = normalise(text, limit=None)
    one_by_one = max(map(model.probability, reading_units(message)), default=0.0)
    assert model.best(message) == pytest.approx(one_by_one, abs=1e-5)


def test_a_run_on_message_is_read_in_bounded_pieces() -> None:
    pieces = sentence_pieces(normalise("word " * 1000, limit=None))
    assert max(len(piece) for piece in pieces) <= 80 and sum(map(len, pieces)) == 1000


def test_the_shipped_model_loads_and_has_a_threshold() -> None:
    model = shipped_red_flag_model()
    assert model is not None and 0.0 < model.check_threshold < model.threshold < 1.0
    assert model.weights.shape == (BUCKETS,)


def test_thresholds_survive_saving_and_a_model_saved_without_a_check_never_asks(tmp_path: Path) -> None:
    model = replace(model_that_fires_on("zorbly"), check_threshold=0.3)
    model.save(tmp_path / "model.npz")
    loaded = RedFlagModel.load(tmp_path / "model.npz")
    assert (loaded.threshold, loaded.check_threshold) == (0.5, 0.3)
    with np.load(tmp_path / "model.npz") as saved:
        older = {key: saved[key] for key in saved.files if key != "check_threshold"}
    np.savez(tmp_path / "older.npz", **older)
    assert RedFlagModel.load(tmp_path / "older.npz").check_threshold == 1.0


def test_where_the_model_half_reads_a_report_the_answer_ends_with_the_check_question() -> None:
    library = shipped_library()
    # Every feature of "zorbly" weighs 10: this bias leaves a logit of -1, probability 0.27,
    # above the check threshold and below the firing one.
    model = model_that_fires_on("zorbly")
    model = replace(model, bias=-10.0 * len(features(("zorbly",))) - 1, check_threshold=0.1)
    screening = RedFlagScreener(library.red_flags, model).screen(normalise("went a bit zorbly on the run"))
    assert model.verdict(normalise("zorbly")) is Verdict.ASKS
    assert screening.worth_check and not screening.possible and not screening.found_anything
    assert safety_notice(screening, library.messages, "999") is None


def test_where_only_the_model_fires_the_reply_opens_with_the_urgent_message() -> None:
    library = shipped_library()
    screener = RedFlagScreener(library.red_flags, model_that_fires_on("zorbly"))
    screening = screener.screen(normalise("my back went all zorbly last night"))
    assert screening.possible and not screening.fired
    notice = safety_notice(screening, library.messages, "112")
    assert notice is not None and notice.level is Urgency.URGENT and notice.is_urgent
    assert notice.signs == (POSSIBLE_RED_FLAG,)
    assert "112" in notice.text and notice.text.startswith("⚠️")


@pytest.mark.parametrize(
    "text",
    [
        "no numbness down there and my back went zorbly",  # a denial brings its own line
        "zorbly, and I cannot pee",  # a pattern named an emergency sign
    ],
)
def test_the_model_does_not_override_what_the_patterns_said(text: str) -> None:
    screener = RedFlagScreener(shipped_library().red_flags, model_that_fires_on("zorbly"))
    assert not screener.screen(normalise(text)).possible


def test_a_soon_sign_with_the_model_firing_is_raised_to_urgent() -> None:
    library = shipped_library()
    screener = RedFlagScreener(library.red_flags, model_that_fires_on("zorbly"))
    screening = screener.screen(normalise("it hurts when I hop on one leg, all zorbly"))
    assert screening.possible and screening.level is Urgency.SOON
    notice = safety_notice(screening, library.messages, "999")
    assert notice is not None and notice.level is Urgency.URGENT
    assert notice.signs[0] == POSSIBLE_RED_FLAG and "hop_pain" in notice.signs


def test_the_shipped_model_was_trained_on_the_data_in_the_repository() -> None:
    # bench/train_red_flag_model.py records a hash of its data; edit the data, retrain.
    from bench.train_red_flag_model import data_digest

    model = shipped_red_flag_model()
    assert model is not None and model.data_digest == data_digest(), "run: make train-red-flags"
