"""Tests as code: personas, scenarios, unit tests and sets defined in the repository.

``model`` holds the typed definitions, ``loader`` reads and validates the files (every problem with
file and line, before anything is sent), ``lock`` the committed lock file, ``plan`` compares the
definitions, the lock and the platform, ``render`` prints that plan, ``writer`` writes the files
(``export``). docs/tests-as-code.md describes the format.
"""
