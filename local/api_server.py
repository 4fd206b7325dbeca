"""The local API: the real Chalice app behind Chalice's own local gateway, on a threaded server.

``chalice local`` listens with a backlog of 5 and starts answering before the tables exist. This
server keeps Chalice's ``LocalGateway`` and request handler (routes, authorizer, event shape are
Chalice's), but listens with a backlog of ``BACKLOG`` and serves one thread per connection, and
until the stack is ready (``--ready-file`` exists: tables, queues and seed are in place) it
answers every request ``503`` with ``Retry-After``, never a 500 from a missing table.

Run by ``local.run``: ``python -m local.api_server --port 8000 --ready-file .local/api-ready``.
"""
from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
from http.server import HTTPServer
from pathlib import Path
from socketserver import ThreadingMixIn
from typing import Any

from chalice.local import ChaliceRequestHandler, CustomLocalChalice, LocalChalice, LocalDevServer

from .settings import ROOT, STAGE

BACKLOG = 128  # pending connections the kernel queues before refusing (HTTPServer's default is 5)
RETRY_AFTER_SECONDS = 1


class ApiServer(ThreadingMixIn, HTTPServer):
    """One daemon thread per connection; ``request_queue_size`` is what ``listen()`` is given."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = BACKLOG
    ready_file: Path | None = None
    _ready = False

    def is_ready(self) -> bool:
        if not self._ready:
            self._ready = self.ready_file is None or self.ready_file.exists()
        return self._ready


class GatedRequestHandler(ChaliceRequestHandler):
    """Chalice's handler, answering 503 until the server is ready."""

    server: ApiServer

    def _gated_handle(self) -> None:
        if self.server.is_ready():
            self._generic_handle()
            return
        self._parse_payload()  # read the body, so the kept-alive connection stays in step
        body = json.dumps({"error": {"code": "starting", "message": "The local stack is still starting; retry shortly."}})
        self._send_http_response(503, {"Content-Type": "application/json", "Retry-After": str(RETRY_AFTER_SECONDS)}, body)

    do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = do_PATCH = do_OPTIONS = _gated_handle


def make_server(host: str, port: int, ready_file: Path | None) -> LocalDevServer:
    """As ``chalice local --stage local`` builds its server, with our server and handler classes."""
    from chalice.cli.factory import CLIFactory

    config = CLIFactory(project_dir=str(ROOT)).create_config_obj(chalice_stage_name=STAGE)
    app: Any = config.chalice_app
    CustomLocalChalice.__bases__ = (LocalChalice, app.__class__)  # thread-local current_request, as chalice local
    app.__class__ = CustomLocalChalice
    server = LocalDevServer(app, config, host, port, handler_cls=GatedRequestHandler, server_cls=ApiServer)
    assert isinstance(server.server, ApiServer)
    server.server.ready_file = ready_file
    return server


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--ready-file", type=Path, help="serve only once this file exists (503 until then)")
    args = parser.parse_args()
    logging.basicConfig(stream=sys.stdout, level=logging.INFO, format="%(message)s")  # as chalice local does

    def stop(*_: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    server = make_server(args.host, args.port, args.ready_file)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server.server_close()


if __name__ == "__main__":
    main()
