"""Tests of dsar.services."""
