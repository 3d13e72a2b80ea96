"""The response class of every page and API answer."""
from __future__ import annotations

from flask.wrappers import Response


class DsarResponse(Response):
    """Text that cannot be encoded (a lone surrogate stored before input was checked, or read
    from a customer database) becomes "?" in the answer instead of a 500 for every reader."""

    def set_data(self, value) -> None:
        super().set_data(value.encode("utf-8", "replace") if isinstance(value, str) else value)

    def iter_encoded(self):  # streamed answers (CSV): the same, item by item
        # A generator expression takes ``self.response`` now, as werkzeug's own does.
        return (item.encode("utf-8", "replace") if isinstance(item, str) else item for item in self.response)
