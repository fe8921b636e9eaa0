#!/usr/bin/env python3
"""The OAuth client's redirect URI: a tiny HTTP listener on loopback for scripts/check-oauth.sh.

    python3 callback.py PORT RECORD_FILE

Listens on 127.0.0.1:PORT. Every GET /callback appends its raw query string as one line to
RECORD_FILE (written and flushed before the answer is sent, so whoever sees the page load can
read the line) and answers a small HTML page. Any other path answers 404 and is not recorded.
Runs until it is sent SIGTERM or SIGINT. Standard library only.
"""

from __future__ import annotations

import html
import signal
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>OAuth callback</title></head>
<body><h1>Callback received</h1><p>{summary}</p></body></html>
"""


def main() -> int:
    if len(sys.argv) != 3:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    port, record = int(sys.argv[1]), sys.argv[2]
    open(record, "a").close()  # exists from the start: "nothing received" reads as empty

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            url = urlsplit(self.path)
            if url.path != "/callback":
                self.send_error(404)
                return
            with open(record, "a", encoding="utf-8") as out:
                out.write(url.query + "\n")
                out.flush()
            params = parse_qs(url.query)
            if "error" in params:
                summary = f"Authorization refused: {params['error'][0]}"
            elif "code" in params:
                summary = "Authorization code received."
            else:
                summary = "No code and no error in the query."
            body = PAGE.format(summary=html.escape(summary)).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            # Query strings hold authorization codes: log the path only.
            sys.stderr.write(f"callback listener: {self.command} {urlsplit(self.path).path}\n")

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)

    def stop(*_: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
