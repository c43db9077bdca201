"""A mock county portal for the crawler tests, on loopback only.

`Portal` runs two ThreadingHTTPServers on ephemeral ports: the county site on
127.0.0.1 and "another host" on 127.0.0.2 that its pages link to. Both record every
request they see, so tests assert exactly what was fetched.

The county site is laid out like a TRS-built portal: a report column
/xxgk/zfxxgknb/index.html with 下一页 to index_1.html and a createPageHTML pager to
index_2.html; report pages in UTF-8 and in GBK; a report page with PDF, DOCX and XLS
attachments and a link to a file on the other host; a page that fails with 500 once,
a 404, a redirect within the site and one to the other host; a notice about reports
(not a report); robots.txt disallowing /private/. Pages carry ETag and Last-Modified
and answer conditional requests with 304, like the static servers portals run on.
"""

from __future__ import annotations

import csv
import hashlib
import struct
import threading
import time
import zlib
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from tests.office_files import xlsx_to_xls

REPO = Path(__file__).resolve().parents[1]
COLUMN = "/xxgk/zfxxgknb/"
COUNTY = "青禾县"
LAST_MODIFIED = formatdate(1706000000, usegmt=True)


@dataclass
class Resource:
    body: bytes = b""
    content_type: str = "text/html; charset=utf-8"
    status: int = 200
    location: str | None = None  # for 3xx
    fail_first: int = 0  # answer 500 this many times before serving the body
    validators: bool = True  # send ETag / Last-Modified and honour conditional requests
    delay: float = 0.0  # seconds to wait before answering (to exercise client timeouts)
    trickle: float = 0.0  # seconds between the body's bytes, sent one at a time (a trickling server)
    headers: dict[str, str] = field(default_factory=dict)  # extra response headers (Content-Encoding, …)

    @property
    def etag(self) -> str:
        return '"' + hashlib.sha256(self.body).hexdigest()[:16] + '"'


@dataclass(frozen=True)
class Seen:
    host: str  # the server that received it: "main" or "other"
    path: str
    status: int
    if_none_match: str | None


@dataclass
class Portal:
    routes: dict[str, Resource] = field(default_factory=dict)
    other_routes: dict[str, Resource] = field(default_factory=dict)
    seen: list[Seen] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    servers: list[ThreadingHTTPServer] = field(default_factory=list)

    def start(self) -> Portal:
        for address, routes, label in (("127.0.0.1", self.routes, "main"), ("127.0.0.2", self.other_routes, "other")):
            server = ThreadingHTTPServer((address, 0), make_handler(self, routes, label))
            server.daemon_threads = True
            threading.Thread(target=server.serve_forever, daemon=True).start()
            self.servers.append(server)
        return self

    def stop(self) -> None:
        for server in self.servers:
            server.shutdown()
            server.server_close()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.servers[0].server_address[1]}"

    @property
    def other_base(self) -> str:
        return f"http://127.0.0.2:{self.servers[1].server_address[1]}"

    @property
    def listing_url(self) -> str:
        return self.base + COLUMN + "index.html"

    def paths(self, host: str = "main") -> list[str]:
        with self.lock:
            return [s.path for s in self.seen if s.host == host]

    def requests(self) -> list[Seen]:
        with self.lock:
            return list(self.seen)

    def clear(self) -> None:
        with self.lock:
            self.seen.clear()


def make_handler(portal: Portal, routes: dict[str, Resource], label: str) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            res = routes.get(self.path.split("?")[0])
            if res is not None and res.delay:
                time.sleep(res.delay)
            status, headers, body = respond(res, self.headers.get("If-None-Match"))
            with portal.lock:
                portal.seen.append(Seen(label, self.path, status, self.headers.get("If-None-Match")))
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if res is not None and res.trickle:
                self.trickle(body, res.trickle)
            else:
                self.wfile.write(body)

        def trickle(self, body: bytes, pause: float) -> None:
            try:
                for i in range(len(body)):
                    self.wfile.write(body[i : i + 1])
                    self.wfile.flush()
                    time.sleep(pause)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True  # the client gave up: that is what the test wants

        def log_message(self, *args: object) -> None:
            pass

    return Handler


def respond(res: Resource | None, if_none_match: str | None) -> tuple[int, dict[str, str], bytes]:
    if res is None:
        return 404, {"Content-Type": "text/html; charset=utf-8"}, "<h1>404 页面不存在</h1>".encode()
    if res.fail_first > 0:
        res.fail_first -= 1
        return 500, {"Content-Type": "text/html"}, b"<h1>500 Internal Server Error</h1>"
    if res.location:
        return res.status, {"Location": res.location, "Content-Type": "text/html"}, b""
    headers = {"Content-Type": res.content_type} | res.headers
    if res.validators:
        headers |= {"ETag": res.etag, "Last-Modified": LAST_MODIFIED}
        if if_none_match == res.etag:
            return 304, headers, b""
    return res.status, headers, res.body


# --- page content -----------------------------------------------------------------------------------------------


def s3_rows() -> list[dict]:
    with open(REPO / "data" / "reference" / "layout_rows.csv", encoding="utf-8") as fh:
        return [r for r in csv.DictReader(fh) if r["template"] == "gov_2021" and r["section"] == "s3"]


def s3_values(k: int) -> dict[str, tuple[int, int]]:
    """(natural person, commercial enterprise) per row; they balance: new + carried = total + next."""
    return {
        "new_received": (5 + k, 2),
        "carried_over_from_prev": (1, 0),
        "r_granted": (3 + k, 1),
        "r_unable_not_held": (2, 1),
        "r_total": (5 + k, 2),
        "carried_to_next": (1, 0),
    }


def s3_table(k: int) -> str:
    """Section 三 as the 2021 format prints it: group labels span their rows, 7 applicant columns."""
    rows = s3_rows()
    values = s3_values(k)
    head = (
        "<tr><td colspan='3' rowspan='3'>（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）</td>"
        "<td colspan='7'>申请人情况</td></tr>"
        "<tr><td rowspan='2'>自然人</td><td colspan='5'>法人或其他组织</td><td rowspan='2'>总计</td></tr>"
        "<tr><td>商业企业</td><td>科研机构</td><td>社会公益组织</td><td>法律服务机构</td><td>其他</td></tr>"
    )
    results_label = "三、本年度办理结果"
    groups = {r["label"] for r in rows if r["derived"] == "True" and r["row_key"] != "results"}
    leaves = [r for r in rows if r["derived"] != "True"]
    under_results = [r for r in leaves if r["parent"] == results_label or r["parent"] in groups]
    out = [head]
    spanned: set[str] = set()
    for r in leaves:
        a, b = values.get(r["row_key"], (0, 0))
        cells = "".join(f"<td>{v}</td>" for v in (a, b, 0, 0, 0, 0, a + b))
        if r not in under_results:
            out.append(f"<tr><td colspan='3'>{r['label']}</td>{cells}</tr>")
            continue
        prefix = ""
        if results_label not in spanned:
            spanned.add(results_label)
            prefix = f"<td rowspan='{len(under_results)}'>{results_label}</td>"
        parent = r["parent"]
        if parent in groups:
            if parent not in spanned:
                spanned.add(parent)
                prefix += f"<td rowspan='{sum(c['parent'] == parent for c in leaves)}'>{parent}</td>"
            out.append(f"<tr>{prefix}<td>{r['label']}</td>{cells}</tr>")
        else:
            out.append(f"<tr>{prefix}<td colspan='2'>{r['label']}</td>{cells}</tr>")
    return "<table border='1'>" + "".join(out) + "</table>"


def s4_table() -> str:
    heads = ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"]
    return (
        "<table border='1'><tr><td colspan='5' rowspan='2'>行政复议</td><td colspan='10'>行政诉讼</td></tr>"
        "<tr><td colspan='5'>未经复议直接起诉</td><td colspan='5'>复议后起诉</td></tr>"
        "<tr>" + "".join(f"<td>{h}</td>" for h in heads * 3) + "</tr>"
        "<tr>" + "".join(f"<td>{v}</td>" for v in (1, 0, 0, 0, 1) + (0,) * 10) + "</tr></table>"
    )


def report_page(agency: str, year: int, charset: str = "utf-8", extra: str = "") -> str:
    """A report page as county portals publish it: site chrome around the four-table report."""
    title = f"{agency}{year}年政府信息公开工作年度报告"
    return f"""<!DOCTYPE html>
<html><head><meta charset="{charset}">
<title>{title}_政府信息公开年报_{COUNTY}人民政府</title>
<meta name="ArticleTitle" content="{title}">
<meta name="PubDate" content="{year + 1}-01-18 09:30">
<meta name="ColumnName" content="政府信息公开年报">
</head><body>
<div class="top"><a href="/">首页</a> <a href="/xxgk/">政务公开</a> <a href="https://www.gov.cn/">中国政府网</a></div>
<div class="crumb"><a href="../../">政务公开</a> &gt; <a href="../">政府信息公开年报</a></div>
<div class="article"><h1>{title}</h1>
<p>一、总体情况</p><p>{year}年，{agency}认真贯彻落实《中华人民共和国政府信息公开条例》，持续推进政务公开。</p>
<p>二、主动公开政府信息情况</p><p>（略）</p>
<p>三、收到和处理政府信息公开申请情况</p>{s3_table(year % 3)}
<p>四、政府信息公开行政复议、行政诉讼情况</p>{s4_table()}
<p>五、存在的主要问题及改进情况</p><p>公开内容的规范性有待加强。</p>
<p>六、其他需要报告的事项</p><p>本年度未收取信息处理费。</p>
{extra}
</div>
<div class="foot"><a href="https://www.gov.cn/">国务院</a> <a href="http://www.jiangsu.gov.cn/">省政府</a></div>
</body></html>"""


def listing_page(items: list[tuple[str, str]], pager: str, charset: str = "utf-8") -> str:
    lis = "\n".join(
        f'<li><a href="{href}" title="{title}" target="_blank">{title[:18]}…</a><span>2024-01-18</span></li>'
        for href, title in items
    )
    return f"""<!DOCTYPE html>
<html><head><meta http-equiv="Content-Type" content="text/html; charset={charset}">
<title>政府信息公开年报_{COUNTY}人民政府</title></head><body>
<div class="top"><a href="/">首页</a> <a href="/xxgk/">政务公开</a> <a href="/xxgk/zfxxgkzn/">政府信息公开指南</a></div>
<div class="left"><a href="/xxgk/zfxxgkzd/">政府信息公开制度</a> <a href="{COLUMN}">政府信息公开年报</a></div>
<ul class="list">
{lis}
</ul>
<div class="page">{pager}</div>
<div class="foot"><a href="https://www.gov.cn/">中国政府网</a></div>
</body></html>"""


def text_pdf(lines: list[str]) -> bytes:
    """A one-page PDF whose text layer is `lines`, in the standard STSong-Light CID font (not embedded)."""
    ops = ["BT", "/F1 11 Tf", "14 TL", "40 800 Td"]
    ops += ["<" + line.encode("utf-16-be").hex().upper() + "> Tj T*" for line in lines]
    stream = "\n".join([*ops, "ET"]).encode("ascii")
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >>"
        b" /Contents 6 0 R >>",
        b"<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /UniGB-UCS2-H /DescendantFonts [5 0 R] >>",
        b"<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light"
        b" /CIDSystemInfo << /Registry (Adobe) /Ordering (GB1) /Supplement 4 >> /FontDescriptor 7 0 R >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /FontDescriptor /FontName /STSong-Light /Flags 4 /FontBBox [0 -200 1000 900] /ItalicAngle 0"
        b" /Ascent 880 /Descent -120 /CapHeight 880 /StemV 80 >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    return bytes(out)


def report_pdf(agency: str, year: int) -> bytes:
    """A text-layer PDF of a report, section 三 as text rows (label then the seven columns)."""
    values = s3_values(year % 3)
    lines = [f"{agency}{year}年政府信息公开工作年度报告", "三、收到和处理政府信息公开申请情况"]
    for r in s3_rows():
        if r["derived"] != "True":
            a, b = values.get(r["row_key"], (0, 0))
            lines.append(f"{r['label'][:30]} {a} {b} 0 0 0 0 {a + b}")
    return text_pdf(lines)


def zeros_gzip(mb: int) -> bytes:
    """A gzip stream of `mb` MiB of zeros, built without compressing them: after a full flush, deflate
    writes the same bytes for the same input, so one compressed MiB is repeated (about 1 KB each)."""
    zeros = bytes(1 << 20)
    c = zlib.compressobj(9, zlib.DEFLATED, 31)
    first = c.compress(zeros) + c.flush(zlib.Z_FULL_FLUSH)
    block = c.compress(zeros) + c.flush(zlib.Z_FULL_FLUSH)
    crc = 0
    for _ in range(mb):
        crc = zlib.crc32(zeros, crc)
    size = (mb << 20) & 0xFFFFFFFF
    return first + block * (mb - 1) + b"\x03\x00" + struct.pack("<II", crc, size)  # final empty block, trailer


def sample_bytes(name: str) -> bytes:
    return (REPO / "data" / "samples" / name).read_bytes()


# Attachments: a Word report and the statistics table of another as a legacy .xls.
DOCX_SAMPLE = "gen063_gov_2021_2024.docx"
XLS_SAMPLE = "gen068_gov_2019_2019.xlsx"


# --- the county site ----------------------------------------------------------------------------------------------


def html(text: str, charset: str = "utf-8", declare: bool = True) -> Resource:
    codec = "gb18030" if charset in ("gbk", "gb2312") else charset
    ctype = f"text/html; charset={charset}" if declare else "text/html"
    return Resource(body=text.encode(codec), content_type=ctype)


def build_county_site(portal: Portal) -> Portal:
    """Fill the portal's routes; call after start() (pages link to the other host's port)."""
    other = portal.other_base
    c = COLUMN
    fin_attachments = (
        '<p>附件：<a href="./P020240125_cz.pdf">青禾县财政局2023年政府信息公开工作年度报告.pdf</a></p>'
        '<p>附件：<a href="./P020240125_cz.docx">青禾县财政局2023年政府信息公开工作年度报告.docx</a></p>'
        '<p>附件：<a href="./P020240125_tj.xls">2019年政府信息公开情况统计表.xls</a></p>'
        f'<p>镜像：<a href="{other}/files/P020240125_cz.pdf">备用下载</a></p>'
    )
    r = portal.routes
    r["/robots.txt"] = Resource(body=b"User-agent: *\nDisallow: /private/\n", content_type="text/plain")
    r[c + "index.html"] = html(
        listing_page(
            [
                ("./202401/t20240118_70001.html", f"{COUNTY}2023年政府信息公开工作年度报告"),
                ("./202301/t20230116_60001.html", f"{COUNTY}2022年政府信息公开工作年度报告"),
                ("./202401/t20240125_70002.html", f"{COUNTY}财政局2023年政府信息公开工作年度报告"),
                ("./202312/t20231205_69001.html", "关于做好2023年度政府信息公开工作年度报告编制发布工作的通知"),
                (f"{other}/xxgk/t20240101_1.html", "青禾市2023年政府信息公开工作年度报告"),
            ],
            '<a href="./index_1.html">下一页</a> <a href="./index_2.html">尾页</a>',
        )
    )
    r[c + "index_1.html"] = html(
        listing_page(
            [
                ("./202201/t20220120_50001.html", f"{COUNTY}2021年政府信息公开工作年度报告"),
                ("./202101/t20210115_40001.html", f"{COUNTY}2020年政府信息公开工作年度报告"),
                ("/old/nb2019.html", f"{COUNTY}2019年政府信息公开工作年度报告"),
                ("/private/wjw2023.html", f"{COUNTY}卫生健康委员会2023年政府信息公开工作年度报告"),
                ("/go/jyj2023", f"{COUNTY}教育局2023年政府信息公开工作年度报告"),
            ],
            '<script>createPageHTML(3, 1, "index", "html");</script>',
            charset="gbk",
        ),
        charset="gbk",
        declare=False,
    )
    r[c + "index_2.html"] = html(
        listing_page(
            [("./202402/P020240201_sfj.pdf", f"{COUNTY}司法局2023年政府信息公开工作年度报告")],
            '<script>createPageHTML(3, 2, "index", "html");</script>',
        )
    )
    r[c + "202401/t20240118_70001.html"] = html(report_page(f"{COUNTY}人民政府", 2023))
    r[c + "202301/t20230116_60001.html"] = html(
        report_page(f"{COUNTY}人民政府", 2022, charset="gb2312"), charset="gb2312", declare=False
    )
    r[c + "202401/t20240125_70002.html"] = html(report_page(f"{COUNTY}财政局", 2023, extra=fin_attachments))
    r[c + "202401/P020240125_cz.pdf"] = Resource(
        body=report_pdf(f"{COUNTY}财政局", 2023), content_type="application/pdf"
    )
    r[c + "202401/P020240125_cz.docx"] = Resource(
        body=sample_bytes(DOCX_SAMPLE),
        content_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    )
    r[c + "202401/P020240125_tj.xls"] = Resource(
        body=xlsx_to_xls(sample_bytes(XLS_SAMPLE)), content_type="application/vnd.ms-excel"
    )
    r[c + "202312/t20231205_69001.html"] = html("<html><body><h1>通知</h1></body></html>")
    r[c + "202201/t20220120_50001.html"] = html(report_page(f"{COUNTY}人民政府", 2021))
    r[c + "202201/t20220120_50001.html"].fail_first = 1
    r["/old/nb2019.html"] = Resource(status=302, location=c + "202001/t20200117_30001.html")
    r[c + "202001/t20200117_30001.html"] = html(report_page(f"{COUNTY}人民政府", 2019))
    r["/private/wjw2023.html"] = html(report_page(f"{COUNTY}卫生健康委员会", 2023))
    r["/go/jyj2023"] = Resource(status=302, location=f"{other}/jyj/2023.html")
    r[c + "202402/P020240201_sfj.pdf"] = Resource(
        body=report_pdf(f"{COUNTY}司法局", 2023), content_type="application/pdf"
    )
    for path in ("/xxgk/t20240101_1.html", "/jyj/2023.html", "/files/P020240125_cz.pdf", "/robots.txt"):
        portal.other_routes[path] = html(report_page("青禾市人民政府", 2023))
    return portal


# What a full crawl of the county site must request, in any order (the 500 page twice).
EXPECTED_MAIN_PATHS = sorted(
    [
        "/robots.txt",
        COLUMN + "index.html",
        COLUMN + "index_1.html",
        COLUMN + "index_2.html",
        COLUMN + "202401/t20240118_70001.html",
        COLUMN + "202301/t20230116_60001.html",
        COLUMN + "202401/t20240125_70002.html",
        COLUMN + "202401/P020240125_cz.pdf",
        COLUMN + "202401/P020240125_cz.docx",
        COLUMN + "202401/P020240125_tj.xls",
        COLUMN + "202201/t20220120_50001.html",
        COLUMN + "202201/t20220120_50001.html",
        COLUMN + "202101/t20210115_40001.html",
        "/old/nb2019.html",
        COLUMN + "202001/t20200117_30001.html",
        "/go/jyj2023",
        COLUMN + "202402/P020240201_sfj.pdf",
    ]
)
# The report bodies the crawl ingests (page or file), by path.
REPORT_BODIES = [
    COLUMN + "202401/t20240118_70001.html",
    COLUMN + "202301/t20230116_60001.html",
    COLUMN + "202401/t20240125_70002.html",
    COLUMN + "202401/P020240125_cz.pdf",
    COLUMN + "202401/P020240125_cz.docx",
    COLUMN + "202401/P020240125_tj.xls",
    COLUMN + "202201/t20220120_50001.html",
    COLUMN + "202001/t20200117_30001.html",
    COLUMN + "202402/P020240201_sfj.pdf",
]


def county_portal() -> Portal:
    return build_county_site(Portal().start())
