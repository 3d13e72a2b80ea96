"""The WSGI app gunicorn serves in the intake benchmark: dsar plus one bare route."""
from flask import jsonify

from dsar import create_app
from dsar.extensions import csrf

app = create_app({"RATELIMIT_ENABLED": False})


@app.post("/bench/bare")
@csrf.exempt
def bare():
    return jsonify({"reference": "bare"}), 202
