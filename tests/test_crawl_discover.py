"""Pure page-reading functions of the crawler: titles, links, pagination, scope, encodings."""

from __future__ import annotations

import pytest

from govreports.pipelines.crawl.archive import snapshot_ext
from govreports.pipelines.crawl.discover import (
    Link,
    attachment_kind,
    attachment_links,
    decode_page,
    extract_links,
    is_report_title,
    last_segment,
    normalize_url,
    origin_allowed,
    pagination_urls,
    report_links,
)


@pytest.mark.parametrize(
    "title",
    [
        "青禾县2023年政府信息公开工作年度报告",
        "平潭综合实验区2024年度政府信息公开工作年度报告",
        "沭阳县发展和改革局2023年政府信息公开年度报告",
        "某市地方税务局2013年信息公开年度报告",
        "2016年政务信息公开年报",
        "某县二〇一八年政府信息公开工作年度报告",
    ],
)
def test_report_titles_are_recognised(title: str) -> None:
    assert is_report_title(title)


@pytest.mark.parametrize(
    "title",
    [
        "政府信息公开年报",  # the column itself, in the navigation
        "关于做好2023年度政府信息公开工作年度报告编制发布工作的通知",
        "《2023年政府信息公开工作年度报告》解读",
        "2024年政务公开工作要点",
        "2023年政府工作报告",
        "企业2023年度报告公示",
        "政府信息公开指南",
    ],
)
def test_other_titles_are_not_reports(title: str) -> None:
    assert not is_report_title(title)


def test_extract_links_resolves_base_and_prefers_full_title() -> None:
    html = (
        '<html><head><base href="http://x.gov.cn/col/"></head><body>'
        '<a href="a/t1.html#top" title="青禾县2023年政府信息公开工作年度报告">青禾县2023年政府信息…</a>'
        '<a href="javascript:void(0)">登录</a><a href="#">繁体</a><a href="mailto:a@b.cn">信箱</a>'
        '<a href="../index_1.html"> 下一页 </a><a>no href</a></body></html>'
    )
    assert extract_links(html, "http://other/") == [
        Link("http://x.gov.cn/col/a/t1.html", "青禾县2023年政府信息公开工作年度报告"),
        Link("http://x.gov.cn/index_1.html", "下一页"),
    ]


def test_extract_links_honours_a_selector() -> None:
    html = '<div class="nav"><a href="/n">2023年政府信息公开年报</a></div><ul class="list"><a href="/r">r</a></ul>'
    assert [link.url for link in extract_links(html, "http://h/", "ul.list a")] == ["http://h/r"]


def test_normalize_url_drops_fragments_and_non_http() -> None:
    assert normalize_url("t1.html#p2", "http://h/a/index.html") == "http://h/a/t1.html"
    assert normalize_url("ftp://h/file.pdf", "http://h/") is None
    assert normalize_url("  ", "http://h/") is None


def test_report_links_keep_first_occurrence_only() -> None:
    links = [
        Link("http://h/1", "2023年政府信息公开工作年度报告"),
        Link("http://h/2", "首页"),
        Link("http://h/1", "2023年政府信息公开工作年度报告（图片版）"),
    ]
    assert report_links(links) == [links[0]]


def test_attachments_by_url_suffix() -> None:
    assert attachment_kind("http://h/P0202401.PDF") == "pdf"
    assert attachment_kind("http://h/a.docx?x=1") == "docx"
    assert attachment_kind("http://h/a.html") is None
    links = [Link("http://h/a.pdf", "附件"), Link("http://h/b.html", "x"), Link("http://h/a.pdf", "again")]
    assert attachment_links(links) == [links[0]]


def test_pagination_from_next_anchor() -> None:
    links = [Link("http://h/c/index_1.html", "下一页"), Link("http://h/c/index_5.html", "尾页")]
    assert pagination_urls("", links, "http://h/c/index.html") == ["http://h/c/index_1.html"]


def test_pagination_from_trs_pager_lists_every_page() -> None:
    html = '<script>createPageHTML(4, 0, "index", "html");</script>'
    assert pagination_urls(html, [], "http://h/c/") == [
        "http://h/c/index_1.html",
        "http://h/c/index_2.html",
        "http://h/c/index_3.html",
    ]


def test_single_page_has_no_pagination() -> None:
    assert pagination_urls('createPageHTML(1, 0, "index", "shtml")', [Link("http://h/", "首页")], "http://h/") == []


def test_origin_scope() -> None:
    allowed = ["www.xx.gov.cn", "*.files.gov.cn", "http://127.0.0.1:8080"]
    assert origin_allowed("https://www.xx.gov.cn/a", allowed)
    assert origin_allowed("http://WWW.XX.GOV.CN:80/a", allowed)
    assert origin_allowed("http://cdn.files.gov.cn/a.pdf", allowed)
    assert origin_allowed("http://files.gov.cn/a.pdf", allowed)
    assert origin_allowed("http://127.0.0.1:8080/x", allowed)
    assert not origin_allowed("https://www.xx.gov.cn:8443/a", allowed)  # another port is another origin
    assert not origin_allowed("http://127.0.0.1:8081/x", allowed)
    assert not origin_allowed("https://127.0.0.1:8080/x", allowed)  # and so is another scheme
    assert not origin_allowed("http://127.0.0.1/x", allowed)
    assert not origin_allowed("http://xx.gov.cn/a", allowed)
    assert not origin_allowed("http://evilfiles.gov.cn/a", allowed)
    assert not origin_allowed("ftp://www.xx.gov.cn/a", allowed)
    assert not origin_allowed("http://www.xx.gov.cn:80a/a", allowed)  # malformed: no origin at all


def test_last_segment_is_the_decoded_file_name() -> None:
    assert last_segment("http://h/a/P020240125%E6%8A%A5%E5%91%8A.pdf?v=2") == "P020240125报告.pdf"
    assert last_segment("http://h/a/") == "index.html"
    assert last_segment("http://h") == "index.html"


def test_gbk_page_declared_in_meta_decodes_as_gb18030() -> None:
    raw = '<meta charset="gb2312"><p>青禾县政府信息公开工作年度报告 䶮</p>'.encode("gb18030")
    text, encoding = decode_page(raw, "text/html")
    assert encoding == "gb18030"
    assert "青禾县政府信息公开工作年度报告 䶮" in text


def test_http_charset_wins_over_detection() -> None:
    raw = "<p>政府信息公开</p>".encode("gbk")
    assert decode_page(raw, "text/html; charset=GBK") == ("<p>政府信息公开</p>", "gb18030")


def test_utf8_page_under_a_gbk_header_stays_utf8() -> None:
    raw = "<p>政府信息公开工作年度报告</p>".encode()
    assert decode_page(raw, "text/html; charset=gbk")[1] == "utf-8"


@pytest.mark.parametrize(
    ("content_type", "url", "ext"),
    [
        ("text/html; charset=gbk", "http://h/t1.shtml", ".html"),
        ("application/pdf", "http://h/download?id=3", ".pdf"),
        ("application/octet-stream", "http://h/P0201.pdf", ".pdf"),
        (None, "http://h/a.htm", ".html"),
        ("application/msword", "http://h/a", ".doc"),
        ("application/zip", "http://h/a", ".bin"),
    ],
)
def test_snapshot_suffix(content_type: str | None, url: str, ext: str) -> None:
    assert snapshot_ext(content_type, url) == ext
