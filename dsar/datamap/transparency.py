"""The data map's Art. 15 keys across the file: names that must refer to something declared.

``purposes:``, ``recipients:``, ``transfers:`` and ``automated_decisions:`` are validated
one by one by the schema; what it cannot see is a table naming a purpose that is not
declared (the letter would show the key as a purpose) or a transfer to nobody: errors. A map
that declares no ``purposes:`` keeps its free-text table purposes, and a source's recipient
that ``recipients:`` does not declare is still named (and notified, Art. 19): ``datamap
check`` warns that the letter then lacks a legal basis or a category of recipient.
"""
from __future__ import annotations

from dsar.datamap.model import DataMap
from dsar.datamap.schema import suggest

PathKey = tuple


def transparency_issues(raw) -> list[tuple[PathKey, str]]:
    """(key path, message) for every reference to an undeclared purpose, recipient or target."""
    if not isinstance(raw, dict) or not isinstance(raw.get("sources"), list):
        return []
    sources = [(index, s) for index, s in enumerate(raw["sources"]) if isinstance(s, dict)]
    purposes, recipients = raw.get("purposes"), raw.get("recipients")
    issues = []
    for index, source in sources:
        path = ("sources", index)
        if isinstance(purposes, dict) and isinstance(source.get("tables"), list):
            for number, table in enumerate(source["tables"]):
                if isinstance(table, dict):
                    issues += _undeclared(table.get("purposes"), purposes, path + ("tables", number, "purposes"),
                                          "purpose", "purposes")
    targets = list(dict.fromkeys([*(recipients if isinstance(recipients, dict) else ()),
               *(name for _, s in sources if isinstance(s.get("recipients"), list)
                 for name in s["recipients"] if isinstance(name, str)),
               *(s["name"] for _, s in sources if isinstance(s.get("name"), str))]))
    for index, transfer in enumerate(raw.get("transfers") or () if isinstance(raw.get("transfers"), list) else ()):
        to = transfer.get("to") if isinstance(transfer, dict) else None
        if isinstance(to, str) and to and to not in targets:
            issues.append((("transfers", index, "to"),
                           f'"{to}" is neither a recipient nor a source of this map{suggest(to, targets)}: '
                           f'name one of {", ".join(targets)}'))
    return issues


def _undeclared(names, declared: dict, path: PathKey, what: str, key: str) -> list[tuple[PathKey, str]]:
    if not isinstance(names, list):
        return []
    return [(path + (index,), f'"{name}" is not a {what} declared under {key}: at the top of the file'
                              f'{suggest(name, declared)}')
            for index, name in enumerate(names) if isinstance(name, str) and name not in declared]


def transparency_warnings(datamap: DataMap) -> list[str]:
    """What the Art. 15 letter built from ``datamap`` would have to leave unsaid."""
    warnings = []
    declared = dict(datamap.purposes)
    free = [p for s in datamap.sources for t in s.tables for p in t.purposes if p not in declared]
    if free or not declared:
        warnings.append("purposes: none declared with a legal basis; the access letter cannot say why and on "
                        "which legal basis data is processed (declare purposes: {key: {description, legal_basis}} "
                        "and name the keys in each table's purposes)")
    named = dict(datamap.recipients)
    plain = [r for s in datamap.sources for r in s.recipients if r not in named]
    for name in dict.fromkeys(plain):
        warnings.append(f'recipients: "{name}" has no category{suggest(name, named)}; declare it under '
                        "recipients: {name: {category: ...}} so the access letter can name the kind of recipient")
    if datamap.transfers is None:
        warnings.append("transfers: not declared; the access letter cannot say whether data leaves the EU/UK "
                        "(write transfers: [] if it never does)")
    if datamap.automated_decisions is None:
        warnings.append("automated_decisions: not declared; the access letter cannot say whether decisions are "
                        "made about people by automated means (write automated_decisions: [] if there are none)")
    return warnings


#: Each legal basis in the subject's words, and its point of Art. 6(1).
LEGAL_BASIS_WORDS = {
    "consent": ("your consent, which you may withdraw at any time", "a"),
    "contract": ("our contract with you, or steps you asked us to take before entering into one", "b"),
    "legal_obligation": ("a legal obligation we must comply with", "c"),
    "vital_interests": ("protecting your vital interests or those of another person", "d"),
    "public_task": ("a task carried out in the public interest or in the exercise of official authority", "e"),
    "legitimate_interests": ("our legitimate interests", "f"),
}

#: Each transfer safeguard in the subject's words (GDPR Chapter V; the UK's own instruments).
SAFEGUARD_WORDS = {
    "adequacy": "an adequacy decision: the country is recognised as protecting personal data adequately "
                "(Art. 45)",
    "scc": "standard data protection clauses in our contract with the recipient (Art. 46(2)(c))",
    "uk_idta": "the UK International Data Transfer Agreement or the UK Addendum to the standard clauses",
    "bcr": "binding corporate rules approved by a supervisory authority (Art. 47)",
    "derogation": "an exception for a specific situation (Art. 49)",
    "other": "other safeguards",
}


def transparency_lines(datamap: DataMap) -> list[str]:
    """The Art. 15 keys in plain words, for ``datamap check``."""
    lines = []
    if datamap.purposes:
        lines += ["", "purposes (Art. 15(1)(a)):"]
        lines += [f"  {key}: {p.description} — legal basis {LEGAL_BASIS_WORDS[p.legal_basis][0]} "
                  f"(Art. 6(1)({LEGAL_BASIS_WORDS[p.legal_basis][1]}))"
                  + (f": {p.interest}" if p.interest else "") for key, p in datamap.purposes]
    if datamap.recipients:
        lines += ["", "recipients (Art. 15(1)(c)):"]
        lines += [f"  {name}: {r.category}" + (f" — {r.description}" if r.description else "")
                  for name, r in datamap.recipients]
    if datamap.transfers is not None:
        lines += ["", "transfers outside the EU/UK:"]
        lines += [f"  to {t.to} in {t.country}: {SAFEGUARD_WORDS[t.safeguard]}"
                  + (f" — {t.details}" if t.details else "") for t in datamap.transfers] or ["  none"]
    if datamap.automated_decisions is not None:
        lines += ["", "automated decisions (Art. 22):"]
        lines += [f"  {d.description}{' (profiling)' if d.profiling else ''}: {d.logic}"
                  for d in datamap.automated_decisions] or ["  none"]
    return lines
