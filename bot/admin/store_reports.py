"""The admin store's reads: the numbers behind /stats and the questions behind /unanswered."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Table, and_, case, desc, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.admin.store_schema import Activity, UnansweredQuestion

URGENT_LEVELS = ("emergency", "urgent")


async def activity(conn: AsyncConnection, replies: Table, since: datetime, top: int) -> Activity:
    """Questions, answers, urgent replies and the top intents since `since` (UTC, naive)."""
    r = replies
    totals = select(
        func.sum(case((r.c.addressed, 1), else_=0)),
        func.sum(case((and_(r.c.addressed, r.c.answered), 1), else_=0)),
        func.sum(case((r.c.urgency.in_(URGENT_LEVELS), 1), else_=0)),
        func.sum(case((r.c.urgency == "soon", 1), else_=0)),
    ).where(r.c.at >= since)
    answers = func.count().label("answers")
    top_query = (
        select(r.c.intent_id, answers)
        .where(r.c.at >= since, r.c.answered, r.c.intent_id.is_not(None))
        .group_by(r.c.intent_id)
        .order_by(desc(answers), r.c.intent_id)
        .limit(top)
    )
    row = (await conn.execute(totals)).one()
    ranked = (await conn.execute(top_query)).all()
    questions, answered, urgent, soon = (int(value or 0) for value in row)
    return Activity(since, questions, answered, urgent, soon, tuple((i, int(n)) for i, n in ranked))


async def feedback_counts(conn: AsyncConnection, feedback: Table) -> dict[str, tuple[int, int]]:
    """Per intent id: (helpful, not helpful)."""
    f = feedback
    query = (
        select(
            f.c.intent_id,
            func.sum(case((f.c.helpful, 1), else_=0)),
            func.sum(case((f.c.helpful, 0), else_=1)),
        )
        .group_by(f.c.intent_id)
        .order_by(f.c.intent_id)
    )
    rows = (await conn.execute(query)).all()
    return {intent_id: (int(up or 0), int(down or 0)) for intent_id, up, down in rows}


async def unanswered(conn: AsyncConnection, questions: Table, limit: int | None) -> list[UnansweredQuestion]:
    """Stored unanswered questions, newest first (all of them when `limit` is None)."""
    u = questions
    query = select(u.c.id, u.c.at, u.c.platform, u.c.text, u.c.user_hash).order_by(desc(u.c.at), desc(u.c.id))
    if limit is not None:
        query = query.limit(limit)
    rows = (await conn.execute(query)).all()
    return [UnansweredQuestion(*row) for row in rows]
