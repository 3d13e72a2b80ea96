"""The named jobs of SPEC §7 and how they run (CLI, scheduler, API, dashboard)."""
