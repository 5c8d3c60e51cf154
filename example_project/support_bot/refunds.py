"""Refund policy helpers the agent's tools call."""

from __future__ import annotations

from datetime import date

REFUND_WINDOW_DAYS = 90


def refund_eligible(charged_on: date, today: date, *, duplicate: bool) -> bool:
    """A charge can be refunded by the agent if it is a duplicate or within the window."""
    if charged_on > today:
        raise ValueError("a charge cannot be in the future")
    return duplicate or (today - charged_on).days <= REFUND_WINDOW_DAYS
