"""Turning a platform-neutral reply into Discord embeds and buttons, within Discord's limits.

Layout of a reply:
- the safety block first, as its own embed, coloured by level: red for emergency and urgent,
  orange for "soon", gold for the "if you ever notice..." line of a negated mention;
- then the answer: the lead-in as the description, one field per quoted snippet (the
  source's label, publisher and short title, as the field name, the quote as "> " lines),
  the leg-symptom check, and the disclaimer as the footer;
- follow-up suggestions as buttons that ask them (custom_id "ask:<intent_id>") and, under an
  answer with quotes, one row: "More" for a group-sized answer ("more:<intent_id>"),
  "Sources" ("src:<intent_id>"), 👍 and 👎 ("fb:<intent_id>:1" / "fb:<intent_id>:0").

Anything that might pass a limit is split at a paragraph, line or word break, and the embeds
are packed into as few messages as the per-message limits allow. Text comes only from the
reply: this module adds layout, never advice.
"""

from __future__ import annotations

from collections.abc import Sequence

import discord

from bot.adapters.button_actions import VOTE_LABELS, answer_buttons, ask_data
from bot.core.commands import InfoText
from bot.core.replies import source_line
from bot.core.types import Reply, SafetyNotice, Urgency, shorten

CONTENT_LIMIT = 2000
TITLE_LIMIT = 256
DESCRIPTION_LIMIT = 4096
FIELD_NAME_LIMIT = 256
FIELD_VALUE_LIMIT = 1024
FIELDS_PER_EMBED = 25
FOOTER_LIMIT = 2048
EMBED_TOTAL_LIMIT = 6000  # for one embed, and for all the embeds of one message together
EMBEDS_PER_MESSAGE = 10
BUTTON_LABEL_LIMIT = 80
CUSTOM_ID_LIMIT = 100
BUTTON_ROWS = 5

ANSWER_COLOUR = discord.Colour.blurple()
UNANSWERED_COLOUR = discord.Colour.light_grey()
INFO_COLOUR = discord.Colour.teal()
_BLANK = "\u200b"  # a field must have a name; this one shows nothing
_QUOTE = "> "


def split_text(text: str, limit: int) -> list[str]:
    """Cut text into pieces of at most `limit` characters, at the last paragraph, line or
    word break that fits; a hard cut only inside a word longer than the limit."""
    pieces: list[str] = []
    rest = text.strip()
    while len(rest) > limit:
        cut = _cut_point(rest, limit)
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        pieces.append(rest)
    return pieces


def _cut_point(text: str, limit: int) -> int:
    for separator in ("\n\n", "\n", " "):
        # The separator itself may straddle the limit: it is dropped at the cut.
        at = text.rfind(separator, 0, limit + len(separator))
        if at > 0:
            return at
    return limit


class _EmbedBuilder:
    """Fills embeds of one colour in order, opening a new embed before any limit is passed."""

    def __init__(self, colour: discord.Colour, title: str | None = None) -> None:
        self._colour = colour
        self.embeds: list[discord.Embed] = []
        if title:
            self._open().title = shorten(title, TITLE_LIMIT)

    def _open(self) -> discord.Embed:
        embed = discord.Embed(colour=self._colour)
        self.embeds.append(embed)
        return embed

    def _with_room(self, size: int, for_field: bool = False) -> discord.Embed:
        embed = self.embeds[-1] if self.embeds else None
        if embed is None or len(embed) + size > EMBED_TOTAL_LIMIT:
            return self._open()
        if for_field and len(embed.fields) >= FIELDS_PER_EMBED:
            return self._open()
        return embed

    def add_description(self, text: str) -> None:
        for chunk in split_text(text, DESCRIPTION_LIMIT):
            embed = self._with_room(len(chunk))
            if embed.description or embed.fields:
                # A description shows above the fields, so text that follows them (or
                # another description) needs an embed of its own to keep the order.
                embed = self._open()
            embed.description = chunk

    def add_quote(self, name: str, quote: str) -> None:
        """A quote as "> " lines under `name`; continued in unnamed fields when long."""
        # One quote line: the content checker compares quotes with whitespace collapsed.
        flat = " ".join(quote.split())
        for index, chunk in enumerate(split_text(flat, FIELD_VALUE_LIMIT - len(_QUOTE))):
            self._add_field(shorten(name, FIELD_NAME_LIMIT) if index == 0 else _BLANK, _QUOTE + chunk)

    def add_note(self, text: str) -> None:
        """Text after the quotes, in unnamed fields so that it shows below them."""
        for chunk in split_text(text, FIELD_VALUE_LIMIT):
            self._add_field(_BLANK, chunk)

    def _add_field(self, name: str, value: str) -> None:
        self._with_room(len(name) + len(value), for_field=True).add_field(
            name=name, value=value, inline=False
        )

    def set_footer(self, text: str) -> None:
        footer = text[:FOOTER_LIMIT]
        self._with_room(len(footer)).set_footer(text=footer)


def safety_colour(safety: SafetyNotice) -> discord.Colour:
    if safety.is_urgent:
        return discord.Colour.red()
    if safety.level is Urgency.SOON:
        return discord.Colour.orange()
    return discord.Colour.gold()


def reply_embeds(reply: Reply, title: str | None = None) -> list[discord.Embed]:
    """The embeds of a reply, safety block first; `title` heads the answer (the question)."""
    embeds: list[discord.Embed] = []
    if reply.safety is not None:
        safety = _EmbedBuilder(safety_colour(reply.safety))
        safety.add_description(reply.safety.text)
        embeds.extend(safety.embeds)
    footer = reply.disclaimer
    if not (reply.lead_in or reply.snippets or reply.closing_check or footer):
        return embeds  # a bare red-flag report: the safety block is the whole reply
    body = _EmbedBuilder(ANSWER_COLOUR if reply.answered else UNANSWERED_COLOUR, title)
    if reply.lead_in:
        body.add_description(reply.lead_in)
    for snippet in reply.snippets:
        body.add_quote(_escape(source_line(snippet)), _escape(snippet.quote))
    if reply.closing_check:
        body.add_note(reply.closing_check)
    if footer:
        body.set_footer(footer)
    embeds.extend(body.embeds)
    return embeds


def _escape(text: str) -> str:
    # Text from web pages is shown as written: a stray "*" or "_" must not turn into markup.
    return discord.utils.escape_markdown(text)


def info_embeds(info: InfoText) -> list[discord.Embed]:
    """The embeds of an informational command (/help, /topics, /sources, /urgent)."""
    builder = _EmbedBuilder(INFO_COLOUR, info.title)
    builder.add_description("\n".join(info.lines))
    return builder.embeds


def plain_messages(text: str) -> list[str]:
    """Plain text (an admin command's answer) as message contents of at most 2000 characters,
    markdown escaped so that members' questions show as they wrote them."""
    return split_text(discord.utils.escape_markdown(text), CONTENT_LIMIT)


def pack_messages(embeds: Sequence[discord.Embed]) -> list[list[discord.Embed]]:
    """Group embeds, in order, into messages of at most 10 embeds and 6000 characters."""
    messages: list[list[discord.Embed]] = []
    size = 0
    for embed in embeds:
        if not messages or len(messages[-1]) >= EMBEDS_PER_MESSAGE or size + len(embed) > EMBED_TOTAL_LIMIT:
            messages.append([])
            size = 0
        messages[-1].append(embed)
        size += len(embed)
    return messages


def reply_buttons(reply: Reply) -> list[discord.ui.Button[discord.ui.View]]:
    """Suggestion buttons, one per row, then More, Sources, 👍 and 👎 on the row below them."""
    buttons: list[discord.ui.Button[discord.ui.View]] = []
    for suggestion in reply.suggestions:
        custom_id = ask_data(suggestion.intent_id)
        if len(buttons) == BUTTON_ROWS - 1 or len(custom_id) > CUSTOM_ID_LIMIT:
            continue  # the last row is kept for the answer's own buttons; an over-long id cannot be sent
        label = shorten(suggestion.question, BUTTON_LABEL_LIMIT)
        buttons.append(
            discord.ui.Button(
                label=label, custom_id=custom_id, style=discord.ButtonStyle.secondary, row=len(buttons)
            )
        )
    if reply.answered and reply.intent_id and reply.snippets:
        buttons += _answer_buttons(reply.intent_id, more=reply.more, row=len(buttons))
    return buttons


def _answer_buttons(intent_id: str, *, more: bool, row: int) -> list[discord.ui.Button[discord.ui.View]]:
    votes = set(VOTE_LABELS.values())  # shown as emoji, the others as text
    return [
        discord.ui.Button(
            label=None if label in votes else label,
            emoji=label if label in votes else None,
            custom_id=custom_id,
            style=discord.ButtonStyle.secondary,
            row=row,
        )
        for custom_id, label in answer_buttons(intent_id, more=more)
        if len(custom_id) <= CUSTOM_ID_LIMIT
    ]


def reply_view(reply: Reply) -> discord.ui.View | None:
    """The buttons of a reply as a view to send, or None when it has none.

    Call it inside the running event loop: the view is stopped before it is sent, so that
    discord.py does not keep one listening view per message; presses are answered by
    `on_interaction` from the custom_id alone, which also works after a restart.
    """
    buttons = reply_buttons(reply)
    if not buttons:
        return None
    view = discord.ui.View(timeout=None)
    for button in buttons:
        view.add_item(button)
    view.stop()
    return view
