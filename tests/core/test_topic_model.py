"""The topic classifier: its shipped data and model match the repository, and it learns."""

from __future__ import annotations

import json

import numpy as np
import pytest

from bot.core import topic_model
from bot.core.matching import phrasing_examples
from bot.core.normalisation import normalise
from bot.core.topic_model import TopicModel, TopicTraining, digest, training_examples
from tests.helpers import shipped_library


def test_the_shipped_real_messages_are_the_train_part_verbatim_with_addresses() -> None:
    from bench.train_topic_model import real_messages

    lines = topic_model.REAL_MESSAGES_FILE.read_text(encoding="utf-8").splitlines()
    shipped = [json.loads(line) for line in lines]
    assert shipped == real_messages()
    assert len(shipped) >= 600 and all(item["url"].startswith("http") for item in shipped)


def test_the_shipped_model_was_trained_on_the_shipped_library() -> None:
    # Edit the library or the real questions, then: python bench/train_topic_model.py
    examples = training_examples(phrasing_examples(shipped_library().intents))
    assert TopicModel.load(topic_model.MODEL_FILE, digest(examples)) is not None


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
