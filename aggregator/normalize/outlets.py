"""Known news outlets: display name, home time zone and date order, looked up by host.

A mirror counts as its original's outlet (the caller passes the original URL). Pure.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit


@dataclass(frozen=True, slots=True, kw_only=True)
class Outlet:
    """A known news site: its display name and the time zone its in-text datelines use."""

    name: str
    zone: str  # IANA name
    day_first: bool = True  # how it writes 12/09/2023; US outlets write month first


# (hosts, name, dateline time zone, day before month). Hosts match with their subdomains
# (cn.nytimes.com -> nytimes.com). A mirror counts as its original's outlet.
OUTLET_TABLE: tuple[tuple[tuple[str, ...], str, str, bool], ...] = (
    (("rfi.fr",), "RFI", "Europe/Paris", True),
    (("france24.com",), "France 24", "Europe/Paris", True),
    (("bbc.com", "bbc.co.uk"), "BBC", "Europe/London", True),
    (("theguardian.com",), "The Guardian", "Europe/London", True),
    (("reuters.com",), "Reuters", "UTC", True),
    (("dw.com",), "DW", "Europe/Berlin", True),
    (("voachinese.com", "voanews.com"), "VOA", "America/New_York", False),
    (("rfa.org",), "RFA", "America/New_York", False),
    (("nytimes.com",), "New York Times", "America/New_York", False),
    (("wsj.com",), "Wall Street Journal", "America/New_York", False),
    (("apnews.com",), "AP", "America/New_York", False),
    (("cnn.com",), "CNN", "America/New_York", False),
    (("epochtimes.com",), "大纪元", "Asia/Shanghai", True),
    (("epochtimes.com.tw",), "大纪元", "Asia/Taipei", True),
    (("theepochtimes.com",), "The Epoch Times", "America/New_York", False),
    (("ntdtv.com",), "新唐人", "Asia/Shanghai", True),
    (("ftchinese.com",), "FT中文网", "Asia/Shanghai", True),
    (("xinhuanet.com", "news.cn"), "新华社", "Asia/Shanghai", True),
    (("people.com.cn",), "人民网", "Asia/Shanghai", True),
    (("thepaper.cn",), "澎湃新闻", "Asia/Shanghai", True),
    (("caixin.com",), "财新", "Asia/Shanghai", True),
    (("zaobao.com", "zaobao.com.sg"), "联合早报", "Asia/Singapore", True),
    (("cna.com.tw",), "中央社", "Asia/Taipei", True),
    (("udn.com",), "聯合報", "Asia/Taipei", True),
    (("ltn.com.tw",), "自由時報", "Asia/Taipei", True),
    (("theinitium.com",), "端传媒", "Asia/Hong_Kong", True),
    (("scmp.com",), "SCMP", "Asia/Hong_Kong", True),
    (("rthk.hk",), "RTHK", "Asia/Hong_Kong", True),
    (("mingpao.com",), "明報", "Asia/Hong_Kong", True),
)
OUTLETS = {
    host: Outlet(name=name, zone=zone, day_first=day_first)
    for hosts, name, zone, day_first in OUTLET_TABLE
    for host in hosts
}
# Second-level public suffixes common among news hosts, for the registrable-host fallback.
TWO_LEVEL_SUFFIXES = frozenset(
    f"{second}.{top}"
    for top in ("cn", "tw", "hk", "sg", "uk", "au", "jp", "kr", "my", "nz")
    for second in ("com", "net", "org", "edu", "gov", "co", "ac", "or", "ne", "idv")
)


def outlet_name(url: str) -> str:
    """Return the outlet's name for an article URL: from OUTLETS, else its registrable host."""
    host = host_of(url)
    outlet = outlet_for_host(host)
    return outlet.name if outlet else _registrable(host)


def host_of(url: str) -> str:
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return ""
    return host.rstrip(".")


def outlet_for_host(host: str) -> Outlet | None:
    labels = host.split(".")
    for start in range(len(labels) - 1):
        if outlet := OUTLETS.get(".".join(labels[start:])):
            return outlet
    return None


def _registrable(host: str) -> str:
    labels = host.removeprefix("www.").split(".")
    keep = 3 if ".".join(labels[-2:]) in TWO_LEVEL_SUFFIXES else 2
    return ".".join(labels[-keep:])
