"""Tests of the facts loader (engine.facts)."""
