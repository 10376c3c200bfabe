"""Loading and checking the content library: sources, intents, red-flag signs, messages.

Layout of a content folder:
    sources/*.txt        source documents, each opened by a YAML front-matter block
    intents/*.yaml       intents, one file per topic
    red_flags.yaml       red-flag signs and their everyday phrasings
    messages.yaml        the bot's own words: safety messages, lead-ins, help text

`load_library` checks everything and raises ContentError listing every problem with its
file, line and field; it never returns a half-checked library.
"""

from __future__ import annotations

import codecs
import re
import stat
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from string import Formatter
from typing import Any

from bot.core.located_yaml import ContentError, ContentProblem, LocatedDocument, load_located
from bot.core.normalisation import normalise
from bot.core.types import TOPICS, Snippet, Source, Urgency

TRUST_LEVELS = ("clinical", "editorial", "commercial")
MIN_EXAMPLES = 8
MAX_SNIPPETS = 3
ANSWERLESS_TOPICS = frozenset({"smalltalk"})  # their reply is the lead-in, in our own words

_TYPOGRAPHIC = str.maketrans(
    {"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-", "\u2014": "-"}
)


# A quote may leave out a parenthesis or an aside with "…" ("acetaminophen … ibuprofen"),
# never a passage: each "…" stands for at most this many characters of the source.
MAX_LEFT_OUT = 80
_ELLIPSIS = re.compile(r"…|\.\.\.")


def found_verbatim(quote: str, source_text: str) -> bool:
    """Whether the quote's words stand in the (normalised) source in this order, each "…"
    leaving out at most MAX_LEFT_OUT characters."""
    parts = [part for part in map(normalise_quote, _ELLIPSIS.split(quote)) if part]
    if not parts:
        return False
    start = source_text.find(parts[0])
    while start >= 0:
        if _follow_in_order(parts[1:], source_text, start + len(parts[0])):
            return True
        start = source_text.find(parts[0], start + 1)
    return False


def _follow_in_order(parts: list[str], source_text: str, end: int) -> bool:
    for part in parts:
        found = source_text.find(part, end, end + MAX_LEFT_OUT + len(part) + 2)
        if found < 0:
            return False
        end = found + len(part)
    return True


def normalise_quote(text: str) -> str:
    """The form in which a quote is compared with its source: case, spaces, quote marks."""
    text = unicodedata.normalize("NFKC", text).translate(_TYPOGRAPHIC)
    return re.sub(r"\s+", " ", text).strip().casefold()


@dataclass(frozen=True, slots=True)
class Intent:
    id: str
    topic: str
    question: str
    examples: tuple[str, ...]
    lead_in: str
    snippets: tuple[Snippet, ...]
    follow_ups: tuple[str, ...]
    # Points the sources do not cover though the intent touches them ("before a race"):
    # a question naming one gets this answer as the nearest the sources say.
    not_covered: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class RedFlagSign:
    """A red-flag sign: it fires when every term group of one pattern occurs close together."""

    id: str
    level: Urgency
    label: str
    patterns: tuple[tuple[tuple[str, ...], ...], ...]
    mentions: tuple[tuple[tuple[str, ...], ...], ...]  # count only when negated
    unless: tuple[str, ...]  # terms that cancel a nearby match ("fell" + "asleep")
    needs_pain_context: bool
    window: int
    same_sentence: bool = False  # every term of a match in one sentence ("both legs fine. sciatica?")
    # Phrases in which the sign's words mean something else ("wee bit"): those words never
    # count toward it, while the same words elsewhere in the message still do.
    other_senses: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class RedFlagRules:
    signs: tuple[RedFlagSign, ...]
    negation_cues: tuple[str, ...]
    negation_after: tuple[str, ...]
    hedges: tuple[str, ...]
    fillers: tuple[str, ...]
    pain_context: tuple[str, ...]
    leg_symptom_terms: tuple[str, ...]  # no red flag, but worth the check question
    # Bladder, bowel and saddle-area words: with back pain and no red flag, worth it too.
    body_function_terms: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Vocabulary:
    """Words for matching: member slang mapped to the library's words, and topic gates."""

    synonyms: dict[str, str]
    back_words: tuple[str, ...]  # a message with one of these is about the back
    pain_words: tuple[str, ...]  # ...or with one of these, about pain; otherwise no advice
    other_body_parts: tuple[str, ...]  # ...and one with only these is not
    # A message naming one of these and none of `lower_back_words` gets upper_back answers only.
    upper_back_words: tuple[str, ...] = ()
    lower_back_words: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Messages:
    """The bot's own words. Safety texts may use {number} (emergency number) and {signs}."""

    safety: dict[str, str]  # emergency, urgent, soon, negated, possible (the model's, urgent-level)
    leg_check: str
    not_sure: str
    not_covered: str  # leads the nearest answer when the sources do not cover what was asked
    off_topic: str
    empty: str
    disclaimer: str
    help: str


@dataclass(frozen=True)  # no slots: cached_property needs an instance __dict__
class Library:
    """Everything the engine needs, checked and immutable: swapped whole on reload."""

    sources: dict[str, Source]
    intents: tuple[Intent, ...]
    red_flags: RedFlagRules
    messages: Messages
    vocabulary: Vocabulary
    source_words: frozenset[str] = frozenset()  # every word of the source documents, normalised

    def intent(self, intent_id: str) -> Intent:
        return self.intents_by_id[intent_id]

    @cached_property
    def intents_by_id(self) -> dict[str, Intent]:
        return {intent.id: intent for intent in self.intents}


class _Checker:
    """Collects problems while reading located documents, so all are reported at once."""

    def __init__(self) -> None:
        self.problems: list[ContentProblem] = []

    def add(self, doc: LocatedDocument, path: tuple[str | int, ...], message: str) -> None:
        self.problems.append(doc.problem(path, message))

    def mapping(
        self,
        doc: LocatedDocument,
        value: Any,
        path: tuple[str | int, ...],
        required: tuple[str, ...],
        optional: tuple[str, ...] = (),
    ) -> dict[str, Any] | None:
        if not isinstance(value, dict):
            self.add(doc, path, "expected a mapping of fields")
            return None
        for key in required:
            if key not in value or value[key] in (None, "", []):
                self.add(doc, path, f"missing field '{key}'")
        for key in value:
            if key not in required and key not in optional:
                allowed = ", ".join((*required, *optional))
                self.add(doc, (*path, str(key)), f"unknown field (allowed: {allowed})")
        return value

    def text(self, doc: LocatedDocument, value: Any, path: tuple[str | int, ...]) -> str:
        if value is None:
            return ""
        if isinstance(value, bool):
            self.add(doc, path, "YAML reads yes/no/on/off as true/false here: put the word in quotes")
            return ""
        if isinstance(value, int | float):
            return str(value)
        if not isinstance(value, str) or not value.strip():
            self.add(doc, path, "expected a non-empty text")
            return ""
        return value.strip()

    def text_list(self, doc: LocatedDocument, value: Any, path: tuple[str | int, ...]) -> list[str]:
        if value is None:
            return []
        if not isinstance(value, list):
            self.add(doc, path, "expected a list")
            return []
        return [self.text(doc, item, (*path, i)) for i, item in enumerate(value)]


def load_library(content_dir: Path | str) -> Library:
    """Load and check a content folder; raise ContentError listing every problem."""
    root = Path(content_dir)
    checker = _Checker()
    if not root.is_dir():
        raise ContentError([ContentProblem(str(root), 0, "", "content folder not found")])
    sources, source_texts = _load_sources(root, checker)
    intents = _load_intents(root, checker, sources, source_texts)
    red_flags = _read_file(root, root / "red_flags.yaml", checker, _parse_red_flags)
    messages = _read_file(root, root / "messages.yaml", checker, _parse_messages)
    vocabulary = _read_file(root, root / "vocabulary.yaml", checker, _parse_vocabulary)
    if checker.problems or red_flags is None or messages is None or vocabulary is None:
        raise ContentError(checker.problems)
    source_words = frozenset(w for text in source_texts.values() for w in normalise(text).words)
    return Library(sources, tuple(intents), red_flags, messages, vocabulary, source_words)


MAX_FILE_BYTES = 2_000_000  # far above any real content file; bounds what a mistake can cost


def read_content_text(path: Path, root: Path) -> str:
    """A content file's text, or ContentError saying what is wrong with the file.

    Only regular files inside the content folder are read (no symlink out of it, no FIFO
    or device: a FIFO would hang the reader), at most MAX_FILE_BYTES, as strict UTF-8.
    """

    def problem(message: str, line: int = 0) -> ContentError:
        return ContentError([ContentProblem(str(path), line, "", message)])

    try:
        resolved = path.resolve(strict=True)
        info = resolved.stat()
    except FileNotFoundError:
        raise problem("file not found") from None
    except OSError as exc:
        raise problem(f"cannot read the file: {exc.strerror or exc}") from None
    if not resolved.is_relative_to(root.resolve()):
        raise problem("points outside the content folder (a symlink?): copy the file in instead")
    if not stat.S_ISREG(info.st_mode):
        raise problem("not a regular file (a folder, a FIFO or a device)")
    if info.st_size > MAX_FILE_BYTES:
        raise problem(f"file too large ({info.st_size:,} bytes; at most {MAX_FILE_BYTES:,})")
    try:
        data = resolved.read_bytes()[: MAX_FILE_BYTES + 1]
    except OSError as exc:
        raise problem(f"cannot read the file: {exc.strerror or exc}") from None
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        raise problem("saved as UTF-16 or UTF-32: save it as UTF-8", 1)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise problem(f"not UTF-8 text (byte {exc.start}): save the file as UTF-8", line) from None
    if "\x00" in text:
        raise problem("contains a NUL character", text[: text.index("\x00")].count("\n") + 1)
    return text


def _read_file(
    root: Path, path: Path, checker: _Checker, parse: Callable[[LocatedDocument, _Checker], Any]
) -> Any:
    doc = _read_yaml(root, path, checker)
    return None if doc is None else parse(doc, checker)


def _read_yaml(root: Path, path: Path, checker: _Checker) -> LocatedDocument | None:
    """A content YAML file with its lines, or None after noting what is wrong with it."""
    try:
        return load_located(read_content_text(path, root), str(path))
    except ContentError as exc:
        checker.problems.extend(exc.problems)
        return None


# --- sources -------------------------------------------------------------------------------


def _load_sources(root: Path, checker: _Checker) -> tuple[dict[str, Source], dict[str, str]]:
    sources: dict[str, Source] = {}
    texts: dict[str, str] = {}
    files = sorted((root / "sources").glob("*.txt"))
    if not files:
        checker.problems.append(ContentProblem(str(root / "sources"), 0, "", "no source documents"))
    for path in files:
        parsed = _parse_source(root, path, checker)
        if parsed is None:
            continue
        source, body = parsed
        if source.id in sources:
            checker.problems.append(ContentProblem(str(path), 2, "id", f"duplicate source id '{source.id}'"))
            continue
        sources[source.id] = source
        texts[source.id] = normalise_quote(body)
    return sources, texts


def _parse_source(root: Path, path: Path, checker: _Checker) -> tuple[Source, str] | None:
    try:
        text = read_content_text(path, root)
    except ContentError as exc:
        checker.problems.extend(exc.problems)
        return None
    parts = text.split("---\n", 2)
    if not text.startswith("---\n") or len(parts) < 3:
        checker.problems.append(ContentProblem(str(path), 1, "", "must open with a '---' front-matter block"))
        return None
    try:
        doc = load_located(parts[1], str(path))
    except ContentError as exc:
        checker.problems.extend(ContentProblem(p.file, p.line + 1, p.field, p.message) for p in exc.problems)
        return None
    # Front matter starts on line 2 of the file.
    doc = LocatedDocument(doc.file, doc.data, {k: v + 1 for k, v in doc.lines.items()})
    meta = checker.mapping(doc, doc.data, (), ("id", "title", "publisher", "trust"), ("note", "url"))
    if meta is None:
        return None
    source_id = checker.text(doc, meta.get("id"), ("id",))
    if source_id and not re.fullmatch(r"[a-z0-9_]+", source_id):
        checker.add(doc, ("id",), "use lower-case letters, digits and _ only")
    url = checker.text(doc, meta["url"], ("url",)) if "url" in meta else ""
    if url and not re.fullmatch(r"https?://\S+", url):
        checker.add(doc, ("url",), "must be a web address starting with https:// or http://")
    trust = meta.get("trust")
    if trust not in TRUST_LEVELS:
        checker.add(doc, ("trust",), f"unknown trust level {trust!r} (use {', '.join(TRUST_LEVELS)})")
    source = Source(
        id=source_id,
        title=checker.text(doc, meta.get("title"), ("title",)),
        publisher=checker.text(doc, meta.get("publisher"), ("publisher",)),
        trust=str(trust),
        url=url,
    )
    return source, parts[2]


# --- intents -------------------------------------------------------------------------------


def _load_intents(
    root: Path, checker: _Checker, sources: dict[str, Source], source_texts: dict[str, str]
) -> list[Intent]:
    intents: list[Intent] = []
    seen_ids: dict[str, str] = {}
    seen_examples: dict[str, str] = {}
    follow_up_refs: list[tuple[LocatedDocument, tuple[str | int, ...], str]] = []
    files = sorted((root / "intents").glob("*.yaml"))
    if not files:
        checker.problems.append(ContentProblem(str(root / "intents"), 0, "", "no intent files"))
    for path in files:
        doc = _read_yaml(root, path, checker)
        if doc is None:
            continue
        top = checker.mapping(doc, doc.data, (), ("intents",))
        entries = top.get("intents") if top else None
        if top is not None and not isinstance(entries, list):
            checker.add(doc, ("intents",), "expected a list of intents")
            continue
        for index, entry in enumerate(entries or []):
            intent = _parse_intent(doc, checker, entry, ("intents", index), sources, source_texts)
            if intent is None:
                continue
            path_here = ("intents", index)
            if intent.id in seen_ids:
                checker.add(doc, (*path_here, "id"), f"duplicate intent id (also in {seen_ids[intent.id]})")
            seen_ids[intent.id] = f"{doc.file}:{doc.line((*path_here, 'id'))}"
            for i, example in enumerate(intent.examples):
                key = " ".join(example.casefold().split())
                owner = seen_examples.get(key)
                if owner is not None and owner != intent.id:
                    checker.add(doc, (*path_here, "examples", i), f"phrasing also used by intent '{owner}'")
                seen_examples.setdefault(key, intent.id)
            follow_up_refs += [
                (doc, (*path_here, "follow_ups", i), ref) for i, ref in enumerate(intent.follow_ups)
            ]
            intents.append(intent)
    for doc, where, ref in follow_up_refs:
        if ref not in seen_ids:
            checker.add(doc, where, f"unknown intent id '{ref}'")
    return intents


def _parse_examples(
    doc: LocatedDocument, checker: _Checker, fields: dict[str, Any], path: tuple[str | int, ...]
) -> list[str]:
    examples = checker.text_list(doc, fields.get("examples"), (*path, "examples"))
    for i in range(len(examples)):
        if (*path, "examples", i) in doc.folded:
            checker.add(
                doc,
                (*path, "examples", i),
                "this example runs over two lines: if it is two examples, start the second with '- '",
            )
    if "examples" in fields and len(examples) < MIN_EXAMPLES:
        checker.add(doc, (*path, "examples"), f"needs at least {MIN_EXAMPLES} phrasings, has {len(examples)}")
    return examples


def _check_reply_shape(
    doc: LocatedDocument,
    checker: _Checker,
    fields: dict[str, Any],
    path: tuple[str | int, ...],
    lead_in: str,
    snippets: Sequence[Snippet],
) -> None:
    """Small talk replies with its lead-in alone; advice quotes one to MAX_SNIPPETS snippets."""
    topic = fields.get("topic")
    if isinstance(topic, str) and topic in ANSWERLESS_TOPICS:
        if snippets:
            checker.add(doc, (*path, "answer"), f"{topic} intents reply with their lead_in only")
        if not lead_in:
            checker.add(doc, (*path, "lead_in"), f"{topic} intents need a lead_in (their reply)")
    elif isinstance(fields.get("answer"), list) and not 1 <= len(fields["answer"]) <= MAX_SNIPPETS:
        checker.add(doc, (*path, "answer"), f"needs 1 to {MAX_SNIPPETS} snippets")
    elif "answer" not in fields:
        checker.add(doc, path, "missing field 'answer'")


def _parse_intent(
    doc: LocatedDocument,
    checker: _Checker,
    entry: Any,
    path: tuple[str | int, ...],
    sources: dict[str, Source],
    source_texts: dict[str, str],
) -> Intent | None:
    fields = checker.mapping(
        doc,
        entry,
        path,
        ("id", "topic", "question", "examples"),
        ("lead_in", "answer", "follow_ups", "not_covered"),
    )
    if fields is None:
        return None
    intent_id = checker.text(doc, fields.get("id"), (*path, "id"))
    if intent_id and not re.fullmatch(r"[a-z0-9_]+", intent_id):
        checker.add(doc, (*path, "id"), "use lower-case letters, digits and _ only")
    topic = fields.get("topic")
    if not isinstance(topic, str) or topic not in TOPICS or topic == "urgent":
        usable = ", ".join(t for t in TOPICS if t != "urgent")
        checker.add(doc, (*path, "topic"), f"unknown topic {topic!r} (use one of: {usable})")
    examples = _parse_examples(doc, checker, fields, path)
    lead_in = checker.text(doc, fields.get("lead_in"), (*path, "lead_in"))
    snippets = _parse_answer(doc, checker, fields.get("answer"), (*path, "answer"), sources, source_texts)
    _check_reply_shape(doc, checker, fields, path, lead_in, snippets)
    follow_ups = checker.text_list(doc, fields.get("follow_ups"), (*path, "follow_ups"))
    not_covered = checker.text_list(doc, fields.get("not_covered"), (*path, "not_covered"))
    return Intent(
        id=intent_id,
        topic=str(topic),
        question=checker.text(doc, fields.get("question"), (*path, "question")),
        examples=tuple(e for e in examples if e),
        lead_in=lead_in,
        snippets=tuple(snippets),
        follow_ups=tuple(f for f in follow_ups if f),
        not_covered=tuple(p for p in not_covered if p),
    )


def _parse_answer(
    doc: LocatedDocument,
    checker: _Checker,
    value: Any,
    path: tuple[str | int, ...],
    sources: dict[str, Source],
    source_texts: dict[str, str],
) -> list[Snippet]:
    if value is None:
        return []
    if not isinstance(value, list):
        checker.add(doc, path, "expected a list of snippets")
        return []
    snippets: list[Snippet] = []
    for i, item in enumerate(value):
        here = (*path, i)
        fields = checker.mapping(doc, item, here, ("source", "quote"))
        if fields is None:
            continue
        source_id = fields.get("source")
        quote = checker.text(doc, fields.get("quote"), (*here, "quote"))
        if source_id not in sources:
            checker.add(doc, (*here, "source"), f"unknown source id {source_id!r}")
            continue
        if quote and not found_verbatim(quote, source_texts[source_id]):
            checker.add(doc, (*here, "quote"), f"not found verbatim in source '{source_id}'")
            continue
        if quote:
            snippets.append(Snippet(quote=" ".join(quote.split()), source=sources[source_id]))
    return snippets


# --- red flags and messages ----------------------------------------------------------------


MAX_TERMS_PER_LIST = 5000  # a concept expanded past this is a mistake (and would slow every message)
_CONCEPT_REFERENCE = re.compile(r"^@([a-z0-9_]+)$")


class _Concepts:
    """Named term lists; a term word "@name" stands for each of that concept's terms.

    "@unable feel*" expands to "cannot feel*", "could not feel*", ...: a sign is written
    as concepts crossed with each other (sensation loss x body region), not as phrases.
    """

    def __init__(self, doc: LocatedDocument, checker: _Checker, value: Any) -> None:
        self._doc, self._checker = doc, checker
        self._raw: dict[str, Any] = {}
        if value is not None and not isinstance(value, dict):
            checker.add(doc, ("concepts",), "expected a mapping of concept names to term lists")
        elif value:
            self._raw = value
        self._expanded: dict[str, tuple[str, ...]] = {}
        self._expanding: list[str] = []

    def expand(self, terms: list[str], path: tuple[str | int, ...]) -> tuple[str, ...]:
        """Every term with its concept references replaced by each of their terms."""
        out: list[str] = []
        for index, term in enumerate(terms):
            variants = [""]
            for word in term.split():
                reference = _CONCEPT_REFERENCE.match(word)
                if word.startswith("@") and reference is None:
                    problem = f"'{word}' is not a concept reference: write @ and the concept's name"
                    self._checker.add(self._doc, (*path, index), problem)
                options = self._concept(reference[1], (*path, index)) if reference else (word,)
                variants = [f"{v} {o}".strip() for v in variants for o in options]
                if len(variants) > MAX_TERMS_PER_LIST:
                    self._checker.add(
                        self._doc, (*path, index), f"expands to over {MAX_TERMS_PER_LIST} terms"
                    )
                    return tuple(out)
            out.extend(v for v in variants if v)
        if len(out) > MAX_TERMS_PER_LIST:
            self._checker.add(self._doc, path, f"expands to over {MAX_TERMS_PER_LIST} terms")
            return tuple(out[:MAX_TERMS_PER_LIST])
        return tuple(dict.fromkeys(out))

    def _concept(self, name: str, path: tuple[str | int, ...]) -> tuple[str, ...]:
        if name in self._expanded:
            return self._expanded[name]
        if name not in self._raw:
            self._checker.add(self._doc, path, f"unknown concept '@{name}' (define it under 'concepts')")
            return ()
        if name in self._expanding:
            self._checker.add(self._doc, ("concepts", name), f"concept '@{name}' refers to itself")
            return ()
        self._expanding.append(name)
        terms = self._checker.text_list(self._doc, self._raw[name], ("concepts", name))
        self._expanded[name] = self.expand([t.casefold() for t in terms], ("concepts", name))
        self._expanding.pop()
        return self._expanded[name]

    def check_all(self) -> None:
        """Expand every concept once, so a concept no sign uses is still checked."""
        for name in self._raw:
            self._concept(str(name), ("concepts", name))


def _parse_red_flags(doc: LocatedDocument, checker: _Checker) -> RedFlagRules | None:
    top = checker.mapping(
        doc,
        doc.data,
        (),
        ("signs", "negation_cues", "pain_context", "leg_symptom_terms"),
        ("hedges", "negation_after", "fillers", "concepts", "body_function_terms"),
    )
    if top is None:
        return None
    concepts = _Concepts(doc, checker, top.get("concepts"))
    concepts.check_all()
    signs: list[RedFlagSign] = []
    seen: set[str] = set()
    entries = top.get("signs")
    if entries is not None and not isinstance(entries, list):
        checker.add(doc, ("signs",), "expected a list of signs")
        entries = []
    for index, entry in enumerate(entries or []):
        sign = _parse_sign(doc, checker, concepts, entry, ("signs", index))
        if sign is None:
            continue
        if sign.id in seen:
            checker.add(doc, ("signs", index, "id"), f"duplicate sign id '{sign.id}'")
        seen.add(sign.id)
        signs.append(sign)
    return RedFlagRules(
        signs=tuple(signs),
        negation_cues=tuple(checker.text_list(doc, top.get("negation_cues"), ("negation_cues",))),
        hedges=tuple(checker.text_list(doc, top.get("hedges"), ("hedges",))),
        negation_after=tuple(checker.text_list(doc, top.get("negation_after"), ("negation_after",))),
        fillers=tuple(checker.text_list(doc, top.get("fillers"), ("fillers",))),
        pain_context=tuple(checker.text_list(doc, top.get("pain_context"), ("pain_context",))),
        leg_symptom_terms=tuple(checker.text_list(doc, top.get("leg_symptom_terms"), ("leg_symptom_terms",))),
        body_function_terms=_expanded_list(doc, checker, concepts, top, "body_function_terms"),
    )


def _expanded_list(
    doc: LocatedDocument, checker: _Checker, concepts: _Concepts, top: dict[str, Any], field: str
) -> tuple[str, ...]:
    """A top-level term list whose terms may name concepts ("@urine")."""
    terms = checker.text_list(doc, top.get(field), (field,))
    return concepts.expand([t.casefold() for t in terms], (field,))


def _parse_sign(
    doc: LocatedDocument, checker: _Checker, concepts: _Concepts, entry: Any, path: tuple[str | int, ...]
) -> RedFlagSign | None:
    fields = checker.mapping(
        doc,
        entry,
        path,
        ("id", "level", "label", "match"),
        ("needs_pain_context", "window", "unless", "other_senses", "mention", "same_sentence"),
    )
    if fields is None:
        return None
    sign_id = checker.text(doc, fields.get("id"), (*path, "id"))
    try:
        level = Urgency(fields.get("level"))
    except ValueError:
        checker.add(doc, (*path, "level"), "level must be emergency, urgent or soon")
        return None
    mentions = (
        _parse_patterns(doc, checker, concepts, fields.get("mention"), (*path, "mention"))
        if "mention" in fields
        else ()
    )
    window = fields.get("window", 8)
    if not isinstance(window, int) or window < 1:
        checker.add(doc, (*path, "window"), "window must be a positive whole number of words")
        window = 8
    return RedFlagSign(
        id=sign_id,
        level=level,
        label=checker.text(doc, fields.get("label"), (*path, "label")),
        patterns=_parse_patterns(doc, checker, concepts, fields.get("match"), (*path, "match")),
        mentions=mentions,
        unless=_terms(doc, checker, concepts, fields, (*path, "unless")),
        other_senses=_terms(doc, checker, concepts, fields, (*path, "other_senses")),
        needs_pain_context=bool(fields.get("needs_pain_context", False)),
        same_sentence=bool(fields.get("same_sentence", False)),
        window=window,
    )


def _terms(
    doc: LocatedDocument,
    checker: _Checker,
    concepts: _Concepts,
    fields: dict[str, Any],
    path: tuple[str | int, ...],
) -> tuple[str, ...]:
    """A sign's optional list of terms (`unless`, `other_senses`), concepts expanded."""
    field = str(path[-1])
    return concepts.expand([t.casefold() for t in checker.text_list(doc, fields.get(field), path)], path)


def _parse_patterns(
    doc: LocatedDocument, checker: _Checker, concepts: _Concepts, value: Any, path: tuple[str | int, ...]
) -> tuple[tuple[tuple[str, ...], ...], ...]:
    """`match` is a list of patterns; a pattern is a list of term groups; a group, of terms."""
    if not isinstance(value, list) or not value:
        checker.add(doc, path, "expected a list of patterns (each a list of term lists)")
        return ()
    patterns = []
    for i, pattern in enumerate(value):
        if not isinstance(pattern, list) or not pattern:
            checker.add(doc, (*path, i), "a pattern is a list of term lists")
            continue
        groups = []
        for j, group in enumerate(pattern):
            terms = checker.text_list(doc, group, (*path, i, j))
            if not terms or not all(terms):
                checker.add(doc, (*path, i, j), "a term list needs at least one term")
            groups.append(concepts.expand([t.casefold() for t in terms if t], (*path, i, j)))
        patterns.append(tuple(groups))
    return tuple(patterns)


_MESSAGE_FIELDS = ("leg_check", "not_sure", "not_covered", "off_topic", "empty", "disclaimer", "help")
_SAFETY_LEVELS = ("emergency", "urgent", "soon", "negated", "possible")


def _parse_messages(doc: LocatedDocument, checker: _Checker) -> Messages | None:
    top = checker.mapping(doc, doc.data, (), ("safety", *_MESSAGE_FIELDS))
    if top is None:
        return None
    safety_map = checker.mapping(doc, top.get("safety"), ("safety",), _SAFETY_LEVELS) or {}
    safety = {level: checker.text(doc, safety_map.get(level), ("safety", level)) for level in _SAFETY_LEVELS}
    for level, text in safety.items():
        problem = _template_problem(text)
        if problem:
            checker.add(doc, ("safety", level), problem)
    texts = {name: checker.text(doc, top.get(name), (name,)) for name in _MESSAGE_FIELDS}
    return Messages(safety=safety, **texts)


def _template_problem(text: str) -> str:
    """What is wrong with a safety message's placeholders ("" when nothing is)."""
    try:
        parts = list(Formatter().parse(text))
    except ValueError:
        return "a '{' or '}' without its pair: write {number} or {signs}, or double it ({{) for the sign"
    for _, name, spec, conversion in parts:
        if name is None:
            continue
        if name not in ("number", "signs"):
            return "the placeholders allowed are {number} and {signs}"
        if spec or conversion:
            return f"write {{{name}}} plainly, with nothing after the name"
    return ""


def _parse_vocabulary(doc: LocatedDocument, checker: _Checker) -> Vocabulary | None:
    top = checker.mapping(
        doc,
        doc.data,
        (),
        ("synonyms", "back_words", "pain_words", "other_body_parts"),
        ("upper_back_words", "lower_back_words"),
    )
    if top is None:
        return None
    raw = top.get("synonyms")
    if not isinstance(raw, dict):
        checker.add(doc, ("synonyms",), "expected a mapping: what members type -> the library's words")
        raw = {}
    synonyms = {
        checker.text(doc, key, ("synonyms",)).casefold(): checker.text(doc, value, ("synonyms", str(key)))
        for key, value in raw.items()
    }
    return Vocabulary(
        synonyms={k: v for k, v in synonyms.items() if k and v},
        back_words=tuple(checker.text_list(doc, top.get("back_words"), ("back_words",))),
        pain_words=tuple(checker.text_list(doc, top.get("pain_words"), ("pain_words",))),
        other_body_parts=tuple(checker.text_list(doc, top.get("other_body_parts"), ("other_body_parts",))),
        upper_back_words=tuple(checker.text_list(doc, top.get("upper_back_words"), ("upper_back_words",))),
        lower_back_words=tuple(checker.text_list(doc, top.get("lower_back_words"), ("lower_back_words",))),
    )
