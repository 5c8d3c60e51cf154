"""Judging: run results -> verdicts, evidence, statistics, explanations, baselines. Pure functions
over plain data; imports nothing from the other parts (only the shared leaf modules)."""
