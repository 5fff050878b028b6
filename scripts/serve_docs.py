"""Serve the dbt docs site, and nothing else, on 127.0.0.1 (the last step of `make docs`).

`dbt docs serve` serves the whole target folder (the DuckDB file, compiled SQL, run results)
to anyone who can reach the port. This serves exactly one file, the self-contained page
`dbt docs generate --static` writes (`make docs`: target/docs/static_index.html), at `/` and
`/index.html`; every other path is a 404. The page is read on every request, so a regenerated
site shows on reload.

    python scripts/serve_docs.py [--file target/docs/static_index.html] [--port 8080]

`--port 0` picks a free port. The first line printed is the URL being served.
"""

from __future__ import annotations

import argparse
import sys
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

HOST = "127.0.0.1"
PATHS = frozenset({"/", "/index.html"})
# The page is one file with inline scripts, styles and data: it needs nothing from anywhere
# else, so the browser is told to load nothing from anywhere else either.
CONTENT_SECURITY_POLICY = (
    "default-src 'self' 'unsafe-inline' 'unsafe-eval' data: blob:; "
    "connect-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'"
)


def make_handler(page: Path) -> type[BaseHTTPRequestHandler]:
    class DocsHandler(BaseHTTPRequestHandler):
        server_version = "dbt-docs"
        sys_version = ""

        def do_GET(self) -> None:
            self._respond(include_body=True)

        def do_HEAD(self) -> None:
            self._respond(include_body=False)

        def _respond(self, include_body: bool) -> None:
            if urlsplit(self.path).path not in PATHS:
                self.send_error(HTTPStatus.NOT_FOUND)
                return
            try:
                body = page.read_bytes()
            except OSError:
                self.send_error(HTTPStatus.NOT_FOUND, f"{page} not found: run `make docs`")
                return
            self.send_response(HTTPStatus.OK)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.send_header("Content-Security-Policy", CONTENT_SECURITY_POLICY)
            self.send_header("X-Content-Type-Options", "nosniff")
            self.send_header("Referrer-Policy", "no-referrer")
            self.end_headers()
            if include_body:
                self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            sys.stderr.write(f"{self.address_string()} {format % args}\n")

    return DocsHandler


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--file", type=Path, default=Path("target/docs/static_index.html"))
    parser.add_argument("--port", type=int, default=8080)
    args = parser.parse_args(argv)
    if not args.file.is_file():
        print(
            f"{args.file} not found: run `make docs` (dbt docs generate --static).", file=sys.stderr
        )
        return 2
    server = ThreadingHTTPServer((HOST, args.port), make_handler(args.file.resolve()))
    print(f"http://{HOST}:{server.server_address[1]}/", flush=True)
    print(f"Serving only {args.file} (Ctrl-C stops).", file=sys.stderr, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
