"""Generate a deterministic synthetic seed corpus (and optional RSS/Atom feeds) for benchmarks.

What it builds, from the sample seeds' real markup and text (`seeds/` of the repo):

- templates: each sample page (RFI x2, BBC x2, Epoch Times mirror x1) is cut into its static
  markup (datelines, figures, ads, share bars, video players, related links, footers) and its
  content paragraphs; the static parts are kept byte for byte, except that names, places,
  datelines, picture captions and alt texts become slots filled per article;
- a sentence pool: the samples' paragraphs split into sentences (~120), with the people,
  countries, capitals and cities replaced by slots;
- events: each gets invented names (two leaders, a spokesperson, an official, a city, a
  project, an organisation; transliteration syllables), two countries, a topic and a venue from
  small word lists, its own wording of ~25 common words (会晤/会谈/会面 ...), its own numbers,
  and a time in a 30-day span (2023-08-21 .. 2023-09-20 UTC) that its named days follow;
- articles: 1-4 outlets report each event independently: body paragraphs drawn from the pool,
  lead paragraph, captions and half the titles from a small grammar over the event's names
  (the other titles in the samples' shape), so that title and lead, which the story step
  compares, are about the event; outlets are RFI, BBC and Epoch Times plus five invented ones
  sharing their page styles (one writes Traditional Chinese);
- duplicates: ~15% near-duplicates (a copy of an original with 1-3 small edits: a number, a
  word, a sentence replaced/dropped/added, sometimes the title; same or another outlet of that
  page style; checked to keep >= 0.9 character-3-gram Jaccard on the paragraph text) and ~5%
  exact duplicates (same page under another URL, the same URL with tracking parameters, or a
  mirror page of an archive / an archive of a mirror page, which share the URL);
- formats: feed archive (`<!--ms-->`, `[title](url)`, `------`, HTML) for ~85% and mirror page
  (`### title`, `---`, navigation line, HTML, `---`, `原文链接（需翻墙）：URL`) for ~15%;
  datelines in the markup (RFI `dd/mm/yyyy - HH:MM` in the outlet's zone, BBC `<time>` with
  "N 分钟前" relative to the line-1 capture stamp, Epoch `【大纪元YYYY年MM月DD日讯】`) and URL
  dates agree with the publication time, and the capture stamp comes after it.

Output (DIR must be empty or absent unless --force):

    DIR/seeds/<outlet>/<yyyy-mm-dd>/<nnnnn>_<hex>.txt|.md   archives, by capture day
    DIR/seeds/mirror/<outlet>/<yyyy-mm>/<nnnnn>_<hex>.txt|.md mirror pages
    DIR/extra/...            --extra further files (default 10), same layout, for "add N files"
    DIR/manifest.jsonl       one JSON object per file, sorted by path: path (relative to DIR),
                             set (seeds|extra), doc (label), url (as written in the file),
                             story (event label), duplicate_of (doc label of the original, or
                             null), kind (original|near|exact), outlet, format, published
    DIR/feeds/feed-NN.xml    with --feeds F: F feeds (even NN RSS 2.0, odd NN Atom 1.0) of
                             --items items each, same generator, own random stream
    DIR/feeds/manifest.jsonl one object per feed item (feed, guid, url, story, duplicate_of, kind)

The same --seed (and the same samples) always gives byte-identical files.  Run it with any
Python 3.11 (stdlib only), e.g.:

    .venv/bin/python bench/make_corpus.py --n 20000 --seed 1 --out /tmp/corpus-20k
    .venv/bin/python bench/make_corpus.py --n 2000 --seed 1 --out /tmp/corpus-2k \
        --feeds 40 --items 500
"""

from __future__ import annotations

import argparse
import html
import itertools
import json
import re
import shutil
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from random import Random
from urllib.parse import quote
from zoneinfo import ZoneInfo

REPO = Path(__file__).resolve().parents[1]
DEFAULT_SAMPLES = REPO / "seeds"
START = datetime(2023, 8, 21, tzinfo=UTC)
SPAN = timedelta(days=30)
NEAR_SHARE = 0.15  # of all files
EXACT_SHARE = 0.05
OUTLETS_PER_EVENT = ((1, 0.35), (2, 0.35), (3, 0.2), (4, 0.1))
# One draw yields a near or exact duplicate, or an event with its 1-4 original reports; the draw
# probabilities that give the shares above per file:
_REPORTS = sum(k * w for k, w in OUTLETS_PER_EVENT)
_FILES_PER_DRAW = _REPORTS / (_REPORTS * (NEAR_SHARE + EXACT_SHARE) + 1 - NEAR_SHARE - EXACT_SHARE)
NEAR_DRAW = NEAR_SHARE * _FILES_PER_DRAW
EXACT_DRAW = EXACT_SHARE * _FILES_PER_DRAW
NEAR_MIN_JACCARD = 0.9  # a near-duplicate keeps at least this much of its original's shingles
SIBLING_MAX_JACCARD = 0.5  # two outlets' own write-ups of one event stay below this
MD_SUFFIX_SHARE = 0.2  # archives saved as .md rather than .txt
TOKEN_RE = re.compile(r"⟦(\w+)⟧")
P_RE = re.compile(r"<p(?:\s[^>]*)?>(.*?)</p>", re.S)
TAG_RE = re.compile(r"<[^>]*>")
CJK_RE = re.compile(r"[\u3400-\u9fff]")
SENTENCE_RE = re.compile(r"[^。！？!?]*[。！？!?]+[”’」』\"]*")
WRAPPED_RE = re.compile(r"^(\s*<(strong|b)>)(.*?)(\s*</\2>\s*)$", re.S)
SPACES_RE = re.compile(r"^(\s*)(.*?)(\s*)$", re.S)
CJKISH = r"\u3400-\u9fff⟦⟧，。：；、“”（）"
INNER_SPACE_RE = re.compile(rf"(?<=[{CJKISH}])\s+(?=[{CJKISH}])")
MONTH_DAY_RE = re.compile(r"(\d{1,2})(\s*)月(\s*)(\d{1,2})(\s*)日")
WEEKDAY_RE = re.compile(r"(周|星期)[一二三四五六日天]")
NUMBER_RE = re.compile(r"(?<![A-Za-z\d.])\d+(?!\d|\s*[年月日号])")
WEEKDAYS = "一二三四五六日"

# Sample text -> slots. Full names first, then the abbreviations built from them.
ENTITY_SLOTS = (
    ("符拉迪沃斯托克", "⟦CITY⟧"),
    ("海参崴", "⟦CITY⟧"),
    ("克里姆林宫", "⟦PAL⟧"),
    ("佩斯科夫", "⟦SP⟧"),
    ("金正恩", "⟦A⟧"),
    ("普京", "⟦B⟧"),
    ("俄罗斯", "⟦CB⟧"),
    ("朝鲜", "⟦CA⟧"),
    ("平壤", "⟦CAPA⟧"),
    ("莫斯科", "⟦CAPB⟧"),
    ("普金会", "⟦b⟧⟦a⟧会"),
    ("金普会", "⟦a⟧⟦b⟧会"),
    ("朝俄", "⟦ca⟧⟦cb⟧"),
    ("俄朝", "⟦cb⟧⟦ca⟧"),
    ("访俄", "访⟦cb⟧"),
    ("访朝", "访⟦ca⟧"),
    ("俄总统", "⟦cb⟧总统"),
    ("俄军", "⟦cb⟧军"),
    ("俄方", "⟦cb⟧方"),
)
COUNTRIES = (
    ("朝鲜", "平壤"), ("俄罗斯", "莫斯科"), ("伊朗", "德黑兰"), ("古巴", "哈瓦那"),
    ("越南", "河内"), ("老挝", "万象"), ("蒙古", "乌兰巴托"), ("缅甸", "内比都"),
    ("白俄罗斯", "明斯克"), ("叙利亚", "大马士革"), ("委内瑞拉", "加拉加斯"),
    ("尼加拉瓜", "马那瓜"), ("柬埔寨", "金边"), ("哈萨克斯坦", "阿斯塔纳"),
    ("乌兹别克斯坦", "塔什干"), ("塞尔维亚", "贝尔格莱德"), ("匈牙利", "布达佩斯"),
    ("巴基斯坦", "伊斯兰堡"), ("印度尼西亚", "雅加达"), ("埃及", "开罗"),
    ("土耳其", "安卡拉"), ("巴西", "巴西利亚"), ("南非", "比勒陀利亚"),
    ("阿根廷", "布宜诺斯艾利斯"),
)  # fmt: skip
SYLLABLES = (  # transliteration characters: names of people and places
    "阿埃艾安昂奥巴拜班邦保贝本比彼毕宾波伯博布查达戴丹道德登迪蒂丁东杜多厄恩法凡范菲费芬丰弗"
    "福富盖冈戈格古瓜圭哈海汉豪赫亨胡霍基吉加贾杰卡凯坎康柯科克肯库夸奎拉莱赖兰朗劳勒雷里利连"
    "琳卢鲁路伦罗洛马迈曼茂梅门蒙米敏莫默穆纳奈南内尼涅宁纽努诺欧帕潘庞佩彭皮珀普齐奇恰乔切琴"
    "丘让热荣瑞若撒萨塞桑瑟森沙尚舍施什舒斯松苏索塔泰坦汤唐特提图托瓦万旺威韦维温沃乌伍西希锡"
    "夏谢辛休雅亚扬耶伊尤约扎泽詹兹佐"
)
KOREAN_SURNAMES = "金朴崔李郑姜赵尹张林"
KOREAN_GIVEN = "正日成恩哲永浩秀贤俊敏泰勇光明"
CITY_SUFFIXES = ("斯克", "格勒", "堡", "港", "城", "")
CN_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
CN_GIVEN = "简明华伟芳军磊静丽强敏洁文宇晨"
# A title is a head and a tail (and sometimes 【视频】), built from the samples' titles: 8 x 9
# skeletons, so two unrelated events seldom share one.
TITLE_HEADS = (
    "⟦A⟧抵达⟦CB⟧：", "⟦A⟧访⟦cb⟧：⟦CA⟧领导人进入⟦CB⟧国境，", "⟦A⟧访⟦cb⟧：⟦PAL⟧称", "⟦B⟧与⟦A⟧会晤：",
    "传⟦A⟧将访⟦cb⟧ ", "⟦A⟧乘专列抵达⟦CITY⟧ ", "⟦SP⟧：", "⟦CB⟧总统⟦B⟧在⟦CITY⟧出席⟦V⟧ ",
)  # fmt: skip
TITLE_TAILS = (
    "“⟦a⟧⟦b⟧会”会达成⟦T⟧交易？", "将与⟦B⟧商谈⟦T⟧", "⟦T⟧ &quot;未签署任何协议”",
    "有可能和⟦CA⟧进行⟦T⟧合作", "与⟦B⟧商讨⟦T⟧", "⟦V⟧将讨论“敏感”议题",
    "⟦B⟧与⟦A⟧的会晤将在⟦V⟧结束后举行", "⟦T⟧成焦点", "美国警告⟦ca⟧⟦cb⟧在⟦T⟧上交易",
)  # fmt: skip
# Lead sentences, picture captions and half the titles come from this small grammar rather
# than the samples: title and lead are what the story step compares, and real leads of
# unrelated events share far less than picks from the samples' ~120 sentences would.
LEAD_TIMES = ("⟦WD⟧", "⟦MD⟧", "⟦WD⟧（⟦MD⟧）", "当地时间⟦WD⟧", "⟦MD⟧上午", "⟦WD⟧晚间", "")
LEAD_SUBJECTS = (
    "⟦CA⟧领导人⟦A⟧", "⟦CB⟧总统⟦B⟧", "⟦A⟧", "⟦B⟧", "⟦CB⟧发言人⟦SP⟧", "⟦CAPA⟧方面", "⟦CAPB⟧官方",
    "⟦CA⟧代表团", "⟦A⟧一行", "⟦CB⟧副总理⟦O⟧", "⟦G⟧负责人⟦O⟧", "⟦O⟧", "⟦G⟧",
)  # fmt: skip
LEAD_ACTIONS = (
    "抵达⟦CITY⟧", "在⟦CITY⟧会见⟦B⟧", "出席⟦V⟧", "与⟦B⟧举行闭门会谈", "宣布将扩大⟦T⟧规模",
    "表示愿就⟦T⟧展开谈判", "前往⟦CITY⟧视察⟦T⟧项目", "签署⟦T⟧备忘录", "否认外界有关⟦T⟧的传闻",
    "呼吁加快推进⟦T⟧", "结束在⟦CITY⟧的行程", "在⟦V⟧上发表讲话", "与⟦G⟧签署⟦P⟧合同", "参观⟦P⟧",
    "宣布⟦P⟧进入第二阶段", "为⟦P⟧追加投资", "听取⟦G⟧关于⟦T⟧的汇报", "与⟦O⟧共同主持⟦V⟧",
    "批评⟦G⟧在⟦P⟧中的做法", "在⟦CITY⟧为⟦P⟧剪彩", "就⟦P⟧延期一事致歉", "会见⟦G⟧代表团",
)  # fmt: skip
LEAD_TAILS = (
    "，外界高度关注。", "，这是双方今年第⟦N⟧次接触。", "，⟦CAPB⟧随即作出回应。",
    "，引发⟦ca⟧⟦cb⟧两国舆论热议。", "，相关细节尚未公布。", "，据悉双方分歧仍然不小。", "。",
    "，⟦SP⟧对此未予置评。", "，⟦G⟧发表声明表示欢迎。", "，⟦P⟧预计耗资⟦N⟧0亿美元。",
    "，⟦O⟧称这是“历史性的一步”。", "，⟦CITY⟧当地加强了安保。",
)  # fmt: skip
CAPTION_TAILS = (
    "时向媒体挥手致意",
    "时与随行官员交谈",
    "后离开会场",
    "前接受媒体采访",
    "时的资料照片",
)
TOPICS = (
    "粮食援助", "卫星技术", "核动力潜艇", "石油出口", "铁路建设", "港口租借", "渔业协定",
    "边境贸易", "疫苗采购", "稀土开采", "电网改造", "民航合作", "海军演习", "导弹试射",
    "难民安置", "外汇结算", "农业贷款", "数字货币", "网络安全", "太空探索", "化肥供应",
    "天然气管道", "劳务输出", "留学交流", "旅游签证", "医疗援助", "水电站", "钢铁产能",
    "汽车组装", "无人机", "坦克零部件", "炮弹生产", "光纤通信", "港口吊车", "木材进口",
    "棉花收购", "煤炭运输", "海底电缆", "救灾物资", "文物归还", "联合巡逻", "反恐情报",
    "芯片制造", "核电站", "军舰维修", "机场扩建", "跨境铁路", "电力出口", "债务重组", "货币互换",
    "自由贸易区", "渔船扣押", "领空开放", "边界勘定", "航运保险", "粮仓建设", "灌溉工程",
    "化工园区", "药品生产", "金矿开发",
)  # fmt: skip
VENUES = (
    "东方经济论坛", "国事访问", "双边峰会", "联合军演", "投资洽谈会", "能源部长会议", "边境会晤",
    "友好年活动", "贸易博览会", "安全对话", "外长磋商", "议会交流",
)  # fmt: skip
# Each event words its reports its own way: one variant per common word, shared by its outlets.
VARIANTS = {
    "会晤": ("会晤", "会谈", "会面", "峰会"),
    "武器": ("武器", "军火", "武器装备"),
    "交易": ("交易", "买卖", "协议"),
    "领导人": ("领导人", "最高领导人", "元首"),
    "列车": ("列车", "专列", "火车"),
    "军事": ("军事", "国防", "军方"),
    "制裁": ("制裁", "惩罚措施", "封锁"),
    "卫星": ("卫星", "航天器", "人造卫星"),
    "导弹": ("导弹", "飞弹", "弹道导弹"),
    "报道": ("报道", "报导", "消息"),
    "表示": ("表示", "称", "指出", "说"),
    "访问": ("访问", "出访", "到访"),
    "官员": ("官员", "高官", "政府人员"),
    "合作": ("合作", "协作", "联手"),
    "华盛顿": ("华盛顿", "白宫", "美国政府"),
    "炮弹": ("炮弹", "弹药", "火炮弹药"),
    "论坛": ("论坛", "经济论坛", "年会"),
    "警告": ("警告", "警示", "提醒"),
    "讨论": ("讨论", "商讨", "磋商"),
    "计划": ("计划", "项目", "方案"),
    "抵达": ("抵达", "到达", "来到"),
    "韩国": ("韩国", "首尔", "南韩"),
    "专家": ("专家", "分析人士", "学者"),
    "乌克兰": ("乌克兰", "基辅", "乌方"),
}
VARIANT_RE = re.compile("|".join(sorted(VARIANTS, key=len, reverse=True)))
PHOTO_CREDITS = (
    "AFP/Getty Images",
    "Reuters",
    "美联社",
    "路透社",
    "STR/AFP",
    "法新社",
    "Getty Images",
)
TITLE_EDITS = ("（更新）", "（组图）", "快讯：", "：", "！")
WORD_SWAPS = (("表示", "称"), ("称", "表示"), ("报道", "报导"), ("目前", "当前"), ("已经", "已"))
# A small Simplified -> Traditional table for the one outlet that writes Traditional Chinese.
TRADITIONAL = str.maketrans(
    "国会罗鲜领导访问说时这发与为对们将经济论坛军华顿报记总统议题举谈话区远东线车进边际关系协"
    "签卫弹员长门开现实单认达过动应该从后还没无么样听见个间计划韩乌兰钟纪讯导弹亚乘参观称",
    "國會羅鮮領導訪問說時這發與為對們將經濟論壇軍華頓報記總統議題舉談話區遠東線車進邊際關係協"
    "簽衛彈員長門開現實單認達過動應該從後還沒無麼樣聽見個間計劃韓烏蘭鐘紀訊導彈亞乘參觀稱",
)
NAV_LINE = (
    "#### [首页](../../../..?n⟦AID⟧) &nbsp;|&nbsp; [评论](../../../../../epoch-comment?n⟦AID⟧)"
    " &nbsp;|&nbsp; [专题](../../../../../epoch-special?n⟦AID⟧) &nbsp;|&nbsp; "
    "[禁闻](../../../../../epoch-news?n⟦AID⟧) &nbsp;|&nbsp; [禁书](../../../../../books?n⟦AID⟧)"
    " &nbsp;|&nbsp; [翻墙](https://github.com/gfw-breaker/nogfw/blob/master/README.md?n⟦AID⟧)"
)
PIXEL = (
    "<img src='http://gfw-breaker.win/⟦SITE⟧/pages/ncid277/n⟦AID⟧.md' width='0px' height='0px'/>"
)
PIXEL_RE = re.compile(r"\s*<img src='http://gfw-breaker\.win[^>]*/>\s*$")
TRACKING = ("?utm_source=feedx&utm_medium=rss", "?utm_source=twitter&utm_campaign=share")


@dataclass(frozen=True)
class Outlet:
    slug: str
    host: str
    family: str  # which sample page style it uses: rfi | bbc | epoch
    zone: str
    weight: float
    mirror_share: float
    brand: str = ""  # Epoch-style dateline brand, e.g. 大纪元
    traditional: bool = False

    def url(self, title: str, aid: str, published: datetime) -> str:
        local = published.astimezone(ZoneInfo(self.zone))
        y, m, d = local.year, local.month, local.day
        base = f"https://{self.host}"
        if self.slug == "rfi":
            slug = "-".join(s for s in re.split(r"[^\w]+", title.replace("&quot;", "")) if s)[:24]
            return f"{base}/cn/{quote('国际')}/{y}{m:02}{d:02}-{quote(slug)}"
        if self.slug == "bbc":
            return f"{base}/zhongwen/simp/world-{aid}"
        if self.family == "epoch":
            return f"{base}/gb/{y % 100}/{m}/{d}/n{aid}.htm"
        if self.family == "rfi":
            return f"{base}/zh/{y}{m:02}{d:02}/{aid}.html"
        return f"{base}/news/{y}/{m:02}/{d:02}/{aid}.html"


OUTLETS = (
    Outlet("rfi", "www.rfi.fr", "rfi", "Europe/Paris", 0.22, 0.03),
    Outlet("bbc", "www.bbc.com", "bbc", "Europe/London", 0.22, 0.03),
    Outlet("epoch", "www.epochtimes.com", "epoch", "Asia/Shanghai", 0.16, 0.5, brand="大纪元"),
    Outlet("huaxia", "www.huaxia-herald.com", "bbc", "Asia/Shanghai", 0.1, 0.03),
    Outlet("ouzhou", "www.ouzhou-shibao.eu", "rfi", "Asia/Shanghai", 0.08, 0.03),
    Outlet("xinshiji", "www.xinshiji-news.net", "epoch", "Asia/Shanghai", 0.08, 0.5,
           brand="新世纪"),
    Outlet("taiwan", "news.taiwan-chronicle.com.tw", "bbc", "Asia/Taipei", 0.08, 0.03,
           traditional=True),
    Outlet("yazhou", "www.yazhou-ribao.com", "rfi", "Asia/Shanghai", 0.06, 0.03),
)  # fmt: skip


# ---------------------------------------------------------------- templates from the samples


@dataclass(frozen=True)
class Slot:
    kind: str  # lead | body | caption | dateline | static
    before: str  # markup between the previous slot's text and this one's
    open: str  # wrapper inside the <p> kept around the text (<strong>, whitespace)
    close: str
    text: str  # static slots: the original inner markup (with entity slots)
    sentences: int  # how many sentences the sample paragraph had
    is_common: bool  # `before` is the template's usual separator: the slot may go or repeat


@dataclass(frozen=True)
class Template:
    name: str
    family: str
    prefix: str
    slots: tuple[Slot, ...]
    suffix: str
    common: str  # the usual separator between two paragraphs


@dataclass
class Samples:
    templates: dict[str, list[Template]]
    sentences: list[str]  # with entity slots


def load_samples(folder: Path) -> Samples:
    """Cut every sample seed into a template and add its sentences to the pool."""
    templates: dict[str, list[Template]] = {}
    sentences: list[str] = []
    for path in sorted(folder.iterdir()):
        text = path.read_text(encoding="utf-8")
        page_html, url = _split_sample(text)
        family = "rfi" if "rfi.fr" in url else "bbc" if "bbc." in url else "epoch"
        template = _template(path.stem, family, page_html, url)
        templates.setdefault(family, []).append(template)
        for slot in template.slots:
            plain = _plain(slot.text)
            if slot.kind in ("lead", "body", "dateline"):
                sentences.extend(_sentences(re.sub(r"^【[^】]*】（[^）]*）", "", plain)))
    unique = list(dict.fromkeys(s for s in sentences if len(s) >= 8))
    if not templates.keys() >= {"rfi", "bbc", "epoch"}:
        raise SystemExit(
            f"{folder}: need RFI, BBC and Epoch Times samples, found {sorted(templates)}"
        )
    return Samples(templates, unique)


def _split_sample(text: str) -> tuple[str, str]:
    lines = text.split("\n")
    if lines[0].startswith("<!--"):
        url = lines[1][lines[1].rindex("](") + 2 : -1]
        return "\n".join(lines[3:]).strip(), url
    footer = max(i for i, line in enumerate(lines) if line.startswith("原文链接"))
    rules = [i for i, line in enumerate(lines) if line.strip() == "---"]
    body = lines[rules[0] + 1 : rules[-1]]
    nav = next(i for i, line in enumerate(body) if line.strip())
    return "\n".join(body[nav + 1 :]).strip(), lines[footer].split("：", 1)[1].strip()


def _template(name: str, family: str, page: str, url: str) -> Template:
    aid = re.findall(r"\d{6,}", url.rsplit("/", 1)[-1])
    page = PIXEL_RE.sub("", page)
    page = re.sub(r"\d{2}/\d{2}/\d{4} - \d{2}:\d{2}", "⟦RFIDATE⟧", page)
    page = re.sub(r"RFI-CN-\d{8}", "RFI-CN-⟦YMD⟧", page)
    page = re.sub(
        r'<time dateTime="\d{4}-\d{2}-\d{2}">[^<]*</time>',
        '<time dateTime="⟦ISODATE⟧">⟦REL⟧</time>',
        page,
    )
    if aid:
        page = page.replace(aid[0], "⟦AID⟧")
    # Every article has its own picture: captions and alt texts become per-article slots.
    page = re.sub(r'(<div class="caption">).*?(</div>)', r"\1\n ⟦CAPTION⟧\n\2", page, flags=re.S)
    page = re.sub(r"(<figcaption><span>)[^<]*(</span>)", r"\1⟦CAPTION⟧\2", page)
    page = re.sub(r'alt="[^"]*[\u3400-\u9fff][^"]*"', 'alt="⟦TITLE⟧"', page)
    page = _with_entity_slots(page)
    found = []
    for match in P_RE.finditer(page):
        inner = match.group(1)
        if "<p" not in inner and len(CJK_RE.findall(_plain(inner))) >= 12:
            found.append(match)
    slots: list[Slot] = []
    end = 0
    seps = [page[a.end(1) : b.start(1)] for a, b in itertools.pairwise(found)]
    common = Counter(seps).most_common(1)[0][0]
    seen_lead = False
    for match in found:
        context = page[end : match.start(1)]  # for the first slot: the whole prefix
        before = context if slots else ""
        inner = match.group(1)
        plain = _plain(inner)
        wrapped = WRAPPED_RE.match(inner)
        if wrapped and not seen_lead:
            kind, (open_, close) = "lead", (wrapped.group(1), wrapped.group(4))
            seen_lead = True
        elif wrapped:
            kind, open_, close = "static", "", ""
        else:
            spaces = SPACES_RE.match(inner)
            assert spaces is not None
            open_, close = spaces.group(1), spaces.group(3)
            if plain.startswith("【"):
                kind = "dateline"
            elif re.search(r"<img|<iframe|<picture", context) and len(plain) <= 40:
                kind = "caption"
            else:
                kind = "body"
        slots.append(
            Slot(
                kind=kind,
                before=before,
                open=open_,
                close=close,
                text=inner,
                sentences=max(1, len(_sentences(plain))),
                is_common=before == common,
            )
        )
        end = match.end(1)
    prefix = page[: found[0].start(1)]
    return Template(name, family, prefix, tuple(slots), page[end:], common)


def _with_entity_slots(text: str) -> str:
    for old, new in ENTITY_SLOTS:
        text = text.replace(old, new)
    return text


def _plain(markup: str) -> str:
    text = " ".join(html.unescape(TAG_RE.sub("", markup)).split())
    return INNER_SPACE_RE.sub("", text)  # the mirror's <ok> links leave spaces inside sentences


def _sentences(text: str) -> list[str]:
    found = [s.strip() for s in SENTENCE_RE.findall(text)]
    rest = SENTENCE_RE.sub("", text).strip()
    if len(rest) >= 8:
        found.append(rest + "。")
    return [s for s in found if s]


# ---------------------------------------------------------------- events and articles


@dataclass
class Event:
    label: str
    time: datetime
    names: dict[str, str]
    rng: Random
    variants: dict[str, str]
    numbers: dict[str, str] = field(default_factory=dict)

    def fill(self, sentence: str) -> str:
        """A pool sentence with this event's words, names, day and numbers."""
        day = self.time.astimezone(ZoneInfo("Asia/Shanghai"))
        text = VARIANT_RE.sub(lambda m: self.variants[m.group(0)], sentence)
        text = MONTH_DAY_RE.sub(
            lambda m: f"{day.month}{m.group(2)}月{m.group(3)}{day.day}{m.group(5)}日", text
        )
        text = WEEKDAY_RE.sub(lambda m: m.group(1) + WEEKDAYS[day.weekday()], text)
        text = NUMBER_RE.sub(lambda m: self._number(m.group(0)), text)
        return fill_tokens(text, self.names)

    def _number(self, original: str) -> str:
        if original not in self.numbers:
            digits = len(original)
            low = 2 if digits == 1 else 10 ** (digits - 1)
            self.numbers[original] = str(self.rng.randrange(low, 10**digits))
        return self.numbers[original]


@dataclass
class Para:
    slot: Slot
    sentences: list[str]  # filled; empty for static slots


@dataclass
class Doc:
    index: int
    label: str
    kind: str  # original | near | exact
    duplicate_of: str | None
    event: Event
    outlet: Outlet
    template: Template
    paras: list[Para]
    title: str
    aid: str
    url: str
    published: datetime
    captured: datetime
    format: str  # archive | mirror
    caption: str = ""  # of the article's picture
    html: str = ""
    path: str = ""


def fill_tokens(text: str, values: dict[str, str]) -> str:
    return TOKEN_RE.sub(lambda m: values[m.group(1)], text)


class Generator:
    """Makes documents one by one; the same seed gives the same sequence."""

    def __init__(self, samples: Samples, seed: int, stream: str) -> None:
        self.samples = samples
        self.seed = seed
        self.rng = Random(f"{seed}:{stream}")
        self.stream = stream
        self.docs: list[Doc] = []
        self.originals: list[Doc] = []
        self.urls: set[str] = set()
        self.aids: set[str] = set()
        self.events = 0
        self._queue: list[Doc] = []

    def __iter__(self) -> Iterator[Doc]:
        while True:
            yield self.next_doc()

    def next_doc(self) -> Doc:
        if not self._queue:
            roll = self.rng.random()
            if self.originals and roll < NEAR_DRAW:
                self._queue.append(self._near(self.rng.choice(self.originals)))
            elif self.originals and roll < NEAR_DRAW + EXACT_DRAW:
                self._queue.append(self._exact(self.rng.choice(self.originals)))
            else:
                self._queue.extend(self._event_reports())
        doc = self._queue.pop(0)
        doc.index = len(self.docs)
        doc.label = f"d{doc.index:06d}"
        self.docs.append(doc)
        if doc.kind == "original":
            self.originals.append(doc)
        return doc

    # -- originals

    def _event_reports(self) -> list[Doc]:
        event = self._event()
        count = _weighted(self.rng, OUTLETS_PER_EVENT)
        outlets: list[Outlet] = []
        while len(outlets) < count:
            outlet = _weighted(self.rng, tuple((o, o.weight) for o in OUTLETS))
            if outlet not in outlets:
                outlets.append(outlet)
        docs: list[Doc] = []
        for outlet in outlets:
            for _attempt in range(5):
                doc = self._original(event, outlet)
                text = _text(doc.paras)
                if all(jaccard(text, _text(d.paras)) < SIBLING_MAX_JACCARD for d in docs):
                    break
            docs.append(doc)
        return docs

    def _event(self) -> Event:
        rng = Random(f"{self.seed}:{self.stream}:event:{self.events}")
        label = f"{self.stream[0]}{self.events:05d}"
        self.events += 1
        (ca, capa), (cb, capb) = rng.sample(COUNTRIES, 2)
        a = _leader_name(rng)
        b = _name(rng, rng.choice((2, 3)))
        while b in a or a in b:
            b = _name(rng, 3)
        names = {
            "A": a,
            "B": b,
            "CA": ca,
            "CB": cb,
            "CAPA": capa,
            "CAPB": capb,
            "CITY": _name(rng, rng.choice((2, 3))) + rng.choice(CITY_SUFFIXES),
            "SP": _name(rng, rng.choice((3, 4))),
            "PAL": f"{cb}总统府",
            "P": _name(rng, rng.choice((2, 3))) + rng.choice(("工程", "计划", "走廊", "基地")),
            "O": _name(rng, 3),
            "G": _name(rng, 2) + rng.choice(("集团", "委员会", "公司", "研究所", "银行")),
            "a": a[0],
            "b": b[0],
            "ca": ca[0],
            "cb": cb[0],
        }
        time = START + timedelta(seconds=rng.randrange(int(SPAN.total_seconds())))
        day = time.astimezone(ZoneInfo("Asia/Shanghai"))
        names |= {
            "T": rng.choice(TOPICS),
            "V": rng.choice(VENUES),
            "WD": "周" + WEEKDAYS[day.weekday()],
            "MD": f"{day.month}月{day.day}日",
        }
        variants = {word: rng.choice(options) for word, options in VARIANTS.items()}
        return Event(label=label, time=time, names=names, rng=rng, variants=variants)

    def _original(self, event: Event, outlet: Outlet) -> Doc:
        rng = self.rng
        template = rng.choice(self.samples.templates[outlet.family])
        published = event.time + timedelta(minutes=rng.randrange(0, 10 * 60))
        captured = published + timedelta(minutes=rng.randrange(5, 8 * 60))
        credit = rng.choice(PHOTO_CREDITS)
        caption = f"{caption_text(rng, event)}（{credit}）"
        video = "【视频】" if rng.random() < 0.15 else ""
        if rng.random() < 0.5:  # a title in the samples' shape
            title = event.fill(video + rng.choice(TITLE_HEADS) + rng.choice(TITLE_TAILS))
        else:  # or in the lead grammar's
            title = video + title_text(rng, event)
        return self._finish(
            Doc(
                index=-1,
                label="",
                kind="original",
                duplicate_of=None,
                event=event,
                outlet=outlet,
                template=template,
                paras=self._paragraphs(template, event),
                title=title,
                aid="",
                url="",
                published=published,
                captured=captured,
                format="mirror" if rng.random() < outlet.mirror_share else "archive",
                caption=caption,
            )
        )

    def _paragraphs(self, template: Template, event: Event) -> list[Para]:
        rng, pool = self.rng, self.samples
        used: set[str] = set()

        def pick(source: list[str]) -> str:
            """A sentence this article does not have yet, filled for the event."""
            for _ in range(20):
                sentence = rng.choice(source)
                if sentence not in used:
                    break
            used.add(sentence)
            return event.fill(sentence)

        paras: list[Para] = []
        for slot in template.slots:
            if slot.kind == "static":
                paras.append(Para(slot, []))
                continue
            if slot.kind == "caption":
                paras.append(Para(slot, [caption_text(rng, event) + "。"]))
                continue
            if slot.kind == "body" and slot.is_common and rng.random() < 0.2:
                continue  # this paragraph is left out
            count = max(1, slot.sentences + rng.choice((-1, 0, 0, 1)))
            if slot.kind in ("lead", "dateline"):  # the event's own sentences
                # long enough to fill the 300 characters the story step reads as the lead
                lead = [lead_sentence(rng, event) for _ in range(rng.randint(6, 8))]
                paras.append(Para(slot, lead))
            else:
                paras.append(Para(slot, [pick(pool.sentences) for _ in range(count)]))
            if slot.kind == "body" and slot.is_common and rng.random() < 0.25:
                paras.append(Para(slot, [pick(pool.sentences) for _ in range(rng.randint(1, 2))]))
        return paras

    # -- duplicates

    def _near(self, original: Doc) -> Doc:
        rng = self.rng
        outlet = original.outlet
        if rng.random() < 0.5:
            family = [o for o in OUTLETS if o.family == outlet.family and o != outlet]
            outlet = rng.choice(family)
        for _attempt in range(10):
            paras = [Para(p.slot, list(p.sentences)) for p in original.paras]
            for _ in range(rng.randint(1, 3)):
                self._edit(paras, original.event)
            if jaccard(_text(original.paras), _text(paras)) >= NEAR_MIN_JACCARD:
                break
        else:
            paras = [Para(p.slot, list(p.sentences)) for p in original.paras]
            self._edit_word(paras, original.event)
        title = original.title
        if rng.random() < 0.4:
            edit = rng.choice(TITLE_EDITS)
            title = (
                edit + title
                if edit.endswith("：")
                else title.replace("：", edit, 1)
                if len(edit) == 1
                else title + edit
            )
        published = original.published + timedelta(minutes=rng.randrange(30, 30 * 60))
        captured = published + timedelta(minutes=rng.randrange(5, 8 * 60))
        doc = replace(
            original,
            index=-1,
            label="",
            kind="near",
            duplicate_of=original.label,
            outlet=outlet,
            paras=paras,
            title=title,
            aid="",
            url="",
            published=published,
            captured=captured,
            format="mirror" if rng.random() < outlet.mirror_share else "archive",
            html="",
            path="",
        )
        return self._finish(doc)

    def _edit(self, paras: list[Para], event: Event) -> None:
        rng = self.rng
        body = [p for p in paras if p.slot.kind in ("body", "lead", "dateline") and p.sentences]
        para = rng.choice(body)
        op = rng.choice(("number", "word", "word", "replace", "drop", "add"))
        at = rng.randrange(len(para.sentences))
        if op == "number" and NUMBER_RE.search(para.sentences[at]):
            para.sentences[at] = NUMBER_RE.sub(
                lambda m: str(int(m.group(0)) + rng.randint(1, 9)), para.sentences[at], count=1
            )
        elif op == "replace":
            para.sentences[at] = event.fill(rng.choice(self.samples.sentences))
        elif op == "drop" and len(para.sentences) > 1:
            del para.sentences[at]
        elif op == "add":
            para.sentences.insert(at, event.fill(rng.choice(self.samples.sentences)))
        else:
            self._edit_word([para], event)

    def _edit_word(self, paras: list[Para], event: Event) -> None:
        para = self.rng.choice([p for p in paras if p.sentences] or paras)
        if not para.sentences:
            return
        at = self.rng.randrange(len(para.sentences))
        sentence = para.sentences[at]
        for old, new in WORD_SWAPS:
            if old in sentence:
                para.sentences[at] = sentence.replace(old, new, 1)
                return
        para.sentences[at] = "据悉，" + sentence

    def _exact(self, original: Doc) -> Doc:
        rng = self.rng
        doc = replace(
            original,
            index=-1,
            label="",
            kind="exact",
            duplicate_of=original.label,
            captured=original.captured + timedelta(minutes=rng.randrange(0, 3 * 60)),
            path="",
        )
        roll = rng.random()
        if original.format == "mirror":
            if roll < 0.5:  # the archive of the page the mirror copied: same URL
                return replace(doc, format="archive")
            return self._moved(doc)
        if roll < 0.35:  # a mirror page of the archive: same URL
            return replace(doc, format="mirror")
        if roll < 0.55:  # the same URL with tracking parameters
            return replace(doc, url=original.url + rng.choice(TRACKING))
        return self._moved(doc)

    def _moved(self, doc: Doc) -> Doc:
        """The same page under another URL: another outlet of the same style, or a new id."""
        family = [o for o in OUTLETS if o.family == doc.outlet.family]
        outlet = self.rng.choice(family)
        aid = self._aid()
        url = self._unique_url(outlet.url(doc.title, aid, doc.published))
        return replace(doc, outlet=outlet, aid=aid, url=url)

    # -- rendering

    def _finish(self, doc: Doc) -> Doc:
        doc.aid = self._aid()
        doc.url = self._unique_url(doc.outlet.url(doc.title, doc.aid, doc.published))
        doc.html = render_html(doc)
        if doc.outlet.traditional:
            doc.title = doc.title.translate(TRADITIONAL)
        return doc

    def _aid(self) -> str:
        while (aid := str(self.rng.randrange(10**7, 10**8))) in self.aids:
            pass
        self.aids.add(aid)
        return aid

    def _unique_url(self, url: str) -> str:
        candidate, n = url, 1
        while candidate in self.urls:
            n += 1
            candidate = f"{url}-{n}"
        self.urls.add(candidate)
        return candidate


def render_html(doc: Doc) -> str:
    """The article page: the template's static markup around the document's paragraphs."""
    zone = ZoneInfo(doc.outlet.zone)
    local = doc.published.astimezone(zone)
    gap = int((doc.captured - doc.published).total_seconds() // 60)
    rel = (
        f"{gap} 分钟前"
        if gap < 60
        else f"{gap // 60} 小时前"
        if gap < 1440
        else f"{gap // 1440} 天前"
    )
    values = {
        **doc.event.names,
        "RFIDATE": local.strftime("%d/%m/%Y - %H:%M"),
        "YMD": local.strftime("%Y%m%d"),
        "ISODATE": local.strftime("%Y-%m-%d"),
        "REL": rel,
        "AID": doc.aid,
        "CAPTION": html.escape(doc.caption, quote=False),
        "TITLE": doc.title.replace('"', "&quot;"),
    }
    tag_names = sorted((doc.event.names[k] for k in ("A", "B", "CB", "CAPB", "CITY")), key=len)[
        ::-1
    ]
    tag_re = re.compile("|".join(re.escape(n) for n in tag_names))
    link = f"https://{doc.outlet.host}/gb/tag/"

    def tag_link(m: re.Match[str]) -> str:  # the mirror's <ok href> tag links around names
        return f'\n  <ok href="{link}{quote(m.group(0))}.html">\n   {m.group(0)}\n  </ok>\n  '

    parts = [doc.template.prefix]
    for para in doc.paras:
        slot = para.slot
        parts.append(slot.before if parts[1:] else "")
        if slot.kind == "static":
            parts.append(slot.text)
            continue
        text = html.escape("".join(para.sentences), quote=False)
        if slot.kind == "dateline":
            stamp = f"{local.year}年{local.month:02}月{local.day:02}日"
            brand = doc.outlet.brand or "大纪元"
            reporter = _reporter(Random(doc.aid))
            text = f"【{brand}{stamp}讯】（{brand}记者{reporter}综合报导）{text}"
        if doc.outlet.family == "epoch":
            text = tag_re.sub(tag_link, text)
        parts.append(f"{slot.open}{text}{slot.close}")
    parts.append(doc.template.suffix)
    page = fill_tokens("".join(parts), values)
    return page.translate(TRADITIONAL) if doc.outlet.traditional else page


def render_file(doc: Doc) -> str:
    """The seed file: feed archive or mirror page around the page HTML."""
    if doc.format == "archive":
        ms = int(doc.captured.timestamp() * 1000)
        return f"<!--{ms}-->\n[{doc.title}]({doc.url})\n------\n\n{doc.html}\n"
    values = {"AID": doc.aid, "SITE": f"{doc.outlet.slug}-news"}
    nav = fill_tokens(NAV_LINE, values)
    pixel = fill_tokens(PIXEL, values)
    return (
        f"### {doc.title}\n\n---\n\n{nav}\n\n\n{doc.html}\n\n\n{pixel}\n\n---\n\n"
        f"原文链接（需翻墙）：{doc.url}\n"
    )


def doc_path(doc: Doc, top: str) -> str:
    name = f"{doc.index:05d}_{Random(doc.label + doc.url).getrandbits(64):016x}"
    suffix = ".md" if Random(doc.label).random() < MD_SUFFIX_SHARE else ".txt"
    if doc.format == "mirror":
        month = doc.published.strftime("%Y-%m")
        return f"{top}/mirror/{doc.outlet.slug}/{month}/{name}{suffix}"
    day = doc.captured.strftime("%Y-%m-%d")
    return f"{top}/{doc.outlet.slug}/{day}/{name}{suffix}"


def _text(paras: list[Para]) -> str:
    return "".join(s for p in paras for s in p.sentences)


def jaccard(a: str, b: str) -> float:
    """Jaccard of the character 3-gram sets of two texts (whitespace ignored)."""
    sa, sb = _grams(a), _grams(b)
    return len(sa & sb) / len(sa | sb) if sa or sb else 1.0


def _grams(text: str) -> set[str]:
    text = "".join(text.split())
    return {text[i : i + 3] for i in range(len(text) - 2)}


def _weighted(rng: Random, choices: tuple[tuple[object, float], ...]) -> object:
    values = [c for c, _ in choices]
    weights = [w for _, w in choices]
    return rng.choices(values, weights=weights)[0]


def _name(rng: Random, length: int) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(length))


def _leader_name(rng: Random) -> str:
    if rng.random() < 0.3:
        return rng.choice(KOREAN_SURNAMES) + "".join(rng.sample(KOREAN_GIVEN, 2))
    return _name(rng, 3)


def lead_sentence(rng: Random, event: Event) -> str:
    """One sentence of a lead paragraph: time, subject, action, tail, for this event."""
    parts = (
        rng.choice(LEAD_TIMES),
        rng.choice(LEAD_SUBJECTS),
        rng.choice(LEAD_ACTIONS),
        rng.choice(LEAD_TAILS),
    )
    time, subject, action, tail = parts
    text = (
        f"{subject}{time}{action}{tail}" if rng.random() < 0.5 else f"{time}{subject}{action}{tail}"
    )
    return fill_tokens(text, {**event.names, "N": str(rng.randint(2, 9))})


def title_text(rng: Random, event: Event) -> str:
    subject, action = rng.choice(LEAD_SUBJECTS), rng.choice(LEAD_ACTIONS)
    topic = rng.choice(("", "：⟦T⟧成焦点", " ⟦V⟧受关注", "：聚焦⟦T⟧", " ⟦SP⟧证实"))
    return fill_tokens(f"{subject}{action}{topic}", event.names)


def caption_text(rng: Random, event: Event) -> str:
    subject = rng.choice(LEAD_SUBJECTS)
    action = rng.choice(LEAD_ACTIONS)
    return fill_tokens(f"{subject}{action}{rng.choice(CAPTION_TAILS)}", event.names)


def _reporter(rng: Random) -> str:
    return rng.choice(CN_SURNAMES) + "".join(rng.choice(CN_GIVEN) for _ in range(rng.randint(1, 2)))


# ---------------------------------------------------------------- feeds


def render_feed(number: int, items: list[Doc]) -> str:
    """One RSS 2.0 (even numbers) or Atom 1.0 (odd) document holding `items`, newest first."""
    outlet = items[0].outlet
    items = sorted(items, key=lambda d: (d.published, d.url), reverse=True)
    title = f"{outlet.slug} section {number:02d}"
    home = f"https://{outlet.host}/"
    newest = items[0].published
    esc = html.escape
    if number % 2 == 0:
        entries = "".join(
            f"<item><title>{esc(d.title)}</title><link>{esc(d.url)}</link>"
            f'<guid isPermaLink="false">{esc(_guid(d))}</guid>'
            f"<pubDate>{format_datetime(d.published)}</pubDate>"
            f"<description>{esc(_text(d.paras)[:140])}</description>"
            f"<content:encoded><![CDATA[{d.html.replace(']]>', ']]&gt;')}]]></content:encoded>"
            "</item>\n"
            for d in items
        )
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" '
            'xmlns:content="http://purl.org/rss/1.0/modules/content/">\n<channel>'
            f"<title>{esc(title)}</title><link>{home}</link><description>{esc(title)}</description>"
            f"<language>zh-cn</language><lastBuildDate>{format_datetime(newest)}</lastBuildDate>\n"
            f"{entries}</channel>\n</rss>\n"
        )
    entries = "".join(
        f"<entry><title>{esc(d.title)}</title><id>{esc(_guid(d))}</id>"
        f'<link rel="alternate" href="{esc(d.url)}"/>'
        f"<published>{d.published.isoformat()}</published><updated>{d.published.isoformat()}</updated>"
        f"<summary>{esc(_text(d.paras)[:140])}</summary>"
        f'<content type="html">{esc(d.html)}</content></entry>\n'
        for d in items
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom" '
        f'xml:lang="zh-cn"><title>{esc(title)}</title><id>urn:bench:feed:{number:02d}</id>'
        f'<link rel="alternate" href="{home}"/><updated>{newest.isoformat()}</updated>\n'
        f"{entries}</feed>\n"
    )


def _guid(doc: Doc) -> str:
    return f"urn:bench:{doc.outlet.slug}:{doc.aid}"


def write_feeds(samples: Samples, seed: int, feeds: int, items: int, out: Path) -> list[dict]:
    """Write `feeds` feed files of `items` items each; return their manifest rows.

    Feed NN carries outlet OUTLETS[NN % len(OUTLETS)] (several section feeds per outlet). An
    exact duplicate is the original item itself (same link and guid) in another section feed
    of its outlet; near-duplicates and originals go to a feed of their own outlet.
    """
    gen = Generator(samples, seed, "feeds")
    buckets: list[list[Doc]] = [[] for _ in range(feeds)]
    placed: list[set[int]] = [set() for _ in range(feeds)]
    by_outlet: dict[str, list[int]] = {}
    for number in range(feeds):
        by_outlet.setdefault(OUTLETS[number % len(OUTLETS)].slug, []).append(number)
    rows: list[dict] = []
    for doc in gen:
        if all(len(b) >= items for b in buckets):
            break
        item, kind, duplicate_of = doc, doc.kind, doc.duplicate_of
        if doc.kind == "exact":
            assert doc.duplicate_of is not None
            item = gen.docs[int(doc.duplicate_of[1:])]
        choices = [
            n
            for n in by_outlet.get(item.outlet.slug, [])
            if len(buckets[n]) < items and item.index not in placed[n]
        ]
        if not choices:
            continue
        number = gen.rng.choice(choices)
        placed[number].add(item.index)
        buckets[number].append(item)
        rows.append(
            {
                "feed": f"feed-{number:02d}.xml",
                "guid": _guid(item),
                "url": item.url,
                "story": item.event.label,
                "duplicate_of": duplicate_of,
                "kind": kind,
                "published": item.published.isoformat(),
            }
        )
    out.mkdir(parents=True)
    for number, bucket in enumerate(buckets):
        (out / f"feed-{number:02d}.xml").write_text(render_feed(number, bucket), encoding="utf-8")
    rows.sort(key=lambda r: (r["feed"], r["guid"]))
    _write_jsonl(out / "manifest.jsonl", rows)
    return rows


# ---------------------------------------------------------------- main


def write_corpus(samples: Samples, seed: int, n: int, extra: int, out: Path) -> list[dict]:
    """Write n seed files under out/seeds and `extra` under out/extra; return manifest rows."""
    gen = Generator(samples, seed, "seeds")
    rows = []
    for count, doc in enumerate(gen):
        if count >= n + extra:
            break
        top = "seeds" if count < n else "extra"
        doc.path = doc_path(doc, top)
        target = out / doc.path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(render_file(doc), encoding="utf-8")
        rows.append(
            {
                "path": doc.path,
                "set": top,
                "doc": doc.label,
                "url": doc.url,
                "story": doc.event.label,
                "duplicate_of": doc.duplicate_of,
                "kind": doc.kind,
                "outlet": doc.outlet.slug,
                "format": doc.format,
                "published": doc.published.isoformat(),
            }
        )
    rows.sort(key=lambda r: r["path"])
    _write_jsonl(out / "manifest.jsonl", rows)
    return rows


def _write_jsonl(path: Path, rows: list[dict]) -> None:
    with path.open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False, sort_keys=True) + "\n")


def summarize(rows: list[dict], label: str) -> str:
    kinds = Counter(r["kind"] for r in rows)
    formats = Counter(r.get("format", "feed") for r in rows)
    stories = len({r["story"] for r in rows})
    parts = ", ".join(f"{k} {v} ({v / len(rows):.1%})" for k, v in sorted(kinds.items()))
    fmt = ", ".join(f"{k} {v / len(rows):.1%}" for k, v in sorted(formats.items()))
    return f"{label}: {len(rows)} ({parts}); {stories} stories; formats: {fmt}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog="Example: .venv/bin/python bench/make_corpus.py --n 20000 --seed 1 --out /tmp/c20k",
    )
    parser.add_argument("--n", type=int, default=2000, help="seed files to write (default 2000)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    parser.add_argument("--out", type=Path, required=True, help="output folder (under /tmp)")
    parser.add_argument(
        "--extra", type=int, default=10, help="further files in OUT/extra for the add-files step"
    )
    parser.add_argument("--feeds", type=int, default=0, help="also write this many feeds")
    parser.add_argument("--items", type=int, default=500, help="items per feed (default 500)")
    parser.add_argument("--samples", type=Path, default=DEFAULT_SAMPLES, help="sample seeds")
    parser.add_argument("--force", action="store_true", help="replace an existing corpus in OUT")
    args = parser.parse_args(argv)
    if args.n < 0 or args.extra < 0 or args.feeds < 0 or args.items < 1:
        parser.error("--n, --extra and --feeds must be >= 0, --items >= 1")
    out: Path = args.out
    ours = [out / "seeds", out / "extra", out / "feeds", out / "manifest.jsonl"]
    if any(p.exists() for p in ours):
        if not args.force:
            parser.error(f"{out} already holds a corpus; pass --force to replace it")
        for p in ours:
            if p.is_dir():
                shutil.rmtree(p)
            elif p.exists():
                p.unlink()
    out.mkdir(parents=True, exist_ok=True)
    samples = load_samples(args.samples)
    rows = write_corpus(samples, args.seed, args.n, args.extra, out)
    print(summarize([r for r in rows if r["set"] == "seeds"], f"{out}/seeds"))
    if args.extra:
        print(summarize([r for r in rows if r["set"] == "extra"], f"{out}/extra"))
    if args.feeds:
        items = write_feeds(samples, args.seed, args.feeds, args.items, out / "feeds")
        print(summarize(items, f"{out}/feeds ({args.feeds} feeds)"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
