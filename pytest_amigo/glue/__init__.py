"""The pytest side: options, collection, the items' run, the controller's end of the session,
fixtures and the results pytest reports. The only part that imports pytest's hooks; it may use
every other part."""
