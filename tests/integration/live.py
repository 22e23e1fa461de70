"""The real app under uvicorn on a free loopback port, in a thread, that a test can stop and
start again over the same data folder (a server restart)."""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass

import uvicorn

from lawtrail.bootstrap import Container
from lawtrail.web.app import create_app


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Live:
    """One running server; ``stop()`` ends it (the container stays open for the caller)."""

    url: str
    server: uvicorn.Server
    thread: threading.Thread

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=15)
        assert not self.thread.is_alive(), "the live server did not stop"


def serve(container: Container) -> Live:
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(container, checkpoint_interval=None), host="127.0.0.1",
                                           port=port, log_level="warning", access_log=False, lifespan="off"))
    thread = threading.Thread(target=server.run, name=f"lawtrail-live-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the live server did not start")
        time.sleep(0.02)
    return Live(f"http://127.0.0.1:{port}", server, thread)
