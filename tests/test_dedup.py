"""Dedup: fingerprints, the three levels of story assignment, and the dates they read."""

from __future__ import annotations

import html
import itertools
import json
import random
import re
import struct
import subprocess
import sys
import textwrap
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from datasketch import MinHash
from hypothesis import given, settings
from hypothesis import strategies as st

from aggregator.config import DedupConfig
from aggregator.dedup import (
    DedupDoc,
    Fingerprint,
    StoryIndex,
    explain,
    fingerprint,
    fingerprint_from_dict,
    fingerprint_to_dict,
    new_story_id,
)
from aggregator.dedup.eventdates import mentioned_dates
from aggregator.dedup.shingles import (
    MINHASH_SCHEME,
    MINHASH_SEED,
    NUM_PERM,
    lsh_threshold,
    minhash_signature,
    shingle_hashes,
    signature_jaccard,
    unit_hashes,
)
from aggregator.dedup.termindex import TermIndex
from aggregator.errors import StorageError
from aggregator.records import StoryDecision, StoryId
from aggregator.textfold import fold, shingle_units
from tests.conftest import SAMPLE_SEEDS

# Publication time and outlet of each sample seed, by file-name prefix.
SEED_FACTS = {
    "000": ("2023-09-12T18:24+02:00", "RFI"),
    "001": ("2023-09-12T04:17:02+00:00", "BBC"),
    "002": ("2023-09-15T17:37+02:00", "RFI"),
    "003": ("2023-09-14T07:42:00+00:00", "BBC"),
    "004": ("2023-09-05T00:00+08:00", "大纪元"),
}
ARCHIVE_HEADER = re.compile(r"\[(?P<title>.*)\]\((?P<url>\S+)\)")


def seed_doc(path: Path) -> DedupDoc:
    """Build a DedupDoc from a sample seed with a minimal split of either seed format."""
    lines = path.read_text(encoding="utf-8").splitlines()
    if lines[0].startswith("<!--"):
        header = ARCHIVE_HEADER.fullmatch(lines[1].strip())
        assert header is not None
        title, url, body = header["title"], header["url"], lines[3:]
    else:
        title = lines[0].removeprefix("###").strip()
        url = lines[-1].split("：", 1)[1].strip()
        first_rule = lines.index("---")
        nav = next(i for i in range(first_rule + 1, len(lines)) if lines[i].strip())
        last_rule = max(i for i, line in enumerate(lines) if line.strip() == "---")
        body = lines[nav + 1 : last_rule]
    published, source = SEED_FACTS[path.name[:3]]
    return DedupDoc(
        url=url,
        title=html.unescape(title),
        text=BeautifulSoup("\n".join(body), "lxml").get_text("\n"),
        published=datetime.fromisoformat(published),
        source=source,
    )


def doc(url: str, source: str, published: str, title: str, text: str) -> DedupDoc:
    return DedupDoc(
        url=url,
        title=title,
        text=text,
        published=datetime.fromisoformat(published),
        source=source,
    )


def assign_all(docs: list[DedupDoc], cfg: DedupConfig | None = None) -> list[StoryDecision]:
    """Assign and add `docs` in order of publication, as the app does; decisions in input order."""
    index = StoryIndex(cfg or DedupConfig())
    decisions: dict[str, StoryDecision] = {}
    for d in sorted(docs, key=lambda d: d.published):
        fp = fingerprint(d)
        decisions[d.url] = index.assign(fp)
        index.add(fp, decisions[d.url].story_id)
    return [decisions[d.url] for d in docs]


@pytest.fixture(scope="module")
def seed_docs() -> dict[str, DedupDoc]:
    """The sample seeds as DedupDocs, by file-name prefix ("000" .. "004")."""
    return {path.name[:3]: seed_doc(path) for path in SAMPLE_SEEDS}


# Test inputs of our own making: one event told by two outlets in two scripts, a follow-up,
# an unrelated story of the same day, and an English pair with an unrelated English story.
LIBYA_HANS = doc(
    "https://a.example/libya",
    "新华",
    "2023-09-12T10:00+08:00",
    "利比亚东部洪灾死亡人数升至五千多人",
    "利比亚东部城市德尔纳遭受风暴“丹尼尔”引发的洪水袭击，当地官员周二（9月12日）表示，死亡人数"
    "已超过5300人，另有约一万人失踪。两座水坝在周日晚间决堤，洪水冲毁了城市的大片街区，许多房屋"
    "连同居民被冲入大海。联合国表示正在向灾区运送紧急物资，邻国埃及和突尼斯也派出了救援队。"
    "利比亚自2011年以来陷入分裂，东西两个政府对立，救援协调困难重重。",
)
LIBYA_HANT = doc(
    "https://b.example/libya",
    "中央社",
    "2023-09-12T21:30+08:00",
    "利比亞洪災 德爾納死亡人數恐破五千 上萬人下落不明",
    "風暴「丹尼爾」襲擊利比亞東部，沿海城市德爾納兩座水壩潰堤，大水沖走整片住宅區。東部政府官員"
    "12日說，已確認超過5300人罹難，約1萬人失蹤，數字可能還會上升。聯合國表示，救援物資正陸續運抵"
    "災區，埃及與突尼西亞也已派遣救難隊。利比亞自2011年強人格達費倒台後長期分裂，東西兩個政府"
    "對峙，使救災工作更加複雜。",
)
LIBYA_FOLLOW_UP = doc(
    "https://b.example/libya-probe",
    "中央社",
    "2023-09-14T09:00+08:00",
    "利比亞德爾納洪災 檢方調查水壩潰堤責任",
    "利比亞總檢察長13日表示，已對德爾納兩座水壩潰堤一事展開調查，追究維護不力的責任。當局說，"
    "這兩座水壩早在1990年代就出現裂縫，但修繕工程一再延宕。世界氣象組織指出，若利比亞有正常運作"
    "的預警系統，大部分傷亡原本可以避免。聯合國估計，洪災已造成逾1萬1300人死亡。",
)
IPHONE = doc(
    "https://c.example/iphone",
    "联合早报",
    "2023-09-12T20:00+08:00",
    "苹果发布iPhone 15系列 改用USB-C接口",
    "苹果公司周二（9月12日）在加州库比蒂诺总部举行发布会，推出iPhone 15系列手机。新机型首次采用"
    "USB-C充电接口，取代使用了十多年的Lightning接口。高端机型iPhone 15 Pro采用钛金属外壳，起售价"
    "为999美元，将于9月22日上市。分析人士认为，中国市场需求疲软是苹果今年面临的主要挑战。",
)
QUAKE_WIRE = doc(
    "https://wire.example/quake",
    "Wire",
    "2023-09-10T12:00+00:00",
    "Morocco earthquake death toll rises above 2,000",
    "An earthquake of magnitude 6.8 struck Morocco's High Atlas mountains late on Friday, killing "
    "more than 2,000 people, the interior ministry said on Sunday. Rescuers searched for survivors "
    "in remote villages south of Marrakech, where many mud-brick homes collapsed. King Mohammed VI "
    "declared three days of national mourning. Spain, Qatar and Britain sent rescue teams.",
)
QUAKE_PRESS = doc(
    "https://press.example/quake",
    "Press",
    "2023-09-10T16:30+00:00",
    "Rescuers race to reach survivors as Morocco quake kills over 2,000",
    "Rescue teams dug through rubble in mountain villages on Sunday after the strongest earthquake "
    "to hit Morocco in decades killed more than 2,000 people. The magnitude 6.8 quake struck on "
    "Friday night in the High Atlas, about 70 kilometers southwest of Marrakech. The government "
    "announced three days of mourning, and countries including Spain and Britain offered help.",
)
SUMMIT = doc(
    "https://press.example/g20",
    "Press",
    "2023-09-10T14:00+00:00",
    "G20 leaders end summit in New Delhi with pledge on climate finance",
    "Leaders of the Group of 20 wrapped up their summit in New Delhi on Sunday, after agreeing on "
    "a declaration that avoided condemning Russia for its war in Ukraine. Prime Minister Narendra "
    "Modi handed the presidency to Brazil. The leaders pledged to triple renewable energy capacity "
    "by 2030 but stopped short of a deadline to phase out coal.",
)


class TestSampleSeeds:
    def test_arrival_reports_of_two_outlets_are_one_story(
        self, seed_docs: dict[str, DedupDoc]
    ) -> None:
        """RFI's and BBC's reports of Kim Jong Un's arrival in Russia (12 Sep) are one story."""
        decisions = assign_all(list(seed_docs.values()))
        by_seed = dict(zip(seed_docs, decisions, strict=True))
        assert by_seed["000"].story_id == by_seed["001"].story_id
        assert by_seed["000"].level == "same_story"
        assert by_seed["000"].matched_url == seed_docs["001"].url

    def test_other_sample_seeds_are_stories_of_their_own(
        self, seed_docs: dict[str, DedupDoc]
    ) -> None:
        """The talks (14 Sep), the factory visit (15 Sep) and the rumour (5 Sep) stand alone."""
        decisions = assign_all(list(seed_docs.values()))
        by_seed = dict(zip(seed_docs, decisions, strict=True))
        assert [by_seed[n].level for n in ("001", "002", "003", "004")] == ["new"] * 4
        assert len({d.story_id for d in decisions}) == 4

    def test_stricter_story_threshold_keeps_the_arrival_reports_apart(
        self, seed_docs: dict[str, DedupDoc]
    ) -> None:
        """With dedup.story = 0.9 no two sample seeds join: five stories."""
        decisions = assign_all(list(seed_docs.values()), DedupConfig(story=0.9))
        assert {d.level for d in decisions} == {"new"}
        assert len({d.story_id for d in decisions}) == 5

    def test_same_outlet_needs_stronger_evidence(self, seed_docs: dict[str, DedupDoc]) -> None:
        """The arrival pair, were it from one outlet, stays apart: the bar is higher."""
        one_outlet = replace(seed_docs["000"], source="BBC")
        first, second = assign_all([seed_docs["001"], one_outlet])
        assert second.level == "new"
        assert first.story_id != second.story_id

    def test_same_outlet_bar_ignores_case_and_spaces(self, seed_docs: dict[str, DedupDoc]) -> None:
        """The same-outlet bar is 1 - (1 - story) / 3, for any two articles of one outlet."""
        index = StoryIndex(DedupConfig(story=0.5))
        a = fingerprint(seed_docs["000"])
        b = fingerprint(replace(seed_docs["002"], source=" rfi "))
        assert index.story_bar(a, b) == pytest.approx(1 - 0.5 / 3)
        assert index.story_bar(a, fingerprint(seed_docs["001"])) == 0.5

    @pytest.mark.parametrize("path", SAMPLE_SEEDS, ids=lambda p: p.name)
    def test_seed_fingerprint_round_trips_through_json(self, path: Path) -> None:
        """A fingerprint survives fingerprint_to_dict, JSON and fingerprint_from_dict."""
        fp = fingerprint(seed_doc(path))
        data = json.loads(json.dumps(fingerprint_to_dict(fp), ensure_ascii=False))
        assert fingerprint_from_dict(data) == fp

    def test_seed_leads_name_the_day_of_their_event(self, seed_docs: dict[str, DedupDoc]) -> None:
        """Each seed's first named day is the day its lead reports on."""
        first_days = {n: fingerprint(d).dates[0] for n, d in seed_docs.items()}
        assert first_days == {
            "000": date(2023, 9, 12),
            "001": date(2023, 9, 12),
            "002": date(2023, 9, 15),
            "003": date(2023, 9, 13),
            "004": date(2023, 9, 5),
        }


class TestSameArticle:
    def test_same_url_is_the_same_article(self, seed_docs: dict[str, DedupDoc]) -> None:
        """An article arriving again under its URL joins its own story."""
        index = StoryIndex(DedupConfig())
        fp = fingerprint(seed_docs["001"])
        index.add(fp, StoryId("s1"))
        edited = fingerprint(replace(seed_docs["001"], text="completely different text"))
        decision = index.assign(edited)
        assert (decision.level, decision.story_id, decision.matched_url) == (
            "same_article",
            "s1",
            fp.url,
        )

    def test_same_text_under_another_url_is_the_same_article(
        self, seed_docs: dict[str, DedupDoc]
    ) -> None:
        """A copy of the text under another URL and outlet is the same article."""
        copy = replace(seed_docs["003"], url="https://mirror.example/x", source="Mirror")
        original, second = assign_all([seed_docs["003"], copy])
        assert second.level == "same_article"
        assert second.story_id == original.story_id
        assert "identical text" in second.evidence

    def test_whitespace_and_script_do_not_change_the_text_hash(self) -> None:
        """Texts differing only in whitespace and Traditional/Simplified script hash alike."""
        a = replace(LIBYA_HANS, text="朝鮮領導人金正恩 已抵達俄羅斯" * 3)
        b = replace(LIBYA_HANS, url="https://x.example/", text="朝鲜领导人金正恩已抵达\n俄罗斯" * 3)
        assert fingerprint(a).text_hash == fingerprint(b).text_hash

    def test_same_guid_from_the_same_outlet_is_the_same_article(self) -> None:
        """A guid seen before from the same outlet names the same article."""
        first = replace(QUAKE_WIRE, guid="tag:wire,2023:1")
        again = replace(SUMMIT, source="Wire", guid="tag:wire,2023:1")
        decisions = assign_all([first, again])
        assert decisions[1].level == "same_article"

    def test_same_guid_from_another_outlet_is_not_the_same_article(self) -> None:
        """Guids are only unique within one outlet's feed."""
        first = replace(QUAKE_WIRE, guid="12345")
        other = replace(SUMMIT, guid="12345")
        assert assign_all([first, other])[1].level == "new"

    def test_stub_texts_do_not_match_on_text(self) -> None:
        """Two different articles whose bodies are the same stub stay apart."""
        a = replace(QUAKE_WIRE, text="Read more")
        b = replace(SUMMIT, text="Read more")
        assert assign_all([a, b])[1].level == "new"


class TestNearDuplicate:
    def test_lightly_edited_seed_is_a_near_duplicate(self, seed_docs: dict[str, DedupDoc]) -> None:
        """A seed's text with a few characters changed, under another URL, is a near-duplicate."""
        original = seed_docs["003"]
        edited = replace(
            original,
            url="https://syndicated.example/kim",
            source="Syndicator",
            text=original.text.replace("普京", "普丁", 2).replace("卫星", "衛星"),
            published=original.published + timedelta(days=30),
        )
        first, second = assign_all([original, edited])
        assert second.level == "near_duplicate"
        assert second.story_id == first.story_id
        assert second.score >= DedupConfig().near_duplicate

    def test_lightly_edited_english_text_is_a_near_duplicate(self) -> None:
        """Word shingles find an English story updated with a few words changed."""
        updated = replace(
            QUAKE_WIRE,
            url="https://wire.example/quake-update",
            text=QUAKE_WIRE.text.replace("remote villages", "isolated villages"),
        )
        assert assign_all([QUAKE_WIRE, updated])[1].level == "near_duplicate"

    def test_different_stories_are_not_near_duplicates(self) -> None:
        """Two unrelated texts have a low estimated shingle Jaccard."""
        a, b = fingerprint(QUAKE_WIRE), fingerprint(SUMMIT)
        assert signature_jaccard(a.signature, b.signature) < 0.2


class TestSignature:
    @pytest.mark.parametrize("text", [QUAKE_WIRE.text, LIBYA_HANT.text, LIBYA_HANS.text * 30])
    def test_signature_is_datasketch_minhash_of_our_shingle_hashes(self, text: str) -> None:
        """minhash_signature equals datasketch's MinHash fed our hashes: only hashing changed."""
        units = shingle_units(fold(text))
        reference = MinHash(
            num_perm=NUM_PERM, seed=MINHASH_SEED, scheme=MINHASH_SCHEME, hashfunc=int
        )
        reference.update_batch(shingle_hashes(units).tolist())
        assert minhash_signature(units) == tuple(reference.hashvalues.tolist())

    def test_permutations_are_datasketchs(self) -> None:
        """The permutations drawn without datasketch are those its MinHash draws."""
        from aggregator.dedup.shingles import _permutations

        a, b = MinHash(num_perm=NUM_PERM, seed=MINHASH_SEED, scheme=MINHASH_SCHEME).permutations
        ours_a, ours_b = _permutations()
        assert (ours_a.dtype, ours_b.dtype) == (a.dtype, b.dtype)
        assert (ours_a.tolist(), ours_b.tolist()) == (a.tolist(), b.tolist())

    def test_preparing_a_seed_imports_neither_datasketch_nor_scipy(self) -> None:
        """A worker preparing articles never loads datasketch, nor the scipy it pulls in."""
        script = textwrap.dedent(
            """
            import sys
            from pathlib import Path
            from aggregator.app.prepare import Prepared, prepare
            from aggregator.sources.seeds import SeedInput
            for path in sys.argv[1:]:
                assert isinstance(prepare(SeedInput(path=Path(path), stamp=""), via="s"), Prepared)
            print(sorted({name.split(".")[0] for name in sys.modules} & {"datasketch", "scipy"}))
            """
        )
        done = subprocess.run(
            [sys.executable, "-c", script, *map(str, SAMPLE_SEEDS)],
            capture_output=True,
            text=True,
            check=True,
        )
        assert done.stdout == "[]\n"

    def test_unit_hashes_are_pinned(self) -> None:
        """Unit hashes are a fixed function of the text: the same in every process and run."""
        assert unit_hashes(["kim", "金", "2023"]).tolist() == [
            0x2A657CE99E93DDE2,
            0xDC88C767FA297C78,
            0xD8D9B8EAB0C4E805,
        ]

    def test_unit_hash_depends_on_the_unit_only(self) -> None:
        """A unit hashes alike wherever it stands, and different units hash apart."""
        a = unit_hashes(["kim", "ab", "金"]).tolist()
        b = unit_hashes(["金", "x" * 300, "kim"]).tolist()
        assert (a[0], a[2]) == (b[2], b[0])
        assert len(set(unit_hashes(["ab", "ba", "a", "b", "aa", "aaa"]).tolist())) == 6

    def test_shingles_are_ordered_runs_of_three_units(self) -> None:
        """Reordering units inside a shingle changes its hash; repeating it does not."""
        abc, acb = shingle_hashes(["a", "b", "c"]), shingle_hashes(["a", "c", "b"])
        assert abc.tolist() != acb.tolist()
        assert shingle_hashes(["a", "b", "c", "a", "b", "c"]).tolist()[3] == abc.tolist()[0]

    def test_short_texts_get_no_signature(self) -> None:
        """Fewer than MIN_TEXT_UNITS units: no signature."""
        assert minhash_signature(["word"] * 19) == ()


class TestSameStory:
    def test_traditional_and_simplified_reports_are_one_story(self) -> None:
        """One event told in 简体 by one outlet and in 繁體 by another is one story."""
        hans, hant = assign_all([LIBYA_HANS, LIBYA_HANT])
        assert hant.level == "same_story"
        assert hant.story_id == hans.story_id

    def test_english_reports_of_one_event_are_one_story(self) -> None:
        """Two outlets' English reports of one earthquake are one story."""
        wire, press = assign_all([QUAKE_WIRE, QUAKE_PRESS])
        assert press.level == "same_story"
        assert press.story_id == wire.story_id

    def test_unrelated_stories_of_the_same_day_stay_apart(self) -> None:
        """Same day, same language, no shared subject: separate stories."""
        decisions = assign_all([QUAKE_WIRE, SUMMIT, LIBYA_HANS, IPHONE])
        assert len({d.story_id for d in decisions}) == 4

    def test_follow_up_naming_a_later_day_stays_apart(self) -> None:
        """A later development of the same event (the inquiry) is its own story."""
        decisions = assign_all([LIBYA_HANS, LIBYA_HANT, LIBYA_FOLLOW_UP])
        assert decisions[2].level == "new"

    def test_reports_outside_the_window_stay_apart(self) -> None:
        """The same event reported after window_hours is not joined by level 3."""
        late = replace(LIBYA_HANT, published=LIBYA_HANS.published + timedelta(hours=80))
        assert assign_all([LIBYA_HANS, late], DedupConfig(window_hours=72))[1].level == "new"

    def test_a_story_spans_at_most_the_window(self) -> None:
        """Reports 40 h apart: the third joins the second alone, but not the story of the
        first and second, which it would stretch to 80 h (window 72 h): no chaining."""
        second = replace(LIBYA_HANT, published=LIBYA_HANS.published + timedelta(hours=40))
        third = replace(
            LIBYA_HANS,
            url="https://c.example/libya",
            source="Third",
            text=LIBYA_HANS.text[:70] + LIBYA_HANT.text[70:],
            published=LIBYA_HANS.published + timedelta(hours=80),
        )
        wide = DedupConfig(window_hours=72)
        assert assign_all([second, third], wide)[1].level == "same_story"
        first, joined, apart = assign_all([LIBYA_HANS, second, third], wide)
        assert joined.level == "same_story" and joined.story_id == first.story_id
        assert apart.story_id != first.story_id

    def test_evidence_names_the_parts_of_the_score(self) -> None:
        """The decision's evidence shows relatedness, dates, closeness and shared terms."""
        press = assign_all([QUAKE_WIRE, QUAKE_PRESS])[1]
        for part in ("relatedness", "dates", "closeness", "morocco"):
            assert part in press.evidence


class TestStoryIndex:
    def test_assign_does_not_add(self) -> None:
        """assign leaves the index as it was."""
        index = StoryIndex(DedupConfig())
        index.add(fingerprint(QUAKE_WIRE), StoryId("s1"))
        index.assign(fingerprint(QUAKE_PRESS))
        assert len(index) == 1

    def test_new_article_founds_a_story_named_after_its_url(self) -> None:
        """With nothing to match, the decision is a new story with new_story_id(url)."""
        decision = StoryIndex(DedupConfig()).assign(fingerprint(SUMMIT))
        assert decision.level == "new"
        assert decision.story_id == new_story_id(SUMMIT.url)

    def test_adding_a_url_again_replaces_its_fingerprint(self) -> None:
        """A newer version of a URL replaces the older one instead of adding a second."""
        index = StoryIndex(DedupConfig())
        index.add(old := fingerprint(QUAKE_WIRE), StoryId("s1"))
        index.replace(old, fingerprint(replace(QUAKE_WIRE, text=SUMMIT.text)), StoryId("s1"))
        assert len(index) == 1
        assert index.assign(fingerprint(replace(SUMMIT, url="https://x.example/"))).level == (
            "same_article"
        )

    def test_batch_overlaps_equal_score_pair(self) -> None:
        """The index's batch overlap of every candidate equals score_pair's, up to rounding."""
        docs = [QUAKE_WIRE, QUAKE_PRESS, SUMMIT, LIBYA_HANS, LIBYA_HANT, LIBYA_FOLLOW_UP, IPHONE]
        index = StoryIndex(DedupConfig(window_hours=24 * 365))
        for d in docs:
            index.add(fingerprint(d), StoryId(d.url))
        for d in docs:
            query = fingerprint(replace(d, url=d.url + "?copy"))
            found = index._terms.story_candidates(
                query,
                exclude=query.url,
                window=index.config.window,
                n_docs=len(index),
                query_terms=32,
                posting_docs=1000,
                limit=64,
            )
            assert d.url in found.urls
            for url, overlap in zip(found.urls, found.overlaps, strict=True):
                other = fingerprint(next(x for x in docs if x.url == url))
                assert overlap == pytest.approx(index.similarity(query, other).overlap, abs=1e-12)

    def test_shared_terms_are_score_pairs(self) -> None:
        """The shared terms a decision shows, from the index's term ids, are score_pair's:
        the same terms, heaviest first, title terms of both counting double."""
        docs = [QUAKE_WIRE, QUAKE_PRESS, SUMMIT, LIBYA_HANS, LIBYA_HANT, LIBYA_FOLLOW_UP, IPHONE]
        index = StoryIndex(DedupConfig(window_hours=24 * 365))
        for d in docs:
            index.add(fingerprint(d), StoryId(d.url))
        for a, b in itertools.product(docs, repeat=2):
            query = fingerprint(replace(a, url=a.url + "?copy"))
            expected = index.similarity(query, fingerprint(b)).shared
            assert index._terms.shared_terms(query, b.url, n_docs=len(index)) == expected
        assert any(fingerprint(d).title_terms for d in docs)

    def test_candidates_are_the_most_sharing_then_by_url(self) -> None:
        """Past the limit, candidates sharing more rare terms win; ties go by URL."""
        terms = TermIndex()
        now = datetime(2023, 9, 12, tzinfo=UTC)
        for n in range(6):
            extra = ("rare",) if n in (4, 5) else ()
            terms.add(f"https://x.example/{n}", ("common", *extra), (), now)
        query = replace(
            fingerprint(SUMMIT), terms=("common", "rare"), title_terms=(), published=now
        )
        found = terms.story_candidates(
            query,
            exclude="",
            window=timedelta(hours=1),
            n_docs=6,
            query_terms=32,
            posting_docs=1000,
            limit=3,
        )
        assert sorted(found.urls) == [f"https://x.example/{n}" for n in (0, 4, 5)]

    def test_candidates_from_scanned_docs_equal_those_from_postings(self) -> None:
        """Docs added in bulk are scanned by the first queries, then posted: the candidates,
        overlaps and bounds are the same either way, removed docs left out of both."""
        terms = TermIndex()
        now = datetime(2023, 9, 12, tzinfo=UTC)
        rng = random.Random(7)
        vocabulary = [f"t{n}" for n in range(60)]
        docs = [
            (f"https://x.example/{n}", tuple(sorted(rng.sample(vocabulary, 12))), (), now)
            for n in range(200)
        ]
        terms.add_many(docs)
        terms.remove(docs[3][0])
        query = replace(
            fingerprint(SUMMIT), terms=tuple(vocabulary[:20]), title_terms=(), published=now
        )
        asked = dict(
            exclude="", window=timedelta(hours=1), n_docs=200, query_terms=8, posting_docs=150
        )
        scanned = [terms.story_candidates(query, limit=limit, **asked) for limit in (5, 64, 500)]
        for _ in range(70):  # past the scans after which the docs are posted
            terms.story_candidates(query, limit=5, **asked)
        posted = [terms.story_candidates(query, limit=limit, **asked) for limit in (5, 64, 500)]
        assert scanned == posted
        assert docs[3][0] not in posted[-1].urls
        assert len(posted[-1].urls) > 64

    @settings(max_examples=25, deadline=None)
    @given(st.lists(st.integers(0, 6), min_size=2, max_size=12), st.integers(0, 2**16))
    def test_band_keys_find_what_datasketch_lsh_finds(self, picks: list[int], seed: int) -> None:
        """Two articles share a band key exactly when datasketch's MinHashLSH makes them
        candidates (same bands, same threshold): the store's keys lose no near-duplicate."""
        from datasketch import LeanMinHash, MinHashLSH

        base = [QUAKE_WIRE, QUAKE_PRESS, SUMMIT, LIBYA_HANS, LIBYA_HANT, LIBYA_FOLLOW_UP, IPHONE]
        rng = random.Random(seed)
        docs = []
        for n, pick in enumerate(picks):
            text = base[pick].text
            cut = rng.randrange(len(text))  # a small edit: near-duplicates of each other
            docs.append(replace(base[pick], url=f"https://x.example/{n}", text=text[:cut]))
        fps = [fingerprint(d) for d in docs]
        index = StoryIndex(DedupConfig())
        lsh = MinHashLSH(threshold=lsh_threshold(DedupConfig().near_duplicate), num_perm=NUM_PERM)
        assert (lsh.b, lsh.r) == index.bands
        for fp in fps:
            if fp.signature:
                values = struct.unpack(f"<{NUM_PERM}I", fp.signature)
                lsh.insert(
                    fp.url, LeanMinHash(seed=MINHASH_SEED, hashvalues=values, scheme=MINHASH_SCHEME)
                )
        for fp in fps:
            if not fp.signature:
                continue
            values = struct.unpack(f"<{NUM_PERM}I", fp.signature)
            found = set(
                lsh.query(LeanMinHash(seed=MINHASH_SEED, hashvalues=values, scheme=MINHASH_SCHEME))
            )
            mine = {k for k in index.keys(fp) if k.startswith("b")}
            sharing = {o.url for o in fps if mine & set(index.keys(o))}
            assert sharing == found

    def test_docs_let_go_leave_candidates_and_frequencies_as_they_were(self) -> None:
        """Removing most docs uncounted (the window moving on) compacts the arrays; the rest
        give the candidates an index of only them gives, and the frequencies still count
        every doc."""
        now = datetime(2023, 9, 12, tzinfo=UTC)
        docs = [
            (f"https://x.example/{n}", (f"t{n % 97}", f"u{n % 89}", "all"), (), now)
            for n in range(10_000)
        ]
        terms = TermIndex()
        for doc in docs:
            terms.add(*doc)
        counted = dict(terms.doc_freq)
        for doc in docs:
            if not doc[0].endswith("0"):
                terms.remove(doc[0], counted=False)
        assert len(terms._url_of) < len(docs)  # compacted
        assert dict(terms.doc_freq) == counted
        only = TermIndex()
        only.learn_doc_freqs(counted, counted)
        for doc in docs[::10]:
            only.add(*doc, counted=False)
        query = replace(fingerprint(SUMMIT), terms=("t5", "u7"), title_terms=(), published=now)
        asked = {
            "exclude": "",
            "window": timedelta(hours=1),
            "n_docs": 10_000,
            "query_terms": 32,
            "posting_docs": 1000,
            "limit": 64,
        }
        found = terms.story_candidates(query, **asked)  # type: ignore[arg-type]
        alone = only.story_candidates(query, **asked)  # type: ignore[arg-type]
        assert found.urls and sorted(found.urls) == sorted(alone.urls)
        assert sorted(found.overlaps) == pytest.approx(sorted(alone.overlaps), abs=1e-12)

    def test_replaced_url_leaves_no_trace_in_doc_freq(self) -> None:
        """Adding a URL again counts its terms once, and only the latest version's."""
        index = StoryIndex(DedupConfig())
        index.add(old := fingerprint(QUAKE_WIRE), StoryId("s1"))
        edited = fingerprint(replace(QUAKE_WIRE, title=SUMMIT.title, text=SUMMIT.text))
        index.replace(old, edited, StoryId("s1"))
        only = StoryIndex(DedupConfig())
        only.add(edited, StoryId("s1"))
        assert dict(index._terms.doc_freq) == dict(only._terms.doc_freq)
        assert index.assign(fingerprint(QUAKE_PRESS)).level == "new"

    def test_explain_reports_every_level(self) -> None:
        """explain gives the facts of level 1, the Jaccard of level 2 and the story score."""
        index = StoryIndex(DedupConfig())
        a, b = fingerprint(LIBYA_HANS), fingerprint(LIBYA_HANT)
        index.add(a, StoryId("s1"))
        text = explain(a, b, index)
        assert "same URL: no" in text
        assert "shingle Jaccard" in text
        assert "different outlets" in text
        assert "score" in text


class TestStoryIds:
    def test_story_id_is_stable(self) -> None:
        """new_story_id is a fixed function of the URL, across runs and versions."""
        assert new_story_id("https://example.org/a") == "579f2a2ceeee0bc369f8"

    @given(st.text(), st.text())
    def test_story_ids_of_different_urls_differ(self, a: str, b: str) -> None:
        """Different URLs found different stories; the same URL the same one."""
        assert (new_story_id(a) == new_story_id(b)) == (a == b)


class TestFingerprintDict:
    def test_missing_key_raises_storage_error(self) -> None:
        """A stored fingerprint without a key is reported, not a KeyError."""
        data = fingerprint_to_dict(fingerprint(SUMMIT))
        del data["terms"]
        with pytest.raises(StorageError, match="terms"):
            fingerprint_from_dict(data)

    def test_wrong_type_raises_storage_error(self) -> None:
        """A stored fingerprint with a value of the wrong type is reported."""
        data = fingerprint_to_dict(fingerprint(SUMMIT))
        data["signature"] = ["x"]
        with pytest.raises(StorageError, match="signature"):
            fingerprint_from_dict(data)

    @pytest.mark.parametrize("signature", ["not base64!", "AAAA", "AAAAAA==", [1, 2]])
    def test_bad_signature_raises_storage_error(self, signature: object) -> None:
        """A signature that is not base64 of NUM_PERM uint32 values (or none) is reported."""
        data = fingerprint_to_dict(fingerprint(SUMMIT))
        data["signature"] = signature
        with pytest.raises(StorageError, match="signature"):
            fingerprint_from_dict(data)

    def test_signature_is_stored_as_base64_of_uint32(self) -> None:
        """The stored signature is one compact string; it decodes to the same values."""
        fp = fingerprint(QUAKE_WIRE)
        data = fingerprint_to_dict(fp)
        assert isinstance(data["signature"], str)
        assert fingerprint_from_dict(data).signature == fp.signature

    def test_version_1_dict_still_loads(self) -> None:
        """A version-1 fingerprint (signature as a list of numbers) loads and keeps version 1."""
        fp = fingerprint(QUAKE_WIRE)
        values = list(struct.unpack("<128I", fp.signature))
        data = fingerprint_to_dict(fp) | {"version": 1, "signature": values}
        loaded = fingerprint_from_dict(json.loads(json.dumps(data)))
        assert loaded == replace(fp, version=1)
        assert fp.version == 2


MIXED_ALPHABET = list("金正恩俄罗斯羅普京朝鲜鮮会談谈周二三9月12日 KimPutinkorea,.。\n")
TEXTS = st.text(alphabet=MIXED_ALPHABET, max_size=200)
TIMES = st.datetimes(
    min_value=datetime(2023, 1, 1), max_value=datetime(2024, 1, 1), timezones=st.just(UTC)
)


def fingerprint_of(title: str, text: str, published: datetime, url: str) -> Fingerprint:
    return fingerprint(
        DedupDoc(url=url, title=title, text=text, published=published, source="Outlet")
    )


class TestProperties:
    @settings(deadline=None, max_examples=60)
    @given(TEXTS, TEXTS, TIMES, TEXTS, TEXTS, TIMES)
    def test_story_similarity_is_symmetric_and_within_0_1(
        self, t1: str, x1: str, p1: datetime, t2: str, x2: str, p2: datetime
    ) -> None:
        """similarity(a, b) equals similarity(b, a), and every part lies in [0, 1]."""
        index = StoryIndex(DedupConfig())
        a = fingerprint_of(t1, x1, p1, "https://a.example/")
        b = fingerprint_of(t2, x2, p2, "https://b.example/")
        index.add(a, StoryId("a"))
        ab, ba = index.similarity(a, b), index.similarity(b, a)
        assert ab.score == pytest.approx(ba.score)
        for part in (ab.score, ab.overlap, ab.relatedness, ab.dates, ab.closeness):
            assert 0.0 <= part <= 1.0

    @settings(deadline=None, max_examples=60)
    @given(TEXTS, TEXTS)
    def test_signature_jaccard_is_symmetric_and_within_0_1(self, x1: str, x2: str) -> None:
        """The estimated shingle Jaccard is symmetric and in [0, 1]."""
        now = datetime(2023, 9, 12, tzinfo=UTC)
        a = fingerprint_of("", x1, now, "https://a.example/").signature
        b = fingerprint_of("", x2, now, "https://b.example/").signature
        assert signature_jaccard(a, b) == signature_jaccard(b, a)
        assert 0.0 <= signature_jaccard(a, b) <= 1.0

    @settings(deadline=None, max_examples=60)
    @given(TEXTS, TEXTS, TIMES, st.none() | st.text(max_size=20))
    def test_any_fingerprint_round_trips_through_json(
        self, title: str, text: str, published: datetime, guid: str | None
    ) -> None:
        """Whatever the article, its fingerprint survives the store's JSON."""
        fp = replace(fingerprint_of(title, text, published, "https://a.example/"), guid=guid)
        data = json.loads(json.dumps(fingerprint_to_dict(fp)))
        assert fingerprint_from_dict(data) == fp


PUBLISHED_TUESDAY = datetime(2023, 9, 12, 18, 24, tzinfo=UTC)


class TestEventDates:
    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("周二（ 9 月 12 日）已抵达", date(2023, 9, 12)),
            ("星期日離開平壤", date(2023, 9, 10)),
            ("官員11日說", date(2023, 9, 11)),
            ("上周五", date(2023, 9, 8)),
            ("arrived on Monday", date(2023, 9, 11)),
            ("on Sept. 13, 2023", date(2023, 9, 13)),
            ("12 September", date(2023, 9, 12)),
            ("2023-09-09", date(2023, 9, 9)),
            ("2023年9月14日", date(2023, 9, 14)),
        ],
    )
    def test_named_day_is_resolved_against_publication(self, text: str, expected: date) -> None:
        """Chinese and English day references resolve to calendar days."""
        assert mentioned_dates(fold(text), published=PUBLISHED_TUESDAY) == (expected,)

    @pytest.mark.parametrize(
        "text", ["2019年4月25日的峰会", "12/09/2023", "每周一", "一周一次", "100日元"]
    )
    def test_background_or_ambiguous_dates_are_ignored(self, text: str) -> None:
        """Old dates, ambiguous numeric dates and recurring weekdays are not event days."""
        assert mentioned_dates(fold(text), published=PUBLISHED_TUESDAY) == ()

    def test_bare_weekday_may_be_tomorrow_across_time_zones(self) -> None:
        """A report published Monday late UTC may name Tuesday, already begun in Asia."""
        monday_night = datetime(2023, 9, 11, 22, 0, tzinfo=UTC)
        assert mentioned_dates(fold("周二"), published=monday_night) == (date(2023, 9, 12),)


# Fast paths in folding, cutting and date finding (aggregator.textfold, .dedup.eventdates) must
# return what the plain forms do: a fingerprint is the same before and after them.
_TEXT_PIECES = st.sampled_from(
    [
        *"aZ09 .,'’_-:;()\t\n\x0b\x1c\x85\xa0\u2028\u3000",
        *"，（）：；！？…ｆＵＬＬ０９①㎞ﬁ\u0301\u3099か",
        *"的了已金正恩抵达俄羅斯國際關係乾隆著名臺灣한국カナ\U00020000𝐀",
        *["周二", "上周五", "星期日", "礼拜三", "每周一", "9月12日", "9 月 12 号", "12日"],
        *["12日元", "本周三"],
        *["2023年9月12日", "2023-09-12", "2023/9/12", "sept. 12", "September 12, 2023"],
        *["12 september", "last friday", "next monday", "this sunday", "tuesday", "2,000", "6.8"],
        *["korea's", "Korea’s", "İ", "ſ", "K", "A\u0301"],
    ]
)
_TEXTS = st.text() | st.lists(_TEXT_PIECES, max_size=60).map("".join)


@given(_TEXTS)
def test_nfkc_is_unicodedata_nfkc(text: str) -> None:
    """textfold.nfkc, which replaces compatibility characters first, is NFKC itself."""
    import unicodedata

    from aggregator.textfold import nfkc

    assert nfkc(text) == unicodedata.normalize("NFKC", text)


@given(_TEXTS)
def test_strip_whitespace_removes_what_the_regex_whitespace_class_does(text: str) -> None:
    """strip_whitespace (str.split) removes what the regex \\s matches, and only that."""
    from aggregator.textfold import strip_whitespace

    assert strip_whitespace(text) == re.sub(r"\s+", "", text)


def test_str_split_and_regex_agree_on_every_whitespace_character() -> None:
    """Every code point the regex \\s matches is one str.split() splits at, and no other."""
    regex_spaces = [code for code in range(0x110000) if re.fullmatch(r"\s", chr(code))]
    assert regex_spaces == [code for code in range(0x110000) if chr(code).isspace()]
    assert "x".join(map(chr, regex_spaces)).split() == ["x"] * (len(regex_spaces) - 1)


@given(_TEXTS)
def test_units_and_terms_follow_the_token_runs(text: str) -> None:
    """Shingle units and story terms are cut from TOKEN_RE's runs: CJK ones by character."""
    import itertools

    from aggregator.dedup.similarity import CJK_FUNCTION_CHARS, story_terms
    from aggregator.textfold import TOKEN_RE

    folded = fold(text)
    runs = [(m.group(), m.lastgroup == "cjk") for m in TOKEN_RE.finditer(folded)]
    assert shingle_units(folded) == [u for run, cjk in runs for u in (run if cjk else [run])]
    bigrams = [
        a + b
        for run, cjk in runs
        if cjk
        for a, b in itertools.pairwise(run)
        if not {a, b} & CJK_FUNCTION_CHARS
    ]
    assert [t for t in story_terms(folded) if t in bigrams] == bigrams


@given(_TEXTS)
def test_date_pattern_lookahead_skips_only_positions_no_form_starts_at(text: str) -> None:
    """DATE_RE opens with a lookahead on its first character: the matches are those without."""
    from aggregator.dedup.eventdates import _FIRST_CHARS, DATE_RE

    plain = re.compile(DATE_RE.pattern.removeprefix(f"(?=[{_FIRST_CHARS}])"))
    assert plain.pattern != DATE_RE.pattern
    folded = fold(text)
    found = [(m.span(), m.groupdict()) for m in DATE_RE.finditer(folded)]
    assert found == [(m.span(), m.groupdict()) for m in plain.finditer(folded)]
