"""WordPress WXR export → records for :class:`commentdesk.importers.base.Writer`.

Format: RSS 2.0 with the ``wp:`` namespace of WXR 1.0, 1.1 or 1.2
(``http://wordpress.org/export/1.x/``, or ``https://`` as WordPress.com writes
it); each ``<item>`` is a post (or page…) holding its ``<wp:comment>`` elements
(https://wordpress.org/documentation/article/tools-export-screen/ and the
WordPress importer's ``parsers/class-wxr-parser-xml.php``). The file is read
once, streaming with lxml's ``iterparse``, each item cleared after use.

- ``wp:comment_approved``: ``1``/``approve`` → approved, ``0``/``hold`` →
  pending, ``spam`` → spam, ``trash``/``post-trashed`` → rejected.
- ``wp:comment_type`` ``pingback`` and ``trackback`` are counted, not imported.
- A post with ``wp:comment_status`` ``closed`` becomes a closed thread; a post
  with no comments makes no thread.
- A post readers could not see (a ``wp:post_password``, or ``wp:status``
  private, draft, pending, future or trash) hid its comments too: its approved
  comments are imported as pending, for a moderator to decide.
- Comment ids are unique per post here (``POST:COMMENT``): some exports reuse
  them across posts. Parents (``wp:comment_parent``) are in the same post.
- Bodies: WordPress shows each line break of a comment (``wpautop``), so they
  stay line breaks; HTML becomes plain text (:func:`base.plain_text`).
- A thread's key is its link's path; a "plain" permalink (``/?p=4``) has none,
  so its key is the post id (``4``, :meth:`Source.thread_key`).

The XML is read strictly (a syntax error stops the import, naming its line) and
a DOCTYPE declaring entities is refused (:mod:`.xmlsafety`).
"""

from __future__ import annotations

import hashlib
import html
import re
from collections.abc import Iterator

from lxml import etree

from commentdesk.comments.models import Comment
from commentdesk.importers.base import (
    ID_MAX,
    KEY_MAX,
    CommentRecord,
    ImportFileError,
    NotAComment,
    Record,
    Skipped,
    Source,
    ThreadRecord,
    body_problems,
    parse_time,
    plain_text,
)
from commentdesk.importers.xmlsafety import PARSER_OPTIONS, refuse_entities

WXR_NAMESPACE = re.compile(r"https?://wordpress\.org/export/1\.[0-2]/")
STATUSES = {
    "1": Comment.Status.APPROVED,
    "approve": Comment.Status.APPROVED,
    "approved": Comment.Status.APPROVED,
    "0": Comment.Status.PENDING,
    "hold": Comment.Status.PENDING,
    "spam": Comment.Status.SPAM,
    "trash": Comment.Status.REJECTED,
    "post-trashed": Comment.Status.REJECTED,
}
NOT_COMMENTS = {"pingback", "trackback"}
HIDDEN_POSTS = {"private", "draft", "pending", "future", "trash", "auto-draft"}


def _fields(element: etree._Element) -> dict[str, str]:
    """Text of each child element by local name (the first of each name)."""
    found: dict[str, str] = {}
    for child in element:
        if isinstance(child.tag, str):
            found.setdefault(etree.QName(child).localname, (child.text or "").strip())
    return found


def _time(fields: dict[str, str], *names: str) -> str:
    """The first of ``names`` holding a real date (WordPress writes ``0000-00-00 00:00:00`` for none)."""
    for name in names:
        value = fields.get(name, "")
        if value and not value.startswith("0000"):
            return name
    return ""


def parse(source: Source) -> Iterator[Record]:
    """Read a WXR file; yields a thread before its comments. Raises
    :class:`ImportFileError` for a file that is not a WXR export, declares
    entities, or breaks XML (naming the line)."""
    root, nsmap = refuse_entities(source)
    if not root or etree.QName(root).localname != "rss":
        raise ImportFileError(f"{source.path.name} is not a WordPress export: no <rss> root element")
    if not any(WXR_NAMESPACE.fullmatch(ns or "") for ns in nsmap.values()):
        raise ImportFileError(f"{source.path.name} is not a WordPress export: no WXR 1.0–1.2 namespace")
    if source.progress is not None:
        source.progress.set_total(source.path.stat().st_size)
    with source.open() as fh:
        context = etree.iterparse(fh, events=("end",), tag="item", recover=False, **PARSER_OPTIONS)
        try:
            for _event, item in context:
                yield from _item(source, item)
                item.clear()
                parent = item.getparent()
                while parent is not None and item.getprevious() is not None:
                    del parent[0]
        except etree.XMLSyntaxError as exc:
            raise ImportFileError(f"{source.path.name}: line {exc.lineno}: {exc.msg} (not well-formed XML)") from exc


def _item(source: Source, item: etree._Element) -> Iterator[Record]:
    comments = [c for c in item if isinstance(c.tag, str) and etree.QName(c).localname == "comment"]
    if not comments:
        return
    post = _fields(item)
    post_id = post.get("post_id", "")
    link = post.get("link", "")
    thread_id = post_id or ("link:" + hashlib.sha256(link.encode()).hexdigest()[:16] if link else "")
    key = source.thread_key(link) or post_id
    name = f"item post_id={post_id}" if post_id else f"item <link>{link[:60]}</link>"
    if not thread_id or not key or len(key) > KEY_MAX or len(post_id) > 40:
        yield Skipped(name, item.sourceline, "no <link> and no <wp:post_id>" if not thread_id or not key
                      else "the post id or key is too long")
        return
    created = None
    when = _time(post, "post_date_gmt", "post_date")
    if when:
        try:
            created = parse_time(post[when], f"<wp:{when}>")
        except ValueError:
            created = None
    url = source.url(link)
    yield ThreadRecord(source_id=thread_id, key=key, url=url if url.startswith(("http://", "https://")) else "",
                       title=post.get("title", ""), is_closed=post.get("comment_status") == "closed",
                       created_at=created)
    hidden = bool(post.get("post_password")) or post.get("status", "publish") in HIDDEN_POSTS
    for element in comments:
        record = _comment(thread_id, element)
        if hidden and isinstance(record, CommentRecord) and record.status == Comment.Status.APPROVED:
            record.status = Comment.Status.PENDING
        yield record


def _comment(thread_id: str, element: etree._Element) -> Record:
    c = _fields(element)
    comment_id = c.get("comment_id", "")
    name = f"comment {comment_id} of post {thread_id}" if comment_id else f"comment without id of post {thread_id}"
    kind = c.get("comment_type", "").lower()
    if kind in NOT_COMMENTS:
        return NotAComment(kind)
    problems = []
    source_id = f"{thread_id}:{comment_id}"
    if not comment_id:
        problems.append("no <wp:comment_id>")
    elif len(source_id) > ID_MAX:
        problems.append(f"the id is over {ID_MAX} characters")
    approved = c.get("comment_approved", "1").lower()
    status = STATUSES.get(approved)
    if status is None:
        problems.append(f"<wp:comment_approved> is {approved[:20]!r}, not 1, 0, spam or trash")
    when = _time(c, "comment_date_gmt", "comment_date")
    created = None
    if not when:
        problems.append("no <wp:comment_date_gmt>")
    else:
        try:
            created = parse_time(c[when], f"<wp:{when}>")
        except ValueError as exc:
            problems.append(str(exc))
    content = next((child.text or "" for child in element
                    if isinstance(child.tag, str) and etree.QName(child).localname == "comment_content"), "")
    body = plain_text(content, line_breaks=True)
    problems += body_problems(body, status, "comment")
    if problems or created is None or status is None:
        return Skipped(name, element.sourceline, "; ".join(problems))
    author = c.get("comment_author", "")
    email = c.get("comment_author_email", "")
    user_id = c.get("comment_user_id", "0")
    author_key = (f"user:{user_id}" if user_id not in ("", "0")
                  else f"e:{email.lower()}" if "@" in email else f"n:{author}")
    parent = c.get("comment_parent", "0")
    return CommentRecord(
        source_id=source_id,
        thread_source_id=thread_id,
        body=body,
        created_at=created,
        status=status,
        author_name=html.unescape(author) or "Anonymous",
        author_key=author_key,
        email=email if "@" in email else "",
        ip=c.get("comment_author_IP", ""),
        parent_source_id=f"{thread_id}:{parent}" if parent not in ("", "0") else "",
        record=name,
        line=element.sourceline,
    )
