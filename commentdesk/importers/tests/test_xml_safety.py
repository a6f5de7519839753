"""Disqus and WordPress imports refuse entity expansion and external entities, storing nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.management.base import CommandError

from commentdesk.comments.models import Comment, Thread
from commentdesk.importers.models import ImportRun
from commentdesk.sites.models import Site

DISQUS = ('<disqus xmlns="http://disqus.com" xmlns:dsq="http://disqus.com/disqus-internals">'
          '<thread dsq:id="1"><link>https://e.org/a</link><title>t</title></thread>'
          '<post dsq:id="2"><message>hi {ref}</message><createdAt>2020-01-01T00:00:00Z</createdAt>'
          '<author><name>n</name></author><thread dsq:id="1"/></post></disqus>')
WXR = ('<rss version="2.0" xmlns:wp="http://wordpress.org/export/1.2/"><channel><item><title>t</title>'
       '<link>https://e.org/a/</link><wp:post_id>1</wp:post_id><wp:comment><wp:comment_id>2</wp:comment_id>'
       '<wp:comment_date_gmt>2020-01-01 00:00:00</wp:comment_date_gmt>'
       '<wp:comment_content>hi {ref}</wp:comment_content><wp:comment_approved>1</wp:comment_approved>'
       '</wp:comment></item></channel></rss>')
LAUGHS = '<!ENTITY l0 "lol">' + "".join(f'<!ENTITY l{i} "{("&l" + str(i - 1) + ";") * 10}">' for i in range(1, 10))


def attacks(secret: Path) -> dict[str, tuple[str, str, str]]:
    """name → (DOCTYPE internal subset or external id, reference in a body, expected message)."""
    return {
        "billion laughs": (f"[{LAUGHS}]", "&l9;", r"declares entities \(l0, l1, l2, l3, l4\)"),
        "XXE file://": (f'[<!ENTITY x SYSTEM "file://{secret}">]', "&x;", r"declares entities \(x\)"),
        "XXE http://": ('[<!ENTITY x SYSTEM "http://127.0.0.1:9/x">]', "&x;", r"declares entities \(x\)"),
        "parameter entity": ('[<!ENTITY % p SYSTEM "http://127.0.0.1:9/p.dtd"> %p;]', "", r"declares entities \(p\)"),
        "external DTD": ('SYSTEM "http://127.0.0.1:9/x.dtd"', "", r"refers to an external DTD"),
    }


@pytest.mark.django_db
@pytest.mark.parametrize("source, template, root", [("disqus", DISQUS, "disqus"), ("wordpress", WXR, "rss")])
@pytest.mark.parametrize("attack", ["billion laughs", "XXE file://", "XXE http://", "parameter entity", "external DTD"])
def test_entities_are_refused_and_nothing_is_stored(site: Site, run_import: Any, tmp_path: Path, source: str,
                                                   template: str, root: str, attack: str) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP SECRET")
    doctype, ref, message = attacks(secret)[attack]
    evil = tmp_path / "evil.xml"
    evil.write_text(f'<?xml version="1.0"?><!DOCTYPE {root} {doctype}>' + template.format(ref=ref))
    with pytest.raises(CommandError, match=f"evil.xml: its DOCTYPE {message}.*nothing was imported"):
        run_import(source, evil)
    assert not Comment.objects.exists() and not Thread.objects.exists()
    assert not ImportRun.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("source, template, root", [("disqus", DISQUS, "disqus"), ("wordpress", WXR, "rss")])
def test_a_plain_doctype_is_fine(site: Site, run_import: Any, tmp_path: Path, source: str, template: str,
                                 root: str) -> None:
    """A DOCTYPE that declares nothing is harmless: the file imports."""
    f = tmp_path / "ok.xml"
    f.write_text(f'<?xml version="1.0"?><!DOCTYPE {root}>' + template.format(ref="there"))
    assert "comments: 1 imported" in run_import(source, f)
    assert Comment.objects.get().body == "hi there"
