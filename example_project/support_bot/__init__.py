"""acme-health's member support agent (the part of it that is plain Python)."""
