"""``commentdesk triage eval|train|rescore``: measure, train and re-run triage.

- ``triage eval --train A.csv --test B.csv [--json]``: fit on A, measure on B.
- ``triage eval --data DIR [--json] [--folds N]``: a fixed seeded 80/20 split of
  ``DIR/train.csv``; with ``--folds N`` also N-fold cross-validation ROC-AUC.
  Prints readable lines; with ``--json`` the last line is one JSON object with
  ``roc_auc``, ``average_precision``, ``reject_precision``, ``reject_recall``,
  ``approve_precision``, ``approve_recall``, ``reject_share``, ``approve_share``,
  ``decided_share``, thresholds, row counts, ``baseline_roc_auc`` (null with
  ``baseline_note`` when alt-profanity-check is not installed) and ``cv_roc_auc``
  (list, with ``--folds``).
- ``triage train --site SLUG [--data DIR]``: train and activate a new
  classifier version from the seed data of the site's languages plus its own
  decisions; prints the version.
- ``triage rescore --site SLUG [--status pending]``: run every scorer again
  over the site's comments of that status (``all``: every status but removed),
  in batches of 500; prints how many.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import ngettext

from commentdesk.triage import classifier, evaluation
from commentdesk.triage.language import primary_language


class Command(BaseCommand):
    help = "Triage: evaluate or train the classifier, or score comments again."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        ev = sub.add_parser("eval", help="measure the classifier on labelled CSV files (text,label)")
        ev.add_argument("--train", type=Path, help="CSV to train on")
        ev.add_argument("--test", type=Path, help="CSV to measure on")
        ev.add_argument("--data", type=Path, help="folder with train.csv: a fixed 80/20 split of it")
        ev.add_argument("--folds", type=int, default=0, help="also N-fold cross-validation (with --data)")
        ev.add_argument("--reject-at", type=float, default=evaluation.REJECT_AT,
                        help="probability from which a comment would be rejected automatically (default %(default)s)")
        ev.add_argument("--approve-at", type=float, default=evaluation.APPROVE_AT,
                        help="probability below which a comment would be approved automatically (default %(default)s)")
        ev.add_argument("--json", action="store_true", help="end with one JSON line")
        tr = sub.add_parser("train", help="train and activate a site's classifier")
        tr.add_argument("--site", required=True, help="the site's slug")
        tr.add_argument("--data", type=Path, help="folder of labelled sets (DIR/*/train.csv), or one set "
                        "(DIR/train.csv); default TRIAGE_DATA_DIR")
        rs = sub.add_parser("rescore", help="run every scorer again over a site's comments")
        rs.add_argument("--site", required=True, help="the site's slug")
        rs.add_argument("--status", default="pending",
                        help="score the comments of this status (default %(default)s; approved, rejected, spam, "
                             "or all: every status but removed, e.g. an imported history)")

    def handle(self, *args: Any, **options: Any) -> None:
        getattr(self, f"handle_{options['action']}")(**options)

    def handle_eval(self, **options: Any) -> None:
        """Print the metrics of :func:`commentdesk.triage.evaluation.evaluate`."""
        if not 0.0 <= options["approve_at"] < options["reject_at"] <= 1.0:
            raise CommandError("--approve-at and --reject-at are probabilities, 0 ≤ approve-at < reject-at ≤ 1 "
                               f"(given {options['approve_at']} and {options['reject_at']}).")
        # Checked before anything is read or trained (a minute on a large set).
        if options["folds"] and not options["data"]:
            raise CommandError("--folds needs --data")
        if options["folds"] and not 2 <= options["folds"] <= 20:
            raise CommandError(f"--folds is a number of folds from 2 to 20 (given {options['folds']}).")
        try:
            if options["data"]:
                if options["train"] or options["test"]:
                    raise CommandError("use either --data or --train with --test")
                folder = options["data"]
                sets = sorted(p.parent.name for p in folder.glob("*/train.csv"))
                if sets and not (folder / "train.csv").exists():
                    raise CommandError(f"{folder} holds data sets ({', '.join(sets)}); evaluate one of them, "
                                       f"e.g. --data {folder / sets[0]}")
                if not (folder / "train.csv").is_file():
                    raise CommandError(f"{folder} has no train.csv (columns id,text,label)")
                read = {folder / "train.csv": classifier.read_csv(folder / "train.csv")}
                texts, labels, _skipped = read[folder / "train.csv"]
                a, b, c, d = evaluation.split(texts, labels)
                train, test = (a, b), (c, d)
            elif options["train"] and options["test"]:
                read = {path: classifier.read_csv(path) for path in (options["train"], options["test"])}
                train, test = read[options["train"]][:2], read[options["test"]][:2]
            else:
                raise CommandError("give --data DIR, or --train A.csv and --test B.csv")
            for path, rows in read.items():
                if rows.skipped:
                    self.stderr.write(f"warning: {path}: {rows.skipped:,} row{'s' if rows.skipped > 1 else ''} skipped "
                                      "(an empty text, or a label other than 0 or 1)")
            result = evaluation.evaluate(train, test, options["reject_at"], options["approve_at"])
            result["skipped_rows"] = sum(rows.skipped for rows in read.values())
            if options["folds"]:
                result["cv_roc_auc"] = evaluation.cross_validate(texts, labels, options["folds"])
                result["cv_roc_auc_mean"] = round(sum(result["cv_roc_auc"]) / len(result["cv_roc_auc"]), 4)
        except OSError as exc:
            raise CommandError(f"cannot read {exc.filename}: {exc.strerror or exc}") from exc
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        result["baseline_roc_auc"], note = evaluation.baseline_roc_auc(test)
        if note:
            result["baseline_note"] = note
        for key, value in result.items():
            self.stdout.write(f"{key}: {value}")
        if options["json"]:
            self.stdout.write(json.dumps(result, ensure_ascii=False))

    def handle_train(self, **options: Any) -> None:
        """Train with :func:`commentdesk.triage.classifier.train_for_site`."""
        from commentdesk.sites.models import Site

        site = Site.objects.filter(slug=options["site"]).first()
        if site is None:
            raise CommandError(f"There is no site {options['site']!r}.")
        from django.conf import settings

        folder = Path(options["data"] or settings.TRIAGE_DATA_DIR)
        if not classifier.seed_files(folder):
            self.stderr.write(f"warning: no labelled data in {folder} (no */train.csv nor train.csv): the "
                              "classifier learns from "
                              "the site's own decisions only; set TRIAGE_DATA_DIR or pass --data")
        try:
            row = classifier.train_for_site(site, options["data"])
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"{row.version} trained on {row.trained_on['rows']} comments {row.trained_on['sources']}")
        known = classifier.enough_of(row.trained_on["languages"], row.trained_on["rows"]) or set()
        if missing := [code for code in site.languages or [] if primary_language(code) not in known]:
            self.stderr.write(f"warning: too little labelled data in {', '.join(missing)}: the classifier skips "
                              "those comments until moderators' decisions teach it")

    def handle_rescore(self, **options: Any) -> None:
        """Score again in batches with :func:`commentdesk.triage.pipeline.score_batches` (all stages)."""
        from commentdesk.comments.models import Comment
        from commentdesk.sites.models import Site
        from commentdesk.triage.pipeline import BATCH, score_batches

        site = Site.objects.filter(slug=options["site"]).first()
        if site is None:
            raise CommandError(f"There is no site {options['site']!r}.")
        statuses = [s for s in Comment.Status.values if s != Comment.Status.REMOVED]
        if options["status"] not in statuses + ["all"]:
            raise CommandError(f"--status must be one of {', '.join(statuses)} or all.")
        chosen = statuses if options["status"] == "all" else [options["status"]]
        # The ids first: scoring writes to the comments while they are read.
        ids = list(Comment.objects.filter(site=site, status__in=chosen).order_by("created_at", "pk")
                   .values_list("pk", flat=True))

        def comments() -> Iterator[Comment]:
            for start in range(0, len(ids), BATCH):
                chunk = Comment.objects.select_related("site").filter(pk__in=ids[start:start + BATCH])
                yield from chunk.order_by("created_at", "pk")

        counts = score_batches(comments())
        line = ngettext("%(n)d comment scored", "%(n)d comments scored", counts["scored"]) % {"n": counts["scored"]}
        if counts["not_scored"]:
            line += f", {counts['not_scored']} not scored (see the log)"
        self.stdout.write(line)
        if counts["not_scored"]:
            raise CommandError(ngettext("%(n)d comment could not be scored.", "%(n)d comments could not be scored.",
                                        counts["not_scored"]) % {"n": counts["not_scored"]})
