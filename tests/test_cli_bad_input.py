"""Bad input met on the command line as an operator would meet it: one clear line on stderr, exit 1 (bad input)
or 2 (usage), never a traceback, never the whole of a huge input echoed back; and the good rows still load."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from digest.cli import app
from digest.sources.jobfile import FIELDS, hn_record
from digest.store.models import Item
from tests.feedserver import FeedServer
from tests.test_digest_ledger import T0, World

runner = CliRunner()
NOW = "2026-03-20T10:00:00Z"


def _hn_records(shared_data: Path, n: int) -> list[dict[str, Any]]:
    """The first n real HN postings of 2026-02 (all before NOW), as import records."""
    raw = shared_data / "hn-whoishiring-2026q1" / "2026-02-01" / "raw.json"
    jobs = [j for j in json.loads(raw.read_text(encoding="utf-8"))["jobs"] if j.get("text")]
    return [hn_record(j) for j in jobs[:n]]


def _write_csv(path: Path, records: list[dict[str, Any]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, FIELDS)
        writer.writeheader()
        writer.writerows(records)


def _clean_failure(result: Any, code: int) -> str:
    """The message of a failed command, checked to be one line with the exit code wanted and no traceback."""
    assert result.exit_code == code, result.output
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, lines
    return str(lines[0])


@pytest.mark.parametrize(
    "now", ["9999-12-31T23:59:59-05:00", "0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59", "0001-01-01"]
)
def test_now_near_the_calendars_ends_is_a_usage_error(settings: Any, now: str) -> None:
    for args in (["send-due"], ["poll"], ["stats", "python"], ["shifts"]):
        line = _clean_failure(runner.invoke(app, [*args, "--now", now]), 2)
        assert line.startswith((f"digest: --now: {now!r} is out of range", "digest: --now: not an ISO 8601"))


def test_rows_not_in_utf8_are_bad_rows_and_the_rest_load(
    settings: Any, session: Session, shared_data: Path, tmp_path: Path
) -> None:
    records = _hn_records(shared_data, 12)
    # a Latin-1 CSV: the rows with a non-ASCII byte are reported, not stored with replacement characters
    latin = tmp_path / "latin1.csv"
    with latin.open("w", newline="", encoding="latin-1") as fh:
        writer = csv.DictWriter(fh, FIELDS)
        writer.writeheader()
        for i, r in enumerate(records[:6]):
            cafe = " Café Zürich" if i in (1, 4) else ""
            writer.writerow({k: v.encode("latin-1", "replace").decode("latin-1") + cafe for k, v in r.items()})
    result = runner.invoke(app, ["import-jobs", str(latin), "--now", NOW, "--json", "--no-detect"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert [b["error"] for b in summary["bad_rows"]] == ["not UTF-8 text (save the file as UTF-8)"] * 2
    assert summary["added"] + summary["duplicates"] == 4
    assert not session.scalar(select(func.count()).select_from(Item).where(Item.company.contains("\ufffd")))
    # JSON Lines with a lone surrogate's escape: one bad row, where it was a UnicodeEncodeError traceback
    lines = [json.dumps(r) for r in records[6:]]
    lines[2] = json.dumps({**records[8], "id": "lone-surrogate", "title": "Backend Engineer \ud800"})
    jsonl = tmp_path / "surrogate.jsonl"
    jsonl.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = runner.invoke(app, ["import-jobs", str(jsonl), "--now", NOW, "--json", "--no-detect"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["bad_rows"] == [{"line": 3, "error": "not UTF-8 text (save the file as UTF-8)"}]
    assert summary["read"] == 6 and summary["added"] + summary["duplicates"] == 5


def test_a_csv_row_after_a_huge_field_is_reported_at_its_own_line(
    settings: Any, session: Session, shared_data: Path, tmp_path: Path
) -> None:
    records = _hn_records(shared_data, 8)
    records[3] = {**records[3], "description": "x" * 200_000}  # over the csv module's field limit
    records[4] = {**records[4], "title": ""}
    path = tmp_path / "jobs.csv"
    _write_csv(path, records)
    starts = []  # the line each record starts on, as an editor numbers them
    line = 2
    for r in records:
        starts.append(line)
        line += sum(v.count("\n") for v in r.values()) + 1
    result = runner.invoke(app, ["import-jobs", str(path), "--now", NOW, "--json", "--no-detect"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert [(b["line"], b["error"].split(":")[0]) for b in summary["bad_rows"]] == [
        (starts[3], "bad CSV"),
        (starts[4], "missing title"),
    ]
    assert summary["read"] == 8 and summary["added"] + summary["duplicates"] == 6


@pytest.mark.parametrize(
    "url",
    [
        "http://exa mple.com/feed.xml",  # a space in the host
        "http://" + "a" * 3000 + ".com/feed.xml",  # a label over 63 characters: was a UnicodeError traceback
        "http://jobs..example.com/rss",  # an empty label: the same
        "https://example.com/" + "a" * 3000,  # over the URL column's 2,048 characters
        "ftp://example.com/" + "b" * 3000,
    ],
)
def test_feeds_add_refuses_what_is_no_feed_url_in_one_short_line(settings: Any, session: Session, url: str) -> None:
    line = _clean_failure(runner.invoke(app, ["feeds", "add", url, "--kind", "jobs"]), 1)
    assert line.startswith(("digest: not a URL: ", "digest: not an http(s) URL: ", "digest: a URL of at most 2,048"))
    assert len(line) < 200
    assert runner.invoke(app, ["feeds", "list", "--json"]).output.strip() == "[]"


def test_an_unknown_skill_is_named_in_a_short_line_however_long_the_input(
    settings: Any, session: Session, shared_data: Path
) -> None:
    posting = _hn_records(shared_data, 1)[0]["description"]  # real, long
    long = "zq" + (posting.replace(" ", "") * 8)[:4000]  # no skill in it, and no name close to it
    for args in (["stats", long], ["subscribe", "ann@example.com", long], ["skills", "resolve", "zqx " * 2000]):
        line = _clean_failure(runner.invoke(app, args), 1)
        assert line.startswith(("digest: unknown skill 'zq", "digest: no known skill in 'zqx")), line
        assert len(line) < 300, line


def test_preview_to_an_html_file_it_cannot_write_says_so_in_one_line(
    settings: Any, session: Session, shared_data: Path, tmp_path: Path
) -> None:
    w = World(session)
    w.subscribe(w.user("ann@example.com"), "python")
    w.item(_hn_records(shared_data, 1)[0]["title"], T0 + timedelta(hours=1), "python")
    w.commit()
    at = (T0 + timedelta(hours=5)).isoformat()
    for target in (tmp_path / "no-such-folder" / "next.html", tmp_path):
        result = runner.invoke(app, ["preview", "ann@example.com", "--now", at, "--html", str(target)])
        assert result.exit_code == 1 and "Traceback" not in result.output, result.output
        assert "Subject: " in result.stdout  # the digest itself was shown
        assert result.stderr.strip().startswith(f"digest: --html: cannot write {target}: "), result.stderr
        assert len(result.stderr.strip().splitlines()) == 1


def test_a_broken_json_line_is_reported_with_its_column(
    settings: Any, session: Session, shared_data: Path, tmp_path: Path
) -> None:
    lines = [json.dumps(r) for r in _hn_records(shared_data, 5)]
    lines[1] = lines[1][:60]  # cut inside a string: the line ends in an unescaped newline
    lines[3] = lines[3] + "}"
    path = tmp_path / "jobs.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = runner.invoke(app, ["import-jobs", str(path), "--now", NOW, "--json", "--no-detect"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["bad_rows"] == [
        {"line": 2, "error": "bad JSON at column 61: Invalid control character"},
        {"line": 4, "error": f"bad JSON at column {len(lines[3])}: Extra data"},
    ]
    assert summary["added"] + summary["duplicates"] == 3


def test_each_skipped_row_is_one_line_on_stderr(
    settings: Any, session: Session, shared_data: Path, tmp_path: Path
) -> None:
    records = _hn_records(shared_data, 4)
    records[1] = {**records[1], "posted_at": "0001-01-01T00:00:00+05:00"}
    path = tmp_path / "postings-exported-from-the-applicant-tracking-system.csv"
    _write_csv(path, records)
    result = runner.invoke(app, ["import-jobs", str(path), "--now", NOW, "--no-detect"])
    assert result.exit_code == 0, result.output
    skipped = [line for line in result.stderr.splitlines() if line.startswith("skipped")]
    assert skipped == [
        f"skipped {path.name} line {3 + records[0]['description'].count(chr(10))}: "
        "posted_at is not an ISO date or date-time: '0001-01-01T00:00:00+05:00'"
    ]


def test_digest_help_lists_each_command_by_its_first_sentence_only() -> None:
    out = runner.invoke(app, ["--help"], env={"COLUMNS": "200"}).output
    summaries = {
        line.split("│")[1].split()[0]: line for line in out.splitlines() if line.startswith("│ ") and "  " in line
    }
    assert "Admin path to a subscription, following SKILL and the search's filters." in summaries["subscribe"]
    assert "Run the web app alone (uvicorn)." in summaries["serve"]
    # the rest of a docstring is for `digest COMMAND --help`, not cut mid-sentence into the list
    for rest in ("news ignores them", "Links in emails point", "Sign-up and sign-in", "nothing sent is sent again"):
        assert rest not in out, rest
    assert "news ignores them" in runner.invoke(app, ["subscribe", "--help"], env={"COLUMNS": "200"}).output


def test_a_folder_with_no_hn_dump_in_it_is_bad_input(settings: Any, session: Session, tmp_path: Path) -> None:
    (tmp_path / "exports").mkdir()
    (tmp_path / "exports" / "jobs.csv").write_text("id,title,posted_at\n", encoding="utf-8")
    result = runner.invoke(app, ["import-jobs", str(tmp_path / "exports"), "--now", NOW])
    assert result.exit_code == 1 and "Traceback" not in result.output, result.output
    line = result.stderr.strip().splitlines()[-1]
    assert line.startswith(f"digest: {tmp_path / 'exports'}: a folder with no raw.json in it"), line


def test_a_file_it_cannot_import_leaves_one_line_and_no_progress_bar(
    settings: Any, session: Session, shared_data: Path, tmp_path: Path
) -> None:
    exported = tmp_path / "exported.csv"  # real postings under a header of other names
    with exported.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["job_id", "job_title", "date"])
        writer.writerows([r["id"], r["title"], r["posted_at"]] for r in _hn_records(shared_data, 5))
    result = runner.invoke(app, ["import-jobs", str(exported), "--now", NOW])
    line = _clean_failure(result, 1)
    assert line.startswith(f"digest: {exported}: CSV header lacks id, title, posted_at"), line
    assert result.stderr == line + "\n"  # not even an empty line where the bar was


def test_a_file_whose_every_row_is_bad_exits_1(
    settings: Any, session: Session, shared_data: Path, tmp_path: Path
) -> None:
    records = _hn_records(shared_data, 6)
    good = tmp_path / "postings.jsonl"
    good.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    csv_file = tmp_path / "postings.csv"  # a CSV read as JSON Lines: every line is a bad row
    _write_csv(csv_file, records)
    result = runner.invoke(app, ["import-jobs", str(csv_file), "--format", "jsonl", "--now", NOW, "--json"])
    assert result.exit_code == 1, result.output
    summary = json.loads(result.stdout)  # the summary still says what was read
    assert summary["read"] == len(summary["bad_rows"]) > 6 and summary["added"] == 0
    assert result.stderr.strip().splitlines()[-1] == (
        f"digest: {csv_file}: every one of its {summary['read']} rows is bad; is it jsonl? (--format csv|jsonl|hn)"
    )
    # the same postings in the right format load, and exit 0
    result = runner.invoke(app, ["import-jobs", str(good), "--now", NOW, "--json", "--no-detect"])
    assert result.exit_code == 0 and json.loads(result.stdout)["added"] > 0, result.output


def test_poll_says_an_html_page_is_no_feed_in_words(settings: Any, session: Session, shared_data: Path) -> None:
    feed = (shared_data / "feedjira-sample-feeds" / "TechCrunch.xml").read_bytes()
    page = (
        b'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>TechCrunch</title>\n'
        b'<link rel="alternate" type="application/rss+xml" href="/feed/"><link rel="stylesheet" href="/s.css">\n'
        b"</head><body><h1>TechCrunch</h1><p>Startup and technology news<br></body></html>\n"
    )
    with FeedServer() as server:
        site = server.route("/", body=page, headers={"Content-Type": "text/html; charset=utf-8"})
        untyped = server.route("/home", body=page, headers={"Content-Type": "application/octet-stream"})
        rss = server.route("/feed/", body=feed, headers={"Content-Type": "application/rss+xml"})
        at = ["--now", "2026-03-16T11:00:00Z"]
        for url in (site, untyped, rss):
            assert runner.invoke(app, ["feeds", "add", url, "--kind", "news", *at]).exit_code == 0
        result = runner.invoke(app, ["poll", "--now", "2026-03-16T12:00:00Z"])
    assert result.exit_code == 0, result.output
    want = "not a feed but an HTML page: add the address of the site's RSS or Atom feed"
    assert result.stderr.splitlines() == [f"  failed: feed {n} {url}: {want}" for n, url in ((1, site), (2, untyped))]
    assert "polled 3 feeds: 1 ok, 0 not modified, 2 failed" in result.stdout


def _digest(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """The console script as an operator runs it (it calls `digest.cli.app`), in a process of its own."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DIGEST_")}
    code = "import sys; from digest.cli import app; sys.argv[0] = 'digest'; sys.exit(app())"
    return subprocess.run(
        [sys.executable, "-c", code, *args], env={**clean, **env}, capture_output=True, text=True, timeout=60
    )


def test_a_database_not_made_yet_or_not_reachable_is_one_line(tmp_path: Path) -> None:
    fresh = {"DIGEST_DATA_DIR": str(tmp_path / "var")}
    done = _digest(fresh, "stats", "python")  # no DIGEST_DATA_DIR folder yet
    want = f"digest: cannot use the database at sqlite:///{tmp_path}/var/digest.sqlite3: unable to open database file"
    assert (done.returncode, done.stderr) == (1, want + " (run `digest init` to make it)\n")
    (tmp_path / "var").mkdir()
    for args in (["stats", "python"], ["feeds", "list"], ["send-due", "--now", NOW]):
        done = _digest(fresh, *args)
        assert (done.returncode, done.stderr) == (1, "digest: the database has no tables yet: run `digest init`\n")
    down = {**fresh, "DIGEST_DATABASE_URL": "postgresql+psycopg://digest:secret@127.0.0.1:1/digest"}
    done = _digest(down, "feeds", "list")
    assert done.returncode == 1 and len(done.stderr.splitlines()) == 1, done.stderr
    assert done.stderr.startswith("digest: cannot use the database at postgresql+psycopg://digest:***@127.0.0.1:1/")
    assert "secret" not in done.stderr
    for url in ("not a url", "postgresql://digest:secret@host:port/digest"):  # bad configuration: said at start
        done = _digest({**fresh, "DIGEST_DATABASE_URL": url}, "feeds", "list")
        assert (done.returncode, done.stderr) == (2, f"digest: bad configuration: {BAD_DATABASE_URL}\n")


BAD_DATABASE_URL = "DIGEST_DATABASE_URL: must look like postgresql+psycopg://user:pass@host:5432/digest"


def test_skills_list_of_a_category_no_skill_has_says_so_and_finds_it_in_any_case(settings: Any, engine: Any) -> None:
    from tests.test_taxonomy_db import empty_taxonomy_fast

    assert runner.invoke(app, ["init"]).exit_code == 0
    try:
        exact = runner.invoke(app, ["skills", "list", "--json", "--category", "Web platform development software"])
        rows = json.loads(exact.stdout)
        assert "ajax" in {r["skill"] for r in rows}
        lower = runner.invoke(app, ["skills", "list", "--json", "--category", "web platform development software"])
        assert json.loads(lower.stdout) == rows
        line = _clean_failure(runner.invoke(app, ["skills", "list", "--category", "Web platfrom development"]), 1)
        assert line.startswith("digest: no skill has the category 'Web platfrom development'; did you mean: ")
        assert "'Web platform development software'" in line
    finally:
        empty_taxonomy_fast(engine)


def test_init_with_a_data_dir_it_cannot_make_names_the_variable(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("not a folder", encoding="utf-8")
    done = _digest({"DIGEST_DATA_DIR": str(tmp_path / "a-file" / "var")}, "init")
    want = f"digest: DIGEST_DATA_DIR: cannot make the folder {tmp_path}/a-file/var: Not a directory\n"
    assert (done.returncode, done.stderr) == (1, want)


def test_a_csv_header_as_spreadsheets_write_it_loads_and_a_wrong_one_says_why(
    settings: Any, session: Session, shared_data: Path, tmp_path: Path
) -> None:
    records = _hn_records(shared_data, 5)

    def write(name: str, header: list[str], delimiter: str = ",") -> Path:
        path = tmp_path / name
        with path.open("w", newline="", encoding="utf-8-sig") as fh:  # Excel's "CSV UTF-8": with a BOM
            writer = csv.writer(fh, delimiter=delimiter)
            writer.writerow(header)
            writer.writerows([r[k] for k in FIELDS] for r in records)
        return path

    caps = write("caps.csv", ["ID", "Title", "Company", "Location", "Posted_At", "URL", "Description"])
    result = runner.invoke(app, ["import-jobs", str(caps), "--now", NOW, "--json", "--no-detect"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["bad_rows"] == [] and summary["added"] + summary["duplicates"] == 5
    spaced = write("spaced.csv", [" id", " title", " company", " location", " posted_at", " url", " description"])
    result = runner.invoke(app, ["import-jobs", str(spaced), "--now", NOW, "--json", "--no-detect"])
    assert result.exit_code == 0 and json.loads(result.stdout)["duplicates"] == 5, result.output
    semicolons = write("semicolons.csv", list(FIELDS), delimiter=";")
    line = _clean_failure(runner.invoke(app, ["import-jobs", str(semicolons), "--now", NOW]), 1)
    assert (
        line
        == f"digest: {semicolons}: CSV header lacks id, title, posted_at: its columns are separated by ';', not ','"
    )
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    line = _clean_failure(runner.invoke(app, ["import-jobs", str(empty), "--now", NOW]), 1)
    assert line == f"digest: {empty}: empty: no header line (expected {', '.join(FIELDS)})"


def test_stderr_names_the_first_hundred_bad_rows_and_json_every_one(
    settings: Any, session: Session, shared_data: Path, tmp_path: Path
) -> None:
    records = _hn_records(shared_data, 160)
    lines = [json.dumps({**r, "posted_at": "31/01/2026"} if i < 150 else r) for i, r in enumerate(records)]
    path = tmp_path / "jobs.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = runner.invoke(app, ["import-jobs", str(path), "--now", NOW, "--no-detect"])
    assert result.exit_code == 0, result.output
    skipped = [line for line in result.stderr.splitlines() if line.startswith("skipped")]
    assert len(skipped) == 101 and skipped[99].startswith("skipped jobs.jsonl line 100: posted_at")
    assert skipped[100] == "skipped jobs.jsonl: more bad rows are counted, not shown here (--json lists every one)"
    assert "160 rows read: " in result.stdout and "150 bad rows skipped" in result.stdout
    result = runner.invoke(app, ["import-jobs", str(path), "--now", NOW, "--no-detect", "--json"])
    assert len(json.loads(result.stdout)["bad_rows"]) == 150


def test_a_nul_character_in_a_row_is_dropped_not_fatal(
    settings: Any, session: Session, shared_data: Path, tmp_path: Path
) -> None:
    records = _hn_records(shared_data, 6)
    r = records[2]
    records[2] = {**r, "title": r["title"] + "\x00", "description": r["description"].replace(" ", " \x00", 3)}
    path = tmp_path / "jobs.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")  # "\u0000" escapes
    result = runner.invoke(app, ["import-jobs", str(path), "--now", NOW, "--json", "--no-detect"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["bad_rows"] == [] and summary["added"] + summary["duplicates"] == 6
    stored = session.scalar(select(Item).where(Item.url == r["url"]))
    assert stored is not None and stored.title == r["title"] and "\x00" not in stored.summary
