"""daphne with the Bürgerchat's request body limits enforced while the body arrives.

daphne (on twisted.web) reads a whole request body, into memory or a temporary file,
before it calls the ASGI application: the ``BodySizeLimit`` middleware
(``realtime.body_limit``) sees an oversized body only after it was received in full.
daphne has no setting for a body limit (its ``--websocket-max-message-size`` is for
WebSocket messages only), so this entry point runs daphne with a request class that
applies the same limits (``body_limit(path)``: ``MAX_UPLOAD_BYTES`` plus multipart
overhead for the upload endpoints, ``MAX_REQUEST_BYTES`` for the other Bürgerchat URLs)
inside twisted's parser:

- a ``Content-Length`` over the limit is answered with 413 as soon as the headers are
  complete, before a byte of the body is read (and without "100 Continue");
- a body without one (chunked) is counted as it is decoded and answered with 413 the
  moment it passes the limit; nothing of it reaches the application.

After the 413 (the middleware's JSON error, ``Connection: close``) the server closes
its side of the connection (the client reads the answer and the end of it), reads
nothing more, and drops the connection ``LINGER_SECONDS`` later. Every other request is daphne's, unchanged.

Run it like daphne, with the same arguments::

    buergerchat_daphne -b 127.0.0.1 -p 8001 demo_site.asgi:application
    python -m buergerchat_wagtail.realtime.daphne_guard -b 127.0.0.1 -p 8001 demo_site.asgi:application

It relies on twisted.web's ``HTTPChannel`` calling ``Request.gotLength`` after the
headers and ``Request.handleContentChunk`` for each decoded body part (stable since
Twisted 16), and on ``HTTPChannel._path`` holding the request target until the body is
complete; tests/e2e/test_body_limits.py checks the behaviour against a real server.
"""

import gc
import logging
import sys
from urllib.parse import unquote, urlsplit

from daphne.cli import CommandLineInterface
from daphne.http_protocol import HTTPFactory, WebRequest
from daphne.server import Server

logger = logging.getLogger(__name__)

#: Seconds a refused connection stays open (half-closed, not read) after the 413.
LINGER_SECONDS = 1.0


def _request_path(target, root_path=""):
    """The path of a raw HTTP request target (origin or absolute form), or ``None``."""
    try:
        text = target.decode("ascii")
    except (AttributeError, UnicodeDecodeError):
        return None
    if not text.startswith("/"):
        text = urlsplit(text).path or "/"
    path = unquote(text.split("?", 1)[0])
    if root_path and path.startswith(root_path):
        path = path[len(root_path):] or "/"
    return path


class BodyLimitedRequest(WebRequest):
    """daphne's request, refusing bodies over the Bürgerchat's limits as they arrive."""

    _body_limit = None
    _body_received = 0
    body_refused = False

    def gotLength(self, length):
        # Imported here: the module is the server's entry point, loaded before the ASGI
        # application (demo_site.asgi) has set Django up; requests come after it did.
        from .body_limit import body_limit

        path = _request_path(getattr(self.channel, "_path", None), self.channel.factory.server.root_path)
        try:
            self._body_limit = body_limit(path) if path is not None else None
        except Exception:  # noqa: BLE001  (an unexpected path leaves the decision to daphne and Django)
            logger.exception("No body limit for %r", path)
            self._body_limit = None
        if self._body_limit is not None and length is not None and length > self._body_limit:
            # No "100 Continue" for a body that will not be read.
            self.requestHeaders.removeHeader(b"Expect")
            self.refuse_body()
            return
        super().gotLength(length)

    def handleContentChunk(self, data):
        if self.body_refused:
            return
        self._body_received += len(data)
        if self._body_limit is not None and self._body_received > self._body_limit:
            self.refuse_body()
            return
        super().handleContentChunk(data)

    def requestReceived(self, command, path, version):
        if self.body_refused:  # the rest of a refused body arrived in the same read
            return
        super().requestReceived(command, path, version)

    def refuse_body(self):
        """Answer 413 at once, close our side, read no more, drop the connection soon after."""
        self.body_refused = True
        channel = self.channel
        transport = channel.transport
        from .body_limit import _too_large  # after Django's set-up, see gotLength

        body = _too_large(self._body_limit)
        transport.write(
            b"HTTP/1.1 413 Content Too Large\r\n"
            b"Content-Type: application/json\r\n"
            b"Content-Length: %d\r\n"
            b"Cache-Control: no-store\r\n"
            b"Connection: close\r\n\r\n%s" % (len(body), body)
        )
        channel.persistent = False
        channel.setTimeout(None)

        def ignore(data):
            return None

        channel.dataReceived = ignore
        channel.rawDataReceived = ignore
        channel.lineReceived = ignore
        # Read no more: what the client still sends stays in the kernel's buffers.
        transport.pauseProducing()
        # No client address in the log (docs/data-protection.md).
        logger.info("413: request body over %d bytes refused while arriving", self._body_limit)
        try:
            transport.loseWriteConnection()
        except (AttributeError, NotImplementedError):
            transport.loseConnection()
        # daphne.server installed the asyncio reactor when it was imported above.
        from twisted.internet import reactor

        reactor.callLater(LINGER_SECONDS, transport.abortConnection)


class BodyLimitedHTTPFactory(HTTPFactory):
    def buildProtocol(self, addr):
        protocol = super().buildProtocol(addr)
        if protocol is not None:
            protocol.requestFactory = BodyLimitedRequest
        return protocol


class BodyLimitedServer(Server):
    """daphne's server with :class:`BodyLimitedHTTPFactory`.

    ``Server.run`` builds its HTTP factory inline (``self.http_factory =
    HTTPFactory(self)``); this property swaps it for the limited one.
    """

    def run(self):
        # Django, Wagtail and the application are loaded: their objects live as long as
        # the process. Frozen, the cyclic garbage collector no longer walks them on each
        # full collection, which cut the tail latency and CPU per message of a busy
        # worker (docs/performance.md).
        gc.collect()
        gc.freeze()
        super().run()

    @property
    def http_factory(self):
        return self._http_factory

    @http_factory.setter
    def http_factory(self, factory):
        if not isinstance(factory, BodyLimitedHTTPFactory):
            factory = BodyLimitedHTTPFactory(self)
        self._http_factory = factory


class CommandLine(CommandLineInterface):
    server_class = BodyLimitedServer


def main(argv=None):
    CommandLine().run(sys.argv[1:] if argv is None else argv)


if __name__ == "__main__":
    main()
