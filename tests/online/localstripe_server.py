"""Start localstripe on loopback only (``python localstripe_server.py PORT``): its own command
listens on every interface and saves its state to /tmp after each write; the tests want neither."""

import sys

from aiohttp import web
from localstripe import resources
from localstripe.server import app


def main() -> None:
    resources.store.dump_to_disk = lambda: None  # a fresh state per run, nothing left in /tmp
    web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None, access_log=None)


if __name__ == "__main__":
    main()
