"""Facts of the Amigo contract that several parts of the package need (client, plugin, emulator).

Light on purpose: importing it costs nothing (the plugin reads it before any Amigo work starts).
"""

from __future__ import annotations

import re

OBJECT_ID_PATTERN = r"^[a-f0-9]{24}$"  # Mongo ObjectIds: almost every id of the API
OBJECT_ID = re.compile(OBJECT_ID_PATTERN)

# Permissions whose absence changes what the API answers (lists leave objects out, runs come
# back with empty specs, results or metrics) rather than refusing with 403.
PERMISSION_SET = "Simulation:GetSimulationUnitTestSet"
PERMISSION_UNIT_TEST = "Simulation:GetSimulationUnitTest"
PERMISSION_RUN = "Simulation:GetSimulationUnitTestSetRun"
