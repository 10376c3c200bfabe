"""Turning core replies into Telegram messages: HTML text parts, buttons and callback data.

Everything the core wrote is passed through `html.escape`, so a stray `<` or `&` in the
content can never make Telegram refuse a message. Replies longer than Telegram's limit are
split between paragraphs; a paragraph that alone is too long is split inside its own tags,
so every part is valid HTML on its own.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.adapters.button_actions import answer_buttons, ask_data
from bot.core.commands import InfoText
from bot.core.replies import source_line
from bot.core.types import Reply, Snippet

MAX_MESSAGE_LENGTH = 4096  # Telegram's limit for one message's text
MAX_CALLBACK_DATA_BYTES = 64  # Telegram's limit for a button's callback data
_PARAGRAPH_BREAK = "\n\n"


def telegram_length(text: str) -> int:
    """The length as Telegram counts it: UTF-16 code units (an emoji counts as two)."""
    return len(text.encode("utf-16-le")) // 2


def render_reply(reply: Reply, limit: int = MAX_MESSAGE_LENGTH) -> list[str]:
    """The reply as HTML message parts, safety block first, each part within `limit`."""
    paragraphs: list[str] = []
    if reply.safety is not None:
        paragraphs += wrap("b", reply.safety.text, limit)
    if reply.lead_in:
        paragraphs += wrap("", reply.lead_in, limit)
    for snippet in reply.snippets:
        paragraphs += _snippet(snippet, limit)
    if reply.closing_check:
        paragraphs += wrap("", reply.closing_check, limit)
    if reply.disclaimer:
        paragraphs += wrap("i", reply.disclaimer, limit)
    return pack(paragraphs, limit)


def render_info(info: InfoText, limit: int = MAX_MESSAGE_LENGTH) -> list[str]:
    """An informational command's text: the title in bold, then one line per entry."""
    paragraphs = wrap("b", info.title, limit)
    if info.lines:
        paragraphs += wrap("", "\n".join(info.lines), limit)
    return pack(paragraphs, limit)


def render_plain(text: str, limit: int = MAX_MESSAGE_LENGTH) -> list[str]:
    """Plain text (an admin command's answer) escaped, in as few parts within `limit` as fit."""
    return pack(wrap("", text, limit), limit)


def wrap(tag: str, text: str, limit: int = MAX_MESSAGE_LENGTH) -> list[str]:
    """`text` escaped and wrapped in `tag` ("" for none), cut into pieces that each fit `limit`."""
    opening, closing = (f"<{tag}>", f"</{tag}>") if tag else ("", "")
    budget = limit - telegram_length(opening + closing)
    escaped = html.escape(text.strip())
    pieces = [escaped] if telegram_length(escaped) <= budget else _escaped_pieces(text, budget)
    return [f"{opening}{piece}{closing}" for piece in pieces]


def pack(paragraphs: Sequence[str], limit: int = MAX_MESSAGE_LENGTH) -> list[str]:
    """Join paragraphs into as few messages as fit `limit`, breaking only between paragraphs."""
    parts: list[str] = []
    current = ""
    for paragraph in paragraphs:
        joined = f"{current}{_PARAGRAPH_BREAK}{paragraph}" if current else paragraph
        if telegram_length(joined) <= limit:
            current = joined
            continue
        if current:
            parts.append(current)
        current = paragraph
    if current:
        parts.append(current)
    return parts


def _snippet(snippet: Snippet, limit: int) -> list[str]:
    """A quote as a blockquote with its source after it, kept together when they fit."""
    quote = wrap("blockquote", snippet.quote, limit)
    source = wrap("i", f"\u2014 {source_line(snippet)}", limit)
    together = f"{quote[-1]}\n{source[0]}"
    if len(source) == 1 and telegram_length(together) <= limit:
        return [*quote[:-1], together]
    return quote + source


def _escaped_pieces(text: str, budget: int) -> list[str]:
    """Escaped pieces of `text`, each within `budget`; cut at line breaks, else spaces, else anywhere."""
    pieces: list[str] = []
    current = ""
    # Splitting the raw text, not the escaped one, so an entity like &amp; is never cut.
    for token in re.split(r"(?<=[\n ])", text):
        for chunk in _hard_cut(token, budget):
            if current and telegram_length(html.escape(current + chunk)) > budget:
                pieces.append(current)
                current = ""
            current += chunk
    pieces.append(current)
    return [html.escape(piece.strip()) for piece in pieces if piece.strip()] or [""]


def _hard_cut(token: str, budget: int) -> list[str]:
    """A word longer than `budget` once escaped, cut into pieces that fit (others unchanged)."""
    if telegram_length(html.escape(token)) <= budget:
        return [token]
    chunks: list[str] = []
    current = ""
    for char in token:
        if current and telegram_length(html.escape(current + char)) > budget:
            chunks.append(current)
            current = ""
        current += char
    return [*chunks, current] if current else chunks


def reply_keyboard(reply: Reply) -> InlineKeyboardMarkup | None:
    """Follow-up questions as buttons, one per row; under an answer with quotes one row of
    "More" (a group-sized answer's whole), "Sources", 👍 and 👎."""
    rows: list[list[InlineKeyboardButton]] = []
    for suggestion in reply.suggestions:
        data = ask_data(suggestion.intent_id)
        if _fits(data):
            rows.append([InlineKeyboardButton(suggestion.question, callback_data=data)])
    if reply.answered and reply.snippets and reply.intent_id:
        actions = answer_buttons(reply.intent_id, more=reply.more)
        if all(_fits(data) for data, _ in actions):
            rows.append([InlineKeyboardButton(label, callback_data=data) for data, label in actions])
    return InlineKeyboardMarkup(rows) if rows else None


def _fits(callback_data: str) -> bool:
    # An intent id is content an admin can lengthen; a too-long button would make Telegram
    # refuse the whole reply, so the button is dropped instead.
    return len(callback_data.encode()) <= MAX_CALLBACK_DATA_BYTES
