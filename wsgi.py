"""WSGI entry point for gunicorn: `gunicorn wsgi:app`."""
from dsar import create_app

app = create_app()
