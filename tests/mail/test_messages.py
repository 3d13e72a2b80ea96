"""Every message template renders, in every language, with what other services pass it."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from dsar.extensions import db
from dsar.mail.messages import STAFF_TEMPLATES, SUBJECT_TEMPLATES, render
from dsar.models import utcnow
from dsar.services import intake
from dsar.services.notifications import notify_staff, notify_subject
from dsar.translations import LANGUAGES
from tests.factories import make_tenant
from tests.portal.helpers import last_mail, mails


CONTEXT = {
    "verification": {"verify_url": "http://x/verify/T", "confirm_url": "http://x/confirm", "code": "123456",
                     "expires_at": utcnow() + timedelta(hours=72)},
    "acknowledgement": {},
    "extended": {"message": "Many systems to search <b>", "new_date": date(2026, 5, 1)},
    "denied": {"message": "We hold no account for you & cannot act"},
    "paused": {"reason": "Please send a copy of your ID"},
    "completed": {},
    "erasure_scheduled": {"erasure_at": utcnow() + timedelta(days=30)},
    "erasure_done": {"result": {"erased": [{"what": "Your account", "action": "delete", "kept_some": False}],
                                "retained": [{"what": "Invoices", "basis": "Tax law", "until": date(2032, 1, 1)}]}},
    "export_ready": {"download_url": "http://x/download/T", "expires_at": utcnow() + timedelta(days=7),
                     "max_downloads": 3},
    "expired": {},
    "status_link": {},
}


@pytest.fixture
def request_in(app):
    tenant = make_tenant("acme", name="Acme & Co", dpo_email="dpo@acme.test")

    def submit(language: str):
        made = intake.submit(tenant, intake.Submission(type="erasure", email="zoe@example.com", name="Zoë <Z>"),
                             language=language)
        db.session.commit()
        return made

    return submit


def test_the_table_covers_every_template():
    assert set(CONTEXT) == set(SUBJECT_TEMPLATES)


@pytest.mark.parametrize("language", sorted(LANGUAGES))
@pytest.mark.parametrize("template", sorted(SUBJECT_TEMPLATES))
def test_every_subject_message_in_every_language(request_in, template, language):
    request = request_in(language)
    notify_subject(request, template, **CONTEXT[template])
    db.session.commit()
    mail = last_mail(template)
    assert mail.to == "zoe@example.com" and mail.subject and "\n" not in mail.subject
    assert mail.status_path.startswith(f"/r/{request.reference}?t=")
    assert "Acme & Co" in mail.text and "Acme &amp; Co" in mail.html  # escaped in HTML only
    assert "Zoë <Z>" in mail.text and "Zoë &lt;Z&gt;" in mail.html
    assert "{{" not in mail.text and "%(" not in mail.text and "%(" not in mail.html
    for value in CONTEXT[template].values():
        if isinstance(value, str) and "<" not in value and "&" not in value:
            assert value in mail.text
    if language != "en":  # translated, not left in English
        english = _english_subject(template, request.reference)
        assert mail.subject != english, f"{template} is not translated into {language}"


def _english_subject(template: str, reference: str) -> str:
    from flask import current_app

    with current_app.test_request_context():
        return render(template, "en", reference=reference, tenant_name="Acme & Co", name=None,
                      request_type="x", received_at=date.today(), due_date=date.today(),
                      contact_email=None, status_url="", portal_url="", **CONTEXT[template]).subject


def test_user_text_is_escaped_in_html(request_in):
    request = request_in("en")
    notify_subject(request, "extended", **CONTEXT["extended"])
    db.session.commit()
    mail = last_mail("extended")
    assert "Many systems to search <b>" in mail.text and "Many systems to search &lt;b&gt;" in mail.html


@pytest.mark.calendar
def test_the_erasure_letter_lists_what_was_kept_and_why(request_in):
    request = request_in("en")
    notify_subject(request, "erasure_done", **CONTEXT["erasure_done"])
    db.session.commit()
    text = last_mail("erasure_done").text
    assert "- Your account: deleted." in text
    assert "- Invoices: Tax law (until January 1, 2032)" in text


@pytest.mark.calendar
def test_staff_messages(app):
    tenant = make_tenant("acme", name="Acme")
    notify_staff(tenant, "dpo@acme.test", "reminder", reference="DSR-AAAA-BBBB", days_left=2,
                 due_date=date(2026, 3, 2), request_url="http://x/r")
    notify_staff(tenant, "dpo@acme.test", "reminder", reference="DSR-AAAA-CCCC", days_left=0, due_date=date(2026, 3, 2))
    notify_staff(tenant, "dpo@acme.test", "overdue_digest", dashboard_url="http://x/q", requests=[
        {"reference": "DSR-AAAA-DDDD", "type": "access", "due_date": date(2026, 3, 1), "days_overdue": 1},
        {"reference": "DSR-AAAA-EEEE", "type": "erasure", "due_date": date(2026, 2, 1), "days_overdue": 29}])
    db.session.commit()
    reminders = mails("reminder")
    assert [m.subject for m in reminders] == ["Reminder: request DSR-AAAA-BBBB is due in 2 days",
                                              "Reminder: request DSR-AAAA-CCCC is due today"]
    assert "http://x/r" in reminders[0].text and "March 2, 2026" in reminders[0].text
    digest = last_mail("overdue_digest")
    assert digest.subject == "2 overdue privacy requests at Acme" and digest.to == "dpo@acme.test"
    assert "- DSR-AAAA-EEEE (erasure): due February 1, 2026, 29 days overdue" in digest.text
    assert "DSR-AAAA-DDDD" in digest.html


def test_mistakes_are_caught_before_anything_is_queued(request_in):
    request = request_in("en")
    with pytest.raises(ValueError, match="not one of these messages"):
        notify_subject(request, "birthday")
    with pytest.raises(ValueError, match="needs reason"):
        notify_subject(request, "paused")
    with pytest.raises(ValueError, match="not one of these messages"):
        notify_staff(None, "x@example.com", "verification")


def test_no_message_when_the_address_is_gone(request_in):
    request = request_in("en")
    request.subject_email_enc = None
    assert notify_subject(request, "completed") is None


def test_templates_exist_for_every_message():
    from tests.portal.test_languages import ROOT

    for name in {*SUBJECT_TEMPLATES, *STAFF_TEMPLATES}:
        for suffix in ("txt", "html"):
            assert (ROOT / "templates" / "mail" / f"{name}.{suffix}").is_file()
