"""The topic classifier: its shipped data and model match the repository, and it learns."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

from bot.core import topic_model
from bot.core.matching import phrasing_examples
from bot.core.normalisation import normalise
from bot.core.topic_model import TopicModel, TopicTraining, digest
from tests.helpers import shipped_library


def test_the_shipped_real_messages_are_the_train_part_verbatim_with_addresses() -> None:
    from bench.train_topic_model import real_messages

    lines = topic_model.REAL_MESSAGES_FILE.read_text(encoding="utf-8").splitlines()
    shipped = [json.loads(line) for line in lines]
    assert shipped == real_messages()
    assert len(shipped) >= 600 and all(item["url"].startswith("http") for item in shipped)


def test_the_shipped_model_was_trained_on_the_shipped_library() -> None:
    # Edit the library or the real questions, then: python bench/train_topic_model.py
    phrasings = phrasing_examples(shipped_library().intents)
    assert TopicModel.load(topic_model.MODEL_FILE, digest(phrasings)) is not None


TOY_TEXTS = {
    "ice": ["ice for a sore back", "should I ice it", "cold pack on my back"],
    "shoes": ["which shoes are best", "new trainers for my back", "cushioned shoes help?"],
}


def train_toy() -> TopicModel:
    examples = [(normalise(text).words, topic) for topic, texts in TOY_TEXTS.items() for text in texts]
    return TopicModel.train(examples, TopicTraining(steps=60))


@pytest.fixture(scope="module")
def toy() -> TopicModel:
    return train_toy()


def test_it_learns_words_and_word_pieces(toy: TopicModel) -> None:
    for text, topic in [("ice pack", "ice"), ("shoes", "shoes"), ("iced", "ice"), ("trainer", "shoes")]:
        probabilities = toy.probabilities(normalise(text).words)
        assert toy.topics[int(np.argmax(probabilities))] == topic, text
        assert probabilities.sum() == pytest.approx(1.0)


def test_unknown_words_give_the_prior_and_training_is_repeatable(toy: TopicModel) -> None:
    assert toy.probabilities(normalise("zzzz qqqq").words) == pytest.approx(toy.probabilities(()))
    words = normalise("cold shoes").words
    assert train_toy().probabilities(words) == pytest.approx(toy.probabilities(words))


# --- models kept on disk for an admin's library ---------------------------------------------


@pytest.fixture
def kept_in(tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    """Models kept in a fresh folder, with no model of this process remembered."""
    monkeypatch.setattr(topic_model, "_recent", type(topic_model._recent)())
    topic_model.keep_trained_models_in(tmp_path / "models")
    yield tmp_path / "models"
    topic_model.keep_trained_models_in(None)


def admin_phrasings(word: str) -> list[tuple[tuple[str, ...], str]]:
    return [(normalise(f"does a {word} help my back").words, "prevention")]


def forget_this_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """As a new start: nothing in memory, and training would fail the test."""
    monkeypatch.setattr(topic_model, "_recent", type(topic_model._recent)())

    def no_training(*args: object, **kwargs: object) -> TopicModel:
        raise AssertionError("trained again instead of loading the kept model")

    monkeypatch.setattr(TopicModel, "train", no_training)


def test_a_model_trained_for_an_admins_library_loads_at_the_next_start(kept_in, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    trained = topic_model.topic_model_for(admin_phrasings("standing desk"))
    assert [p.name for p in kept_in.iterdir()] == [
        f"topic-model-{digest(admin_phrasings('standing desk'))[:16]}.npz"
    ]
    forget_this_process(monkeypatch)
    loaded = topic_model.topic_model_for(admin_phrasings("standing desk"))
    words = normalise("standing desk for my back?").words
    assert loaded.probabilities(words) == pytest.approx(trained.probabilities(words))


def test_a_damaged_kept_model_is_trained_again_and_replaced(kept_in, caplog) -> None:  # type: ignore[no-untyped-def]
    topic_model.topic_model_for(admin_phrasings("foam roller"))
    (kept,) = kept_in.iterdir()
    kept.write_bytes(b"not a model")
    topic_model._recent.clear()
    model = topic_model.topic_model_for(admin_phrasings("foam roller"))
    assert "Could not read the kept topic model" in caplog.text
    assert model.topics and TopicModel.load(kept, digest(admin_phrasings("foam roller")))


def test_a_folder_that_cannot_be_written_costs_a_warning_not_the_model(tmp_path, monkeypatch, caplog) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(topic_model, "_recent", type(topic_model._recent)())
    (tmp_path / "models").write_text("a file where the folder should be")
    topic_model.keep_trained_models_in(tmp_path / "models")
    try:
        assert topic_model.topic_model_for(admin_phrasings("treadmill")).topics
    finally:
        topic_model.keep_trained_models_in(None)
    assert "Could not keep the topic model" in caplog.text


def test_only_the_last_few_models_are_kept(kept_in) -> None:  # type: ignore[no-untyped-def]
    for word in ("bike", "swim", "yoga", "pilates", "rowing"):
        topic_model.topic_model_for(admin_phrasings(word))
    assert len(list(kept_in.iterdir())) == topic_model._KEPT_MODELS


def test_a_kept_model_used_again_is_kept_longest(kept_in, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    for word in ("bike", "swim", "yoga"):
        topic_model.topic_model_for(admin_phrasings(word))
    bike = kept_in / f"topic-model-{digest(admin_phrasings('bike'))[:16]}.npz"
    for path in kept_in.iterdir():
        os.utime(path, (2_000_000, 2_000_000))  # long ago
    os.utime(bike, (1_000_000, 1_000_000))  # the oldest
    topic_model._recent.clear()
    topic_model.topic_model_for(admin_phrasings("bike"))  # loaded from disk: used now
    topic_model.topic_model_for(admin_phrasings("rowing"))  # a new one: the oldest used goes
    assert bike.exists() and len(list(kept_in.iterdir())) == topic_model._KEPT_MODELS
