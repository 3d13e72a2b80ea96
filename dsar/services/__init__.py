"""Use cases shared by views, jobs and the CLI (STYLE rule 2)."""
