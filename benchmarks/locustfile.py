"""Locust users for the intake benchmark: the real intake API, and a bare route as the floor."""
import itertools

from locust import FastHttpUser, constant, task

_counter = itertools.count()


class IntakeUser(FastHttpUser):
    """A data subject submitting through the public API (validation, encryption, audit, outbox)."""

    wait_time = constant(0)

    @task
    def submit(self):
        n = next(_counter)
        self.client.post("/api/v1/tenants/bench/requests", name="intake",
                         json={"type": "access", "email": f"load{n}@example.com", "name": f"Load {n}"})


class BareUser(FastHttpUser):
    """The same server answering a route that does nothing: the floor."""

    wait_time = constant(0)

    @task
    def bare(self):
        self.client.post("/bench/bare", name="bare", json={"type": "access"})
