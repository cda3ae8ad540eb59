"""Which items each person's digest shows, section by section: a pure function of the windows and the
state read for them (digest.delivery.state), and `plan`, which reads that state and applies it."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from digest.accounts.searches import Search
from digest.delivery.context import Context
from digest.delivery.matching import WindowIndex, search_views
from digest.delivery.state import PlanState, Window, fetch_state
from digest.mail.content import ItemView, RankedWindow, SkillSection, build_section

_NONE: frozenset[int] = frozenset()


def plan(
    session: Session,
    ctx: Context,
    windows: Sequence[Window],
    own: dict[int, int] | None,
    as_of: datetime,
    also_taken: dict[int, set[int]] | None = None,
    cap: int | None = -1,
    taken_before: int | None = None,
) -> dict[int, list[SkillSection]]:
    """The sections of each user's digest: items ingested in each subscription's window, minus items the
    person already got (in another delivery), each item under one skill only. `own`, `also_taken` and
    `taken_before`: see digest.delivery.state.fetch_state. `cap`: items shown per kind (-1: the setting;
    None: all, for the web view)."""
    if not windows:
        return {}
    state = fetch_state(session, ctx, windows, own, as_of, also_taken, taken_before)
    return plan_sections(ctx, windows, state, cap)


def plan_sections(
    ctx: Context, windows: Sequence[Window], state: PlanState, cap: int | None = -1
) -> dict[int, list[SkillSection]]:
    """The sections of each user's digest from plain data (no database): see `plan`."""
    taken = state.taken
    out: dict[int, list[SkillSection]] = defaultdict(list)
    seen: dict[int, list[frozenset[int]]] = {}  # user -> the item ids of their windows so far
    # everyone whose window on a skill is the same gets the same section object unless they already had
    # some of its items: build (and rank) it once; the renderer then reuses its rendering too
    if len(ctx.indexes) > 10_000:
        ctx.indexes.clear()
    if len(ctx.found) > 50_000:
        ctx.found.clear()
    if len(ctx.ranked) > 20_000:
        ctx.ranked.clear()
    indexes = ctx.indexes  # (skill, start, end, span read) -> that window's items indexed for searches
    # (skill or search, window, span read) -> its items and their ids, kept for the run: the next batch of
    # the same search's subscribers finds them here
    window_items = ctx.found
    # a user's windows in subscription order: an item matching two of their skills shows under the first
    for w in sorted(windows, key=lambda w: (w.user_id, w.subscription_id)):
        wkey = (w.search or w.skill_id, w.start, w.end, w.subscribed_at)
        found_key = (*wkey, state.span)
        if found_key not in window_items:
            window_items[found_key] = _window_items(w, state, indexes)
        candidate_ids = window_items[found_key][1]
        # what the user's earlier windows hold: intersected with each (the smaller set is walked), never
        # merged into one set of the user's items (a copy of every window but the last, for nothing)
        earlier = seen.get(w.user_id)
        if earlier is None:
            seen[w.user_id] = [candidate_ids]
            excluded = _NONE
        else:
            excluded = candidate_ids & earlier[0]
            for other in earlier[1:]:
                excluded |= candidate_ids & other
            earlier.append(candidate_ids)
        if w.user_id in taken:
            excluded |= candidate_ids & taken[w.user_id]
        section_key = (*wkey, excluded, cap)
        section = ctx.sections.get(section_key)
        if section is None:
            # searches (and the skill itself) that found the same items in the same window share the ranked
            # section: only its search line differs (the skill's items are the same views whatever the search)
            body_key = (w.skill_ids, w.start, w.end, w.subscribed_at, candidate_ids, excluded, cap)
            body = ctx.bodies.get(body_key)
            if body is None:
                skill = state.skills[w.skill_id]
                # the skills' window ranked once: a subset of it (what a search on them found, less what the
                # person already had) mostly ranks as that order filtered
                ranked = _ranked_window(ctx, w, w.skill_ids, state).subset(
                    candidate_ids - excluded if excluded else candidate_ids
                )
                body = build_section(
                    skill_id=skill.id,
                    slug=skill.slug,
                    name=skill.name,
                    base_url=ctx.settings.base_url,
                    items=(),
                    snapshot=state.snapshots.get(skill.id),
                    alerts=[a for created, a in state.alerts.get(w.skill_id, []) if w.start < created <= w.end],
                    cap=ctx.settings.digest_items_per_section if cap == -1 else cap,
                    subscribed_at=w.subscribed_at,
                    ranked=ranked,
                )
                if len(ctx.bodies) > 50_000:
                    ctx.bodies.clear()
                ctx.bodies[body_key] = body
            words = state.searches.get(w.search) if w.search is not None else None
            section = replace(body, search=words) if words else body
            if len(ctx.sections) > 50_000:
                ctx.sections.clear()
            ctx.sections[section_key] = section
        out[w.user_id].append(section)
    return out


def _window_items(
    w: Window, state: PlanState, indexes: dict[tuple[Any, ...], WindowIndex]
) -> tuple[list[ItemView], frozenset[int]]:
    """The items of a subscription's window (its skill's, or those reaching its search) and their ids."""
    if w.search is None:
        found = [v for fetched, v in state.by_skill.get(w.skill_id, []) if w.start < fetched <= w.end]
    else:
        found = search_items(w.search, state, w.start, w.end, indexes)
    if w.subscribed_at is not None:  # a first digest: items of the last days, by when they were posted too
        found = [v for v in found if (v.fetched_at and v.fetched_at > w.subscribed_at) or v.published_at > w.start]
    return found, frozenset([v.id for v in found])


def _ranked_window(ctx: Context, w: Window, skills: tuple[int, ...], state: PlanState) -> RankedWindow:
    """Every item of the skills' windows (each under the first skill that has it, as a search on them
    shows it), ranked once for the run: what a search on those skills finds is a subset of it."""
    key = (skills, w.start, w.end, w.subscribed_at, state.span)
    ranked = ctx.ranked.get(key)
    if ranked is None:
        views: dict[int, ItemView] = {}
        for sid in skills:
            for v in _window_items(replace(w, skill_id=sid, search=None), state, {})[0]:
                views.setdefault(v.id, v)
        ranked = RankedWindow(views.values())
        ctx.ranked[key] = ranked
    return ranked


def search_items(
    search: Search, state: PlanState, start: datetime, end: datetime, indexes: dict[tuple[Any, ...], WindowIndex]
) -> list[ItemView]:
    """The items of (start, end] that reach a search (digest.delivery.matching), once per distinct search and
    window; each skill's window is indexed once (`indexes`, shared by the batch's searches)."""
    mine = []
    for sid in search.skills:
        key = (sid, start, end, state.span)
        if key not in indexes:
            rows = [(f, v) for f, v in state.by_skill.get(sid, []) if start < f <= end]
            indexes[key] = WindowIndex(rows, state.facts)
        mine.append(indexes[key])
    return search_views(search, mine)


def keep_owned(section: SkillSection, user_id: int, owned: set[tuple[int, int]] | None) -> SkillSection:
    """The section without the items a concurrent delivery to the same person recorded first."""
    if owned is None or all((user_id, i.id) in owned for i in section.shown_items):
        return section
    return replace(
        section,
        articles=tuple(i for i in section.articles if (user_id, i.id) in owned),
        jobs=tuple(i for i in section.jobs if (user_id, i.id) in owned),
    )
