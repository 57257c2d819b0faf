#!/usr/bin/env python3
"""Serves the web demo on a local address: the page, MediaPipe Tasks for Web from npm, and a bundle.

    python web_demo/serve.py                                  # http://127.0.0.1:8000/, the demo bundle
    python web_demo/serve.py runs/export/sst2-int8 --port 0   # another bundle, a free port
    python web_demo/serve.py --host 0.0.0.0                   # reachable from a phone on the same network

The page is static (`web_demo/page/`); this server only lays files out under fixed URL paths, and
the page's URLs are relative, so any static server with the same layout serves a working demo:

    /             web_demo/page/                          index.html, app.js, style.css
    /mediapipe/   web_demo/node_modules/@mediapipe/tasks-text/   text_bundle.mjs, wasm/*.js, wasm/*.wasm
    /bundle/      the bundle directory                    model.tflite, vocab.txt, labels.txt, bundle.json

The WebAssembly files come from the npm package (`npm ci --prefix web_demo`), not from a CDN, so the
demo works on a network without internet access. Standard library only; it lives beside the page
rather than in the `fnet_keras` package because it serves files that exist only in a checkout of
the repository (the page and `node_modules`), never in an installed package.
"""

from __future__ import annotations

import argparse
import errno
import http.server
import socket
import sys
import urllib.parse
from pathlib import Path

WEB_DEMO = Path(__file__).resolve().parent
PAGE_DIR = WEB_DEMO / "page"
MEDIAPIPE_DIR = WEB_DEMO / "node_modules" / "@mediapipe" / "tasks-text"
DEFAULT_BUNDLE = WEB_DEMO.parent / "fnet_keras" / "demo" / "sst2"
BUNDLE_MODEL = "model.tflite"
DEFAULT_PORT = 8000

# Browsers compile WebAssembly while it streams only with application/wasm, and load module
# scripts only with a JavaScript type; mimetypes' tables vary by platform, so the types are fixed here.
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".wasm": "application/wasm",
    ".tflite": "application/octet-stream",
    ".txt": "text/plain; charset=utf-8",
    ".map": "application/json",
}
HEADERS = {
    # A re-exported bundle must show up on reload, not a cached model.
    "Cache-Control": "no-cache",
    "X-Content-Type-Options": "nosniff",
    # Cross-origin isolation (everything is same-origin): performance.now() then has 5 µs resolution
    # instead of 100 µs in secure contexts (localhost), which the inference time needs.
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Embedder-Policy": "require-corp",
}


class ServeError(Exception):
    """A problem the user can fix (a missing directory or package, a busy port), said in one line."""


def routes(bundle_dir: Path) -> list[tuple[str, Path]]:
    """URL prefix -> directory, longest prefix first."""
    return [("/mediapipe/", MEDIAPIPE_DIR), ("/bundle/", bundle_dir), ("/", PAGE_DIR)]


def check_directories(bundle_dir: Path, default_bundle: bool) -> None:
    """Raises ServeError, saying how to fix it, when something the page loads is missing."""
    if not (PAGE_DIR / "index.html").is_file():
        raise ServeError(f"the page is missing: {PAGE_DIR / 'index.html'}")
    if not (MEDIAPIPE_DIR / "text_bundle.mjs").is_file() or not (MEDIAPIPE_DIR / "wasm").is_dir():
        raise ServeError(
            f"MediaPipe Tasks for Web is not installed in {MEDIAPIPE_DIR}: run `npm ci --prefix {WEB_DEMO}` "
            f"(`make web-demo` does)"
        )
    if not bundle_dir.is_dir():
        hint = " (the demo bundle is made by `make demo-model`)" if default_bundle else ""
        raise ServeError(f"bundle directory {bundle_dir} does not exist{hint}")
    if not (bundle_dir / BUNDLE_MODEL).is_file():
        raise ServeError(f"{bundle_dir} is not a bundle: it has no {BUNDLE_MODEL}")


def resolve(url_path: str, table: list[tuple[str, Path]]) -> Path | None:
    """The file a URL path names, or None (unknown, outside its directory, or a directory without index)."""
    path = urllib.parse.unquote(urllib.parse.urlsplit(url_path).path)
    for prefix, root in table:
        if not path.startswith(prefix):
            continue
        parts = path[len(prefix) :].split("/")
        if any(part in ("..", ".") or "\\" in part or "\0" in part for part in parts):
            return None
        root = root.resolve()
        candidate = root.joinpath(*[part for part in parts if part]).resolve()
        if candidate != root and root not in candidate.parents:
            return None  # a symbolic link out of the served directory
        if candidate.is_dir():
            candidate = candidate / "index.html"
        return candidate if candidate.is_file() else None
    return None


def make_handler(table: list[tuple[str, Path]]) -> type[http.server.BaseHTTPRequestHandler]:
    class DemoHandler(http.server.BaseHTTPRequestHandler):
        server_version = "fnet-keras-web-demo"

        def do_GET(self):
            self._send(body=True)

        def do_HEAD(self):
            self._send(body=False)

        def _send(self, body: bool) -> None:
            file = resolve(self.path, table)
            if file is None:
                self.send_error(404, "Not found")
                return
            try:
                data = file.read_bytes()
            except OSError as error:
                self.send_error(500, f"cannot read {file.name}: {error.strerror}")
                return
            self.send_response(200)
            content_type = CONTENT_TYPES.get(file.suffix.lower(), "application/octet-stream")
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            for name, value in HEADERS.items():
                self.send_header(name, value)
            self.end_headers()
            if body:
                self.wfile.write(data)

    return DemoHandler


def make_server(host: str, port: int, bundle_dir: Path) -> http.server.ThreadingHTTPServer:
    """A bound server (port 0 picks a free one); raises ServeError if the address cannot be used."""

    class Server(http.server.ThreadingHTTPServer):
        address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        daemon_threads = True

    try:
        return Server((host, port), make_handler(routes(bundle_dir)))
    except OSError as error:
        if error.errno == errno.EADDRINUSE or "in use" in str(error):
            raise ServeError(
                f"port {port} is in use on {host}: choose another with --port (0 picks a free one)"
            ) from None
        raise ServeError(f"cannot listen on {host}:{port}: {error.strerror or error}") from None


def page_urls(host: str, port: int) -> list[str]:
    """Where the page can be opened: the address itself, or this machine's addresses for 0.0.0.0 / ::."""
    if host in ("0.0.0.0", "::", ""):
        hosts = ["127.0.0.1", *local_addresses()]
    else:
        hosts = [host]
    return [f"http://{f'[{name}]' if ':' in name else name}:{port}/" for name in dict.fromkeys(hosts)]


def local_addresses() -> list[str]:
    """This machine's IPv4 addresses other than loopback, as far as the standard library can tell."""
    addresses = []
    try:  # the interface of the default route; connecting a UDP socket sends nothing
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(("10.255.255.255", 1))
            addresses.append(probe.getsockname()[0])
    except OSError:
        pass
    try:
        for info in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET):
            addresses.append(info[4][0])
    except OSError:
        pass
    return [address for address in dict.fromkeys(addresses) if not address.startswith("127.")]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "bundle",
        nargs="?",
        type=Path,
        default=None,
        help=f"bundle directory to serve under /bundle/ (default: the demo bundle, {DEFAULT_BUNDLE})",
    )
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default 127.0.0.1: this machine only; 0.0.0.0: reachable from "
        "other devices on the network, e.g. a phone)",
    )
    parser.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT}; 0 picks a free one)"
    )


def run(args: argparse.Namespace) -> int:
    bundle_dir = (args.bundle or DEFAULT_BUNDLE).resolve()
    try:
        if not 0 <= args.port <= 65535:
            raise ServeError(f"--port {args.port} is not a port number (0 to 65535)")
        check_directories(bundle_dir, default_bundle=args.bundle is None)
        server = make_server(args.host, args.port, bundle_dir)
    except ServeError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    port = server.server_address[1]
    print(f"Serving the web demo with the bundle {bundle_dir}; open", flush=True)
    for url in page_urls(args.host, port):
        print(f"  {url}", flush=True)
    if args.host == "127.0.0.1":
        print("(this machine only; --host 0.0.0.0 to reach it from a phone on the same network)", flush=True)
    print("Press Ctrl+C to stop.", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="web_demo/serve.py", description=__doc__.split("\n\n")[0])
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
