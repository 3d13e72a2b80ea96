"""Per-IP limits on the subject's side, shared by the portal form and the public API.

Only *accepted* submissions count toward ``DSAR_INTAKE_RATE_LIMIT``: a form refused for a
typo is answered with the error and costs nothing, so a mistake never locks anyone out.
Verification attempts count whatever their outcome (a wrong code is what the limit is for).
A refused visitor is told, in their language, when to try again (``Retry-After`` too).
"""
from __future__ import annotations

import math
import time

from flask import current_app

from dsar.extensions import limiter

VERIFY_RATE_LIMIT = "10/minute;50/hour"


def intake_rate_limit() -> str:
    return current_app.config["DSAR_INTAKE_RATE_LIMIT"]


def accepted(response) -> bool:
    """Whether a submission counts: it was taken (refused input answers 4xx)."""
    return response.status_code < 400


submit_limit = limiter.shared_limit(intake_rate_limit, scope="intake", deduct_when=accepted)
find_limit = limiter.shared_limit(intake_rate_limit, scope="find", methods=["POST"], deduct_when=accepted)
verify_limit = limiter.shared_limit(VERIFY_RATE_LIMIT, scope="verification", methods=["POST"])
api_verify_limit = limiter.shared_limit(VERIFY_RATE_LIMIT, scope="verification")


def retry_after() -> int:
    """Seconds until the breached limit lets this client in again (at least one)."""
    current = limiter.current_limit
    if current is None:
        return 60
    return max(1, math.ceil(current.reset_at - time.time()))
