"""Sixty sets at the documented rate limits: pacing keeps every answer below 429."""

from __future__ import annotations

import pytest

from support.scale import world


@pytest.mark.slow(seconds=130)
def test_sixty_sets_provoke_no_429(harness_for):
    # Creating 60 runs at 20 a minute takes two full rate-limit windows: about 2 minutes.
    sets = {f"Set {i:02d}": 1.0 for i in range(60)}
    h = harness_for(world(sets, fail=["Set 07", "Set 33"], rate_limits=True))
    session = h.run(h.set_ids(*sets), "-q", "-o", "amigo_poll_interval=0.5 5", timeout=400)
    assert session.returncode == 1, session.output[-3000:]
    assert "2 failed, 58 passed" in session.output
    assert session.count("create-simulation-unit-test-set-run") == 60
    assert session.requests["rate_limited"] == 0, session.requests["status_counts"]
    assert session.count("get-metric-evaluation-results") <= 3
    # All active runs are polled together: far fewer polls than sets.
    assert session.count("get-simulation-unit-test-set-runs") < 120
