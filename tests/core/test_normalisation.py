"""Normalisation: what every message goes through before screening and matching."""

from __future__ import annotations

import pytest

from bot.core.normalisation import MAX_MESSAGE_CHARS, TypoIndex, normalise


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        ("Why does my BACK hurt?!?!", "why does my back hurt"),
        ("@runbot why does it hurt", "why does it hurt"),
        ("<@123456> <#42> hi", "hi"),
        ("see https://example.com/x?y=1 and www.foo.org", "see and"),
        ("sooooo sore 😩🏃‍♂️", "soo sore"),
        ("I can't run, don't know why", "i cannot run do not know why"),
        ("I can\u2019t run", "i cannot run"),
        (
            "lbp after my LR, hammies tight, seeing a physio",
            "lower back pain after my lr hamstrings tight seeing a physiotherapist",
        ),
        ("my back's sore", "my back sore"),
        ("lost 6kg", "lost 6 kg"),
        ("\uff37\uff48\uff59", "why"),  # full-width letters (NFKC)
        ("**bold** _it_ <b>x</b> &amp;", "bold it b x b amp"),
        ("Привет, как дела?", "привет как дела"),
    ],
)
def test_normalise(raw: str, words: str) -> None:
    assert normalise(raw).text == words


@pytest.mark.parametrize("raw", ["", "   ", "🏃‍♀️💨🔥", "?!?!...", "\u200b\u200d"])
def test_nothing_left(raw: str) -> None:
    assert normalise(raw).words == ()


def test_clause_starts_mark_punctuation_and_but() -> None:
    text = normalise("no fever, but I cannot pee")
    assert text.words == ("no", "fever", "but", "i", "cannot", "pee")
    assert {0, 2} <= text.clause_starts


def test_huge_message_is_cut() -> None:
    assert len(normalise("back " * 10_000).words) == MAX_MESSAGE_CHARS // len("back ")


def test_typo_index_finds_one_edit_only() -> None:
    index = TypoIndex(["numbness", "chest", "tingling"], min_length=5)
    assert index.near("numbnes") == ["numbness"]
    assert index.near("numbenss") == ["numbness"]  # swapped letters
    assert index.near("aches") == []  # shares a deletion with "chest" but is two edits away
    assert index.near("tingeling") == ["tingling"]


def test_typo_index_can_require_the_first_letter() -> None:
    index = TypoIndex(["tearing"], min_length=6, keep_first_letter=True)
    assert index.near("wearing") == []
    assert index.near("taering") == ["tearing"]


def test_sentences_are_word_spans_and_a_part_keeps_its_own_marks() -> None:
    text = normalise("Long story about my marathon. Back hurts, why?")
    assert text.sentences() == [(0, 5), (5, 8)]
    tail = text.part(5, 8)
    assert tail.words == ("back", "hurts", "why")
    assert tail.clause_starts == {0, 2} and tail.sentence_starts == {0}
    assert tail.question_ends == {3}
    assert normalise("").sentences() == []


@pytest.mark.parametrize("known", [["came", "bake"], ["bake", "came"]])
def test_typo_candidates_come_in_the_callers_order_whatever_the_hash_seed(known: list[str]) -> None:
    # "bame" is one replacement from each, found through different deletions ("ame", "bae"):
    # the order the deletions are tried in follows the hash seed, so it must not decide.
    assert TypoIndex(known, min_length=3).near("bame") == known
