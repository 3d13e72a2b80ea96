"""The one place, besides the entry points, where work is committed before the entry point ends.

An entry point owns its unit of work (STYLE rule 13): the HTTP request
(``dsar.web.unit_of_work``), the CLI command (``dsar.cli_base.DsarGroup``) and the job run
(``dsar.jobs.runner.run_job``) commit once when they end and roll back on any error;
services never call ``commit()``. Some work cannot wait for that end, and it says so by
calling :func:`checkpoint` with one of the reasons of ``REASONS`` — so every exception is
written here, explicit and greppable (``grep -rn "checkpoint(" dsar``):

``plan``
    Work with outside effects (a customer database changed, a file written, a message
    sent) follows one pattern, :func:`outside_effect`: **plan** — what is about to be
    done is recorded and committed, so a crash half-way through is never invisible (the
    request shows as being worked on, an erasure's plan is on the request) — then the
    **effect**, then the **record** of the outcome, added to the entry point's unit of work
    and committed with it.
``failure kept``
    A failure the caller is about to see must stay recorded although the caller rolls
    back (a fulfilment that failed, a wrong verification code that used an attempt).
``batch``
    A long job (verification expiry, reminders, export expiry, own retention, erasures due,
    outbox delivery) commits each bounded batch, so transactions stay short and a crash
    loses one batch at most; the next run resumes with what is left.
``lease``
    A claim other processes must see at once: the job runner's run record and lease, an
    outbox message claimed for sending, each in its own short transaction.

The other documented exception is not a commit of ``db.session``:
``dsar.retention.enforcement`` and ``dsar.retention.statements`` commit each retention batch on
their own connection to the *customer's* database (bounded, short transactions; SPEC §7).
``dsar.jobs.leases`` writes leases with ``engine.begin()`` blocks of their own.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy.orm import Session

from dsar.extensions import db

#: Why work may be committed before its entry point ends (see the module docstring).
REASONS = frozenset({"plan", "failure kept", "batch", "lease"})


def checkpoint(reason: str, *, session: Session | None = None) -> None:
    """Commit what was done so far in ``session`` (default ``db.session``), for ``reason``.

    ``reason`` must be one of ``REASONS``: a commit before the entry point ends is an
    exception to the unit of work, and it says which one.
    """
    if reason not in REASONS:
        raise ValueError(f"checkpoint reason {reason!r} is not one of {sorted(REASONS)}")
    (session or db.session).commit()


@contextmanager
def outside_effect(*, failures: tuple[type[BaseException], ...] = (),
                   keep_failure: Callable[[BaseException], None] | None = None) -> Iterator[None]:
    """Plan, effect, record: commit the plan already added to the session, then run the
    effect (the ``with`` block); its outcome, recorded afterwards, goes into the entry
    point's unit of work.

    When the effect raises one of ``failures``, what it added is rolled back,
    ``keep_failure(error)`` records the failure, that record is committed, and the error
    goes on to the caller (which rolls back whatever else it had).
    """
    checkpoint("plan")
    try:
        yield
    except failures as error:
        db.session.rollback()
        if keep_failure is not None:
            keep_failure(error)
            checkpoint("failure kept")
        raise
