"""The learned classifier: training per site, stored versions, scores with explanations."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from commentdesk.triage import classifier, pipeline
from commentdesk.triage.models import ClassifierModel

pytestmark = pytest.mark.django_db

CLASSIFIER = {"NAME": "commentdesk.triage.scorers.classifier.ClassifierScorer", "OPTIONS": {"stage": "request"}}
SPAM = [f"buy cheap pills now at pharma{i}.example, best casino bonus {i}" for i in range(30)]
HAM = [f"The council vote on the budget {i} seems fair; the reporter explained it well." for i in range(30)]
KO_BAD = [f"이 기자 진짜 쓰레기네 {i} 꺼져라" for i in range(20)]
KO_OK = [f"좋은 기사 감사합니다 {i} 잘 읽었어요" for i in range(20)]


def write_csv(path: Path, rows: list[tuple[str, int]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(["id", "text", "label"])
        out.writerows((i, text, label) for i, (text, label) in enumerate(rows))
    return path


@pytest.fixture
def seed_dir(tmp_path: Path) -> Path:
    """Two seed sets: English spam/ham and Korean abuse/thanks."""
    write_csv(tmp_path / "en_spam" / "train.csv", [(t, 1) for t in SPAM] + [(t, 0) for t in HAM])
    write_csv(tmp_path / "ko_abuse" / "train.csv", [(t, 1) for t in KO_BAD] + [(t, 0) for t in KO_OK])
    return tmp_path


def test_seed_sets_are_chosen_by_the_sites_languages(seed_dir: Path) -> None:
    """A Korean site learns from the Korean seed set only; a site without languages from all."""
    assert classifier.seed_examples(["ko"], seed_dir).sources == {"ko_abuse": 40}
    assert classifier.seed_examples([], seed_dir).sources == {"en_spam": 60, "ko_abuse": 40}


def test_one_set_folder_is_a_seed_folder_too(site: Any, seed_dir: Path) -> None:
    """``triage train --data`` takes one set's folder as ``triage eval --data`` does
    (a new user's trial: it answered "nothing to learn from")."""
    assert classifier.seed_examples([], seed_dir / "en_spam").sources == {"en_spam": 60}
    out = io.StringIO()
    call_command("triage", "train", "--site", site.slug, "--data", str(seed_dir / "en_spam"), stdout=out,
                 stderr=io.StringIO())
    assert ClassifierModel.objects.get(site=site).trained_on["sources"] == {"en_spam": 60, "decisions": 0}


def test_trained_model_scores_and_explains(site: Any, seed_dir: Path, scorers: Any, make_comment: Any) -> None:
    """After training, a spammy comment scores high with its n-grams and the model version on the Score;
    the reason names the words (as written) that hold the n-grams."""
    row = classifier.train_for_site(site, seed_dir)
    scorers(CLASSIFIER)
    text = "Buy CHEAP pills at pharma99.example, casino bonus!"
    score = pipeline.score_comment(make_comment(text))
    assert score.scores["classifier"] > 0.8
    assert score.model_version == row.version
    details = score.details["classifier"]
    assert details["ngrams"] and len(details["words"]) <= len(details["ngrams"])
    assert all(word in text for word in details["words"])
    assert score.reasons[0] == f"classifier {score.scores['classifier']:.2f} ({', '.join(details['words'])})"
    assert all(any(gram in classifier.prepare_text(word) for word in details["words"]) for gram in details["ngrams"])
    fine = pipeline.score_comment(make_comment("The reporter explained the council budget vote well."))
    assert fine.scores["classifier"] < 0.3 and fine.reasons == []


def test_new_version_replaces_the_active_one(site: Any, seed_dir: Path) -> None:
    """Training again keeps the old version (Scores name it) but deactivates it."""
    first = classifier.train_for_site(site, seed_dir)
    second = classifier.train_for_site(site, seed_dir)
    assert list(ClassifierModel.objects.filter(site=site, is_active=True)) == [second]
    assert ClassifierModel.objects.filter(version=first.version).exists()
    assert classifier.active_model(site)[0] == second.version


def test_site_decisions_are_training_examples(site: Any, publish: Any, make_comment: Any) -> None:
    """Approved comments count as 0, rejected/spam as 1; a restored decision no longer counts."""
    approved, rejected, spam, restored = (make_comment(f"text {i}") for i in range(4))
    publish(approved)
    publish(rejected, action="reject", reason="personal_attack")
    publish(spam, action="spam", reason="spam")
    publish(restored, action="reject", reason="spam")
    publish(restored, action="restore")
    texts, labels, _languages = classifier.decision_examples(site)
    assert sorted(zip(texts, labels)) == [("text 0", 0), ("text 1", 1), ("text 2", 1)]


def test_without_a_model_the_classifier_is_skipped(scorers: Any, make_comment: Any) -> None:
    """No trained model: the scorer is skipped with the reason, the comment still gets a Score."""
    scorers(CLASSIFIER)
    score = pipeline.score_comment(make_comment())
    assert score.skipped == {"classifier": "no classifier trained for this site"}
    assert score.to_dict()["reasons"] == ["classifier skipped: no classifier trained for this site"]  # the desk shows it


def test_training_with_one_label_is_refused(site: Any, tmp_path: Path) -> None:
    """Training needs both kinds of comment."""
    write_csv(tmp_path / "only" / "train.csv", [(t, 0) for t in HAM])
    with pytest.raises(CommandError, match="both kinds"):
        call_command("triage", "train", "--site", site.slug, "--data", str(tmp_path), stdout=io.StringIO())


def test_training_without_any_data_says_so(site: Any, tmp_path: Path) -> None:
    """An empty seed folder and no decisions: a clear error naming the folder."""
    with pytest.raises(CommandError, match="nothing to learn from"):
        call_command("triage", "train", "--site", site.slug, "--data", str(tmp_path), stdout=io.StringIO())


def test_train_command_prints_the_version(site: Any, seed_dir: Path) -> None:
    """``triage train`` stores an active version and names it."""
    out = io.StringIO()
    call_command("triage", "train", "--site", site.slug, "--data", str(seed_dir), stdout=out)
    assert out.getvalue().startswith(ClassifierModel.objects.get(site=site).version)


def test_train_command_warns_of_site_languages_without_data(site: Any, seed_dir: Path) -> None:
    """A Russian desk with English and Korean seed data only: the warning names ru."""
    site.languages = ["en", "ko", "ru"]
    site.save()
    err = io.StringIO()
    call_command("triage", "train", "--site", site.slug, "--data", str(seed_dir), stdout=io.StringIO(), stderr=err)
    assert err.getvalue().strip() == ("warning: too little labelled data in ru: the classifier skips those comments "
                                      "until moderators' decisions teach it")


def test_eval_prints_json_last(tmp_path: Path) -> None:
    """``triage eval --train --test --json`` ends with one JSON object holding every metric."""
    train = write_csv(tmp_path / "a.csv", [(t, 1) for t in SPAM[:20]] + [(t, 0) for t in HAM[:20]])
    test = write_csv(tmp_path / "b.csv", [(t, 1) for t in SPAM[20:]] + [(t, 0) for t in HAM[20:]])
    out = io.StringIO()
    call_command("triage", "eval", "--train", str(train), "--test", str(test), "--json", stdout=out)
    result = json.loads(out.getvalue().strip().splitlines()[-1])
    assert result["roc_auc"] == 1.0 and result["test_rows"] == 20
    assert {"average_precision", "reject_precision", "reject_recall", "approve_precision", "approve_recall",
            "decided_share", "baseline_roc_auc"} <= set(result)


def test_eval_counts_and_names_the_rows_it_skipped(tmp_path: Path) -> None:
    """Rows with an empty text or a label other than 0/1 are left out of the evaluation,
    counted in ``skipped_rows`` and named per file on stderr, not dropped silently."""
    train = write_csv(tmp_path / "a.csv", [(t, 1) for t in SPAM[:20]] + [(t, 0) for t in HAM[:20]]
                      + [("unsure", 2), ("", 1)])
    test = write_csv(tmp_path / "b.csv", [(t, 1) for t in SPAM[20:]] + [(t, 0) for t in HAM[20:]] + [("x", "yes")])
    out, err = io.StringIO(), io.StringIO()
    call_command("triage", "eval", "--train", str(train), "--test", str(test), "--json", stdout=out, stderr=err)
    result = json.loads(out.getvalue().strip().splitlines()[-1])
    assert (result["skipped_rows"], result["train_rows"], result["test_rows"]) == (3, 40, 20)
    assert err.getvalue().splitlines() == [
        f"warning: {train}: 2 rows skipped (an empty text, or a label other than 0 or 1)",
        f"warning: {test}: 1 row skipped (an empty text, or a label other than 0 or 1)"]


def test_eval_on_a_folder_splits_it_the_same_way_each_time(seed_dir: Path) -> None:
    """``--data DIR`` uses a fixed split: two runs print the same numbers; ``--folds`` adds CV."""
    runs = []
    for _ in range(2):
        out = io.StringIO()
        call_command("triage", "eval", "--data", str(seed_dir / "en_spam"), "--json", "--folds", "3", stdout=out)
        runs.append(json.loads(out.getvalue().strip().splitlines()[-1]))
    assert runs[0] == runs[1] and len(runs[0]["cv_roc_auc"]) == 3


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "give --data DIR"),
        (["--train", "a.csv"], "give --data DIR"),
        (["--data", "nowhere"], "nowhere has no train.csv"),
        (["--data", "nowhere", "--reject-at", "5"], "are probabilities"),
        (["--data", "nowhere", "--reject-at", "0.05"], "are probabilities"),
        (["--data", "nowhere", "--approve-at", "-1"], "are probabilities"),
        (["--train", "a.csv", "--test", "b.csv", "--folds", "3"], "--folds needs --data"),
        (["--data", "nowhere", "--folds", "1"], "--folds is a number of folds from 2 to 20"),
        (["--train", "missing.csv", "--test", "missing.csv"], "cannot read missing.csv: No such file or directory"),
    ],
)
def test_eval_refuses_bad_arguments(args: list[str], message: str) -> None:
    """Missing or unreadable inputs end with a clear error, not a traceback."""
    with pytest.raises(CommandError, match=message):
        call_command("triage", "eval", *args, stdout=io.StringIO())


def test_eval_says_in_words_when_a_label_is_too_rare(tmp_path: Path) -> None:
    """One comment of a label cannot be split, nor 3 folded 5 ways: the error counts the labels
    (it was scikit-learn's message about "the least populated class")."""
    one = write_csv(tmp_path / "one" / "train.csv", [(t, 0) for t in HAM[:30]] + [(SPAM[0], 1)])
    with pytest.raises(CommandError, match="at least 2 comments of each label to split off a test part; "
                                           "it has 30 labelled 0 and 1 labelled 1"):
        call_command("triage", "eval", "--data", str(one.parent), stdout=io.StringIO())
    few = write_csv(tmp_path / "few" / "train.csv", [(t, 0) for t in HAM[:30]] + [(t, 1) for t in SPAM[:3]])
    with pytest.raises(CommandError, match="at least 5 comments of each label for 5 folds"):
        call_command("triage", "eval", "--data", str(few.parent), "--folds", "5", stdout=io.StringIO())


def test_eval_of_a_folder_of_data_sets_names_them(seed_dir: Path) -> None:
    """``--data`` takes one set's folder (``triage train --data`` takes the folder of sets): the error says so."""
    with pytest.raises(CommandError, match=r"holds data sets \(en_spam, ko_abuse\); evaluate one of them"):
        call_command("triage", "eval", "--data", str(seed_dir), stdout=io.StringIO())


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"id,text,label\n1,spam,yes\n2,ham,no\n", "none of its 2 rows has a text and a label of 0 or 1"),
        (b"id,text,label\n1,\xff\xfe bad,1\n", "not UTF-8 text"),
        ("text,label\n".encode("utf-16"), "not UTF-8 text"),
        (b"x" * (classifier.MAX_CSV_LINE + 10), "a line is longer than 1,000,000 characters"),
        (b"\x00\x01\x02" * 10, "needs the columns text and label"),
    ],
)
def test_read_csv_refuses_what_is_not_a_labelled_csv_naming_the_file(tmp_path: Path, content: bytes,
                                                                     message: str) -> None:
    path = tmp_path / "odd.csv"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=message) as refused:
        classifier.read_csv(path)
    assert "odd.csv" in str(refused.value)


def test_read_csv_takes_a_byte_order_mark(tmp_path: Path) -> None:
    """Excel's "CSV UTF-8" starts with a byte-order mark: the columns are still found."""
    path = tmp_path / "excel.csv"
    path.write_bytes("\ufeffid,text,label\n1,좋은 기사,0\n2,buy pills,1\n".encode())
    assert classifier.read_csv(path) == (["좋은 기사", "buy pills"], [0, 1], 0)


def test_explain_ignores_texts_without_ngrams(site: Any, seed_dir: Path) -> None:
    """Empty text: no n-grams to name."""
    _version, model = classifier.active_model(site) or (None, classifier.fit(classifier.seed_examples([], seed_dir)))
    assert classifier.explain(model, "") == []


def test_comments_in_a_language_the_model_did_not_learn_are_skipped(
        site: Any, seed_dir: Path, scorers: Any, make_comment: Any) -> None:
    """Trained on English and Korean, the model scores those; a Russian comment is skipped with the
    reason (a probability there would be noise), and the languages are kept with the version."""
    row = classifier.train_for_site(site, seed_dir)
    assert row.trained_on["languages"] == {"en": 60, "ko": 40}
    scorers(CLASSIFIER)
    russian = pipeline.score_comment(make_comment("Купите дешёвые таблетки прямо сейчас", language="ru"))
    assert russian.skipped == {"classifier": "the classifier has not learned ru comments yet (it knows en, ko); "
                                             "decisions teach it"}
    assert "classifier" not in russian.scores or russian.scores["classifier"] is None
    english = pipeline.score_comment(make_comment("buy cheap pills at pharma99.example", language="en-GB"))
    assert english.skipped == {} and english.scores["classifier"] > 0.5


def test_a_comment_in_none_of_the_sites_languages_is_not_judged_nor_approved(
        site: Any, seed_dir: Path, scorers: Any, make_comment: Any) -> None:
    """On an English and Korean site, German abuse has no language of the site: the classifier
    (which learned neither German nor anything like it) skips it, so automation leaves it to a
    moderator. A tester saw such comments approved on a low score and shown to readers."""
    from commentdesk.triage import automation
    from commentdesk.triage.models import TriagePolicy
    from commentdesk.triage.tests.conftest import LANGUAGE

    site.languages = ["en", "ko"]
    site.save()
    classifier.train_for_site(site, seed_dir)
    TriagePolicy.objects.create(site=site, auto_approve_below=0.99, auto_reject_above=None)
    scorers(LANGUAGE, CLASSIFIER)
    german = make_comment("Du bist ein dummes Arschloch, halt die Fresse du Hurensohn")
    score = pipeline.score_comment(german)
    assert german.language == "" and set(score.skipped) == {"classifier"}
    assert "none of the site's" in score.skipped["classifier"]
    assert automation.automate(german, score) is None
    german.refresh_from_db()
    assert german.status == "pending"
    english = make_comment("A thoughtful article about the city council, thank you.")
    score = pipeline.score_comment(english)
    assert english.language == "en" and score.skipped == {} and automation.automate(english, score) == "approve"


def test_known_languages_need_enough_rows() -> None:
    """100 rows of a language, or a fifth of a small model's rows; unknown for a model that cannot say."""
    def model(languages: dict[str, int], rows: int) -> Any:
        texts = [f"{kind} text {i}" for kind in ("spam", "ham") for i in range(rows // 2)]
        examples = classifier.Examples(texts, [1] * (rows // 2) + [0] * (rows // 2), [1.0] * rows, {})
        examples.languages.update(languages)
        return classifier.fit(examples)

    assert classifier.known_languages(model({"en": 500, "ru": 30}, 530)) == {"en"}
    assert classifier.known_languages(model({"en": 50, "ko": 10, "ru": 3}, 60)) == {"en"}
    assert classifier.known_languages(model({}, 40)) is None  # triage eval: rows of unknown language
    assert classifier.known_languages(object()) is None  # a model stored before languages were counted
