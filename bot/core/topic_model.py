"""Which topic a message is about: a linear classifier over hashed words and word pieces.

Real members tell stories ("did my first half on Sunday, fine until mile 9, now my lower
back aches when I bend, is it the hills?"); a hand-set score over a message's words finds
the few that say what is asked drowned by the rest. A classifier learns which words and
word pieces tell the topics apart from real messages and from the library's phrasings, so
an admin's new phrasing counts as soon as the library reloads.

Features: each word's stem and each pair of neighbouring stems (what is said), and the
four-letter pieces of each word (typos, endings, compounds: "achy", "aching", "backache"),
hashed into a fixed number of slots, weighted by rarity (IDF) and normalised per block.
The model is multinomial logistic regression with an L2 penalty, fitted by full-batch
gradient descent in numpy: about a second on the shipped library, so it is retrained on
every reload (see `TopicModel.train`).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import zipfile
from collections import Counter, OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

import numpy as np
import snowballstemmer

from bot.core.feature_hashing import BUCKETS, PairHalves, pair_halves, pair_slots, slot
from bot.core.normalisation import WORD_CACHE_SIZE, normalise

OFF_TOPIC = "off_topic"  # the class of running messages a back-pain bot must decline
CHAR_GRAM = 4  # word pieces of this many characters (a word's edges marked by spaces)
_WORD_BLOCK, _PIECE_BLOCK = 0, 1

log = logging.getLogger(__name__)
_stem = lru_cache(maxsize=WORD_CACHE_SIZE)(snowballstemmer.stemmer("english").stemWord)


@dataclass(frozen=True, slots=True)
class TopicTraining:
    """How the classifier is fitted (chosen on the real questions' development part)."""

    penalty: float = 1 / 30  # L2 strength per training message (sklearn's 1/C)
    steps: int = 40
    learning_rate: float = 0.5


@lru_cache(maxsize=WORD_CACHE_SIZE)
def _word_features(word: str) -> tuple[int, tuple[int, ...], PairHalves]:
    """A word's stem slot, its pieces' slots, and its stem as half of a pair of neighbouring
    stems (cached: chat reuses few words)."""
    stem = _stem(word)
    marked = f" {word} "
    pieces = tuple(slot(f"c:{marked[i : i + CHAR_GRAM]}") for i in range(max(1, len(marked) - CHAR_GRAM + 1)))
    return slot(f"w:{stem}"), pieces, pair_halves(stem)


Blocks = tuple[tuple[np.ndarray, np.ndarray], ...]  # per block: slots and their counts


def raw_features(words: Sequence[str]) -> Blocks:
    """Slot counts of a message's stems and stem pairs, and of its word pieces."""
    stems: Counter[int] = Counter()
    pieces: Counter[int] = Counter()
    features = list(map(_word_features, words))
    for stem_slot, piece_slots, _ in features:
        stems[stem_slot] += 1
        pieces.update(piece_slots)
    stems.update(pair_slots([halves for _, _, halves in features]))
    return tuple(
        (
            np.fromiter(block.keys(), dtype=np.int64, count=len(block)),
            np.fromiter(block.values(), dtype=np.float32, count=len(block)),
        )
        for block in (stems, pieces)
    )


class TopicModel:
    """Topic probabilities for a message's words. Immutable once trained."""

    def __init__(
        self,
        topics: tuple[str, ...],
        slots: np.ndarray,
        idf: np.ndarray,
        weights: np.ndarray,
        bias: np.ndarray,
    ) -> None:
        """Only the slots training saw are kept: `slots` (sorted), with their idf and weight rows."""
        self.topics = topics
        self._slots = slots
        self._row = np.full(BUCKETS, -1, dtype=np.int32)  # slot -> row of `weights`, -1 if unseen
        self._row[slots] = np.arange(len(slots), dtype=np.int32)
        self._idf = np.append(idf, np.float32(0.0))  # by row; row -1 (unseen) reads the final 0
        self._weights = weights
        self._bias = bias

    def probabilities(self, words: Sequence[str]) -> np.ndarray:
        """One probability per topic (in `topics` order), summing to 1."""
        by_row = tuple((self._row[slots], counts) for slots, counts in raw_features(words))
        rows, values = _tfidf(by_row, self._idf)
        seen = rows >= 0
        scores = self._bias + values[seen] @ self._weights[rows[seen]]
        probabilities: np.ndarray = _softmax(scores[None, :])[0]
        return probabilities

    @classmethod
    def train(
        cls, examples: Sequence[tuple[Sequence[str], str]], settings: TopicTraining | None = None
    ) -> TopicModel:
        """Fit on (words, topic) pairs: the library's phrasings and real members' messages."""
        settings = settings or TopicTraining()
        topics = tuple(sorted({topic for _, topic in examples}))
        counted = [raw_features(words) for words, _ in examples]
        idf = _idf(counted, len(examples))
        vectors = [_tfidf(counts, idf) for counts in counted]
        labels = np.array([topics.index(topic) for _, topic in examples])
        slots, weights, bias = _fit(vectors, labels, len(topics), settings)
        return cls(topics, slots, idf[slots], weights, bias)

    def save(self, path: Path, data_digest: str) -> None:
        """Write the model with the digest of the data it was trained on."""
        np.savez_compressed(
            path,
            digest=data_digest,
            topics=np.array(self.topics),
            slots=self._slots,
            idf=self._idf[:-1],
            weights=self._weights,
            bias=self._bias,
        )

    @classmethod
    def load(cls, path: Path, data_digest: str) -> TopicModel | None:
        """The saved model if it was trained on data with this digest, else None."""
        if not path.exists():
            return None
        with np.load(path) as saved:
            if str(saved["digest"]) != data_digest:
                return None
            topics = tuple(str(topic) for topic in saved["topics"])
            return cls(topics, saved["slots"], saved["idf"], saved["weights"], saved["bias"])


def _idf(counted: list[Blocks], documents: int) -> np.ndarray:
    """Smoothed inverse document frequency per slot, as scikit-learn's TfidfVectorizer."""
    present = [np.unique(np.concatenate([slots for slots, _ in blocks])) for blocks in counted]
    frequency = np.bincount(np.concatenate(present), minlength=BUCKETS)
    idf = np.log((1 + documents) / (1 + frequency)) + 1
    idf[frequency == 0] = 0.0  # a slot never seen in training carries no weight
    return idf.astype(np.float32)


def _tfidf(counted: Blocks, idf: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sparse features: positions and values, each block sublinear-tf times idf, unit length.
    Positions index `idf`: slots in training, the model's rows when it reads a message."""
    all_slots: list[np.ndarray] = []
    all_values: list[np.ndarray] = []
    for slots, counts in counted:
        values = (1 + np.log(counts)) * idf[slots]
        norm = float(np.linalg.norm(values))
        if norm:
            all_slots.append(slots)
            all_values.append(values / norm)
    if not all_slots:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
    return np.concatenate(all_slots), np.concatenate(all_values)


def _softmax(scores: np.ndarray) -> np.ndarray:
    shifted = np.exp(scores - scores.max(axis=1, keepdims=True))
    normalised: np.ndarray = shifted / shifted.sum(axis=1, keepdims=True)
    return normalised


def _fit(
    vectors: list[tuple[np.ndarray, np.ndarray]], labels: np.ndarray, classes: int, settings: TopicTraining
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Multinomial logistic regression by full-batch Adam over the slots training uses.

    The examples are a scipy sparse matrix (a few hundred entries per row of 2**18 slots),
    so each step is two sparse products and costs memory for the dense scores only.
    """
    from scipy.sparse import csr_matrix  # training only: a shipped model loads without it

    slots = np.concatenate([slots for slots, _ in vectors])
    used, columns = np.unique(slots, return_inverse=True)
    lengths = [len(slots) for slots, _ in vectors]
    matrix = csr_matrix(
        (np.concatenate([values for _, values in vectors]), columns, np.r_[0, np.cumsum(lengths)]),
        shape=(len(vectors), len(used)),
        dtype=np.float32,
    )
    transposed = matrix.T.tocsr()
    count = len(vectors)
    target = np.zeros((count, classes), dtype=np.float32)
    target[np.arange(count), labels] = 1.0
    weights = np.zeros((len(used), classes), dtype=np.float32)
    bias = np.zeros(classes, dtype=np.float32)
    parameters = [weights, bias]
    moments = [np.zeros_like(p) for p in parameters]
    squares = [np.zeros_like(p) for p in parameters]
    for step in range(1, settings.steps + 1):
        error = (_softmax(matrix @ weights + bias) - target) / count
        gradients = [transposed @ error + (settings.penalty / count) * weights, error.sum(axis=0)]
        for parameter, gradient, moment, square in zip(parameters, gradients, moments, squares, strict=True):
            moment *= 0.9
            moment += 0.1 * gradient
            square *= 0.999
            square += 0.001 * gradient * gradient
            corrected = moment / (1 - 0.9**step)
            parameter -= settings.learning_rate * corrected / (np.sqrt(square / (1 - 0.999**step)) + 1e-8)
    return used, weights, bias


# --- the model the bot uses ----------------------------------------------------------------

Example = tuple[tuple[str, ...], str]  # a message's normalised words and its topic
REAL_MESSAGES_FILE = Path(__file__).with_name("real_messages.jsonl")
MODEL_FILE = Path(__file__).with_name("topic_model.npz")
_recent: OrderedDict[str, TopicModel] = OrderedDict()  # by training data digest, newest last
_RECENT_MODELS = 4  # a reload trains once; tests building the same library share one model
_model_folder: Path | None = None  # where trained models are kept on disk (None: nowhere)
_KEPT_MODELS = 3  # the last few used: an admin undoing an edit finds the model kept


def real_examples() -> tuple[Example, ...]:
    """Real members' messages with their agreed topic: the train part of the real questions
    (tests/data/real_questions/, copied here by `python bench/train_topic_model.py`).

    Read afresh when a model is trained, not kept: their words are 3 MB, and a library whose
    model exists needs only their digest."""
    lines = REAL_MESSAGES_FILE.read_text(encoding="utf-8").splitlines()
    items = [json.loads(line) for line in lines if line.strip()]
    return tuple((normalise(item["text"]).words, item["topic"]) for item in items)


def training_examples(phrasings: Sequence[Example]) -> tuple[Example, ...]:
    """What a library's model learns from: its phrasings and the real messages."""
    return (*phrasings, *real_examples())


@cache
def _real_examples_digest() -> str:
    return hashlib.sha256(json.dumps(real_examples()).encode("utf-8")).hexdigest()


def digest(phrasings: Sequence[Example]) -> str:
    """A fingerprint of the data a library's model learns from (its phrasings and the real
    messages): the same data gives the same model."""
    data = f"{json.dumps(phrasings)}\n{_real_examples_digest()}"
    return hashlib.sha256(data.encode("utf-8")).hexdigest()


def keep_trained_models_in(folder: Path | None) -> None:
    """Keep every model trained in this process in `folder` too (None: in memory only).

    A library other than the shipped one (an admin's, with its own phrasings) needs its own
    model: seconds to train for a big library. Kept on disk, the next start with the same
    library loads it in milliseconds.
    """
    global _model_folder
    _model_folder = folder


def topic_model_for(phrasings: Sequence[Example]) -> TopicModel:
    """The model for a library: trained on its phrasings and the real messages.

    Training takes about a second on the shipped library, so a model is reused when the data
    is unchanged: from this process, the one shipped for the shipped library
    (topic_model.npz), or one kept on disk by an earlier start (`keep_trained_models_in`).
    """
    key = digest(phrasings)
    model = _recent.pop(key, None) or TopicModel.load(MODEL_FILE, key) or _load_kept(key)
    if model is None:
        model = TopicModel.train(training_examples(phrasings))
        _keep(model, key)
    _recent[key] = model
    while len(_recent) > _RECENT_MODELS:
        _recent.popitem(last=False)
    return model


def _kept_path(key: str) -> Path | None:
    return _model_folder / f"topic-model-{key[:16]}.npz" if _model_folder else None


def _load_kept(key: str) -> TopicModel | None:
    """A model kept by an earlier start; a damaged or unreadable file is trained again."""
    path = _kept_path(key)
    try:
        model = TopicModel.load(path, key) if path else None
    except (OSError, ValueError, KeyError, zipfile.BadZipFile) as exc:
        log.warning("Could not read the kept topic model %s (%s); training it again", path, exc)
        return None
    if model and path:
        with contextlib.suppress(OSError):
            path.touch()  # used now: the last to be dropped
    return model


def _keep(model: TopicModel, key: str) -> None:
    """Write the model whole or not at all (a temporary file renamed), and drop old ones."""
    path = _kept_path(key)
    if path is None:
        return
    partial = path.with_name(f".{path.stem}.{os.getpid()}.npz")  # not matched by the glob below
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        model.save(partial, key)
        os.replace(partial, path)
        kept = sorted(path.parent.glob("topic-model-*.npz"), key=lambda p: p.stat().st_mtime)
        for old in kept[:-_KEPT_MODELS]:
            old.unlink(missing_ok=True)
    except OSError as exc:
        log.warning("Could not keep the topic model in %s (%s); the next start trains it", path.parent, exc)
    finally:
        with contextlib.suppress(OSError):  # already renamed, or the folder is not there
            partial.unlink(missing_ok=True)
