"""Link rules: counting links, holding many for review, blocked domains, URL shorteners."""

from __future__ import annotations

from typing import Any

import pytest

from commentdesk.triage import pipeline
from commentdesk.triage.links import find_links, readable, to_ascii
from commentdesk.triage.models import TriagePolicy

LINKS = {"NAME": "commentdesk.triage.scorers.links.LinkScorer"}


@pytest.mark.parametrize(
    ("text", "count"),
    [
        ("no links here, e.g. node.js or 3.14", 0),
        ("read https://news.example/a and http://x.org", 2),
        ("www.example.com, example.kr/path and bit.ly/x.", 3),
        ("(see https://a.example/b)", 1),
        ("http://" + "a" * 10_000, 1),
        ("😀 http://例え.jp/パス 😀", 1),
    ],
)
def test_links_are_counted_in_plain_text(text: str, count: int) -> None:
    """Scheme URLs, www. addresses and bare domains with common endings count; words with dots do not."""
    assert len(find_links(text)) == count


@pytest.mark.django_db
def test_a_plain_link_scores_low(site: Any, scorers: Any, make_comment: Any) -> None:
    """One ordinary link: a small score, and its reason names the link's domain (a score
    without a reason left the moderator guessing); four name three domains and "…"."""
    scorers(LINKS)
    score = pipeline.score_comment(make_comment("Source: https://stats.example.org/2026"))
    assert (score.scores["links"], score.reasons) == (0.1, ["1 link: stats.example.org"])
    assert score.details["links"] == {"count": 1, "domains": ["stats.example.org"], "hold": False, "shorteners": [],
                                      "reasons": ["1 link: stats.example.org"]}
    TriagePolicy.objects.create(site=site, max_links=5)
    many = pipeline.score_comment(make_comment(" ".join(f"https://{n}.example.org/x" for n in "abcd")))
    assert many.reasons == ["4 links: a.example.org, b.example.org, c.example.org, …"]


@pytest.mark.django_db
def test_more_links_than_the_site_allows_are_held(site: Any, scorers: Any, make_comment: Any) -> None:
    """Over the site's max_links the comment is marked for holding, with the count in the reason."""
    TriagePolicy.objects.create(site=site, max_links=1)
    scorers(LINKS)
    score = pipeline.score_comment(make_comment("http://a.example http://b.example"))
    assert score.scores["links"] == 0.6 and score.details["links"]["hold"] is True
    assert score.reasons == ["2 links (the site holds more than 1 for review)"]


@pytest.mark.django_db
def test_blocked_domains_and_their_subdomains(site: Any, scorers: Any, make_comment: Any) -> None:
    """A link to a blocked domain or its subdomain scores 0.95 and names the domain."""
    TriagePolicy.objects.create(site=site, blocked_domains="# casinos\nwww.casino.example\n")
    scorers(LINKS)
    score = pipeline.score_comment(make_comment("win at https://WIN.Casino.example/now"))
    assert (score.scores["links"], score.reasons) == (0.95, ["blocked domain: casino.example"])



@pytest.mark.django_db
def test_a_bare_blocked_domain_of_any_ending_is_found_but_not_counted(site: Any, scorers: Any,
                                                                     make_comment: Any) -> None:
    """"casino.example/win" is no link by its ending, but names a blocked domain; "node.js" stays a word."""
    TriagePolicy.objects.create(site=site, blocked_domains="casino.example\nshop.su\nпример.рф")
    scorers(LINKS)
    score = pipeline.score_comment(make_comment("go to Casino.example/win or shop.su, built with node.js; "
                                                "Подробности на пример.рф/новости"))
    assert score.reasons == ["blocked domain: casino.example", "blocked domain: shop.su",
                             "blocked domain: пример.рф"]
    assert score.details["links"]["count"] == 0
    plain = pipeline.score_comment(make_comment("built with node.js, e.g. for the U.S. pages"))
    assert (plain.scores["links"], plain.reasons) == (0.0, [])


@pytest.mark.django_db
@pytest.mark.parametrize("link", ["http://casino.example\\@news.example/", "http://casino%2Eexample/x",
                                  "https://CASINO%2eEXAMPLE", "http://16909060/win", "http://0x01020304/",
                                  "http://0x1.0x2.0x3.0x4/", "http://01.02.03.04/", "http://1.2.772/",
                                  "http://１６９０９０６０/", "http://[::ffff:1.2.3.4]/"])
def test_a_blocked_domain_is_seen_as_browsers_see_it(site: Any, scorers: Any, make_comment: Any, link: str) -> None:
    """A backslash before "@", percent-escaped dots and other spellings of an IPv4 address do not hide the
    host a browser would open."""
    TriagePolicy.objects.create(site=site, blocked_domains="casino.example\n1.2.3.4")
    scorers(LINKS)
    score = pipeline.score_comment(make_comment(f"win at {link} now"))
    assert score.reasons == [f"blocked domain: {'casino.example' if 'casino' in link.lower() else '1.2.3.4'}"]


@pytest.mark.django_db
@pytest.mark.parametrize(("blocked", "link"), [("xn--strae-oqa.de", "http://straße.de/x"),
                                               ("straße.de", "https://STRASSE.de.example.straße.de/"),
                                               ("💩.la", "http://💩.la/"), ("пример.рф", "http://ПРИМЕР.рф")])
def test_an_international_domain_is_the_one_browsers_open(site: Any, scorers: Any, make_comment: Any,
                                                          blocked: str, link: str) -> None:
    """Host names are encoded as browsers look them up (IDNA 2008, UTS #46, not
    transitional): a blocked "straße.de" is xn--strae-oqa.de, which IDNA 2003 read as
    "strasse.de", another domain; names IDNA 2008 refuses (emoji) still match."""
    TriagePolicy.objects.create(site=site, blocked_domains=blocked)
    scorers(LINKS)
    score = pipeline.score_comment(make_comment(f"win at {link} now"))
    assert score.scores["links"] == 0.95 and score.reasons[0] == f"blocked domain: {readable(to_ascii(blocked))}"
    assert "xn--" not in score.reasons[0]
    other = pipeline.score_comment(make_comment("win at http://strasse.de/ now"))
    assert other.scores["links"] != 0.95


@pytest.mark.django_db
def test_a_huge_host_is_named_in_part(site: Any, scorers: Any, make_comment: Any) -> None:
    """A 5,000-character host name is named in its reason by its first 79 characters and "…"."""
    scorers(LINKS)
    score = pipeline.score_comment(make_comment(f"see http://{'a' * 5000}.example/ now"))
    assert score.reasons == [f"1 link: {'a' * 79}…"]
    assert score.details["links"]["domains"] == [f"{'a' * 5000}.example"]  # the details keep it whole


@pytest.mark.django_db
def test_url_shorteners_are_suspect_by_default(site: Any, scorers: Any, make_comment: Any) -> None:
    """Without a policy row the default shortener list applies."""
    scorers(LINKS)
    score = pipeline.score_comment(make_comment("look bit.ly/3xYz"))
    assert (score.scores["links"], score.reasons) == (0.5, ["URL shortener: bit.ly"])


@pytest.mark.django_db
def test_no_links_scores_zero(site: Any, scorers: Any, make_comment: Any) -> None:
    """A comment without links scores 0 and reads no policy."""
    scorers(LINKS)
    assert pipeline.score_comment(make_comment("Plain words only.")).scores == {"links": 0.0}


def test_a_host_of_many_labels_is_found_by_its_last_ones() -> None:
    """Bare hosts are matched with at most MAX_LABELS labels before the ending (an
    unbounded repetition made "a.a.a.…" quadratic to search): a longer one still
    counts as one link, its tail named."""
    from commentdesk.triage.links import MAX_LABELS, find_links

    assert find_links("a." * 20 + "com") == ["a." * MAX_LABELS + "com"]
    assert find_links("a." * 3000) == []
