"""Red-flag screen: the labelled tables (written independently of the patterns) plus edge cases."""

from __future__ import annotations

import pytest
import yaml

from bot.core.content import load_library
from bot.core.normalisation import normalise
from bot.core.safety import RedFlagScreener, Screening
from bot.core.types import Urgency
from tests.helpers import CONTENT, TEST_DATA, shipped_library

DATA = TEST_DATA
POSITIVE = yaml.safe_load((DATA / "red_flags_positive.yaml").read_text(encoding="utf-8"))
NEGATIVE = yaml.safe_load((DATA / "red_flags_negative.yaml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def screener() -> RedFlagScreener:
    return RedFlagScreener(load_library(CONTENT).red_flags)


def screen(screener: RedFlagScreener, text: str) -> Screening:
    return screener.screen(normalise(text))


def test_tables_are_big_enough() -> None:
    assert len([e for e in POSITIVE if not e["negated"]]) >= 80
    assert len(NEGATIVE) >= 80
    signs = {e["sign"] for e in POSITIVE}
    every_sign = {sign.id for sign in shipped_library().red_flags.signs}
    assert signs == every_sign, "every sign has phrasings that must fire"


@pytest.mark.parametrize("entry", [e for e in POSITIVE if not e["negated"]], ids=lambda e: e["text"][:50])
def test_must_fire(screener: RedFlagScreener, entry: dict) -> None:
    result = screen(screener, entry["text"])
    assert entry["sign"] in {s.id for s in result.fired}
    # Firing higher than labelled is a false alarm at worst; lower would understate danger.
    assert result.level is not None and result.level.rank >= Urgency(entry["level"]).rank


@pytest.mark.parametrize("entry", [e for e in POSITIVE if e["negated"]], ids=lambda e: e["text"][:50])
def test_negated_mention_is_noticed_not_fired(screener: RedFlagScreener, entry: dict) -> None:
    result = screen(screener, entry["text"])
    assert entry["sign"] in {s.id for s in result.negated}
    assert entry["sign"] not in {s.id for s in result.fired}


@pytest.mark.parametrize("entry", NEGATIVE, ids=lambda e: e["text"][:50])
def test_running_chat_does_not_fire(screener: RedFlagScreener, entry: dict) -> None:
    result = screen(screener, entry["text"])
    assert not result.found_anything, [s.id for s in (*result.fired, *result.negated)]


@pytest.mark.parametrize(
    ("text", "sign"),
    [
        ("NUMBNESS DOWN THERE!!!", "saddle_numbness"),
        ("numbnes around my groin", "saddle_numbness"),  # typo
        ("tingeling in my inner thighs", "saddle_numbness"),  # typo
        ("sooooo numbbbb down there", "saddle_numbness"),  # repeated letters
        ("kinda numb down there tbh", "saddle_numbness"),  # hedge counts as positive
        ("not sure but i think i cant pee properly", "bladder"),  # hedge, not negation
        ("cnt pee since the fall", "bladder"),
        ("my legs keep giving way on the stairs", "both_legs"),
        ("back pain and a fever of 39", "fever"),
        ("back hurts, no, wait, I can't pee", "bladder"),  # a "no" in another clause
        ("numbness in my leg hasn't gone away for 2 weeks", "one_leg"),  # persistence, not negation
    ],
)
def test_edge_cases_fire(screener: RedFlagScreener, text: str, sign: str) -> None:
    assert sign in {s.id for s in screen(screener, text).fired}


@pytest.mark.parametrize(
    "text",
    [
        "",
        "🏃‍♀️🏃‍♂️💨",
        "<b>&amp;</b> *bold* _it_ ~~x~~ ||spoiler||",
        "Как дела? 你好 مرحبا",
        "a" * 10_000,
        "my fingers went numb with cold on the long run",
        "my legs are tired after the long run",
        "I fell asleep on the sofa after parkrun",
        "takes me ages to warm up in the morning",
    ],
)
def test_odd_or_ordinary_input_is_quiet(screener: RedFlagScreener, text: str) -> None:
    assert not screen(screener, text).found_anything


def test_highest_level_wins(screener: RedFlagScreener) -> None:
    result = screen(screener, "history of cancer and now I cannot control my bladder")
    assert result.level is Urgency.EMERGENCY
    assert {"cancer_history", "bladder"} <= {s.id for s in result.fired}


def test_a_sign_needing_pain_fires_when_the_conversation_was_about_pain(screener: RedFlagScreener) -> None:
    text = normalise("it wakes me up every night")
    assert screener.screen(text).level is None
    assert screener.screen(text, pain_earlier=True).level is Urgency.URGENT
    assert screener.screen(normalise("my back is sore")).about_pain


@pytest.mark.parametrize(
    "text", ["had a fever since yesterday", "woke up shivering with a temp of 38.5", "it read 103.3 degrees"]
)
def test_a_fever_fires_without_pain_words(screener: RedFlagScreener, text: str) -> None:
    assert screen(screener, text).level is Urgency.URGENT


@pytest.mark.parametrize(
    "text",
    [
        "I couldn't walk so my husband called an ambulance",
        "the crash left me paralysed",
        "T10 paraplegic since then",
    ],
)
def test_not_walking_told_as_a_story_is_an_emergency(screener: RedFlagScreener, text: str) -> None:
    assert screen(screener, text).level is Urgency.EMERGENCY


@pytest.mark.parametrize(
    ("text", "sign"),
    [
        ("I've lost 8 pounds in two weeks and my back hurts", "weight_loss"),  # a number in words
        ("no appetite, losing weight, and my back is killing me", "weight_loss"),
        ("my back pain is progressively getting worse", "worsening_pain"),
        ("I have shooting pains down the back of both thighs", "both_legs"),
        ("I didn't realise I had pooped", "bowel"),
        ("I've been pooping myself a little since my back went", "bowel"),
        ("I keep needing to wee but little comes out, back pain too", "bladder"),
        ("things haven't been working in the bedroom since my back went", "sexual_dysfunction"),
        ("sex has felt different since my back injury, less feeling", "sexual_dysfunction"),
        ("I wake at 4am every night with my back throbbing", "night_pain"),
        ("lying flat is agony at night", "night_pain"),
        ("my back hurts, the only way I can sleep is propped up in a chair", "night_pain"),
        ("I had to crawl to the loo", "both_legs"),
        ("I've been sweating buckets at night and my back hurts", "fever"),
        ("I've been waking up in the night with back pain for weeks", "night_pain"),
        ("woke at 3.30am with back pain again", "night_pain"),
        ("her pain got even worse so we called an ambulance", "worsening_pain"),
        ("he got skinnier and skinnier and his back ached", "weight_loss"),
        ("I had severe neutropenia after chemo and now my back hurts", "immune_drugs"),
        ("my cancer had spread to the bone before anyone found it", "cancer_history"),
        ("I was passing in and out of consciousness", "fainting"),
        ("a piercing pain from my stomach through to my back", "tearing_pain"),
        ("in the fall of 2002 I slipped on the ice and the pain never went away", "trauma"),
        ("I managed to lose 20lbs in two months by doing absolutely no exercise", "weight_loss"),
        ("it was the second fall on the ski trip that caused my coccydynia", "trauma"),
        ("I couldn't stand up straight and both my legs were numb", "both_legs"),  # other senses stay local
        ("my bottom and the bottom of my foot are numb", "saddle_numbness"),
        ("I was dying for a pee but couldn't go, nothing came out", "bladder"),
        ("I felt like I had a fever, it was 39.2 and my back ached", "fever"),
        ("rapid weight loss and back pain", "weight_loss"),
        ("numbness in my left bum cheek and back pain again", "saddle_numbness"),
        ("I can never get comfortable at night with this back pain", "night_pain"),
        ("my pee was the colour of a nice claret and my back aches", "blood_in_urine"),
        ("my right leg is worse than my left, but I have symptoms in both legs", "both_legs"),
        ("I need to figure out how to walk again and I'm in a wheelchair", "both_legs"),
        ("I had to pee every 2 minutes and only a trickle would come out", "bladder"),
        ("I'm on Enbrel and my back is really painful", "immune_drugs"),
        ("the aches came back, always peaking at night", "night_pain"),
        ("I lost weight, felt exhausted all the time and my back hurt", "weight_loss"),
        ("my weight has dropped off and my lower back hurts all the time", "weight_loss"),
        ("I'm losing weight even though I'm eating loads, and the back pain won't shift", "weight_loss"),
        ("my partner says I look gaunt and my back is agony", "weight_loss"),
        ("I can't keep weight on and my back has been sore for months", "weight_loss"),
        ("my husband has had trouble in the bedroom since his back surgery", "sexual_dysfunction"),
        ("another sleepless night with my back, the pain is awful", "night_pain"),
        ("I can't find a comfortable sleeping position because of my back", "night_pain"),
        ("my back hurts even when I'm resting", "night_pain"),
        ("I didn't know I needed to poo until it was too late", "bowel"),
        ("my legs feel like jelly and won't hold me up, my back is agony", "both_legs"),
        ("I dropped to my knees and my left foot won't lift", "foot_drop"),  # other senses stay local
        ("I had breast cancer five years ago, could it be cancer again? my back aches", "cancer_history"),
        ("family history of cancer, and I had bowel cancer myself in 2019; back aches now", "cancer_history"),
        ("I have lost lots of weight and the doctors can't say why, my back aches", "weight_loss"),
        ("my dad had 850ml of urine left in his bladder after going", "bladder"),
        ("I felt a gush and my bladder had given way, back is sore", "bladder"),
        ("the last time I had an erection was before the accident", "sexual_dysfunction"),
        ("I have no use of my left leg since the back went", "both_legs"),
        ("I cannot make my foot do anything", "foot_drop"),
        ("I laid awake in pain most of the night with my back", "night_pain"),
        ("I was dragged out of sleep by the pain in my lower back", "night_pain"),
        ("the pain escalated and we called an ambulance", "worsening_pain"),
        ("my undercarriage goes numb even off the bike", "saddle_numbness"),
        ("he went to the washroom and only blood came out", "blood_in_urine"),
        ("I can't sit or walk without unbearable pain in my back", "worsening_pain"),  # a double negative
        ("I could no longer lay down without the back spasms attacking", "night_pain"),
        ("I blacked out and when I came to my back was killing me", "fainting"),
        ("I nearly passed out from the pain in my back", "fainting"),  # near-fainting counts too
        ("that was the last time she was able to feel anything from the waist down", "both_legs"),
        ("he slipped on the ice and wasn't able to get back up, an ambulance had to be called", "both_legs"),
        ("I have a reduced sensation spot near my coccyx", "saddle_numbness"),
        ("my grandad is no longer able to walk and his back is agony", "both_legs"),
        ("the pain started to get so bad that I couldn't sit for an hour", "worsening_pain"),
    ],
)
def test_signs_told_in_everyday_words_fire(screener: RedFlagScreener, text: str, sign: str) -> None:
    assert sign in [s.id for s in screen(screener, text).fired]


@pytest.mark.parametrize(
    "text",
    [
        "I lost weight on purpose for the marathon, back is a bit sore",
        "my times keep getting worse, legs are tired",
        "no weight loss, appetite fine, just back pain after long runs",
        "I run at night and wake up early, back is a bit sore",
        "my back was sore, I woke up at night to pee",
        "the baby is crawling now, my back aches from lifting her",
        "I woke up at 5am for my long run, back a bit sore",
        "trying to lose weight by running, back sore",
        "the bottom of my foot tingles on long runs",
        "I'm losing weight too fast on this marathon plan, back aches",
        "my bum cheeks were sore after the hill session",
        "my heart rate rose and I needed a wee at mile 5",
        "excruciating cramps right in the belly of my lat after the swim, back sore",
        "my coach says I keep slapping my feet down instead of landing softly, back a bit sore",
        "I couldn't stand how uncomfortable the office chair was, my back is sore",
        "I tore a muscle in my stomach doing crunches, back a bit sore too",
        "I always need to pee constantly before a race, nerves",
        "back was sore in the fall marathon but fine after",
        "lost weight since I started running and my back feels better",
        "I had a sleepless night before the race, nerves",
        "we had a problem with the bedroom window, back a bit sore from fixing it",
        "the path had a drop on both sides when my foot caught a root, back sore after",
        "I almost dropped to my knees at the finish, back sore",
        "my back hurts after long runs, do I have cancer?",
        "I'm worried it was cancer, my back is sore after runs",
        "I'm worried I won't lose weight before the race, back a bit sore",
        "a kind man came to help me stretch at the finish, my back is a bit sore",
        "my bladder lets me down on long runs, I need to stop twice",
        "I was no longer able to walk fast after mile 20, back a bit sore",
        "my legs are fine, they do not hold me back, back a bit sore",
        "my race times got worse so I stayed in bed, back a bit sore",
        "hit by a massive headwind on the long run, back aches",
    ],
)
def test_near_misses_in_the_same_words_stay_quiet(screener: RedFlagScreener, text: str) -> None:
    assert not screen(screener, text).fired


def test_a_word_in_its_other_sense_does_not_count_but_the_same_word_elsewhere_does(
    screener: RedFlagScreener,
) -> None:
    assert not screen(screener, "my back's sore, just a wee bit hard to get comfy in bed").fired
    assert not screen(screener, "I smashed my PB at parkrun but my back is sore").fired
    assert "bladder" in [s.id for s in screen(screener, "I can't pee, a wee bit worried").fired]
    told = screen(screener, "I smashed it at parkrun, then fell on the ice and hurt my back")
    assert "trauma" in [s.id for s in told.fired]


@pytest.mark.parametrize(
    "text",
    [
        "my training plan fell apart this month and my lower back aches",
        "everything is falling apart, my back hurts after every run",
        "I fell ill with flu last week and now my back is sore",
        "once the painkillers kicked in my back ache eased off",
        "it slipped my mind to stretch, back is sore today",
        "my race plans fell through and my back still hurts",
    ],
)
def test_idioms_of_falling_are_not_a_fall(screener: RedFlagScreener, text: str) -> None:
    assert "trauma" not in [s.id for s in screen(screener, text).fired]


# How a pattern picks its words must not hide a sign (issue 12, fourth session).
@pytest.mark.parametrize(
    ("text", "sign"),
    [
        # A real fall beside an idiom of falling, or past an other-sense phrase's pain word.
        ("my plans fell apart after I fell on the ice and hurt my back", "trauma"),
        ("I fell ill and then slipped on the stairs, my back hurts", "trauma"),
        ("got kicked in the back at football and it really hurts", "trauma"),
        ("the painkillers kicked in but I fell off my bike again and my back is agony", "trauma"),
        # Words that must share a sentence are paired within it, not with a nearer one before.
        ("Back hurts. Legs tired. Now numbness everywhere, creeping slowly to both my calves", "both_legs"),
        (
            "Bike saddle hurt my bum. Numb today, numbness spreading, I think, all the way round into "
            "the groin now, back aches",
            "saddle_numbness",
        ),
        # The nearest pain word was the denied one; the pain told later fires the sign.
        ("I fell on the ice, no pain at first but hours later my back is agony", "trauma"),
        ("slipped on the stairs at work, didn't hurt at the time, now my lower back is killing me", "trauma"),
        ("came off my bike, nothing hurt then, however today my back is really sore", "trauma"),
        # A long term ("have not been able to feel when I need") leaves the window whole.
        ("I haven't been able to feel when I need to wee since my back went", "bladder"),
        ("I haven't managed to pee since last night and my back is agony", "bladder"),
        ("my back hurts and I have not been able to tell when I need the loo", "bladder"),
        # The "not" of legs that would not obey is the sign, not a denial of it.
        ("When I woke up my legs would not hold me and I had to crawl to the bathroom", "both_legs"),
        ("my legs wouldn't support me this morning, back agony", "both_legs"),
        ("my legs did not want to move this morning and my back is agony", "both_legs"),
        ("I could not get my legs to move after I got out of bed, back pain", "both_legs"),
        ("my legs just didn't respond when I tried to stand, back agony", "both_legs"),
        ("my legs refused to work when I got up, lower back agony", "both_legs"),
        ("I didn't have any feeling down there when I wiped, back hurts", "saddle_numbness"),
        ("back pain that gets worse when I lie down at night", "night_pain"),
        # An unless term cancels only the match beside it.
        ("Ran into a headwind, then I slipped on ice and landed on my back, agony", "trauma"),
        # Not being able to move makes a message about pain.
        ("I fell down the stairs last night and now I can't move", "trauma"),
    ],
)
def test_where_a_sign_is_told_does_not_hide_it(screener: RedFlagScreener, text: str, sign: str) -> None:
    assert sign in [s.id for s in screen(screener, text).fired]


@pytest.mark.parametrize(
    ("text", "sign"),
    [
        ("I did not fall, my back just aches", "trauma"),
        ("no numbness, no weakness in my legs, back aches", "both_legs"),
    ],
)
def test_a_denied_sign_stays_denied(screener: RedFlagScreener, text: str, sign: str) -> None:
    result = screen(screener, text)
    assert not result.fired and sign in [s.id for s in result.negated]


def test_sore_quads_after_a_marathon_are_not_a_red_flag(screener: RedFlagScreener) -> None:
    assert not screen(screener, "I could not walk for two days after the marathon, my quads were shot").fired


def test_the_weather_has_a_temperature_without_a_fever(screener: RedFlagScreener) -> None:
    assert not screen(screener, "the temperature dropped below freezing on my long run").fired


KINDS = yaml.safe_load((DATA / "red_flags_kinds.yaml").read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    "text", [text for texts in KINDS.values() for text in texts], ids=lambda text: text[:50]
)
def test_every_kind_of_real_wording_fires_at_urgent_or_above(screener: RedFlagScreener, text: str) -> None:
    level = screen(screener, text).level
    assert level is not None and level.rank >= Urgency.URGENT.rank


def test_the_wording_table_covers_each_kind() -> None:
    assert all(len(texts) >= 5 for texts in KINDS.values())


@pytest.mark.parametrize("position", [0, 1000, 2500, 3990, 4015, 4070])
def test_a_red_flag_anywhere_in_a_long_message_fires(screener: RedFlagScreener, position: int) -> None:
    flag = " and I cannot pee "
    filler = ("my training log for the week, easy miles, tempo on Thursday " * 80)[: 4096 - len(flag)]
    text = filler[:position] + flag + filler[position:]
    assert len(text) == 4096
    assert "bladder" in {s.id for s in screener.screen(normalise(text, limit=None)).fired}


def test_a_wall_of_negations_is_noticed_not_fired(screener: RedFlagScreener) -> None:
    text = ("not no fall no chest pain no pee problem " * 110)[:4096]
    result = screener.screen(normalise(text, limit=None))
    assert result.level is None
    assert {"bladder", "chest_pain"} <= {s.id for s in result.negated}


@pytest.mark.parametrize(
    "text",
    [
        "I'm just not sure: my legs are fine but my bladder hasn't worked properly since Sunday",
        "bladder fine, bowels fine, but both legs have gone numb and weak since the weekend",
    ],
)
def test_a_denial_elsewhere_does_not_cancel_a_sign(screener: RedFlagScreener, text: str) -> None:
    assert screen(screener, text).level is Urgency.EMERGENCY


@pytest.mark.parametrize(
    ("text", "persistent"),
    [
        ("back's been sore 3 weeks now", False),  # three weeks is not four to six
        ("coming back after 2 months off, back a bit stiff on the first run", False),  # a break
        ("about a month ago I pulled my back, it was fine again after a week", False),  # a story
        ("back's been sore for 6 weeks now", True),
        ("two months of lower back pain and no better", True),
        ("hurt my back 3 months ago and it still aches every day", True),
    ],
)
def test_persistent_pain_fires_only_on_four_weeks_or_more(
    screener: RedFlagScreener, text: str, persistent: bool
) -> None:
    assert ("persistent_pain" in {s.id for s in screen(screener, text).fired}) is persistent
