"""The rights, regimes and request states in plain words, for the portal and the messages.

One table per concept (STYLE rule 11); the words are lazy, so they are translated into
whatever language is active where they are shown (a page, or a message to a subject).
"""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from dsar.domain import regimes


@dataclass(frozen=True)
class Right:
    type: str
    title: object        # lazy string: what the portal's choice says
    source: str          # where the right comes from, "{gdpr}" standing for the law's local name
    explanation: object  # lazy string: the right in plain words
    short: object        # lazy string: used inside sentences ("your request for …")

    @property
    def article(self) -> str:
        """``GDPR Art. 15`` in the page's language: RGPD in French and Spanish, DSGVO in German."""
        return self.source.format(gdpr=gettext("GDPR"))


RIGHTS: tuple[Right, ...] = (
    Right("access", _l("See the data you hold about me"), "{gdpr} Art. 15",
          _l("You can ask whether we process data about you and get a copy of it, with what we use "
             "it for, where it came from, who receives it and how long we keep it."),
          _l("a copy of your data")),
    Right("portability", _l("Get my data in a portable file"), "{gdpr} Art. 20",
          _l("You can receive the data you gave us in a structured, machine-readable file (JSON in a "
             "ZIP) to keep or to take to another service."),
          _l("your data in a portable file")),
    Right("erasure", _l("Erase my data"), "{gdpr} Art. 17",
          _l("You can ask us to delete your data. We keep only what the law obliges us to keep (for "
             "example invoices), and we tell you what and why. You can cancel during a short waiting "
             "period before the deletion runs."),
          _l("the erasure of your data")),
    Right("rectification", _l("Correct my data"), "{gdpr} Art. 16",
          _l("You can have inaccurate data about you corrected and incomplete data completed. Tell us "
             "what is wrong in the details field."),
          _l("the correction of your data")),
    Right("restriction", _l("Restrict the use of my data"), "{gdpr} Art. 18",
          _l("You can ask us to keep your data but stop using it, for example while you contest its "
             "accuracy or while we check an objection."),
          _l("a restriction of the use of your data")),
    Right("objection", _l("Object to the use of my data"), "{gdpr} Art. 21",
          _l("You can object to processing based on our legitimate interests, and always to direct "
             "marketing. We then stop unless we have compelling legitimate grounds."),
          _l("your objection to the use of your data")),
    Right("withdraw_consent", _l("Withdraw my consent"), "{gdpr} Art. 7(3)",
          _l("Where we rely on your consent, you can withdraw it at any time, as easily as you gave "
             "it. What we did before stays lawful."),
          _l("the withdrawal of your consent")),
    Right("opt_out", _l("Opt out of marketing and sale"), "{gdpr} Art. 21(2), CCPA §1798.120",
          _l("You can stop direct marketing and the sale or sharing of your personal information. "
             "This needs no proof of identity, and your browser's Global Privacy Control signal counts "
             "as this request."),
          _l("opting out of marketing and the sale of your data")),
)
RIGHTS_BY_TYPE = {right.type: right for right in RIGHTS}

#: The regimes' names (one table, in ``dsar.domain.regimes``), translated where shown.
REGIME_NAMES = {code: _l(name) for code, name in regimes.REGIME_NAMES.items()}

#: Status -> (what it means, what happens next), as the subject reads it.
STATUS_WORDS = {
    "unverified": (_l("Waiting for you to confirm your e-mail address"),
                   _l("Open the link in our message or enter its six-digit code. Unconfirmed requests "
                      "are closed after a while.")),
    "verified": (_l("Confirmed, waiting to be handled"),
                 _l("Our privacy team will take up your request and answer by the date below.")),
    "in_progress": (_l("Being handled"),
                    _l("We are gathering or changing your data. We will write to you when it is done.")),
    "paused": (_l("Waiting for information from you"),
               _l("We asked you for something in a message; the clock is stopped until you answer.")),
    "scheduled": (_l("Erasure scheduled"),
                  _l("Your data will be erased at the end of the waiting period. You can still cancel "
                     "below until then.")),
    "completed": (_l("Completed"), _l("We have answered your request. Nothing more is needed from you.")),
    "denied": (_l("Refused"), _l("We could not do what you asked; our message to you explains it.")),
    "withdrawn": (_l("Withdrawn"), _l("You withdrew this request. Nothing more will happen.")),
    "expired": (_l("Closed: never confirmed"),
                _l("The e-mail address was not confirmed in time. You can send a new request at any time.")),
}
