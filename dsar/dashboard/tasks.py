"""Staff tasks of a request: Art. 19 notifications to recipients, rectifications to make."""
from __future__ import annotations

from dsar.errors import Conflict, ValidationError
from dsar.models import Task, User, utcnow
from dsar.services import audit


def mark_done(task: Task, user: User, note: str) -> Task:
    """Tick a task off with a note saying what was done (kept on the task, not in the audit
    payload: a rectification note may quote personal data)."""
    note = (note or "").strip()
    if task.done_at is not None:
        raise Conflict("this task is already done", details={"field": "task"})
    if not note or len(note) > 5000:
        raise ValidationError("say in a note (1 to 5000 characters) what was done", details={"field": "note"})
    task.done_at, task.done_by_id, task.note = utcnow(), user.id, note
    audit.record(task.tenant_id, "task_done", f"user:{user.id}", request=task.request,
                 payload={"task_id": task.id, "kind": task.kind})
    return task
