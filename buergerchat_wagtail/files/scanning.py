"""Pluggable malware scanners.

``BUERGERCHAT["MALWARE_SCANNER"]`` names the class (a dotted path). A scanner has
one method, ``scan(fileobj) -> ScanResult``, and raises :class:`ScannerError`
when it cannot give an answer (the file then stays in quarantine).

Included:

* :class:`ClamdScanner`: ClamAV's daemon over its ``INSTREAM`` command, on a unix
  socket or TCP (``BUERGERCHAT["CLAMAV"]``).
* :class:`NoScanner`: passes every file without a scan. Only for sites that scan
  elsewhere (for example on the file server); its files are shown as "not checked
  for malware", and the system check buergerchat.W003 warns outside DEBUG
  (buergerchat.W002 while no scanner is chosen at all).
"""

import abc
import socket
import struct
from dataclasses import dataclass

from django.utils.module_loading import import_string

from buergerchat_wagtail.conf import buergerchat_settings
from buergerchat_wagtail.models.attachments import NOT_SCANNED

CHUNK_BYTES = 64 * 1024


@dataclass(frozen=True)
class ScanResult:
    clean: bool
    detail: str = ""
    #: False when nothing looked at the file (NoScanner).
    scanned: bool = True


class ScannerError(Exception):
    """The scanner could not check the file (not reachable, timeout, limit)."""


class BaseScanner(abc.ABC):
    """Interface of a malware scanner: ``scan`` returns a ScanResult or raises ScannerError."""

    name = "base"

    @abc.abstractmethod
    def scan(self, fileobj):
        """Scan the file object from its current position to its end."""


class NoScanner(BaseScanner):
    """Passes every file. Use only if files are scanned by other means."""

    name = "none"

    def scan(self, fileobj):
        return ScanResult(clean=True, detail=NOT_SCANNED, scanned=False)


class ClamdScanner(BaseScanner):
    """ClamAV daemon, ``zINSTREAM`` command (see clamd(8)).

    Options from ``BUERGERCHAT["CLAMAV"]``: ``SOCKET`` (path of the unix socket, as
    ``LocalSocket`` in clamd.conf) or ``HOST`` and ``PORT`` (``TCPAddr``/``TCPSocket``),
    and ``TIMEOUT`` in seconds (default 60). Keep clamd's ``StreamMaxLength`` at
    least as large as ``BUERGERCHAT["MAX_UPLOAD_BYTES"]``.
    """

    name = "clamav"

    def __init__(self, socket_path=None, host=None, port=None, timeout=None):
        options = buergerchat_settings.CLAMAV
        self.socket_path = socket_path or options.get("SOCKET")
        self.host = host or options.get("HOST")
        self.port = int(port or options.get("PORT") or 3310)
        self.timeout = float(timeout or options.get("TIMEOUT") or 60)
        if not self.socket_path and not self.host:
            self.socket_path = "/var/run/clamav/clamd.ctl"  # Debian's default

    def _connect(self):
        if self.socket_path:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            address = self.socket_path
        else:
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            address = (self.host, self.port)
        sock.settimeout(self.timeout)
        try:
            sock.connect(address)
        except OSError as exc:
            sock.close()
            raise ScannerError(f"clamd not reachable: {exc.__class__.__name__}") from exc
        return sock

    def ping(self):
        """True if clamd answers ``PING`` with ``PONG``."""
        with self._connect() as sock:
            sock.sendall(b"zPING\0")
            return self._reply(sock) == "PONG"

    def scan(self, fileobj):
        with self._connect() as sock:
            try:
                sock.sendall(b"zINSTREAM\0")
                while chunk := fileobj.read(CHUNK_BYTES):
                    sock.sendall(struct.pack("!L", len(chunk)) + chunk)
                sock.sendall(struct.pack("!L", 0))
            except (BrokenPipeError, ConnectionResetError):
                pass  # clamd stops reading at its StreamMaxLength and answers with an error
            except OSError as exc:
                raise ScannerError(f"sending to clamd failed: {exc.__class__.__name__}") from exc
            reply = self._reply(sock)
        return self.parse_reply(reply)

    def _reply(self, sock):
        data = b""
        try:
            while not data.endswith(b"\0"):
                part = sock.recv(4096)
                if not part:
                    break
                data += part
        except OSError as exc:
            raise ScannerError(f"no answer from clamd: {exc.__class__.__name__}") from exc
        return data.rstrip(b"\0").decode("utf-8", "replace").strip()

    @staticmethod
    def parse_reply(reply):
        # "stream: OK", "stream: Eicar-Signature FOUND", "INSTREAM size limit exceeded. ERROR"
        if reply.endswith("FOUND"):
            signature = reply.split(":", 1)[-1].rsplit(" ", 1)[0].strip()
            return ScanResult(clean=False, detail=signature[:200])
        if reply == "stream: OK" or reply.endswith(": OK"):
            return ScanResult(clean=True, detail="ClamAV: OK")
        raise ScannerError(f"clamd answered: {reply[:200]}")


def get_scanner():
    path = buergerchat_settings.MALWARE_SCANNER
    if not path:
        return NoScanner()
    return import_string(path)()
