"""The run lifecycle against the service: set definitions, starting and attaching runs, polling,
cancelling, artifacts, temporary sets and the session's shared state. The only part that talks to
the API (``pytest_amigo.api``)."""
