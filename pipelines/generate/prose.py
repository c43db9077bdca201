"""The words around the tables: agencies, titles, dates and paragraphs in the style of real reports."""

from __future__ import annotations

import random
from datetime import date

from govreports.pipelines.generate.layout import Para

PLACES = (
    "清江县", "桐溪县", "云岭区", "石门县", "临川区", "东阳湖区", "北仓区", "新河县", "安平县", "南溪区",
    "凤台县", "河西区", "望江县", "金川区", "长宁县", "西湖镇", "青山区", "白水县", "兴隆县", "永安市",
)  # fmt: skip
HUBEI_PLACES = ("孝南区", "郧阳区", "黄陂区", "安陆市", "丹江口市", "汉川市")
BODIES = (
    "人民政府", "人民政府办公室", "发展和改革局", "自然资源和规划局", "生态环境局", "市场监督管理局",
    "住房和城乡建设局", "交通运输局", "教育局", "卫生健康委员会", "财政局", "人力资源和社会保障局",
)  # fmt: skip
DIGITS_CN = "〇一二三四五六七八九"


def agency_name(rng: random.Random, hubei: bool = False) -> str:
    place = rng.choice(HUBEI_PLACES if hubei else PLACES)
    return place + rng.choice(BODIES)


def title(rng: random.Random, agency: str, year: int, kind: str) -> str:
    if kind == "other":
        return rng.choice(
            (
                f"{agency}关于{year}年度政府信息公开专栏建设情况的自查报告",
                f"{agency}关于印发{year}年政务公开工作要点的通知",
                f"{agency}政府网站信息公开工作整改情况说明",
            )
        )
    return f"{agency}{year}{rng.choice(('年', '年度'))}政府信息公开工作年度报告"


def index_no(rng: random.Random, published: date) -> str:
    code = "".join(rng.choice("0123456789") for _ in range(8)) + rng.choice("0123456789X")
    return f"{code}/{published.year}-{rng.randint(1, 99999):05d}"


def chinese_date(d: date, rng: random.Random) -> str:
    if rng.random() < 0.2:  # some agencies sign with Chinese numerals: 二〇二四年一月二十六日
        return cn_date(d)
    return f"{d.year}年{d.month}月{d.day}日"


def cn_month(d: date) -> str:
    """二〇二四年一月"""
    return "".join(DIGITS_CN[int(c)] for c in str(d.year)) + f"年{small_number_cn(d.month)}月"


def cn_date(d: date) -> str:
    """二〇二四年一月二十六日"""
    return f"{cn_month(d)}{small_number_cn(d.day)}日"


def small_number_cn(n: int) -> str:
    tens, ones = divmod(n, 10)
    head = "" if tens == 0 else ("十" if tens == 1 else DIGITS_CN[tens] + "十")
    return head + (DIGITS_CN[ones] if ones else "") if n else "〇"


def intro(rng: random.Random, agency: str, year: int, kind: str) -> str:
    basis = {
        "gov_2021": "和《中华人民共和国政府信息公开工作年度报告格式》（国办公开办函〔2021〕30号）",
        "gov_2019": "和《中华人民共和国政府信息公开工作年度报告格式（试行）》",
    }.get(kind, "")
    phone = f"0{rng.randint(310, 999)}-{rng.randint(2000000, 8999999)}"
    return (
        f"本报告根据《中华人民共和国政府信息公开条例》（以下简称《条例》）{basis}要求编制。"
        f"本报告中所列数据的统计期限自{year}年1月1日起至{year}年12月31日止。"
        f"本报告电子版可在{agency}门户网站查阅。如对本报告有疑问，请与{agency}办公室联系（电话：{phone}）。"
    )


OVERVIEW_POOL = (
    "（一）主动公开。坚持以公开为常态、不公开为例外，围绕重点领域和群众关切，及时准确公开政策文件、财政预决算、重大项目等信息，"
    "做好政策解读和回应关切工作，全年通过门户网站主动公开政府信息{info}条。",
    "（三）政府信息管理。严格落实公开前保密审查和合法性审查制度，动态调整主动公开基本目录，"
    "开展行政规范性文件清理，对不再适用的文件及时宣布失效或废止。",
    "（四）政府信息公开平台建设。优化政府门户网站栏目设置，加强政务新媒体规范管理，"
    "推进政务公开专区建设，为群众提供查阅、咨询等便民服务。",
    "（五）监督保障。将政务公开工作纳入年度绩效考核，定期开展自查和督导，"
    "组织政务公开业务培训{train}次，未发生因政府信息公开工作引起的责任追究情况。",
    "此外，结合“放管服”改革，持续推进决策、执行、管理、服务、结果公开，政务公开工作质量和实效不断提升。",
)


def overview(rng: random.Random, agency: str, year: int, values: dict) -> list[str]:
    received = int(values.get("s3.new_received.total", 0))
    carried = int(values.get("s3.carried_over_from_prev.total", 0))
    lead = (
        f"{year}年，{agency}坚持以习近平新时代中国特色社会主义思想为指导，认真贯彻落实《条例》，"
        "紧紧围绕中心工作，扎实推进政府信息公开工作，切实保障人民群众的知情权、参与权、表达权和监督权。"
    )
    requests = (
        f"（二）依申请公开。畅通申请渠道，规范办理流程，全年共收到政府信息公开申请{received}件，"
        f"上年结转{carried}件，均在法定期限内予以答复。"
    )
    fill = {"info": rng.randint(200, 3000), "train": rng.randint(1, 6)}
    pool = [p.format(**fill) for p in OVERVIEW_POOL]
    return [lead, pool[0], requests, *pool[1 : 1 + rng.randint(2, 4)]]


def problems(rng: random.Random, year: int) -> list[str]:
    return [
        f"{year}年，本机关政府信息公开工作取得了一定成效，但也存在一些不足：一是政策解读形式还不够丰富；"
        "二是部分栏目信息更新不够及时；三是工作人员业务能力有待进一步提升。",
        f"{year + 1}年，我们将进一步加强业务培训，完善信息发布审核机制，丰富政策解读形式，"
        "不断提升政府信息公开工作的质量和水平。",
    ][: rng.randint(1, 2)]


def other_matters(rng: random.Random, year: int, values: dict) -> str:
    unpaid = values.get("s3.r_other_fee_unpaid.total", 0)
    if unpaid:
        return (
            f"本机关{year}年度依据《政府信息公开信息处理费管理办法》发出收费通知，"
            f"{int(unpaid)}件申请因逾期未缴费不再处理。"
        )
    return f"本机关{year}年度未收取信息处理费。无其他需要报告的事项。"


LEGACY_SECTIONS = (
    ("一、概述", "{year}年，{agency}认真贯彻落实《中华人民共和国政府信息公开条例》，进一步健全工作机制，"
     "明确专人负责，政府信息公开工作有序推进。"),
    ("二、主动公开政府信息情况", "全年主动公开政府信息，公开内容主要包括机构职能、政策法规、规划计划、财政资金、"
     "人事信息等，公开形式以政府网站为主，辅以政务公开栏、公告栏等。"),
    ("三、依申请公开政府信息情况", "本年度严格按照《条例》规定受理和答复政府信息公开申请，具体情况见附表。"),
    ("四、政府信息公开的收费及减免情况", "本年度未向申请人收取检索、复制、邮寄等费用。"),
    ("五、因政府信息公开申请提起行政复议、行政诉讼的情况", "具体情况见附表。"),
    ("六、政府信息公开工作存在的主要问题及改进情况", "主要问题是公开内容不够全面，更新不够及时。"
     "下一步将加强培训，完善制度，推动政府信息公开工作再上新台阶。"),
)  # fmt: skip


def legacy_sections(rng: random.Random, agency: str, year: int) -> list[tuple[str, list[str]]]:
    return [(h, [p.format(agency=agency, year=year)]) for h, p in LEGACY_SECTIONS]


def narrative_body(rng: random.Random, agency: str, year: int) -> tuple[list[Para], dict[str, float]]:
    """A report with no tables: its numbers are stated in prose only (narrative_facts)."""
    facts = {
        "legacy.active_total": rng.randint(40, 900),
        "legacy.ch_website": 0,
        "legacy.ch_weixin": rng.randint(0, 30),
        "legacy.req_received": rng.choice((0, 0, 1, 2, 5)),
        "legacy.review_total": 0,
        "legacy.lit_total": 0,
    }
    facts["legacy.ch_website"] = facts["legacy.active_total"] - facts["legacy.ch_weixin"]
    received = facts["legacy.req_received"]
    request_text = (
        "全年未收到政府信息公开申请。" if received == 0 else f"全年共受理政府信息公开申请{received}件，均已按时答复。"
    )
    paras = [
        Para(intro(rng, agency, year, "narrative")),
        Para("一、概述", "heading"),
        Para(f"{year}年，{agency}按照《条例》要求，把政府信息公开作为转变作风、服务群众的重要举措，工作稳步推进。"),
        Para("二、主动公开政府信息情况", "heading"),
        Para(
            f"全年共主动公开政府信息{facts['legacy.active_total']}条，其中通过政府网站公开"
            f"{facts['legacy.ch_website']}条，通过政务微信公开{facts['legacy.ch_weixin']}条。"
        ),
        Para("三、依申请公开政府信息情况", "heading"),
        Para(request_text),
        Para("四、行政复议、行政诉讼情况", "heading"),
        Para("全年未发生因政府信息公开申请行政复议、提起行政诉讼的情况。"),
        Para("五、存在的主要问题及改进情况", "heading"),
        Para("信息公开的及时性和全面性还有待提高。下一步将进一步规范公开流程，加强队伍建设。"),
    ]
    return paras, facts


def other_body(rng: random.Random, agency: str, year: int) -> list[Para]:
    """Not an annual report: a self-inspection or a work notice that mentions the annual report."""
    return [
        Para(
            f"根据上级关于开展政府网站信息公开专栏检查工作的要求，{agency}对照检查内容逐项开展自查，现将有关情况报告如下："
        ),
        Para("一、基本情况", "heading"),
        Para(
            f"本机关政府信息公开专栏设置了机构职能、政策文件、规划计划、年度报告等栏目，{year}年共更新信息"
            f"{rng.randint(50, 600)}条，按时发布了上一年度政府信息公开工作年度报告。"
        ),
        Para("二、存在问题", "heading"),
        Para("部分栏目更新不及时，个别链接失效，政策解读形式较为单一。"),
        Para("三、整改措施", "heading"),
        Para(f"下一步将明确专人负责，建立栏目更新台账，于{year + 1}年3月底前完成整改。"),
    ]
