"""Time of the run-together text reader per document, and on adversarial digit runs.

    .venv/bin/python bench/bench_runtogether.py [DIR ...] [--repeat N]

DIR defaults to ../shared/corpus/text and data/samples. For every .txt/.html/.pdf whose
layout is a table template, times transform.runtogether.facts_from_text on the extracted
text (extraction and detection are not timed). Then times synthetic worst cases: long
runs of non-zero digits in a section 三 row and a section 四 row, which the step
budgets must keep bounded. Run on demand, never from the tests.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from govreports.extract import FORMAT_OF_SUFFIX, extract  # noqa: E402
from govreports.transform.align import sequences  # noqa: E402
from govreports.transform.detect import detect  # noqa: E402
from govreports.transform.reference import reference  # noqa: E402
from govreports.transform.runtogether import facts_from_text  # noqa: E402

S3_HEADER = "三、收到和处理政府信息公开申请情况申请人情况自然人法人或其他组织总计商业企业科研机构社会公益组织法律服务机构其他"  # noqa: E501
S4_HEADER = "四、政府信息公开行政复议、行政诉讼情况行政复议行政诉讼结果维持结果纠正其他结果尚未审结总计"


def texts(dirs: list[Path]) -> list[tuple[str, str, str]]:
    out = []
    for root in dirs:
        for path in sorted(root.rglob("*")):
            fmt = FORMAT_OF_SUFFIX.get(path.suffix.lower())
            if not fmt:
                continue
            ex = extract(path.read_bytes(), fmt)
            found = detect(ex)
            if found.template in ("gov_2019", "gov_2021", "legacy_stats"):
                out.append((path.name, ex.text, found.template))
    return out


def adversarial() -> list[tuple[str, str, str]]:
    rows = sequences(reference(), "gov_2021")[0]
    long_s3 = S3_HEADER + "".join(f"{r.label}{'123456789' * 3}" for r in rows)
    long_s4 = S4_HEADER + "9" * 60
    return [("s3: 25 rows of 27 digits", long_s3, "gov_2021"), ("s4: 60 digits", long_s4, "gov_2021")]


def timed(text: str, template: str, repeat: int) -> list[float]:
    ref = reference()
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        facts_from_text(text, template, ref)
        runs.append(time.perf_counter() - start)
    return runs


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("dirs", nargs="*", type=Path)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    dirs = args.dirs or [REPO.parent / "shared" / "corpus" / "text", REPO / "data" / "samples"]
    docs = texts([d for d in dirs if d.is_dir()])
    medians = []
    for _name, text, template in docs:
        medians.append(statistics.median(timed(text, template, args.repeat)))
    if medians:
        print(
            f"{len(docs)} documents: median {statistics.median(medians) * 1000:.1f} ms, "
            f"max {max(medians) * 1000:.1f} ms, total {sum(medians):.2f} s per pass"
        )
    for name, text, template in adversarial():
        print(f"{name}: {statistics.median(timed(text, template, 1)) * 1000:.0f} ms")


if __name__ == "__main__":
    main()
