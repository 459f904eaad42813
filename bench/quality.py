"""Dedup quality of a finished build, measured against make_corpus.py's ground truth.

Used by run.py; also runnable on its own against any built store:

    .venv/bin/python bench/quality.py CORPUS_DIR STORE_DB [--examples 5]

How pairs are counted
---------------------
The unit is an *article URL*: a manifest file's URL in canonical form (the product's own
`canonical_url`, so `?utm_source=...` variants and a mirror page's original URL fold into the
URL they name), because the store keeps one row per canonical URL (`articles.url`). Files that
share a canonical URL are one unit; the report says how many files folded this way.

Ground truth partitions the units twice:

- duplicate groups: union of each file with its `duplicate_of` original (near and exact
  copies alike), closed transitively, plus files that share a URL;
- stories: the manifest's `story` label (the event the article reports).

The store gives three partitions of the same units (a unit missing from the store, e.g. a
skipped file, is a group of its own there, so its pairs count as missed):

- dedup links: union of each row with its `matched_url` where `level` is `same_article` or
  `near_duplicate` (levels 1 and 2), closed transitively;
- stories: `story_id`.

For a partition, its pairs are the unordered pairs of distinct units in one group
(sum of k*(k-1)/2). Then, with T the truth pairs and P the predicted pairs:

    precision = |T & P| / |P|        recall = |T & P| / |T|

reported for (1) duplicate pairs: truth duplicate groups vs dedup links (issue 5, target 6);
(2) duplicate pairs in one story: truth duplicate groups vs story_id, recall only (precision
against duplicates is meaningless there: stories rightly also join different outlets'
reports); (3) story pairs: truth stories vs story_id (how well level 3 groups an event).
"Edge recall" repeats (1) per manifest link (copy -> original with distinct URLs), split
into near and exact copies, to show which kind is missed.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

DUPLICATE_LEVELS = ("same_article", "near_duplicate")


@dataclass(frozen=True)
class StoreRow:
    url: str
    story_id: str
    level: str
    matched_url: str | None


@dataclass(frozen=True)
class PairScore:
    truth: int
    predicted: int
    both: int

    @property
    def precision(self) -> float:
        return self.both / self.predicted if self.predicted else 1.0

    @property
    def recall(self) -> float:
        return self.both / self.truth if self.truth else 1.0


@dataclass(frozen=True)
class Quality:
    files: int
    units: int
    folded_files: int  # files that share a canonical URL with another file
    missing: int  # units with no row in the store
    duplicates: PairScore
    duplicates_in_story: PairScore
    stories: PairScore
    edge_recall: dict[str, tuple[int, int]]  # kind -> (found, all)
    examples: list[str]


class UnionFind:
    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, x: str) -> str:
        self.parent.setdefault(x, x)
        root = x
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[x] != root:
            self.parent[x], x = root, self.parent[x]
        return root

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def load_manifest(corpus: Path, sets: Iterable[str] = ("seeds",)) -> list[dict]:
    wanted = set(sets)
    with (corpus / "manifest.jsonl").open(encoding="utf-8") as fh:
        return [row for line in fh if (row := json.loads(line))["set"] in wanted]


def read_store(db_path: Path) -> list[StoreRow]:
    db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        rows = db.execute("SELECT url, story_id, level, matched_url FROM articles").fetchall()
    finally:
        db.close()
    return [StoreRow(*row) for row in rows]


def pairs(groups: Iterable[int]) -> int:
    return sum(k * (k - 1) // 2 for k in groups)


def pair_score(truth: dict[str, str], predicted: dict[str, str]) -> PairScore:
    """Score two partitions of the same units, given as unit -> group label."""
    both = Counter((truth[u], predicted[u]) for u in truth)
    return PairScore(
        truth=pairs(Counter(truth.values()).values()),
        predicted=pairs(Counter(predicted[u] for u in truth).values()),
        both=pairs(both.values()),
    )


def evaluate(
    manifest: list[dict],
    store: list[StoreRow],
    *,
    canonical: Callable[[str], str],
    examples: int = 0,
) -> Quality:
    """Compare the store's grouping with the manifest's ground truth (see module docstring)."""
    url_of = {row["doc"]: canonical(row["url"]) for row in manifest}
    truth_dup = UnionFind()
    story_of: dict[str, str] = {}
    for row in manifest:
        url = url_of[row["doc"]]
        truth_dup.find(url)
        story_of.setdefault(url, row["story"])
        if row["duplicate_of"] in url_of:
            truth_dup.union(url, url_of[row["duplicate_of"]])
    units = sorted(story_of)
    by_url = {row.url: row for row in store}
    links = UnionFind()
    for row in store:
        links.find(row.url)
        if row.level in DUPLICATE_LEVELS and row.matched_url:
            links.union(row.url, row.matched_url)
    truth_groups = {u: truth_dup.find(u) for u in units}
    link_groups = {u: links.find(u) if u in by_url else f"missing:{u}" for u in units}
    story_groups = {u: by_url[u].story_id if u in by_url else f"missing:{u}" for u in units}
    truth_stories = {u: story_of[u] for u in units}

    edges: dict[str, list[int]] = {"near": [0, 0], "exact": [0, 0]}
    shown: list[str] = []
    for row in manifest:
        original = row["duplicate_of"]
        if original not in url_of or url_of[original] == url_of[row["doc"]]:
            continue
        a, b = url_of[row["doc"]], url_of[original]
        found = link_groups[a] == link_groups[b]
        edges[row["kind"]][0] += found
        edges[row["kind"]][1] += 1
        if not found and len(shown) < examples:
            shown.append(_describe_miss(row, a, b, by_url))
    if examples:
        shown += _false_links(units, truth_groups, by_url, examples)
    return Quality(
        files=len(manifest),
        units=len(units),
        folded_files=len(manifest) - len(units),
        missing=sum(u not in by_url for u in units),
        duplicates=pair_score(truth_groups, link_groups),
        duplicates_in_story=pair_score(truth_groups, story_groups),
        stories=pair_score(truth_stories, story_groups),
        edge_recall={kind: (v[0], v[1]) for kind, v in edges.items()},
        examples=shown,
    )


def _describe_miss(row: dict, a: str, b: str, by_url: dict[str, StoreRow]) -> str:
    def level(url: str) -> str:
        r = by_url.get(url)
        return "missing from store" if r is None else f"{r.level} via {r.matched_url}"

    return (
        f"missed {row['kind']} copy {row['path']}:\n    {a} ({level(a)})\n    of {b} ({level(b)})"
    )


def _false_links(
    units: list[str], truth: dict[str, str], by_url: dict[str, StoreRow], limit: int
) -> list[str]:
    out = []
    for url in units:
        row = by_url.get(url)
        if (
            row is not None
            and row.level in DUPLICATE_LEVELS
            and row.matched_url in truth
            and truth[row.matched_url] != truth[url]
        ):
            out.append(f"false {row.level} link: {url}\n    -> {row.matched_url}")
            if len(out) >= limit:
                break
    return out


def format_quality(q: Quality) -> list[tuple[str, str]]:
    """Rows (measure, value) for run.py's table."""
    near, exact = q.edge_recall["near"], q.edge_recall["exact"]
    d, s, st = q.duplicates, q.duplicates_in_story, q.stories
    return [
        (
            "ground truth",
            f"{q.files} files -> {q.units} URLs ({q.folded_files} files share a URL);"
            f" {q.missing} URLs not in store",
        ),
        (
            "duplicate pairs (level 1+2 links)",
            f"precision {d.precision:.4f}  recall {d.recall:.4f}"
            f"  (truth {d.truth}, found {d.predicted}, right {d.both})",
        ),
        (
            "  edge recall by kind",
            f"near {_ratio(*near)}  exact {_ratio(*exact)}",
        ),
        ("duplicate pairs in one story", f"recall {s.recall:.4f}  ({s.both} of {s.truth})"),
        (
            "same-story pairs (level 1-3)",
            f"precision {st.precision:.4f}  recall {st.recall:.4f}"
            f"  (truth {st.truth}, found {st.predicted}, right {st.both})",
        ),
    ]


def _ratio(found: int, total: int) -> str:
    return f"{found / total:.4f} ({found}/{total})" if total else "n/a"


def product_canonical() -> Callable[[str], str]:
    """The product's canonical_url, or identity (with a note) when it cannot be imported."""
    try:
        from aggregator.normalize.urls import canonical_url
    except ImportError:
        print("note: aggregator not importable; URLs compared as written", file=sys.stderr)
        return lambda url: url
    return canonical_url


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Dedup precision/recall of a built store against a corpus manifest.",
        epilog="Example: .venv/bin/python bench/quality.py /tmp/c2k /tmp/w/state/aggregator.db",
    )
    parser.add_argument("corpus", type=Path, help="folder written by make_corpus.py")
    parser.add_argument("db", type=Path, help="the build's SQLite store")
    parser.add_argument(
        "--sets", default="seeds", help="manifest sets the store was built from (seeds,extra)"
    )
    parser.add_argument("--examples", type=int, default=0, help="show this many misses")
    args = parser.parse_args(argv)
    manifest = load_manifest(args.corpus, args.sets.split(","))
    q = evaluate(
        manifest, read_store(args.db), canonical=product_canonical(), examples=args.examples
    )
    for name, value in format_quality(q):
        print(f"{name:36} {value}")
    for line in q.examples:
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
