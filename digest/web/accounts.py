"""Subscribe, confirm, sign in, settings, unsubscribe: pages and JSON API."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
