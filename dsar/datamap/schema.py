"""marshmallow schemas that turn a parsed data-map document into model objects.

Each field's error message says what was wrong *and* what would be right, because the
person reading it is editing YAML, not Python. Unknown keys are errors (typos must not be
silently ignored), and every schema reports all of its problems at once.
"""
from __future__ import annotations

import difflib
import re
from datetime import date
from functools import lru_cache

from marshmallow import EXCLUDE, Schema, ValidationError, fields, post_load, validate, validates_schema
from sqlalchemy.engine import make_url

from dsar.datamap import model
from dsar.datamap.vocabularies import COUNTRY_CODES, DATA_CATEGORIES
from dsar.domain.ip_masking import parse_level
from dsar.errors import DsarError

_DURATION = re.compile(r"\s*(\d+)\s*(day|week|month|year)s?\s*", re.IGNORECASE)
DURATION_HINT = '(use e.g. "30 days", "12 months", "7 years")'
STRATEGY_HINT = "(use null, redact, hash, ip_level_1, ip_level_2 or ip_level_3)"
DEFAULT_REDACTION = "[redacted]"


def suggest(value: str, choices) -> str:
    """' (did you mean "x"?)' for close matches of ``value``, or an empty string."""
    close = difflib.get_close_matches(value, list(choices), n=3, cutoff=0.6)
    if not close:
        return ""
    return " (did you mean " + " or ".join(f'"{c}"' for c in close) + "?)"


def parse_duration(value) -> model.Duration:
    match = _DURATION.fullmatch(value) if isinstance(value, str) else None
    if not match or int(match.group(1)) <= 0:
        raise ValidationError(f'"{value}" is not a duration {DURATION_HINT}')
    return model.Duration(int(match.group(1)), match.group(2).lower() + "s")


@lru_cache(maxsize=1)
def data_categories() -> frozenset[str]:
    """The fideslang default taxonomy's data category keys (``user.contact.email`` …)."""
    from fideslang.default_taxonomy import DEFAULT_TAXONOMY

    return frozenset(category.fides_key for category in DEFAULT_TAXONOMY.data_category)


def is_data_category(value: str) -> bool:
    """Whether ``value`` is a fideslang data category key: the table first, fideslang only for others."""
    return value in DATA_CATEGORIES or value in data_categories()


def parse_strategy(value) -> model.ColumnStrategy:
    """One anonymize strategy: null | redact | {redact: text} | hash | ip_level_N."""
    if value is None or value == "null":
        return model.ColumnStrategy("null")
    if value == "redact":
        return model.ColumnStrategy("redact", text=DEFAULT_REDACTION)
    if value == "hash":
        return model.ColumnStrategy("hash")
    if isinstance(value, dict) and list(value) == ["redact"] and isinstance(value["redact"], str):
        return model.ColumnStrategy("redact", text=value["redact"])
    if isinstance(value, str) and value.startswith("ip_level_"):
        try:
            return model.ColumnStrategy("ip", level=parse_level(value))
        except DsarError:
            pass
    raise ValidationError(f'"{value}" is not an anonymize strategy {STRATEGY_HINT}')


class Duration(fields.Field):
    def _deserialize(self, value, attr, data, **kwargs):
        return parse_duration(value)


class Category(fields.Field):
    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str) or not is_data_category(value):
            hint = suggest(str(value), data_categories()) or ' (see the fideslang taxonomy, e.g. "user.contact.email")'
            raise ValidationError(f'"{value}" is not a fideslang data category{hint}')
        return value


class Strategy(fields.Field):
    # YAML's ``null`` arrives as None and names the "null" strategy: it must reach
    # parse_strategy instead of being refused as a missing value.
    def deserialize(self, value, attr=None, data=None, **kwargs):
        return parse_strategy(value)


class DatabaseUrl(fields.Field):
    def _deserialize(self, value, attr, data, **kwargs):
        # The value may hold a password: error messages never repeat it.
        hint = "(e.g. postgresql+psycopg://user:${DB_PASSWORD}@host/db or sqlite:///app.db)"
        if not isinstance(value, str):
            raise ValidationError(f"must be a database URL {hint}")
        try:
            make_url(value).get_dialect()
        except Exception:
            raise ValidationError(f"is not a database URL SQLAlchemy understands {hint}") from None
        return value


class LinkTarget(fields.Field):
    """``table.column`` or ``schema.table.column``."""

    def _deserialize(self, value, attr, data, **kwargs):
        parts = value.split(".") if isinstance(value, str) else []
        if len(parts) not in (2, 3) or not all(parts):
            raise ValidationError(f'"{value}" is not a link target (use other_table.column, e.g. accounts.id, '
                                  "or schema.table.column)")
        return ".".join(parts[:-1]), parts[-1]


class OneOrList(fields.Field):
    """One value of ``item`` or a non-empty list of them, always returned as a tuple."""

    def __init__(self, item: fields.Field, *, what: str, **kwargs):
        super().__init__(**kwargs)
        self.item = item
        self.what = what

    def _deserialize(self, value, attr, data, **kwargs):
        values = value if isinstance(value, list) else [value]
        if not values:
            raise ValidationError(f"must be {self.what} or a non-empty list of them")
        result, errors = [], {}
        for index, item in enumerate(values):
            try:
                result.append(self.item.deserialize(item))
            except ValidationError as error:
                errors[index] = error.messages
        if errors:
            raise ValidationError(errors if isinstance(value, list) else errors[0])
        if len(set(map(str, result))) != len(result):
            raise ValidationError(f"lists the same {self.what} twice")
        return tuple(result)


class ColumnName(fields.String):
    default_error_messages = {"invalid": "must be a column name (text)"}

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str) or not value.strip():
            raise ValidationError("must be a column name (text)")
        return value


class ColumnMap(fields.Field):
    """A mapping of names to values of ``value_field``, errors reported per key."""

    def __init__(self, value_field: fields.Field, *, keys: tuple[str, ...] | None = None,
                 allow_empty: bool = True, **kwargs):
        super().__init__(**kwargs)
        self.value_field = value_field
        self.keys = keys
        self.allow_empty = allow_empty

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, dict):
            raise ValidationError("must be a mapping of column: value")
        if not value and not self.allow_empty:
            raise ValidationError("must not be empty")
        result, errors = [], {}
        for key, item in value.items():
            if self.keys is not None and key not in self.keys:
                errors[key] = [f'"{key}" is not one of {", ".join(self.keys)}{suggest(str(key), self.keys)}']
                continue
            try:
                result.append((key, self.value_field.deserialize(item)))
            except ValidationError as error:
                errors[key] = error.messages
        if errors:
            raise ValidationError(errors)
        return tuple(result)


class Retention(fields.Field):
    """One retention rule or a list of them; errors keep the user's own nesting."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, dict):
            return (RetentionSchema().load(value),)
        if isinstance(value, list) and value:
            return tuple(RetentionSchema(many=True).load(value))
        raise ValidationError("must be a rule {after, from, action} or a list of rules")


class Erasure(fields.Field):
    """``delete`` | ``{anonymize: {column: strategy}}`` | ``{retain: {basis, until, from}}``."""

    def _deserialize(self, value, attr, data, **kwargs):
        if value == "delete" or value == {"delete": None}:
            return model.Delete()
        if not isinstance(value, dict) or len(value) != 1 or next(iter(value)) not in ("anonymize", "retain"):
            raise ValidationError(
                "must be delete, {anonymize: {column: strategy}} or {retain: {basis: ..., until: ..., from: ...}}")
        kind, body = next(iter(value.items()))
        try:
            if kind == "anonymize":
                return model.Anonymize(ColumnMap(Strategy(), allow_empty=False).deserialize(body))
            return RetainSchema().load(body if body is not None else {})
        except ValidationError as error:
            raise ValidationError({kind: error.messages}) from None


class Until(fields.Field):
    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(value)
        except (TypeError, ValueError):
            return parse_duration(value)


class ScopeValue(fields.Field):
    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            raise ValidationError("must be text or a whole number, e.g. \"42\"")
        return value


class StrictSchema(Schema):
    """Rejects unknown keys by name, with a suggestion, after checking the known ones."""

    class Meta:
        unknown = EXCLUDE

    @validates_schema(pass_original=True, skip_on_field_errors=False)
    def _no_unknown_keys(self, data, original, **kwargs):
        if not isinstance(original, dict):
            return
        known = [f.data_key or name for name, f in self.fields.items()]
        errors = {
            key: [f'unknown key "{key}"{suggest(str(key), known)}; allowed here: {", ".join(known)}']
            for key in original if key not in known
        }
        if errors:
            raise ValidationError(errors)


class RetentionSchema(StrictSchema):
    after = Duration(required=True)
    from_column = fields.String(required=True, data_key="from")
    action = fields.String(required=True, validate=validate.OneOf(
        ("delete", "anonymize_ip", "anonymize"), error="must be delete, anonymize_ip or anonymize"))
    column = fields.String()
    level = fields.Integer(strict=True, validate=validate.OneOf((1, 2, 3), error="must be 1, 2 or 3"))
    columns = ColumnMap(Strategy(), allow_empty=False)
    event = fields.String(validate=validate.Length(min=1))  # what ``from`` records, in words

    @validates_schema(skip_on_field_errors=True)
    def _action_needs(self, data, **kwargs):
        needed = {"delete": (), "anonymize_ip": ("column", "level"), "anonymize": ("columns",)}[data["action"]]
        errors = {key: [f'is required for action {data["action"]}'] for key in needed if key not in data}
        errors.update({key: [f'does not apply to action {data["action"]}']
                       for key in ("column", "level", "columns") if key not in needed and key in data})
        if errors:
            raise ValidationError(errors)

    @post_load
    def _make(self, data, **kwargs):
        return model.RetentionRule(**data)


class RetainSchema(StrictSchema):
    basis = fields.String(required=True, validate=validate.Length(min=1))
    until = Until()
    from_column = fields.String(data_key="from")
    event = fields.String(validate=validate.Length(min=1))  # what ``from`` records, in words

    @validates_schema(skip_on_field_errors=True)
    def _from_needs_until(self, data, **kwargs):
        if "from_column" in data and not isinstance(data.get("until"), model.Duration):
            raise ValidationError({"until": ["a period such as 7 years is required when from is given"]})
        if "event" in data and "from_column" not in data:
            raise ValidationError({"event": ["says in words what the from column records: give from as well"]})

    @post_load
    def _make(self, data, **kwargs):
        return model.Retain(**data)


_TABLE_NAME = re.compile(r"[A-Za-z_][\w$]*(\.[A-Za-z_][\w$]*)?")
_KIND = re.compile(r"[a-z][a-z0-9_]{0,39}")


class TableName(fields.String):
    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str) or not _TABLE_NAME.fullmatch(value):
            raise ValidationError(f'"{value}" is not a table name (use e.g. orders, or schema.table such as '
                                  "billing.invoices)")
        return value


class TableSchema(StrictSchema):
    name = TableName(required=True)
    primary_key = OneOrList(ColumnName(), what="column")
    # Kinds are checked against the built-in and the map's own identities (loader).
    identity = ColumnMap(OneOrList(ColumnName(), what="column"), allow_empty=False)
    link = ColumnMap(OneOrList(LinkTarget(), what="link target"), allow_empty=False)
    categories = ColumnMap(OneOrList(Category(), what="category"))
    erasure = Erasure()
    retention = Retention()
    provided_by_subject = fields.Boolean()
    shared = fields.Boolean()
    purposes = fields.List(fields.String())
    description = fields.String()
    origin = fields.String(validate=validate.Length(min=1))  # where the data comes from (Art. 14(2)(f))
    # Store names are checked against the map's stores (loader).
    files = ColumnMap(fields.String(), allow_empty=False)

    @post_load
    def _make(self, data, **kwargs):
        links = tuple(model.Link(column, *target) for column, targets in data.pop("link", ())
                      for target in targets)
        data["identity"] = tuple((kind, column) for kind, columns in data.get("identity", ()) for column in columns)
        data["categories"] = tuple((column, category) for column, categories in data.get("categories", ())
                                   for category in categories)
        data["key"] = tuple(data.pop("primary_key", ()))
        data.setdefault("provided_by_subject", bool(data["identity"]))
        data["purposes"] = tuple(data.get("purposes", ()))
        return model.Table(links=links, **data)


class IdentitySchema(StrictSchema):
    label = fields.String(required=True, validate=validate.Length(min=1, max=100))

    @post_load
    def _make(self, data, **kwargs):
        return model.Identity(**data)


class IdentityKind(fields.String):
    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str) or not _KIND.fullmatch(value):
            raise ValidationError(f'"{value}" is not an identity name (lower-case letters, digits and _, '
                                  "e.g. loyalty_id)")
        if value in model.IDENTITY_TYPES:
            raise ValidationError(f'"{value}" is built in; declare only the organisation\'s own kinds here')
        return value


class ScopeSchema(StrictSchema):
    column = fields.String(required=True)
    value = ScopeValue(required=True)

    @post_load
    def _make(self, data, **kwargs):
        return model.Scope(**data)


class SourceSchema(StrictSchema):
    name = fields.String(required=True)
    url = DatabaseUrl(required=True)
    scope = fields.Nested(ScopeSchema)
    tables = fields.List(fields.Nested(TableSchema), required=True, validate=validate.Length(min=1))
    recipients = fields.List(fields.String())
    description = fields.String()

    @post_load
    def _make(self, data, **kwargs):
        data["tables"] = tuple(data["tables"])
        data["recipients"] = tuple(data.get("recipients", ()))
        return model.Source(**data)


class Choice(fields.String):
    """One word of ``choices``, refused with a suggestion and the full list."""

    def __init__(self, choices: tuple[str, ...], *, what: str, **kwargs):
        super().__init__(**kwargs)
        self.choices = choices
        self.what = what

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str) or value not in self.choices:
            raise ValidationError(f'"{value}" is not a {self.what}{suggest(str(value), self.choices)}; '
                                  f'use one of {", ".join(self.choices)}')
        return value


class Country(fields.String):
    """An ISO 3166-1 alpha-2 country code (``US``, ``IN``), upper-cased."""

    _NOT_COUNTRIES = frozenset({"EU", "EZ", "UN", "ZZ", "QO", "XA", "XB"})

    def _deserialize(self, value, attr, data, **kwargs):
        code = value.strip().upper() if isinstance(value, str) else ""
        if len(code) != 2 or code in self._NOT_COUNTRIES or not is_country_code(code):
            raise ValidationError(f'"{value}" is not an ISO 3166 country code (e.g. US, IN, CH)')
        return code


@lru_cache(maxsize=1)
def country_names() -> dict[str, str]:
    """ISO country code -> its English name (from Babel's CLDR data)."""
    from babel import Locale

    return {code: name for code, name in Locale("en").territories.items() if len(code) == 2 and code.isalpha()}


def is_country_code(code: str) -> bool:
    """Whether ``code`` is one of Babel's two-letter territories: the table first, Babel only for others."""
    return code in COUNTRY_CODES or code in country_names()


_TEXT = {"validate": validate.Length(min=1)}


class PurposeKey(fields.String):
    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str) or not _KIND.fullmatch(value):
            raise ValidationError(f'"{value}" is not a purpose name (lower-case letters, digits and _, '
                                  "e.g. billing); tables name it in their purposes")
        return value


class PurposeSchema(StrictSchema):
    description = fields.String(required=True, **_TEXT)
    legal_basis = Choice(model.LEGAL_BASES, what="legal basis (Art. 6(1))", required=True)
    interest = fields.String(**_TEXT)

    @validates_schema(skip_on_field_errors=True)
    def _interest_for_legitimate_interests(self, data, **kwargs):
        if data["legal_basis"] == "legitimate_interests" and "interest" not in data:
            raise ValidationError({"interest": ["is required for legitimate_interests: the interest pursued, "
                                                "in words (the subject is told it)"]})
        if data["legal_basis"] != "legitimate_interests" and "interest" in data:
            raise ValidationError({"interest": ["applies only to legal_basis legitimate_interests"]})

    @post_load
    def _make(self, data, **kwargs):
        return model.Purpose(**data)


class RecipientName(fields.String):
    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str) or not value.strip() or len(value) > 100:
            raise ValidationError(f'"{value}" is not a recipient name (text of 1 to 100 characters, e.g. Stripe)')
        return value


class RecipientSchema(StrictSchema):
    category = fields.String(required=True, **_TEXT)  # "Payment processor": Art. 15(1)(c)
    description = fields.String(**_TEXT)

    @post_load
    def _make(self, data, **kwargs):
        return model.Recipient(**data)


class TransferSchema(StrictSchema):
    to = fields.String(required=True, **_TEXT)
    country = Country(required=True)
    safeguard = Choice(model.SAFEGUARDS, what="transfer safeguard", required=True)
    details = fields.String(**_TEXT)

    @validates_schema(skip_on_field_errors=True)
    def _details_for_exceptions(self, data, **kwargs):
        if data["safeguard"] in ("derogation", "other") and "details" not in data:
            raise ValidationError({"details": [f'is required for safeguard {data["safeguard"]}: say in words '
                                               "what protects the data (the subject is told it)"]})

    @post_load
    def _make(self, data, **kwargs):
        return model.Transfer(**data)


class AutomatedDecisionSchema(StrictSchema):
    description = fields.String(required=True, **_TEXT)
    logic = fields.String(required=True, **_TEXT)  # meaningful information about the logic involved
    consequences = fields.String(required=True, **_TEXT)  # significance and envisaged consequences
    profiling = fields.Boolean()

    @post_load
    def _make(self, data, **kwargs):
        return model.AutomatedDecision(**data)
_BUCKET = re.compile(r"[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9]")
STORE_URL_HINT = "(use s3://bucket/prefix or file:///absolute/path)"


class StoreUrl(fields.Field):
    """``s3://bucket[/prefix]`` or ``file:///absolute/path``: the stores dsar can reach."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str) or "://" not in value:
            raise ValidationError(f"must be a file store URL {STORE_URL_HINT}")
        scheme, rest = value.split("://", 1)
        if scheme == "file":
            if not rest.startswith("/") or ".." in rest.split("/"):
                raise ValidationError(f'"{value}" is not an absolute file:// path {STORE_URL_HINT}')
        elif scheme == "s3":
            bucket = rest.split("/", 1)[0]
            if not _BUCKET.fullmatch(bucket) or ".." in rest.split("/"):
                raise ValidationError(f'"{value}" does not name an S3 bucket (3-63 lower-case letters, digits, '
                                      f"dots or dashes) {STORE_URL_HINT}")
        else:
            raise ValidationError(f'"{scheme}" is not a file store dsar supports {STORE_URL_HINT}')
        return value.rstrip("/")


class StoreOptions(fields.Field):
    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, dict):
            raise ValidationError("must be a mapping of fsspec storage options (e.g. {endpoint_url: ..., "
                                  "key: ${S3_KEY}, secret: ${S3_SECRET}})")
        bad = [key for key in value if not isinstance(key, str)]
        if bad:
            raise ValidationError(f"option names must be text, not {bad[0]!r}")
        return tuple(value.items())


class StoreSchema(StrictSchema):
    name = fields.String(required=True, validate=validate.Regexp(
        r"^[A-Za-z0-9_][A-Za-z0-9_-]{0,63}$", error="must be a store name (letters, digits, _ and -)"))
    url = StoreUrl(required=True)
    options = StoreOptions()
    description = fields.String()

    @post_load
    def _make(self, data, **kwargs):
        data.pop("description", None)
        return model.Store(**data)


class DataMapSchema(StrictSchema):
    tenant = fields.String(required=True)
    sources = fields.List(fields.Nested(SourceSchema), required=True, validate=validate.Length(min=1))
    identities = fields.Dict(keys=IdentityKind(), values=fields.Nested(IdentitySchema))
    stores = fields.List(fields.Nested(StoreSchema))
    description = fields.String()
    # The Art. 15 answer (the cover letter); cross-references are checked in transparency.py.
    purposes = fields.Dict(keys=PurposeKey(), values=fields.Nested(PurposeSchema))
    recipients = fields.Dict(keys=RecipientName(), values=fields.Nested(RecipientSchema))
    transfers = fields.List(fields.Nested(TransferSchema))
    automated_decisions = fields.List(fields.Nested(AutomatedDecisionSchema))

    @post_load
    def _make(self, data, **kwargs):
        transfers, decisions = data.get("transfers"), data.get("automated_decisions")
        return model.DataMap(tenant=data["tenant"], sources=tuple(data["sources"]),
                             description=data.get("description"),
                             identities=tuple(data.get("identities", {}).items()),
                             purposes=tuple(data.get("purposes", {}).items()),
                             recipients=tuple(data.get("recipients", {}).items()),
                             transfers=None if transfers is None else tuple(transfers),
                             automated_decisions=None if decisions is None else tuple(decisions),
                             stores=tuple(data.get("stores", ())))
