"""What an import keeps between its batches, so that a killed import resumes.

An :class:`ImportRun` is one import of one file (identified by the SHA-256 of
its bytes and of the options) into one site. Each batch commits, in the same
transaction as its comments, how many records of the file are done and the
counts so far; a re-run of the same file and options finds the unfinished run
and goes on after its last committed record. :class:`PendingParent` rows are
replies whose parent was not yet stored when the reply was (a parent later in
the file); they are linked when the file has been read.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from commentdesk.comments.models import Comment
from commentdesk.sites.models import Site


class ImportRun(models.Model):
    """One import of one file into one site; ``finished_at`` is None until it has finished."""

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="import_runs")
    source = models.CharField(max_length=20)
    file_name = models.CharField(max_length=300)
    # SHA-256 (hex) of the file's bytes, the source and the options that change what is stored.
    fingerprint = models.CharField(max_length=64)
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=1)
    # Records of the file (threads, comments, skips…) whose batch has committed.
    position = models.BigIntegerField(default=0)
    # The highest comment pk before the first attempt: a stored comment of this
    # source with a higher pk and the same id came from this very file (a duplicate id).
    comment_pk_floor = models.BigIntegerField(default=0)
    summary = models.JSONField(default=dict)

    class Meta:
        indexes = [models.Index(fields=["site", "source", "fingerprint"], name="importrun_file")]

    def __str__(self) -> str:
        return f"{self.source}:{self.file_name} → {self.site_id}"


class PendingParent(models.Model):
    """A reply stored before its parent: linked (or named as not found) at the end of the run."""

    run = models.ForeignKey(ImportRun, on_delete=models.CASCADE, related_name="pending_parents")
    child = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="+")
    parent_import_id = models.CharField(max_length=100)
