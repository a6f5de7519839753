"""``commentdesk serve [--host H] [--port P]``: serve the site with waitress."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser


def url_host(host: str) -> str:
    """``host`` as a browser on this machine reaches it in a URL: a wildcard address
    (all interfaces) is 127.0.0.1, an IPv6 address is bracketed.

    >>> url_host("0.0.0.0"), url_host("::1"), url_host("example.org")
    ('127.0.0.1', '[::1]', 'example.org')
    """
    if host in ("", "0.0.0.0", "::"):
        return "127.0.0.1"
    return f"[{host}]" if ":" in host else host


class Command(BaseCommand):
    help = "Serve commentdesk over HTTP with waitress (a production WSGI server)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--threads", type=int, default=8)

    def handle(self, *args: Any, **options: Any) -> None:
        from django.conf import settings
        from waitress.server import create_server

        from commentdesk.wsgi import application

        host, port = options["host"], options["port"]
        try:
            # waitress drops X-Forwarded-For from proxies it was not told of; with
            # COMMENTS_TRUST_X_FORWARDED_FOR on (behind your own proxy) the header must
            # reach commentdesk.lib.iphash.client_ip, which takes its last hop.
            server = create_server(application, host=host, port=port, threads=options["threads"], ident="commentdesk",
                                   clear_untrusted_proxy_headers=not settings.COMMENTS_TRUST_X_FORWARDED_FOR)
        except OSError as exc:
            raise CommandError(f"Cannot listen on {host}:{port} ({exc.strerror}); choose another with --port") from exc
        self.stdout.write(f"commentdesk serving on http://{url_host(host)}:{port}/ (Ctrl+C stops)")
        self.stdout.flush()
        try:
            server.run()
        except KeyboardInterrupt:
            self.stdout.write("stopped")
