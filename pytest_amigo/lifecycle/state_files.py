"""The names of the session's state files and locks: the only place that names them.

Every process of the session (one, or the xdist controller and its workers) shares one
``SharedState`` directory. Its documents:

- ``definitions.json``: set definitions (and the set of each ``--amigo-run`` run), fetched once
  by whoever asks first; temporary sets are added as they are created;
- ``runs.json``: per set, the run this session reports (started here or attached) or why none;
- ``snapshot.json``: the latest run instances, justifications, artifacts and the shared poll
  cadence (written by the ``Poller``);
- ``items.json``: the workers' Amigo items, for the controller to report after an interruption;
- ``active.json``: Amigo items run in this session;
- ``baselines.json``: per set, the baseline run (``--amigo-baseline=last|RUN_ID``) or why none;
- ``resamples.json``: per set and round, the temporary set re-sampling runs, or why none;
- ``temporary.json``: every temporary set, for deletion (``TemporarySets``);
- ``copies.json``: every temporary unit test copy (``--amigo-version-set``), for deletion after
  the sets that use them (``UnitTestCopies``);
- ``creates.json``: per set id the API was asked to run, when (wall clock) its last create
  request left (``RunStarter``; dropped on a 409): after an interruption, the runs those
  creates made but whose answers were never read are found by creator and time, and cancelled;
- ``swept.json``: the sweep of old temporaries ran (once per session, before the first
  temporary is created);
- ``token.json``: the session's Amigo id token (``SharedTokenCache``).

And its locks (``<name>.lock``): ``starter`` (the one process creating runs), ``poll`` (the one
process polling), ``resample`` (the one process creating a re-sampling round or deleting
its set) and ``sweep`` (the one process sweeping old temporaries).
"""

from __future__ import annotations

DEFINITIONS = "definitions.json"
RUNS = "runs.json"
SNAPSHOT = "snapshot.json"
ITEMS = "items.json"
ACTIVE = "active.json"
BASELINES = "baselines.json"
RESAMPLES = "resamples.json"
TEMPORARY = "temporary.json"
COPIES = "copies.json"
TOKEN = "token.json"
CREATES = "creates.json"
SWEPT = "swept.json"

STARTER_LOCK = "starter"
POLL_LOCK = "poll"
RESAMPLE_LOCK = "resample"
SWEEP_LOCK = "sweep"
