"""The measured documents in docs/benchmarks/: each a generated section (its script, command
and date at its head) and a hand-written commentary dated and written about those very
tables; and benchmarks/doc_sections.py, which keeps the two apart when a script rewrites
the tables."""

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))
from doc_sections import STALE, split, write_doc  # noqa: E402

DOCS = sorted((ROOT / "docs" / "benchmarks").glob("*.md"))


def test_there_are_documents_to_check():
    assert {p.name for p in DOCS} >= {"cifar10.md", "int8_onnx.md", "latency.md", "mobilenet_latency.md"}


@pytest.mark.parametrize("path", DOCS, ids=lambda p: p.name)
def test_commentary_is_dated_and_about_the_tables_above_it(path):
    doc = split(path.read_text())
    assert (ROOT / "benchmarks" / doc.script).is_file()
    made_by = doc.generated.lstrip("\n").splitlines()[0]
    assert made_by.startswith("Made by `") and doc.tables_date in made_by  # command and date at its head
    assert doc.written is not None, f"{path.name}: the commentary has no '_Hand-written on ... about ..._' line"
    assert doc.about == doc.tables_date, f"{path.name}: commentary about the tables of {doc.about}, not these"
    assert doc.written >= doc.tables_date and "**Out of date:**" not in doc.commentary


GENERATED = "Made by `python benchmarks/x.py` on {date}.\n\n```\ntable of {date}\n```\n"


def test_a_rewrite_keeps_the_commentary_and_marks_it_when_the_tables_are_newer(tmp_path, capsys):
    path = tmp_path / "x.md"
    path.write_text("# X\n\nMade by an older layout.\n\n## Notes\n\n_Hand-written on 2026-01-03 about the tables "
                    "of 2026-01-02._\n\n- 1.5x faster.\n")
    write_doc(path, "# X", "x.py", "2026-01-02", GENERATED.format(date="2026-01-02"), "## Notes")
    doc = split(path.read_text())
    assert (doc.title, doc.script, doc.tables_date, doc.heading) == ("# X", "x.py", "2026-01-02", "## Notes")
    assert "table of 2026-01-02" in doc.generated and "older layout" not in path.read_text()
    assert (doc.written, doc.about) == ("2026-01-03", "2026-01-02") and doc.commentary.endswith("- 1.5x faster.\n")
    assert capsys.readouterr().err == ""

    notice = STALE.format(date="2026-02-01", about="2026-01-02")
    for _ in range(2):  # a second rewrite with the same tables adds no second notice
        write_doc(path, "# X", "x.py", "2026-02-01", GENERATED.format(date="2026-02-01"), "## Notes")
        assert "the commentary is about the tables of 2026-01-02, these are of 2026-02-01" in capsys.readouterr().err
    text = path.read_text()
    doc = split(text)
    assert doc.tables_date == "2026-02-01" and "table of 2026-01-02" not in text and text.count(notice) == 1
    assert doc.commentary.startswith("## Notes\n\n" + notice)
    assert doc.commentary.endswith("- 1.5x faster.\n")


def test_an_undated_commentary_is_marked_as_such(tmp_path, capsys):
    path = tmp_path / "x.md"
    path.write_text("# X\n\nold tables\n\n## Notes\n\nSome figures.\n")
    write_doc(path, "# X", "x.py", "2026-01-02", GENERATED.format(date="2026-01-02"), "## Notes")
    doc = split(path.read_text())
    assert doc.written is None and STALE.format(date="2026-01-02", about="an unrecorded date") in doc.commentary
    assert "an unrecorded date" in capsys.readouterr().err


@pytest.mark.parametrize("text, missing", [("# X\n\nplain text\n", "no generated section"),
                                           (None, "no hand-written commentary")])
def test_a_document_out_of_layout_is_named(tmp_path, text, missing):
    if text is None:
        path = tmp_path / "x.md"
        write_doc(path, "# X", "x.py", "2026-01-02", GENERATED.format(date="2026-01-02"), "## Notes")
        text = path.read_text()
    with pytest.raises(ValueError, match=missing):
        split(text)
