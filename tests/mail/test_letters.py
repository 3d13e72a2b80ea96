"""The words of every letter to a data subject, rendered with realistic data (SPEC §6: tables
by the data map's labels, never ``source.table``; no row counts or column names; a greeting
only from a name the subject gave; staff's words only when written for the subject)."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from dsar.mail.messages import SUBJECT_TEMPLATES, render
from dsar.services.erasure_requests import result_letter

COMMON = {"tenant_name": "Parlo Chat", "reference": "DSR-7K2M-Q9XD", "kind": "access",
          "request_type": "a copy of your data", "received_at": date(2026, 11, 2), "due_date": date(2026, 12, 2),
          "contact_email": "privacy@parlo.example", "status_url": "https://privacy.parlo.example/r/DSR-7K2M-Q9XD?t=s",
          "portal_url": "https://privacy.parlo.example/t/parlo/", "name": None}
EXPIRES = datetime(2026, 11, 21, 10, 0, tzinfo=timezone.utc)

#: The tables of a real erasure (as ``services.erasure_requests`` records them), with the data map's labels.
ERASURE_TABLES = [
    {"source": "app", "table": "messages", "label": "Your chat messages", "action": "delete", "rows": 37,
     "kept": 0, "basis": None, "until": None},
    {"source": "app", "table": "widget_visits", "label": "Visits to the chat widget", "action": "anonymize",
     "rows": 12, "kept": 2, "basis": None, "until": None},
    {"source": "billing", "table": "invoices", "label": "Your invoices", "action": "retain", "rows": 3, "kept": 3,
     "basis": "Tax law obliges us to keep invoices for 7 years (Art. 17(3)(b) GDPR)", "until": "2033-03-31"},
    {"source": "app", "table": "push_tokens", "label": "push tokens", "action": "delete", "rows": 0, "kept": 0,
     "basis": None, "until": None},
]


@pytest.fixture
def letter(app):
    def render_letter(template: str, language: str = "en", **context):
        with app.test_request_context():
            return render(template, language, **{**COMMON, **context})
    return render_letter


def _one_line(text: str) -> str:
    return " ".join(text.split())


def test_every_subject_template_is_covered_here():
    covered = {"verification", "acknowledgement", "extended", "denied", "paused", "completed", "erasure_scheduled",
               "erasure_done", "export_ready", "expired", "status_link"}
    assert covered == set(SUBJECT_TEMPLATES)


@pytest.mark.parametrize("name, greeting", [(None, "Hello,"), ("", "Hello,"), ("Tomas Garcia", "Hello Tomas Garcia,"),
                                            ("tomas.garcia2@example.com", "Hello,")])
def test_the_greeting_uses_only_a_name_the_subject_gave(letter, name, greeting):
    message = letter("acknowledgement", name=name)
    assert message.text.splitlines()[0] == greeting
    assert f"<p>{greeting}</p>" in message.html


def test_verification(letter):
    message = letter("verification", verify_url="https://x/verify/TOKEN", confirm_url="https://x/confirm",
                     code="482913", expires_at=EXPIRES)
    text = _one_line(message.text)
    assert message.subject == "Confirm your privacy request DSR-7K2M-Q9XD"
    assert "Parlo Chat received a request for a copy of your data from this e-mail address on November 2, 2026." \
        in text
    assert "The link and the code work once and expire on November 21, 2026 at 10:00 (UTC)." in text
    assert "If you did not make this request, ignore this message: nothing will happen." in text


def test_acknowledgement(letter):
    text = _one_line(letter("acknowledgement").text)
    assert "Thank you: your e-mail address is confirmed and Parlo Chat has registered your request for a copy " \
           "of your data." in text
    assert "We will answer by December 2, 2026 at the latest." in text


def test_an_extension_letter_carries_only_the_words_written_for_the_subject(letter):
    plain = _one_line(letter("extended", new_date=date(2027, 2, 2)).text)
    assert "We need more time to answer your request for a copy of your data. The law allows this extension " \
           "when requests are complex or numerous." in plain
    assert "We will answer by February 2, 2027 at the latest." in plain and "A message from" not in plain
    told = _one_line(letter("extended", new_date=date(2027, 2, 2),
                            message="Your data is spread over three systems we are still searching.").text)
    assert "A message from Parlo Chat: Your data is spread over three systems we are still searching." in told


def test_a_denial_without_a_message_promises_an_explanation(letter):
    text = _one_line(letter("denied", kind="erasure", request_type="the erasure of your data").text)
    assert "We cannot carry out your request for the erasure of your data." in text
    assert "If you would like to know more about our reasons, write to us and we will explain them." in text
    assert "If you disagree, you can complain to a data protection authority or go to court." in text


def test_a_denial_with_a_message_quotes_it(letter):
    message = letter("denied", message="We could not verify that you are the person the request is about.")
    text = _one_line(message.text)
    assert "A message from Parlo Chat: We could not verify that you are the person the request is about." in text
    assert "write to us and we will explain them" not in text


def test_pause(letter):
    text = _one_line(letter("paused", reason="Which of your two accounts do you mean?").text)
    assert "Before we can continue with your request for a copy of your data, we need this from you: " \
           "Which of your two accounts do you mean?" in text
    assert "Until we hear from you, the time limit for our answer is paused." in text


@pytest.mark.parametrize("kind, what, sentence", [
    ("opt_out", "opting out", "You are opted out: your address is on Parlo Chat's suppression list, so we send it "
                              "no more marketing and do not sell or share your personal information."),
    ("objection", "your objection to the use of your data",
     "We have completed your request for your objection to the use of your data: your address is on Parlo Chat's "
     "suppression list, and the systems that use your data check it."),
    ("rectification", "the correction of your data", "We have completed your request for the correction of your data."),
])
def test_completed(letter, kind, what, sentence):
    text = _one_line(letter("completed", kind=kind, request_type=what).text)
    assert sentence in text and "Nothing more is needed from you." in text


def test_completed_with_a_message(letter):
    text = _one_line(letter("completed", kind="rectification", request_type="the correction of your data",
                            message="We changed your delivery address as you asked.").text)
    assert "A message from Parlo Chat: We changed your delivery address as you asked." in text


def test_erasure_scheduled_promises_nothing_specific(letter):
    message = letter("erasure_scheduled", kind="erasure", erasure_at=EXPIRES)
    text = _one_line(message.text)
    assert message.subject == "Your erasure request: erasure on November 21, 2026"
    assert "As you asked, Parlo Chat will erase the data it holds about you on November 21, 2026, apart from what " \
           "the law obliges it to keep; a message will tell you what was done." in text


def test_the_erasure_result_is_in_words_of_the_data_map(letter):
    message = letter("erasure_done", kind="erasure", result=result_letter(ERASURE_TABLES))
    text = message.text
    assert "Parlo Chat has erased your data as you asked." in text
    assert "- Your chat messages: deleted." in text
    assert "- Visits to the chat widget: the details that identify you are removed; what is left can no longer " \
           "be linked to you. Some records were kept because they also concern other people or must be kept by " \
           "law." in text
    assert "- Your invoices: Tax law obliges us to keep invoices for 7 years (Art. 17(3)(b) GDPR) " \
           "(until March 31, 2033)" in text
    for developer_word in ("row(s)", "37", "app.messages", "widget_visits", "masked", "level", "push tokens"):
        assert developer_word not in text and developer_word not in message.html
    assert "<li>Your chat messages: deleted.</li>" in message.html


def test_an_erasure_that_found_nothing_claims_nothing(letter):
    text = _one_line(letter("erasure_done", kind="erasure", result=result_letter([])).text)
    assert "Parlo Chat has searched its systems for data about you and erased whatever it found." in text
    assert "We kept nothing." in text and "has erased your data as you asked" not in text


def test_the_erasure_result_in_german(letter):
    text = letter("erasure_done", "de", kind="erasure", result=result_letter(ERASURE_TABLES)).text
    assert "- Your chat messages: gelöscht." in text  # the label is the data map's own words


def test_export_ready_promises_nothing_specific(letter):
    message = letter("export_ready", download_url="https://x/download/TOKEN", expires_at=EXPIRES, max_downloads=3)
    text = _one_line(message.text)
    assert message.subject == "The answer to your request DSR-7K2M-Q9XD is ready to download"
    assert "The answer to your request for a copy of your data is ready to download:" in text
    assert "The link works until November 21, 2026 at 10:00 (UTC). It can be used 3 times." in text
    assert "The file is a ZIP archive with a letter that explains what we hold about you and why, and the data " \
           "itself as JSON and CSV files." in text


def test_expired(letter):
    text = _one_line(letter("expired").text)
    assert "We closed the request for a copy of your data made with this e-mail address, because the address was " \
           "never confirmed." in text
    assert "https://privacy.parlo.example/t/parlo/" in text


def test_status_link(letter):
    message = letter("status_link")
    text = _one_line(message.text)
    assert message.subject == "The link to your request DSR-7K2M-Q9XD"
    assert "You asked for the link to your request DSR-7K2M-Q9XD again. Open it to follow the request, download " \
           "your answer when it is ready, or withdraw the request: https://privacy.parlo.example/r/DSR-7K2M-Q9XD?t=s" \
        in text
    assert "If you did not ask for this, ignore this message: the link is only sent to this address." in text


def test_every_letter_ends_with_the_reference_and_the_way_back(letter):
    text = letter("acknowledgement").text
    assert "Reference: DSR-7K2M-Q9XD" in text and "Questions? Write to privacy@parlo.example." in text
