"""Plain data to messages, no database: a person's digest from their planned sections, and the
emails of a digest and of a shift alert."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from digest.delivery.context import Context
from digest.delivery.links import digest_unsubscribe_url, web_view_url
from digest.delivery.state import SkillName
from digest.demand.snapshot import Snapshot
from digest.mail.content import AlertView, Digest, SkillSection, build_digest, build_section
from digest.mail.message import OutgoingEmail
from digest.mail.render import images_for


def compose(
    ctx: Context,
    user_id: int,
    email: str,
    cadence: str,
    window_end: datetime,
    sections: Sequence[SkillSection],
    subscription_ids: Sequence[int],
    now: datetime,
    delivery_id: int | None = None,
) -> Digest:
    """The digest of one person from their planned sections: what `send-due` sends, `preview` shows (no
    delivery yet: no web view) and the web view shows (every item)."""
    from digest.accounts.links import settings_url  # with its dependencies, only when a digest is built

    return build_digest(
        to=email,
        cadence=cadence,
        window_end=window_end,
        sections=sections,
        settings_url=settings_url(ctx.settings),
        unsubscribe_url=digest_unsubscribe_url(ctx.settings, sorted(subscription_ids), user_id, now),
        web_url=None if delivery_id is None else web_view_url(ctx.settings, delivery_id, user_id, now),
    )


def digest_email(ctx: Context, delivery_id: int, digest: Digest) -> OutgoingEmail:
    rendered = ctx.renderer.render(digest)
    return OutgoingEmail(
        key=f"delivery-{delivery_id}",
        to=digest.to,
        subject=rendered.subject,
        text=rendered.text,
        html=rendered.html,
        from_email=ctx.settings.from_email,
        images=images_for(digest.sections),
        unsubscribe_url=digest.unsubscribe_url,
        delivery_id=delivery_id,
        categories=("digest", digest.cadence),
    )


def alert_email(
    ctx: Context,
    delivery_id: int,
    to: str,
    skill: SkillName,
    snapshot: Snapshot | None,
    alert: AlertView,
    unsubscribe_url: str,
    paired_with: str | None = None,
) -> OutgoingEmail:
    """The alert email of one claimed delivery: the skill's section with the alert (its chart marked), the
    p-value in words, a link to how alerts are decided, and no items. `paired_with`: the followed skill a
    paired alert came through (None: the person follows this skill)."""
    from digest.accounts.links import about_alerts_url, settings_url

    section = build_section(
        skill_id=skill.id, slug=skill.slug, name=skill.name, base_url=ctx.settings.base_url, items=[],
        snapshot=snapshot, alerts=[alert],
    )  # fmt: skip
    rendered = ctx.renderer.render_alert(
        section,
        alert,
        {"to": to, "settings_url": settings_url(ctx.settings), "unsubscribe_url": unsubscribe_url,
         "interval_days": ctx.settings.alert_email_interval_days, "about_url": about_alerts_url(ctx.settings),
         "paired_with": paired_with},
    )  # fmt: skip
    return OutgoingEmail(
        key=f"delivery-{delivery_id}",
        to=to,
        subject=rendered.subject,
        text=rendered.text,
        html=rendered.html,
        from_email=ctx.settings.from_email,
        images=images_for([section]),
        unsubscribe_url=unsubscribe_url,
        delivery_id=delivery_id,
        categories=("alert",),
    )
