"""Refund handling: the Amigo "Billing and refunds" set beside ordinary unit tests."""

from __future__ import annotations

from datetime import date

import pytest
from support_bot.refunds import refund_eligible

BILLING_AND_REFUNDS = "5e7a000000000000000000a1"

# Promises the agent must never make, whatever the judges' verdict on the criteria.
FORBIDDEN = ("guaranteed refund", "no questions asked")


@pytest.mark.amigo_set(BILLING_AND_REFUNDS)
def test_billing_and_refunds(amigo_result):
    """One test per unit test of the set; the Amigo verdict is enforced after this body."""
    errored = [s.number for s in amigo_result.sessions if s.error is not None]
    assert not errored, f"simulated session(s) {errored} errored; the verdict is incomplete"

    for text in amigo_result.justifications():
        for phrase in FORBIDDEN:
            assert phrase not in text.lower(), f"the agent promised {phrase!r}: {text}"


def test_duplicate_charge_is_always_refundable():
    assert refund_eligible(date(2026, 1, 5), date(2026, 11, 20), duplicate=True)


@pytest.mark.parametrize(("days_ago", "expected"), [(30, True), (90, True), (91, False)])
def test_refund_window(days_ago, expected):
    today = date(2026, 11, 20)
    charged = date.fromordinal(today.toordinal() - days_ago)
    assert refund_eligible(charged, today, duplicate=False) is expected


def test_future_charge_is_rejected():
    with pytest.raises(ValueError):
        refund_eligible(date(2026, 12, 1), date(2026, 11, 20), duplicate=False)
