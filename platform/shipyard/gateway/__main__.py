"""``python -m shipyard.gateway [--host H] [--port P] [--workers N]``: serve the data plane."""

from __future__ import annotations

import argparse
import logging

from shipyard.gateway.config import config


def main(argv: list[str] | None = None) -> int:
    import uvicorn

    cfg = config()
    parser = argparse.ArgumentParser(prog="python -m shipyard.gateway", description="Shipyard's serving gateway.")
    parser.add_argument("--host", default=cfg.host, help="address to listen on (default: $GATEWAY_HOST)")
    parser.add_argument("--port", type=int, default=cfg.port, help="port (default: $GATEWAY_PORT, 8001)")
    parser.add_argument("--workers", type=int, default=1, help="gateway processes behind the one port")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    uvicorn.run(
        "shipyard.gateway.app:app",
        host=args.host,
        port=args.port,
        workers=args.workers,
        loop="uvloop",
        http="httptools",
        lifespan="on",
        access_log=False,
        log_level="warning",
        backlog=4096,
        # Nothing here reads the client's address or scheme: no X-Forwarded-* middleware per request.
        proxy_headers=False,
        server_header=False,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
