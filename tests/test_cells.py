from __future__ import annotations

import pytest

from govreports.transform.cells import parse_cell


@pytest.mark.parametrize(
    ("text", "value", "flags", "note", "unit"),
    [
        ("0", 0.0, [], None, None),
        ("1,234", 1234.0, [], None, None),
        ("7730.28", 7730.28, [], None, None),
        ("", 0.0, ["blank"], None, None),
        ("—", 0.0, ["dash"], None, None),
        ("/", 0.0, ["dash"], None, None),
        ("22（其中修订16件）", 22.0, ["note"], "其中修订16件", None),
        ("251000元", 251000.0, [], None, "元"),
        ("-8", -8.0, ["negative"], None, None),
        ("３５", 35.0, [], None, None),  # full-width digits
        (". 0", 0.0, ["garbled_cell"], None, None),  # OCR dot before a number
    ],
)
def test_value_cells(text: str, value: float, flags: list[str], note: str | None, unit: str | None) -> None:
    cell = parse_cell(text)
    assert cell is not None
    assert (cell.value, cell.flags, cell.note, cell.unit) == (value, flags, note, unit)


@pytest.mark.parametrize("text", ["规章", "2.重复申请", "2023年", "（七）总计"])
def test_labels_are_not_values(text: str) -> None:
    assert parse_cell(text) is None


def test_two_numbers_in_one_cell_are_not_guessed() -> None:
    cell = parse_cell("0 0")
    assert cell is not None and cell.value is None
    assert cell.flags == ["unreadable"] and "several numbers" in cell.reason


def test_covered_slot_is_no_cell() -> None:
    assert parse_cell(None) is None
