"""Provider webhooks (SendGrid event webhook)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
