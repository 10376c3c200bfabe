"""Intent matching: which topic a message is about, then which of its intents answers it.

The topic comes from a classifier trained on the library's phrasings and real members'
messages (topic_model.py); on real messages it is right about twice as often as the word
scoring below alone (bench/real_quality.py). A message that is one of the phrasings is
that phrasing's intent. Within the topic, the intent is chosen by word scoring, prepared at
load time. Per message:
1. Words are canonicalised: runner slang and brand names become the library's words
   (content/vocabulary.yaml), and unknown words one typo away from a known word are
   corrected.
2. A message about another body part and not the back ("knee hurts after the long run")
   is off topic: it is never given a back-pain answer.
3. Weighted word overlap over stems, for all phrasings at once with numpy (an inverted
   index; rare words weigh more, as in IDF): how much of a phrasing the message covers,
   and how much of the message the phrasing explains.
4. The few best intents are re-scored with rapidfuzz on the canonical text, which
   rewards word order and near-identical wording.
An intent's word score is its best phrasing's, 0 to 100; the score `match_message` gives
is the topic's probability in percent.
"""

from __future__ import annotations

import math
import sys
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import accumulate, pairwise

import numpy as np
import snowballstemmer
from rapidfuzz import fuzz, process

from bot.core.content import Intent, Vocabulary
from bot.core.normalisation import WORD_CACHE_SIZE, NormalisedText, PhraseSet, TypoIndex, normalise
from bot.core.topic_model import OFF_TOPIC, Example, topic_model_for
from bot.core.word_vectors import shipped_word_vectors

# Only words that never tell topics apart. Question words ("why", "should", "how") stay:
# they separate causes from prevention from should-I-run; IDF keeps them light.
STOPWORDS = frozenset({"a", "an", "the", "i", "me", "my", "to", "of", "and", "it", "is", "am", "so", "just"})
# Words that ask or point but say nothing about what: a message of only these is no question alone.
# fmt: off
FUNCTION_WORDS = STOPWORDS | {
    "why", "how", "what", "when", "where", "which", "who", "are", "was", "were", "can", "could",
    "should", "would", "will", "do", "does", "did", "that", "this", "those", "these", "them", "they",
    "too", "also", "again", "then", "but", "ok", "okay", "yes", "no", "not", "really", "though",
    "tho", "you", "your", "its", "there", "be", "been", "in", "on", "for", "with", "about", "at",
    "or", "if", "is",
}
# fmt: on
MIN_CORRECTION_LENGTH = 4  # shorter known words are never typo targets
UPPER_BACK_TOPIC = "upper_back"  # the one topic whose advice is not for the lower back
SMALLTALK = "smalltalk"
SHORTLIST_INTENTS = 6  # intents compared by meaning (on the tuning questions the winner was in the top 3)


@dataclass(frozen=True, slots=True)
class MatcherTuning:
    """The matcher's knobs.

    The two shares that help generalise (intent coverage, word vectors) were chosen by
    leave-one-out over the library's own phrasings; the rest and the answer threshold on
    the tuning part of the labelled questions. The held-out part was never used to choose.
    """

    phrasing_coverage_exponent: float = 0.6  # 1: only "the message says all the phrasing says"
    lexical_weight: float = 0.9  # share of the score from word overlap; the rest from rapidfuzz
    unknown_word_weight: float = 0.35  # an unknown word's weight, relative to the rarest known
    rerank_intents: int = 4  # the best and up to three suggestions
    smalltalk_max_words: int = 6  # longer messages are questions, never "hi" or "thanks"
    intent_coverage_weight: float = 0.45  # share from the message's coverage by all the intent's words
    semantic_weight: float = 0.2  # share from word-vector similarity (meaning, not spelling)
    full_information: float = 10.0  # known-word weight a message needs for full confidence (0: off)
    topics_ranked: int = 4  # the best topic's intent and up to three suggestions


@dataclass(frozen=True, slots=True)
class RankedIntent:
    intent: Intent
    score: float
    phrasing: str


@dataclass(frozen=True, slots=True)
class MatchResult:
    """Intents ranked best first (a few at most), or none with `off_topic` set. Scores in
    `ranked` are the topic's probability in percent; in `word_ranking`, the words' fit."""

    ranked: tuple[RankedIntent, ...]
    off_topic: bool = False
    within_topic: str | None = None  # the one topic the message's body area allows
    # The intents the words alone fit best (a back or pain word needed), ranked on demand from
    # the same reading: what an unsure reply offers as "did you mean" when `ranked` has none
    # near enough (the message is read once, not again for its suggestions).
    word_ranking: Callable[[], tuple[RankedIntent, ...]] = field(default=tuple, compare=False, repr=False)

    @property
    def best(self) -> RankedIntent | None:
        return self.ranked[0] if self.ranked else None


@dataclass(frozen=True, slots=True)
class _Overlap:
    """Word overlap for one message: every phrasing's score (zero when no word is shared)
    and each indexed intent's coverage of the message."""

    scores: np.ndarray
    coverage: np.ndarray


@dataclass(frozen=True, slots=True)
class _WordReading:
    """A message's canonical words and their overlap with the phrasings (see `_read`)."""

    words: tuple[str, ...]
    stems: set[str]
    upper_back: bool  # names the upper back and not the lower
    overlap: _Overlap
    upper_bounds: np.ndarray  # per intent, before any is set aside
    vector: np.ndarray  # the words' meaning (`_sentence_vector`)
    confidence: float  # how much the message says, 0 to 1


@dataclass(slots=True)
class _Candidates:
    """The shortlisted intents' phrasings, intent by intent, with their scores.

    Plain lists: a few dozen numbers, for which Python is quicker than numpy's per-call cost.
    """

    intents: list[int]  # indexed-intent positions
    pids: list[int]
    offsets: list[int]  # where each intent's phrasings start in `pids` (one more at the end)
    scores: list[float]


Phrasing = tuple[int, str, tuple[str, ...]]  # its intent's index, the text, its normalised words


def library_phrasings(intents: Sequence[Intent]) -> list[Phrasing]:
    """Each intent's question and examples, normalised once (for the index and the classifier).

    Their words are interned: the index keeps them all, and a few thousand distinct words
    recur across 11,000 phrasings at 1,000 intents (6 MB of copies otherwise)."""
    return [
        (index, phrasing, tuple(map(sys.intern, normalise(phrasing).words)))
        for index, intent in enumerate(intents)
        for phrasing in dict.fromkeys((intent.question, *intent.examples))
    ]


def phrasing_examples(
    intents: Sequence[Intent], phrasings: Sequence[Phrasing] | None = None
) -> list[Example]:
    """Each intent's question and examples as training messages for the topic classifier."""
    return [(words, intents[index].topic) for index, _, words in phrasings or library_phrasings(intents)]


def _best(scores: np.ndarray, count: int) -> list[int]:
    """Positions of the `count` highest scores above zero, best first (a partial sort)."""
    partial = count < len(scores)
    candidates = scores.argpartition(len(scores) - count)[-count:] if partial else np.arange(len(scores))
    values = scores[candidates].tolist()
    ordered = sorted(zip(values, candidates.tolist(), strict=True), key=lambda pair: (-pair[0], pair[1]))
    return [position for value, position in ordered if value > 0]


class IntentMatcher:
    """Prepared index over a library's phrasings. Immutable once built."""

    def __init__(
        self,
        intents: Sequence[Intent],
        vocabulary: Vocabulary,
        tuning: MatcherTuning | None = None,
        source_words: frozenset[str] = frozenset(),
    ):
        """`source_words`: the words of the source documents, which say what they cover."""
        self._tuning = tuning or MatcherTuning()
        self._intents = tuple(intents)
        self._stem = lru_cache(maxsize=WORD_CACHE_SIZE)(snowballstemmer.stemmer("english").stemWord)
        self._read_vocabulary(vocabulary)
        self._not_covered = {i.id: self._phrases(i.not_covered) for i in self._intents if i.not_covered}
        all_phrasings = library_phrasings(self._intents)
        phrasings, owners, texts = self._collect_phrasings(all_phrasings)
        self._phrasing_raw = phrasings
        # Words pre-sorted: fuzz.ratio on sorted words is token_sort_ratio without re-sorting.
        self._phrasing_sorted = [" ".join(sorted(words)) for words in texts]
        # Intents in phrasing order; reduceat takes each one's best phrasing in one call.
        self._indexed = sorted(set(owners))
        self._starts = np.searchsorted(owners, self._indexed)
        self._ends = [*self._starts[1:].tolist(), len(owners)]
        topics = [self._intents[i].topic for i in self._indexed]
        smalltalk = [topic == SMALLTALK for topic in topics]
        # Per topic, the advice intents of every other topic (closed off by `within_topic`).
        self._outside_topic = {
            t: np.flatnonzero([o not in (t, SMALLTALK) for o in topics]) for t in set(topics)
        }
        self._smalltalk_positions = np.flatnonzero(smalltalk)
        self._advice_positions = np.flatnonzero(np.logical_not(smalltalk))
        self._build_vocabulary(texts)
        self._build_index(texts)
        self._correct = lru_cache(maxsize=WORD_CACHE_SIZE)(self._correct_uncached)
        self._vectors = shipped_word_vectors()
        self._vector_entry = lru_cache(maxsize=WORD_CACHE_SIZE)(self._vector_entry_uncached)
        self._exact: dict[tuple[str, ...], RankedIntent] = {}  # a phrasing's words -> its intent
        for words, owner, raw in zip(texts, owners, phrasings, strict=True):
            self._exact.setdefault(words, RankedIntent(self._intents[owner], 100.0, raw))
        self._topic_overview: dict[str, Intent] = {}  # each topic's first intent
        for intent in self._intents:
            self._topic_overview.setdefault(intent.topic, intent)
        self._topic_model = topic_model_for(phrasing_examples(self._intents, all_phrasings))
        self._covered = {self._stem(w) for w in source_words} | self._subject
        self._covered |= {self._stem(w) for words in texts for w in words}
        self._phrasing_vectors = self._vectors.sentences([self._vector_entries(words) for words in texts])

    def _read_vocabulary(self, vocabulary: Vocabulary) -> None:
        """Synonyms, and the word lists that say what a message is about (as stems)."""
        self._synonyms = {
            tuple(normalise(k).words): tuple(normalise(v).words) for k, v in vocabulary.synonyms.items()
        }
        self._longest_synonym = max((len(k) for k in self._synonyms), default=0)
        self._synonym_words = {w for key in self._synonyms for w in key}
        self._synonym_starts = {key[0] for key in self._synonyms}
        self._off_topic = self._stems(vocabulary.other_body_parts)
        self._on_topic = self._stems(vocabulary.back_words)
        self._subject = self._on_topic | self._stems(vocabulary.pain_words)
        self._upper_back = self._phrases(vocabulary.upper_back_words)
        self._lower_back = self._phrases(vocabulary.lower_back_words)

    def _stems(self, terms: Sequence[str]) -> set[str]:
        return {self._stem(w) for term in terms for w in normalise(term).words}

    def match_message(self, text: NormalisedText) -> MatchResult:
        """Rank intents for a member's message: topics by the classifier, each topic's best
        intent by its phrasings' words. A message that is one of the phrasings is its intent.

        Members tell stories: the race, the physio, the car, and somewhere what they ask. A
        classifier trained on real messages reads the whole story for its topic better than
        any one phrasing's overlap does (bench/real_quality.py).
        """
        exact = self._exact.get(self._canonical(text.words))
        if exact is not None:  # an admin's new phrasing works right after the reload
            return MatchResult((exact,))
        if not self.says_something(text.words):  # "why?" alone: any topic would be a guess
            return MatchResult((), word_ranking=lambda: self.match(text).ranked)
        return self._by_topic(text, self._topic_model.probabilities(text.words))

    def sources_cover(self, words: Sequence[str]) -> bool:
        """False when half or more of a message's content words are real words (in the
        word-vector table, so not typos) that neither the sources nor any phrasing mention:
        "what about foam rolling?", "my back clicks when I run". The nearest answer is then
        given as such. Incidental words in a question ("club", "Saturday") are not enough
        (on the team's tuning questions, any one unknown word flagged one answer in four)."""
        content = [
            word
            for word in map(self._correct, self._canonical(words))
            if len(word) >= MIN_CORRECTION_LENGTH and word not in FUNCTION_WORDS
        ]
        unknown = [
            w for w in content if self._stem(w) not in self._covered and self._vectors.row(w) is not None
        ]
        return not unknown or 2 * len(unknown) < len(content)

    def intent_covers(self, intent: Intent, words: Sequence[str]) -> bool:
        """False when the message names a point the intent lists as not covered
        ("can I take ibuprofen before a race?")."""
        points = self._not_covered.get(intent.id)
        return points is None or not points.found_in(self._canonical(words))

    def says_something(self, words: Sequence[str]) -> bool:
        """Whether a message has a word beyond question and function words ("why?", "and that?")."""
        return not FUNCTION_WORDS.issuperset(words)

    def match_follow_up(self, context: tuple[str, ...], text: NormalisedText) -> MatchResult:
        """A short follow-up ("ok so how do I stop it?") read with the question before it.

        Together they say what hurts; the follow-up alone says what is asked now. A topic
        must fit both readings, so their probabilities are multiplied (on the tuning
        exchanges this was right more often than their mean or the two read together only).
        """
        together = NormalisedText((*context, *text.words), frozenset({0, len(context)}))
        model = self._topic_model
        # Alone, a follow-up names no body part and reads as off topic; that reading is dropped.
        combined = model.probabilities(together.words)
        if self.says_something(text.words):
            alone = model.probabilities(text.words)
            alone[model.topics.index(OFF_TOPIC)] = 0.0
            combined = combined * alone
        return self._by_topic(together, combined / combined.sum())

    def _by_topic(self, text: NormalisedText, probabilities: np.ndarray) -> MatchResult:
        """Intents ranked by their topic's probability (as the score, 0 to 100). A message
        the model reads as off topic, or about another body part and not the back, gets none.
        """
        reading = self._read(text)
        by_words = self._rank_reading(reading, require_subject=False)
        if by_words.off_topic:
            return by_words
        ranked: list[RankedIntent] = []
        for position in np.argsort(-probabilities)[: self._tuning.topics_ranked].tolist():
            topic = self._topic_model.topics[position]
            if topic == OFF_TOPIC:
                if not ranked:
                    break  # read as off topic: nothing ranked
                continue
            best = self._best_in_topic(reading, by_words, topic, search=not ranked)
            if best is not None:
                ranked.append(
                    RankedIntent(best.intent, round(100 * float(probabilities[position]), 1), best.phrasing)
                )
        return MatchResult(
            tuple(ranked), word_ranking=lambda: self._rank_reading(reading, require_subject=True).ranked
        )

    def _best_in_topic(
        self, reading: _WordReading | MatchResult, by_words: MatchResult, topic: str, *, search: bool
    ) -> RankedIntent | None:
        """The topic's intent whose phrasings the message's words fit best. If none of the
        message's best-fitting intents is of this topic, the best topic's intent is searched
        for within it (`search`: the same reading ranked again, only the topic's intents in
        it); otherwise (and if that finds none) the topic's first, overview intent stands for
        it. Small talk only when a phrasing fits."""
        for ranked in by_words.ranked:
            if ranked.intent.topic == topic:
                return ranked
        if topic == SMALLTALK:
            return None
        if search:
            for ranked in self._rank_reading(reading, require_subject=False, within_topic=topic).ranked:
                if ranked.intent.topic == topic:
                    return ranked
        overview = self._topic_overview.get(topic)
        return None if overview is None else RankedIntent(overview, 0.0, overview.question)

    def match(
        self, text: NormalisedText, *, require_subject: bool = True, within_topic: str | None = None
    ) -> MatchResult:
        """Rank intents for a message read as a whole; empty when it has no usable words.

        `require_subject=False` ranks a message that mentions neither the back nor pain
        too: admin tools use it to find the closest intent for any question.
        `within_topic` confines the answer to one topic (as the body area named does).
        """
        reading = self._read(text)
        return self._rank_reading(reading, require_subject=require_subject, within_topic=within_topic)

    def _read(self, text: NormalisedText) -> _WordReading | MatchResult:
        """The message's words and their overlap with every phrasing: the per-message vector
        work, done once however many times the reading is ranked. A message about another
        body part, or without a known word, is already its (empty) result."""
        words = tuple(self._correct(w) for w in self._canonical(text.words))
        stems = {self._stem(w) for w in words}
        upper_back = self._upper_back.found_in(words)
        if stems & self._off_topic and not stems & self._on_topic and not upper_back:
            return MatchResult((), off_topic=True)
        # Sorted: summed in a fixed order, scores do not vary with the process's hash seed.
        known = sorted(s for s in stems if s in self._postings)
        if not known:
            return MatchResult(())
        overlap = self._overlap(known, stems)
        return _WordReading(
            words,
            stems,
            upper_back=upper_back and not self._lower_back.found_in(words),
            overlap=overlap,
            upper_bounds=self._intent_upper_bounds(overlap),
            vector=self._sentence_vector(words),
            # A vague message ("is it the running or what") cannot be confidently anything.
            confidence=min(1.0, math.fsum(self._idf[s] for s in known) / self._tuning.full_information),
        )

    def _rank_reading(
        self, reading: _WordReading | MatchResult, *, require_subject: bool, within_topic: str | None = None
    ) -> MatchResult:
        """The best few intents for a reading, with the intents it rules out set aside."""
        if isinstance(reading, MatchResult):
            return reading
        if within_topic is None and reading.upper_back:
            within_topic = UPPER_BACK_TOPIC
        upper = reading.upper_bounds.copy()
        if require_subject and not reading.stems & self._subject:
            # Neither the back nor pain is mentioned ("tips for running in the heat?"):
            # it can be small talk, never a back-pain answer.
            upper[self._advice_positions] = 0.0
        if len(reading.words) > self._tuning.smalltalk_max_words:
            upper[self._smalltalk_positions] = 0.0  # a longer message is a question, never "hi"
        if within_topic in self._outside_topic:
            upper[self._outside_topic[within_topic]] = 0.0
        shortlist = _best(upper, SHORTLIST_INTENTS)
        if not shortlist:
            return MatchResult(())
        candidates = self._candidates(shortlist, reading)
        query = " ".join(sorted(reading.words))
        return MatchResult(tuple(self._rank(candidates, query)), within_topic=within_topic)

    # --- load time ---------------------------------------------------------------------

    def _collect_phrasings(
        self, all_phrasings: Sequence[Phrasing]
    ) -> tuple[list[str], list[int], list[tuple[str, ...]]]:
        phrasings, owners, texts = [], [], []
        for index, phrasing, normalised in all_phrasings:
            words = self._canonical(normalised)
            if words:
                phrasings.append(phrasing)
                owners.append(index)
                texts.append(words)
        return phrasings, owners, texts

    def _phrases(self, terms: Sequence[str]) -> PhraseSet:
        """Vocabulary terms as the word runs a canonical message would contain."""
        return PhraseSet(self._canonical(normalise(term).words) for term in terms)

    def _build_vocabulary(self, texts: list[tuple[str, ...]]) -> None:
        counts = Counter(w for words in texts for w in words)
        self._known = set(counts)
        # Most frequent first, so the commoner word wins when a typo is near two.
        self._typos = TypoIndex([w for w, _ in counts.most_common()], MIN_CORRECTION_LENGTH)

    def _build_index(self, texts: list[tuple[str, ...]]) -> None:
        # Tuples, not sets: 11,000 small sets took 7.5 MB at 1,000 intents while they lived.
        stems_per_phrasing = [tuple(dict.fromkeys(map(self._stem, words))) for words in texts]
        df = Counter(s for stems in stems_per_phrasing for s in stems)
        n = len(texts)
        self._idf = {s: math.log(1 + n / count) for s, count in df.items()}
        self._unknown_idf = math.log(1 + n) * self._tuning.unknown_word_weight
        self._phrasing_k = np.searchsorted(self._starts, np.arange(n), side="right") - 1
        # One posting list per stem over phrasings (0..n-1) and then intents (n + k), so a
        # message's overlap with both is a single weighted count.
        postings: dict[str, list[int]] = {}
        for pid, stems in enumerate(stems_per_phrasing):
            for s in stems:
                postings.setdefault(s, []).append(pid)
        for ids in postings.values():
            ids.extend(n + k for k in sorted({int(self._phrasing_k[pid]) for pid in ids}))
        self._postings = {s: np.array(ids, dtype=np.int32) for s, ids in postings.items()}
        self._intent_pids = [np.arange(a, b) for a, b in zip(self._starts, self._ends, strict=True)]
        phrasing_total = np.array([math.fsum(self._idf[s] for s in stems) for stems in stems_per_phrasing])
        # score = (shared / phrasing total) ** e * (shared / message total) ** (1 - e); the
        # phrasing's part of the divisor is fixed, so it is raised to its power once, here.
        self._phrasing_divisor = phrasing_total**self._tuning.phrasing_coverage_exponent

    # --- per message -------------------------------------------------------------------

    def _canonical(self, words: Sequence[str]) -> tuple[str, ...]:
        """Stopwords dropped and slang replaced by the library's words (longest phrase first)."""
        if self._synonym_starts.isdisjoint(words):  # the usual case: nothing to replace
            return tuple(w for w in words if w not in STOPWORDS)
        out: list[str] = []
        i = 0
        while i < len(words):
            if words[i] not in self._synonym_starts:  # the usual case: nothing to replace here
                out.append(words[i])
                i += 1
                continue
            for size in range(min(self._longest_synonym, len(words) - i), 0, -1):
                replacement = self._synonyms.get(tuple(words[i : i + size]))
                if replacement is not None:
                    out.extend(replacement)
                    i += size
                    break
            else:
                out.append(words[i])
                i += 1
        return tuple(w for w in out if w not in STOPWORDS)

    def _correct_uncached(self, word: str) -> str:
        """A word one typo away from a known word becomes that word, unless it is a real word.

        The word-vector table doubles as an English dictionary: "shorts" is a word of its
        own, not a typo of "sports".
        """
        if word in self._known or word in self._synonym_words or self._vectors.row(word) is not None:
            return word
        near = self._typos.near(word)
        return near[0] if near else word

    def _overlap(self, known: list[str], stems: set[str]) -> _Overlap:
        """Weighted word overlap with every phrasing, and every intent's coverage of the message."""
        message_total = math.fsum(self._idf.get(s, self._unknown_idf) for s in stems)
        n = len(self._phrasing_divisor)
        postings = [self._postings[s] for s in known]
        # Each posting weighs its stem's idf: repeated here, not stored per posting.
        weights = np.repeat([self._idf[s] for s in known], [len(ids) for ids in postings])
        shared = np.bincount(np.concatenate(postings), weights=weights, minlength=n + len(self._indexed))
        exponent = self._tuning.phrasing_coverage_exponent
        scores = shared[:n] / self._phrasing_divisor * (1 / message_total) ** (1 - exponent)
        return _Overlap(scores, shared[n:] / message_total)

    def _intent_upper_bounds(self, overlap: _Overlap) -> np.ndarray:
        """Per intent, its best phrasing's word score: overlap and coverage, before meaning."""
        # Phrasings are stored intent by intent: one reduceat gives each intent's best.
        best_overlap = np.maximum.reduceat(overlap.scores, self._starts)
        beta = self._tuning.intent_coverage_weight
        return (1 - beta) * best_overlap + beta * overlap.coverage

    def _candidates(self, shortlist: list[int], reading: _WordReading) -> _Candidates:
        """The shortlisted intents' phrasings with their full scores, meaning blended in,
        scaled by how much the message says (`confidence`)."""
        overlap, confidence = reading.overlap, reading.confidence
        pid_array = np.concatenate([self._intent_pids[k] for k in shortlist])
        pids = pid_array.tolist()
        offsets = [0, *accumulate(len(self._intent_pids[k]) for k in shortlist)]
        beta, gamma = self._tuning.intent_coverage_weight, self._tuning.semantic_weight
        similarity = self._phrasing_vectors[pid_array] @ reading.vector
        scores = confidence * (
            (1 - gamma) * (1 - beta) * overlap.scores[pid_array]
            + (1 - gamma) * beta * overlap.coverage[self._phrasing_k[pid_array]]
            + gamma * np.maximum(similarity, 0.0)
        )
        return _Candidates(shortlist, pids, offsets, scores.tolist())

    def _rank(self, candidates: _Candidates, query: str) -> list[RankedIntent]:
        """The best few intents; those that can still win are re-scored with rapidfuzz.

        rapidfuzz adds at most (1 - weight) to a score: phrasings further behind cannot win
        and keep their word score (their intents only serve as suggestions).
        """
        bounds, scores = candidates.offsets, candidates.scores
        per_intent = [max(scores[start:end]) for start, end in pairwise(bounds)]
        order = sorted(range(len(per_intent)), key=per_intent.__getitem__, reverse=True)
        top = [i for i in order[: self._tuning.rerank_intents] if per_intent[i] > 0]
        if not top:
            return []
        weight = self._tuning.lexical_weight
        reach = per_intent[top[0]] - (1 - weight) / weight
        combined = {row: weight * scores[row] for i in top for row in range(bounds[i], bounds[i + 1])}
        rows = [row for i in top for row in range(bounds[i], bounds[i + 1]) if scores[row] >= reach]
        choices = [self._phrasing_sorted[candidates.pids[row]] for row in rows]
        similarity = process.cdist([query], choices, scorer=fuzz.ratio, dtype=np.float64)[0].tolist()
        for row, value in zip(rows, similarity, strict=True):
            combined[row] += (1 - weight) / 100 * value
        ranked = []
        for i in top:
            best = max(range(bounds[i], bounds[i + 1]), key=combined.__getitem__)
            intent = self._intents[self._indexed[candidates.intents[i]]]
            phrasing = self._phrasing_raw[candidates.pids[best]]
            ranked.append(RankedIntent(intent, round(combined[best] * 100, 1), phrasing))
        return sorted(ranked, key=lambda r: r.score, reverse=True)

    def _sentence_vector(self, words: Sequence[str]) -> np.ndarray:
        """The idf-weighted word-vector mean of `words` (words without a vector are skipped)."""
        entries = self._vector_entries(words)
        return self._vectors.sentence([row for row, _ in entries], [weight for _, weight in entries])

    def _vector_entries(self, words: Sequence[str]) -> list[tuple[int, float]]:
        return [e for e in map(self._vector_entry, words) if e is not None]

    def _vector_entry_uncached(self, word: str) -> tuple[int, float] | None:
        """A word's row in the vector table and its weight, or None if it has no vector."""
        row = self._vectors.row(word)
        return None if row is None else (row, self._idf.get(self._stem(word), self._unknown_idf))
