"""Retention (SPEC §5, §7): the data map's rules applied where the rows live.

``overrides`` decides what a tenant keeps (the map's periods, the tenant's shorter overrides,
retention holds on rows); ``statements`` turns that into set-based SQL for each database engine;
``enforcement`` runs it in bounded, committed batches; ``own_data`` applies the same
discipline to the platform's own records; ``jobs`` declares the named jobs.
"""
