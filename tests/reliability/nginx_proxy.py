"""A real Debian nginx on loopback, in front of an app served by werkzeug in a thread.

Two listeners: one plain (as a proxy that received HTTP), one that tells the app the client
came over HTTPS (X-Forwarded-Proto: https, as nginx does when it terminates TLS). Both pass
the client address in X-Forwarded-For the way production configurations do
(``$proxy_add_x_forwarded_for``: whatever the client sent, then the address nginx saw).
A missing nginx fails the run: `make test` installs Debian's package.
"""
from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path

NGINX_CANDIDATES = ("nginx", "/usr/sbin/nginx")

CONFIG = """
worker_processes 1;
daemon off;
master_process off;
pid {base}/nginx.pid;
error_log {base}/error.log warn;
events {{ worker_connections 256; }}
http {{
  access_log off;
  client_body_temp_path {base}/body;
  proxy_temp_path {base}/proxy;
  fastcgi_temp_path {base}/fastcgi;
  uwsgi_temp_path {base}/uwsgi;
  scgi_temp_path {base}/scgi;
  server {{
    listen 127.0.0.1:{http_port};
    location / {{
      proxy_pass http://127.0.0.1:{app_port};
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
    }}
  }}
  server {{
    listen 127.0.0.1:{https_port};
    location / {{
      proxy_pass http://127.0.0.1:{app_port};
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto https;
    }}
  }}
}}
"""


def nginx_binary() -> str:
    for candidate in NGINX_CANDIDATES:
        found = shutil.which(candidate)
        if found:
            return found
    raise RuntimeError("nginx is missing: `make test` installs Debian's nginx package (apt-get install nginx)")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for(port: int, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"nginx exited: {log.read_text() if log.exists() else '(no log)'}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("nginx did not start listening within 20 s")


class NginxInFront:
    """``start(app)`` serves ``app`` on loopback and nginx before it; ``stop()`` ends both."""

    def __init__(self):
        self.base = Path(tempfile.mkdtemp(prefix="dsar-nginx-"))
        self.http_port, self.https_port = free_port(), free_port()
        self._process = self._server = None

    def start(self, app) -> "NginxInFront":
        from werkzeug.serving import make_server

        self._server = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        self.app_port = self._server.server_port
        config = self.base / "nginx.conf"
        config.write_text(CONFIG.format(base=self.base, http_port=self.http_port, https_port=self.https_port,
                                        app_port=self.app_port))
        self._process = subprocess.Popen([nginx_binary(), "-c", str(config), "-p", str(self.base),
                                          "-e", str(self.base / "error.log")],
                                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        _wait_for(self.http_port, self._process, self.base / "error.log")
        _wait_for(self.https_port, self._process, self.base / "error.log")
        return self

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.wait(timeout=20)
        if self._server is not None:
            self._server.shutdown()
        shutil.rmtree(self.base, ignore_errors=True)
