"""Registries fail loudly: a job module or API area that cannot be imported stops start-up."""
from __future__ import annotations

import pytest

from dsar import api
from dsar.jobs import registry


def test_a_missing_job_module_is_an_error_not_a_missing_job(monkeypatch):
    monkeypatch.setattr(registry, "JOB_MODULES", (*registry.JOB_MODULES, "dsar.retention.renamed_jobs"))
    with pytest.raises(ModuleNotFoundError, match="dsar.retention.renamed_jobs"):
        registry.all_jobs()


def test_a_missing_api_area_stops_the_app_from_starting(monkeypatch, app_environ, instance):
    from dsar import create_app

    monkeypatch.setattr(api, "AREAS", (*api.AREAS, "dsar.api.renamed_area"))
    with pytest.raises(ModuleNotFoundError, match="dsar.api.renamed_area"):
        create_app(environ=app_environ, instance_path=str(instance))


def test_every_declared_job_module_declares_a_job():
    jobs = registry.all_jobs()
    modules = {spec.func.__module__ for spec in jobs.values()}
    assert modules == set(registry.JOB_MODULES)


def test_every_declared_job_is_bound_by_its_module_and_nothing_else():
    jobs = registry.all_jobs()
    assert set(jobs) == set(registry.DECLARED)
    for name, spec in jobs.items():
        assert spec.func.__module__ == registry.DECLARED[name].module
        assert (spec.description, spec.schedule) == (registry.DECLARED[name].description,
                                                     registry.DECLARED[name].schedule)


def test_binding_an_undeclared_job_is_an_error():
    with pytest.raises(LookupError, match="not declared"):
        registry.job("tidy-up")
