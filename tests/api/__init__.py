"""Tests of the HTTP API (dsar.api)."""
