"""Shift alerts as their own email: which accounts get one, and claiming, building and sending them."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from digest.config import Settings
from digest.delivery.build import alert_email
from digest.delivery.context import Context
from digest.delivery.ledger import claim_where
from digest.delivery.send import send_claimed
from digest.delivery.state import SkillName, alert_view
from digest.demand.explain import compared_windows, explain_week, sentence
from digest.demand.snapshot import snapshots
from digest.demand.window import paired_into
from digest.mail.message import OutgoingEmail
from digest.mail.suppression import is_suppressed
from digest.store.bulk import dialect_insert
from digest.store.models import (
    Delivery,
    DeliveryKind,
    DeliveryStatus,
    ShiftAlert,
    Skill,
    Subscription,
    SubscriptionStatus,
    User,
)


def due_alerts(session: Session, settings: Settings, now: datetime) -> list[int]:
    """Create alert deliveries for accounts that chose alert emails: one per open alert of a skill they
    follow (or, when they chose "paired", of a skill among the first `alert_paired_skills` paired with one
    they follow) that is at least as large as the smallest change they chose, at most one per skill per
    `alert_email_interval_days`. An alert the concentration guard holds back (one employer, or a change in
    the mix of sources, carries most of the change: digest.demand.explain, decided now from the skill's
    postings) is shown on the skill page and emailed to no one. Returns the pending delivery ids."""
    interval = timedelta(days=settings.alert_email_interval_days)
    alerts = session.scalars(
        select(ShiftAlert).where(
            ShiftAlert.closed_on.is_(None), ShiftAlert.created_at <= now, ShiftAlert.created_at > now - interval
        )
    ).all()
    # the skills followed by someone who chose paired alerts: only these are asked whether an alert's skill is
    # among their paired skills (none chose it: no question at all)
    pairing = (
        select(Subscription.skill_id)
        .join(User, User.id == Subscription.user_id)
        .where(
            User.alert_scope == "paired", User.alert_emails.is_(True), Subscription.status == SubscriptionStatus.active
        )
    )
    anyone_pairing = bool(alerts) and session.scalar(pairing.limit(1)) is not None
    for a in alerts:
        key = f"skill-{a.skill_id}"
        recent = select(Delivery.id).where(
            Delivery.user_id == User.id,
            Delivery.kind == DeliveryKind.alert,
            Delivery.cadence == key,
            Delivery.window_end > a.created_at - interval,
            Delivery.status != DeliveryStatus.failed,
        )
        wants = and_(
            Subscription.status == SubscriptionStatus.active,
            User.alert_emails.is_(True),
            User.alert_min_change <= alert_size(a.change),
            ~recent.exists(),
        )
        following = select(User.id, Subscription.skill_id).join(Subscription, Subscription.user_id == User.id)
        users: dict[int, int | None] = {
            u: None for u in session.scalars(following.where(Subscription.skill_id == a.skill_id, wants))
        }
        paired = paired_into(session, a.skill_id, settings.alert_paired_skills, pairing) if anyone_pairing else []
        if paired:  # people who chose paired alerts and follow a skill this one is paired with
            q = following.where(Subscription.skill_id.in_(paired), User.alert_scope == "paired", wants)
            for u, via in sorted(session.execute(q).tuples()):
                users.setdefault(u, via)
        if users and explain_week(session, a.skill_id, a.opened_on).held:  # read only when someone would get it
            continue
        rows = [
            {"user_id": u, "kind": DeliveryKind.alert, "cadence": key, "window_end": a.created_at,
             "status": DeliveryStatus.pending, "attempts": 0, "created_at": now, "updated_at": now,
             "payload": {"alert_id": a.id, "skill_id": a.skill_id, **({"via": via} if via else {})}}
            for u, via in users.items()
        ]  # fmt: skip
        if rows:
            session.execute(dialect_insert(session)(Delivery.__table__).on_conflict_do_nothing(), rows)
    # only the ones made now: older pending ones are already queued, or the sweeper's
    ids = list(
        session.scalars(
            select(Delivery.id).where(
                Delivery.kind == DeliveryKind.alert,
                Delivery.status == DeliveryStatus.pending,
                Delivery.created_at == now,
            )
        )
    )
    session.commit()
    return ids


def alert_size(change: float) -> int:
    """The size of a change as the alert states it, in whole percent: "rose 38%" and "fell 38%" are both 38
    (what a person's smallest change is compared with)."""
    return 10**6 if math.isinf(change) else round(abs(change) * 100)


def deliver_alerts(session: Session, ctx: Context, delivery_ids: Sequence[int], now: datetime) -> Counter[str]:
    got = claim_where(session, ctx, and_(Delivery.id.in_(list(delivery_ids)), Delivery.kind == DeliveryKind.alert), now)
    session.commit()

    def build(delivery_id: int, user_id: int) -> OutgoingEmail | None:
        return _alert_email(session, ctx, delivery_id, user_id, now)

    return send_claimed(session, ctx, got, build, "alert", "alert, subscription or address gone", now)


def _alert_email(session: Session, ctx: Context, delivery_id: int, user_id: int, now: datetime) -> OutgoingEmail | None:
    """The alert email of one claimed delivery, or None when its alert, subscription or address is gone. A
    paired alert (`via` in its payload: the followed skill it is paired with) rests on that subscription."""
    from digest.accounts.links import paired_alerts_off_url, unsubscribe_url
    from digest.demand.chart import weekly_chart_png  # Pillow only where a chart is drawn

    row = session.get(Delivery, delivery_id)
    assert row is not None and row.payload is not None
    alert = session.get(ShiftAlert, int(row.payload["alert_id"]))
    user = session.get(User, user_id)
    assert user is not None
    via = row.payload.get("via")
    followed = int(via) if via else alert.skill_id if alert else None
    sub = session.scalar(
        select(Subscription).where(Subscription.user_id == user_id, Subscription.skill_id == followed)
    ) if alert else None  # fmt: skip
    if alert is None or sub is None or is_suppressed(session, user.email):
        return None
    skill = session.get(Skill, alert.skill_id)
    assert skill is not None
    snap = snapshots(session, [skill.id], now.date(), ctx.settings.charts_dir, ctx.snapshots).get(skill.id)
    compared = compared_windows(alert.opened_on, alert.scan_weeks)
    if snap is not None and snap.chart_png:  # the narrow chart, with the two windows the alert compared marked
        key = (alert.id, now.date())
        if key not in ctx.alert_charts:
            charts = ctx.settings.charts_dir
            ctx.alert_charts[key] = weekly_chart_png(session, skill, now.date(), charts, narrow=True, marks=compared)
        snap = replace(snap, chart_png=ctx.alert_charts[key])
    unsub = (
        paired_alerts_off_url(ctx.settings, user_id, now)
        if via
        else unsubscribe_url(ctx.settings, sub.id, user_id, now)
    )
    name = SkillName(skill.id, skill.slug, skill.name)
    why = sentence(skill.name, alert.change, ctx.explanation(session, skill.id, alert.opened_on))
    view = replace(alert_view(alert), why=why, compared=compared)
    return alert_email(
        ctx, delivery_id, user.email, name, snap, view, unsub, paired_with=sub.skill.name if via else None
    )
