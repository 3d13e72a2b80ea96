"""The Art. 15 answer of an access export, in words, from the data map and the tenant.

Everything the cover letter says beside the data is worked out here: each purpose with its
legal basis, the recipients and their categories, how long each kind of data is kept ("12
months after the message was sent"), where it comes from, transfers outside the EU/UK and
their safeguards, automated decisions, the rights of the tenant's regime and where to
complain. No column name, table name or dotted category key reaches the subject.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from typing import Any

from marshmallow import ValidationError as SchemaError

from dsar.datamap.model import (Anonymize, DataMap, Delete, Duration, Retain, RetentionRule, SHARED_BASIS, Table,
                                Transfer)
from dsar.datamap.schema import country_names, parse_duration
from dsar.datamap.transparency import LEGAL_BASIS_WORDS, SAFEGUARD_WORDS
from dsar.domain.supervisory_authorities import supervisory_authority
from dsar.fulfilment.cover_letter import (DEFAULT_RIGHTS, RIGHTS_BY_REGIME, ExportContext, PurposeLine,
                                          RecipientLine)

#: How each regime's law is cited after an Art. 6(1) point, and what "outside" means for it.
LAW_NAMES = {"gdpr": "GDPR", "uk_gdpr": "UK GDPR"}
TRANSFER_REGIONS = {"gdpr": "the EU and the EEA", "uk_gdpr": "the UK", "lgpd": "Brazil", "ccpa": "the United States"}
#: Past participles that do not end in "ed": ``sent_at`` reads "it was sent".
_PARTICIPLES = {"sent", "paid", "made", "written", "given", "taken", "seen", "held", "kept", "read", "built", "done"}
_THE = {"Netherlands", "Philippines", "Bahamas", "Gambia", "Maldives", "Comoros", "Seychelles"}
_TIME_SUFFIXES = ("_at", "_on", "_date", "_time", "_ts")


@dataclass(frozen=True)
class Controller:
    """What the letter needs of the tenant: plain values, so this module has no database."""

    name: str
    regime: str
    contact: str = ""
    authority_setting: str = ""
    retention_overrides: dict[str, Any] = field(default_factory=dict)


def access_answer(datamap: DataMap, controller: Controller, *, reference: str, subject_label: str,
                  now: dt.datetime, only_provided: bool) -> ExportContext:
    """The letter's context for the tables an access (or, ``only_provided``, portability) answer holds."""
    entries = [(f"{source.name}/{table.name}", source, table) for source in datamap.sources
               for table in source.tables if table.takes_part and (table.provided_by_subject or not only_provided)]
    overrides = controller.retention_overrides or {}
    authority = supervisory_authority(controller.authority_setting, controller.regime)
    return ExportContext(
        reference=reference, tenant_name=controller.name, generated_at=now, subject_label=subject_label,
        purposes=purpose_lines(datamap, [table for _, _, table in entries], controller.regime),
        categories={key: sorted({category for _, category in t.categories}) for key, _, t in entries},
        recipients=recipient_lines(datamap),
        retention={key: retention_words(t, _override(overrides, s.name, t.name), now) for key, s, t in entries},
        labels={key: t.label for key, _, t in entries},
        data_source=" ".join(source.description for source in datamap.sources if source.description),
        origins={key: origin_words(t, controller.name) for key, _, t in entries},
        transfers=None if datamap.transfers is None else [transfer_words(t, datamap) for t in datamap.transfers],
        transfer_region=TRANSFER_REGIONS.get(controller.regime, "the EU and the UK"),
        automated_decisions=None if datamap.automated_decisions is None else [
            replace(d, logic=_sentence(d.logic), consequences=_sentence(d.consequences))
            for d in datamap.automated_decisions],
        controller_contact=f"{controller.name}, {controller.contact}" if controller.contact else controller.name,
        authority_name=authority.name, authority_url=authority.website, authority_contact=authority.contact,
        authority_note=authority.note, rights=list(RIGHTS_BY_REGIME.get(controller.regime, DEFAULT_RIGHTS)))


def purpose_lines(datamap: DataMap, tables: list[Table], regime: str) -> list[PurposeLine]:
    """Declared purposes the answer's tables name (or that no table names: they concern all
    data), in file order, then the tables' free-text purposes."""
    declared = dict(datamap.purposes)
    named = {p for source in datamap.sources for t in source.tables for p in t.purposes}
    lines = []
    for key, purpose in datamap.purposes:
        using = tuple(t.label for t in tables if key in t.purposes)
        if using or key not in named:
            lines.append(PurposeLine(purpose.description, basis_words(purpose, regime), using))
    free = dict.fromkeys(p for t in tables for p in t.purposes if p not in declared)
    lines += [PurposeLine(text, "", tuple(t.label for t in tables if text in t.purposes)) for text in free]
    return lines


def basis_words(purpose, regime: str) -> str:
    """``our contract with you … (Art. 6(1)(b) UK GDPR)``; the interest pursued for legitimate interests."""
    words, point = LEGAL_BASIS_WORDS[purpose.legal_basis]
    law = LAW_NAMES.get(regime)
    cited = f"{words} (Art. 6(1)({point}) {law})" if law else words
    return f"{cited}: {purpose.interest}" if purpose.interest else cited


def recipient_lines(datamap: DataMap) -> list[RecipientLine]:
    declared = [RecipientLine(name, r.category, r.description or "") for name, r in datamap.recipients]
    plain = dict.fromkeys(name for source in datamap.sources for name in source.recipients
                          if name not in dict(datamap.recipients))
    return declared + [RecipientLine(name) for name in plain]


def transfer_words(transfer: Transfer, datamap: DataMap) -> str:
    """``SendGrid (e-mail delivery), in the United States: protected by standard data protection clauses …``."""
    recipients = dict(datamap.recipients)
    sources = {source.name: source for source in datamap.sources}
    if transfer.to in recipients:
        who = f"{transfer.to} ({recipients[transfer.to].category})"
    elif transfer.to in sources:
        who = f"Our own systems ({sources[transfer.to].description or 'where we store your data'})"
    else:
        who = transfer.to
    words = f"{who}, in {country_words(transfer.country)}: protected by {SAFEGUARD_WORDS[transfer.safeguard]}"
    return _sentence(f"{words} — {transfer.details}" if transfer.details else words)


def country_words(code: str) -> str:
    """A country's English name as it reads after "in": "the United States", "India"."""
    name = country_names().get(code, code)
    plural = name.startswith("United ") or name.endswith(("Islands", "Republic", "Emirates")) or name in _THE
    return f"the {name}" if plural else name


def origin_words(table: Table, controller: str) -> str:
    """Where a table's data comes from (Art. 15(1)(g)): the map's ``origin``, else what it implies."""
    if table.origin:
        return table.origin
    if table.provided_by_subject:
        return "You gave it to us."
    return f"Recorded by {controller}'s systems as you used our services."


def retention_words(table: Table, override: Duration | None, now: dt.datetime) -> str:
    """How long a table's data is kept, in sentences: every rule, then what erasure does."""
    strategy = table.erasure_strategy
    sentences, told_retain = [], False
    for rule in table.retention:
        words = _rule_words(rule, _shorter(rule.after, override, now))
        if isinstance(strategy, Retain) and _same_end(rule, rule.after, strategy):
            # One sentence: "Deleted 7 years after …; until then it is kept even if you ask …"
            words = words[:-1] + f"; until then it is kept even if you ask us to erase it " \
                                 f"({_lower_first(strategy.basis)})."
            told_retain = True
        sentences.append(words)
    if isinstance(strategy, Retain) and not told_retain:
        sentences.append(_retain_words(strategy))
    elif isinstance(strategy, Anonymize):
        sentences.append("If you ask us to erase your data, what identifies you in it is removed and the rest "
                         "is kept.")
    elif isinstance(strategy, Delete) and not any(rule.action == "delete" for rule in table.retention):
        sentences.append("Kept while we need it for the purposes above, and deleted when you ask us to erase "
                         "your data.")
    return " ".join(sentences)


def _same_end(rule: RetentionRule, period: Duration, retain: Retain) -> bool:
    return rule.action == "delete" and rule.from_column == retain.from_column and period == retain.until


def _rule_words(rule: RetentionRule, period: Duration) -> str:
    when = f"{period} after {event_words(rule.from_column, rule.event)}"
    if rule.action == "delete":
        return f"Deleted {when}."
    if rule.action == "anonymize_ip":
        return f"IP addresses are shortened (their last part removed) {when}, so they no longer point to you."
    return f"Anonymized {when}: what identifies you is removed."


def _retain_words(retain: Retain) -> str:
    if retain.basis == SHARED_BASIS:
        return ("Shared with other people's records: kept when you ask us to erase your data, as long as other "
                "records still point at it.")
    if isinstance(retain.until, dt.date):
        period = f" until {retain.until.day} {retain.until:%B %Y}"
    elif retain.until is not None:
        start = event_words(retain.from_column, retain.event) if retain.from_column else "you ask us to erase it"
        period = f" for {retain.until} after {start}"
    else:
        period = ""
    return f"Kept{period} even if you ask us to erase it ({_lower_first(retain.basis)})."


def event_words(column: str | None, event: str | None) -> str:
    """What a timestamp column records: the map's ``event``, else words made from its name
    (``created_at`` -> "it was created", ``last_interaction_at`` -> "the last interaction")."""
    if event:
        return event
    name = (column or "").lower()
    for suffix in _TIME_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            name = name[: -len(suffix)]
            break
    words = name.replace("_", " ").strip()
    last = words.rsplit(" ", 1)[-1]
    if last.endswith("ed") or last in _PARTICIPLES:
        return f"it was {words}"
    return f"the {words}" if words else "it was recorded"


def _override(overrides: dict[str, Any], source: str, table: str) -> Duration | None:
    value = overrides.get(f"{source}.{table}")
    try:
        return parse_duration(value) if value else None
    except SchemaError:  # an unreadable override is refused when set; the map's period stands
        return None


def _shorter(period: Duration, override: Duration | None, now: dt.datetime) -> Duration:
    """The tenant's override where it keeps data for less time than the map (it never lengthens)."""
    return override if override is not None and override.before(now) > period.before(now) else period


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "!", "?")) else text + "."


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:] if text[:2] != text[:2].upper() else text
