"""Ship the topic classifier's data and model: bot/core/real_messages.jsonl and topic_model.npz.

    python bench/train_topic_model.py        # after editing the library or the real questions

The real messages are the train part of tests/data/real_questions/ (agreed labels; disputed
items and bare red-flag reports left out), with each page's address. The model is trained
exactly as the bot trains it on reload (bot/core/topic_model.py) and saved with the digest of
its data, so the bot starts without training; tests/core/test_topic_model.py checks that the
shipped files match the data.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.real_questions import load_part  # noqa: E402
from bot.core import topic_model  # noqa: E402
from bot.core.content import load_library  # noqa: E402
from bot.core.matching import phrasing_examples  # noqa: E402

NOT_TRAINED_ON = frozenset(
    {"disputed", "urgent"}
)  # no agreed topic; a bare report's reply is its safety message


def real_messages() -> list[dict[str, str]]:
    return [
        {"text": item["text"], "topic": item["topic"], "url": item["url"]}
        for item in load_part("train")
        if item["topic"] not in NOT_TRAINED_ON and not item.get("disputed")
    ]


def main() -> None:
    with topic_model.REAL_MESSAGES_FILE.open("w", encoding="utf-8") as file:
        for item in real_messages():
            file.write(json.dumps(item, ensure_ascii=False) + "\n")
    library = load_library(ROOT / "content")
    phrasings = phrasing_examples(library.intents)
    examples = topic_model.training_examples(phrasings)
    started = time.perf_counter()
    model = topic_model.TopicModel.train(examples)
    print(f"trained on {len(examples)} messages in {time.perf_counter() - started:.2f} s")
    model.save(topic_model.MODEL_FILE, topic_model.digest(phrasings))
    print(f"wrote {topic_model.REAL_MESSAGES_FILE.name} and {topic_model.MODEL_FILE.name}")


if __name__ == "__main__":
    main()
