"""A benchmark document's two parts, kept apart: the generated section (the measured tables,
written by a script in benchmarks/, with the command and date at its head) and the
hand-written commentary after it (its heading, then a dated line saying which tables it is
about). A script rewrites only the generated section and keeps the commentary; if the new
tables are of another date than the ones the commentary was written about, it marks the
commentary out of date (and says so on stderr), so that no figure in the commentary is
taken for one of the new tables. tests/bench/test_benchmark_docs.py holds every document in
docs/benchmarks/ to this layout.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path

START = "<!-- generated section: written by benchmarks/{script}, tables of {date}; rerun the script to refresh it "
START_TAIL = "(edit the script, not this part) -->"
START_RE = re.compile(r"^<!-- generated section: written by benchmarks/(\S+), tables of (\d{4}-\d{2}-\d{2}); ", re.M)
END = "<!-- end of generated section -->"
DATED = "_Hand-written on {written} about the tables of {about}._"
DATED_RE = re.compile(r"^_Hand-written on (\d{4}-\d{2}-\d{2}) about the tables of (\d{4}-\d{2}-\d{2})\._$", re.M)
STALE = ("**Out of date:** the tables above are of {date}; this commentary was written about those of {about}, "
         "so its figures may not be theirs. Check them against the tables, then update the line above and delete "
         "this one.")


@dataclass(frozen=True)
class Sections:
    title: str  # the document's first line, "# ..."
    script: str  # the benchmarks/ script that writes the generated section
    tables_date: str  # YYYY-MM-DD: when the tables were measured
    generated: str  # between the markers
    heading: str  # the commentary's heading, "## ..."
    written: str | None  # YYYY-MM-DD: when the commentary was written
    about: str | None  # YYYY-MM-DD: the date of the tables it was written about
    commentary: str  # from the heading on


def split(text: str) -> Sections:
    """The parts of a document in this layout; ``ValueError`` naming what is missing."""
    start = START_RE.search(text)
    if not start or END not in text:
        raise ValueError("no generated section: expected the start and end markers of benchmarks/doc_sections.py")
    title = text[:start.start()].strip()
    generated = text[text.index("\n", start.start()) + 1:text.index(END)]
    commentary = text[text.index(END) + len(END):].strip("\n")
    heading = commentary.splitlines()[0] if commentary else ""
    if not heading.startswith("## "):
        raise ValueError("no hand-written commentary: expected a '## ' heading after the generated section")
    dated = DATED_RE.search(commentary)
    return Sections(title, start[1], start[2], generated, heading, dated and dated[1], dated and dated[2],
                    commentary + "\n")


def write_doc(path: Path, title: str, script: str, tables_date: str, generated: str, heading: str) -> str:
    """Write ``path``: ``title``, the generated section ``generated`` (tables of
    ``tables_date``, by ``benchmarks/script``), then the commentary already in ``path``
    (under ``heading``), marked out of date if it was written about other tables. Returns
    the text written."""
    from lightnets.io import atomic_write_text

    old = path.read_text() if path.is_file() else ""
    try:
        commentary = split(old).commentary
    except ValueError:  # a document from before this layout: its commentary from the heading on
        marker = f"\n{heading}\n"
        commentary = old[old.index(marker) + 1:] if marker in old else ""
    dated = DATED_RE.search(commentary)
    if commentary and not (dated and dated[2] == tables_date):
        about = dated[2] if dated else "an unrecorded date"
        notice = STALE.format(date=tables_date, about=about)
        if notice not in commentary:
            head, rest = commentary.split("\n", 1)
            commentary = f"{head}\n\n{notice}\n{rest}"
        print(f"{path}: the commentary is about the tables of {about}, these are of {tables_date}; "
              "update it before committing", file=sys.stderr)
    start = START.format(script=script, date=tables_date) + START_TAIL
    text = f"{title}\n\n{start}\n{generated.strip(chr(10))}\n{END}\n\n{commentary}"
    atomic_write_text(path, text if text.endswith("\n") else text + "\n")
    return text
