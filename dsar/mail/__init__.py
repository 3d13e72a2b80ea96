"""Outgoing e-mail: message templates (``templates/mail/``), three backends, one outbox.

``render`` turns a template and its context into a subject, a text and an HTML body in
the recipient's language; ``outbox.queue`` stores the message, encrypted, in the caller's
transaction; ``outbox.deliver`` hands it to the configured backend after commit, and the
``send-mail`` job retries what failed. Services call ``dsar.services.notifications``,
which ties the three together.
"""
