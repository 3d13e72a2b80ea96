"""WSGI entry point for gunicorn: `gunicorn wsgi:app`."""
import sys

from dsar import create_app
from dsar.errors import DsarError

try:
    app = create_app()
except DsarError as error:
    # One clear line, not a traceback per worker; exit code 3 is gunicorn's "worker cannot
    # boot", on which the arbiter stops instead of restarting workers forever.
    print(f"dsar: error: {error.message}", file=sys.stderr)
    raise SystemExit(3) from None
