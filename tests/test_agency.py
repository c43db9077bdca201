"""Agency normalisation: place from the name (or the site), administrative level, sector."""

from __future__ import annotations

import csv

import pytest

from govreports.transform.agency import normalise_agency
from govreports.transform.reference import REFERENCE_DIR


def place(name: str, url: str | None = None) -> tuple:
    r = normalise_agency(name, url)
    return (r["province"], r["city"], r["county"], r["level"], r["sector"])


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        # agencies of the shared corpus
        ("沭阳县发展和改革局", ("江苏省", "宿迁市", "沭阳县", "county", "发展改革")),
        ("洪泽区人民政府", ("江苏省", "淮安市", "洪泽区", "county", "人民政府/办公室")),
        ("淮安市洪泽区人民政府", ("江苏省", "淮安市", "洪泽区", "county", "人民政府/办公室")),
        (
            "克孜勒苏柯尔克孜自治州文化体育和旅游局",
            ("新疆维吾尔自治区", "克孜勒苏柯尔克孜自治州", None, "municipal", "文化和旅游"),
        ),
        ("吴忠市红寺堡区文化体育旅游局", ("宁夏回族自治区", "吴忠市", "红寺堡区", "county", "文化和旅游")),
        ("新源县文化体育广播电视和旅游局", ("新疆维吾尔自治区", "伊犁哈萨克自治州", "新源县", "county", "文化和旅游")),
        ("厦门市文化和旅游局", ("福建省", "厦门市", None, "municipal", "文化和旅游")),
        ("加格达奇区人民政府", ("黑龙江省", "大兴安岭地区", "加格达奇区", "county", "人民政府/办公室")),
        ("平潭综合实验区", ("福建省", "福州市", "平潭县", "county", "人民政府/办公室")),
        ("平潭综合实验区地方税务局", ("福建省", "福州市", "平潭县", "county", "税务")),
        # levels
        ("江苏省人民政府办公厅", ("江苏省", None, None, "provincial", "人民政府/办公室")),
        ("北京市朝阳区人民政府", ("北京市", "北京市", "朝阳区", "county", "人民政府/办公室")),
        ("沭阳县钱集镇人民政府", ("江苏省", "宿迁市", "沭阳县", "township", "人民政府/办公室")),
        ("洪泽区高良涧街道办事处", ("江苏省", "淮安市", "洪泽区", "township", "人民政府/办公室")),
        ("教育部", (None, None, None, "national", "教育")),
        ("国家税务总局", (None, None, None, "national", "税务")),
        # short names under a parent; a county renamed since (洪泽县 → 洪泽区 in 2016) still places
        ("江苏淮安洪泽县教育局", ("江苏省", "淮安市", "洪泽县", "county", "教育")),
        # 城乡 is not a township, 公安 inside a name is not 公安县
        ("沭阳县城乡建设局", ("江苏省", "宿迁市", "沭阳县", "county", "住房和城乡建设")),
        ("苏州市公安局", ("江苏省", "苏州市", None, "municipal", "公安")),
    ],
)
def test_place_level_and_sector_from_the_name(name, expected):
    assert place(name) == expected


def test_an_ambiguous_district_keeps_only_what_is_certain():
    # 朝阳区 is in 北京市 and in 长春市: the county is known, the province is not
    assert place("朝阳区人民政府") == (None, None, "朝阳区", "county", "人民政府/办公室")


def test_the_site_places_a_name_without_a_place():
    assert place("文化和旅游局", "http://www.shuyang.gov.cn/art/2024/1/1/art_1.html") == (
        "江苏省",
        "宿迁市",
        "沭阳县",
        "county",
        "文化和旅游",
    )
    # a local path is not a site
    assert place("文化和旅游局", "data/samples/shuyang/report.html")[:4] == (None, None, None, None)


def test_a_place_missing_from_the_list_still_gives_level_and_sector():
    # the generated samples use invented places; 人民政府 contains 民政 but is a government
    assert place("北仓区人民政府") == (None, None, None, "county", "人民政府/办公室")
    assert place("桐溪县教育局") == (None, None, None, "county", "教育")
    assert place("西湖镇卫生健康委员会") == (None, None, None, "township", "卫生健康")
    assert place("沭阳县民政局")[4] == "民政"


def test_unknown_and_empty_names():
    assert place("某某机关") == (None, None, None, None, None)
    assert place("") == (None, None, None, None, None)
    assert normalise_agency(None, None)["level"] is None


def test_reference_data_names_its_source_and_covers_counties():
    with (REFERENCE_DIR / "divisions.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    current = [r for r in rows if not r["last_year"]]
    assert {r["level"] for r in current} == {"province", "city", "county"}
    assert sum(r["level"] == "province" for r in current) == 34
    assert sum(r["level"] == "county" for r in current) > 2800
    assert all(r["source"] for r in rows)
