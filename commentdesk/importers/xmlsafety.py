"""Reading untrusted XML exports safely with lxml (Disqus, WordPress).

:func:`refuse_entities` reads a file only up to its root element and refuses a
document type declaration that declares entities (internal ones: "billion
laughs"; external ones: XXE through ``file://`` or ``http://``) or refers to an
external DTD, the checks of defusedxml's ``forbid_entities`` and
``forbid_external`` (https://github.com/tiran/defusedxml#attack-vectors). The
parsers then read with ``resolve_entities=False, no_network=True,
load_dtd=False`` as a second line of defence.
"""

from __future__ import annotations

import io
from typing import IO

from lxml import etree

from commentdesk.importers.base import ImportFileError, Source

PARSER_OPTIONS = {
    "resolve_entities": False,
    "no_network": True,
    "load_dtd": False,
    "huge_tree": False,
    "remove_comments": True,
    "remove_pis": True,
}


class LeadingJunkSkipper(io.RawIOBase):
    """A byte stream that drops whatever comes before the first ``<`` of ``raw``
    (a stray character before ``<?xml`` makes libxml2 give up at once)."""

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw = raw
        self.started = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self.raw.read(len(buffer))
        if not self.started:
            while data and b"<" not in data:
                data = self.raw.read(len(buffer))
            if data:
                data = data[data.index(b"<") :]
                self.started = True
        n = len(data)
        buffer[:n] = data
        return n

    def close(self) -> None:
        self.raw.close()
        super().close()


def refuse_entities(source: Source, skip_junk: bool = False) -> tuple[str, dict[str | None, str]]:
    """Raise :class:`ImportFileError` if the file's DOCTYPE declares any entity or
    names an external DTD; reads only the prolog and the root's start tag.

    Returns the root element's tag (``{namespace}name``) and namespace map, or
    ``("", {})`` for a file that is not XML (the parser then reports it).
    ``skip_junk``: as the parser, ignore bytes before the first ``<``."""
    with open(source.path, "rb") as fh:
        stream: IO[bytes] = io.BufferedReader(LeadingJunkSkipper(fh)) if skip_junk else fh
        context = etree.iterparse(stream, events=("start",), recover=True, **PARSER_OPTIONS)
        try:
            for _event, element in context:
                docinfo = element.getroottree().docinfo
                dtd = docinfo.internalDTD
                entities = [e.name for e in dtd.iterentities()] if dtd is not None else []
                external = docinfo.system_url or docinfo.public_id
                if entities or external:
                    what = (f"declares entities ({', '.join(entities[:5])})" if entities
                            else f"refers to an external DTD ({external})")
                    raise ImportFileError(
                        f"{source.path.name}: its DOCTYPE {what}; entity expansion and external entities "
                        "are refused, nothing was imported"
                    )
                return str(element.tag), dict(element.nsmap)
        except etree.XMLSyntaxError:
            pass
    return "", {}
