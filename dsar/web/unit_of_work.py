"""One unit of work per HTTP request (STYLE rule 13, as indico's request handler does).

The request owns the transaction: views and services add to ``db.session`` and never
commit. When the view returns, ``after_request`` commits once; when it fails — an
exception the error handlers in ``dsar.web.http_errors`` turn into an answer — everything it
did is rolled back (``discard``) and nothing is committed.

A view that catches a failure itself and answers with the form again calls ``discard()``
to drop the half-done work; what it records *after* that (a failed sign-in attempt
counted by ``auth.lockout``) is committed at the end like any other work. A view marked
``@read_only`` never commits, even by mistake.

The outbox (``dsar.mail.outbox``) delivers the messages queued in the request right after
this commit, as it does after any commit.
"""
from __future__ import annotations

import functools

from flask import Flask, has_request_context, request

from dsar.extensions import db

# Kept on the request, not on ``g``: an app context (a test's, a CLI command's) may outlive many.
_DISCARDED = "dsar.uow.discarded"
_READ_ONLY = "dsar.uow.read_only"


def discard() -> None:
    """Roll back what the request did so far; it goes on in a fresh transaction."""
    db.session.rollback()


def fail() -> None:
    """The request failed: roll back, and commit nothing at its end."""
    if has_request_context():
        request.environ[_DISCARDED] = True
    db.session.rollback()


def read_only(view):
    """Mark a view that must change nothing: its transaction is rolled back, never committed."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        request.environ[_READ_ONLY] = True
        return view(*args, **kwargs)

    return wrapper


def init_app(app: Flask) -> None:
    @app.after_request
    def _commit_the_request(response):
        if request.environ.get(_DISCARDED) or request.environ.get(_READ_ONLY):
            db.session.rollback()
            return response
        try:
            db.session.commit()
        except Exception as exc:  # the view's work could not be stored: answer as for its own failure
            fail()
            return app.make_response(app.handle_user_exception(exc))
        return response
