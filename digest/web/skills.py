"""Skill pages, demand API, the Atom feed and items API for machines."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
