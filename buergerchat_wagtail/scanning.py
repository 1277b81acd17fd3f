"""The public import path of the malware scanners named in ``BUERGERCHAT["MALWARE_SCANNER"]``
(``"buergerchat_wagtail.scanning.ClamdScanner"``); defined in ``buergerchat_wagtail.files.scanning``."""

from buergerchat_wagtail.files.scanning import (
    BaseScanner,
    ClamdScanner,
    NoScanner,
    ScannerError,
    ScanResult,
    get_scanner,
)

__all__ = ["BaseScanner", "ClamdScanner", "NoScanner", "ScanResult", "ScannerError", "get_scanner"]
