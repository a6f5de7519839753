"""factory_boy factories for sites, threads, commenters and comments."""

from __future__ import annotations

import factory
from django.utils import timezone

from commentdesk.comments.models import Comment, Commenter, Thread
from commentdesk.sites.models import DEFAULT_REASON_CODES, Site


class SiteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Site
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"site{n}")
    name = factory.LazyAttribute(lambda o: o.slug.title())
    reason_codes = factory.LazyFunction(lambda: list(DEFAULT_REASON_CODES))


class ThreadFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Thread

    site = factory.SubFactory(SiteFactory)
    key = factory.Sequence(lambda n: f"/articles/{n}")
    title = factory.Sequence(lambda n: f"Article {n}")
    url = factory.LazyAttribute(lambda o: f"https://news.example{o.key}")


class CommenterFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Commenter

    site = factory.SubFactory(SiteFactory)
    name = factory.Sequence(lambda n: f"Reader {n}")


class CommentFactory(factory.django.DjangoModelFactory):
    """A pending comment; pass ``status=Comment.Status.APPROVED`` for a published one."""

    class Meta:
        model = Comment

    thread = factory.SubFactory(ThreadFactory)
    site = factory.SelfAttribute("thread.site")
    commenter = factory.SubFactory(CommenterFactory, site=factory.SelfAttribute("..site"))
    author_name = factory.SelfAttribute("commenter.name")
    body = factory.Sequence(lambda n: f"Comment number {n}.")
    status = Comment.Status.PENDING
    published_at = factory.LazyAttribute(
        lambda o: timezone.now() if o.status == Comment.Status.APPROVED else None
    )
