"""PDF benchmark: the one-page Chinese person card against the same layout in Latin text.

The Chinese page is ``templates/people/card_pdf.html`` rendered as the app renders it
(``pdf.render_pdf``: Django template + WeasyPrint, A4, ``PDF_CJK_FONT_FAMILY``). The Latin page is
the *same rendered HTML* with every Chinese character turned into pinyin (pypinyin) and full-width
punctuation into ASCII, so the layout, table and CSS are identical; it is measured twice:

* ``latin``     — Latin text set in a Latin font (DejaVu Sans): the strict reference;
* ``latin-cjk`` — Latin text still set in the CJK font (what the app would do with Latin names).

Each variant runs in a fresh subprocess: the first render (cold: font discovery and loading) is
reported apart from the warm renders that follow (median of ``--repeat``).

Goals (issue "proof at scale"): Chinese warm render ≤ 3 × Latin (``latin``) and < 0.5 s.
Also reports whether WeasyPrint subsets fonts with HarfBuzz (fast) or fontTools (slow).

    python bench/pdf_bench.py                 # needs no database: the person is built in memory
    python bench/pdf_bench.py --repeat 50
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
VARIANTS = ("zh", "latin", "latin-cjk")
RATIO_GOAL = 3.0
SECONDS_GOAL = 0.5
LATIN_FONT = "DejaVu Sans"
PUNCT = {"：": ": ", "、": ", ", "（": " (", "）": ") ", "　": "  ", "，": ", ", "。": ". ", "；": "; "}
_CJK = re.compile(r"[\u3400-\u9fff]+")


def _setup_django() -> None:
    sys.path.insert(0, str(BASE_DIR))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "servicecenter.settings")
    import django

    django.setup()


def card_context() -> dict:
    """A realistic, fully filled card, built in memory (no database needed)."""
    import datetime

    from django.utils import timezone

    from servicecenter.models import Employer, OrgUnit, Person

    unit = OrgUnit(code="330602001", name="越城区府山街道职工服务站", kind=OrgUnit.Kind.STATION)
    employer = Employer(name="绍兴市越城区黄酒酿造有限公司", org_unit=unit)
    person = Person(
        name="欧阳建华", sex=Person.Sex.MALE, birth_date=datetime.date(1978, 5, 17),
        id_number_masked="330602********1234", phone="13812345678",
        address="浙江省绍兴市越城区府山街道解放北路388号3幢2单元501室", employer=employer,
        is_union_member=True, union_card_number="ZJ20260417", is_migrant_worker=True,
        model_worker=Person.ModelWorker.CITY, jobless_certificate=Person.JoblessCertificate.LAYOFF,
        jobless_certificate_number="XG3306022019001", org_unit=unit,
        created_at=timezone.make_aware(datetime.datetime(2026, 3, 2, 9, 30)),
    )
    return {"person": person}


def to_latin(html: str) -> str:
    from pypinyin import lazy_pinyin

    def repl(match: re.Match) -> str:
        return " ".join(w.capitalize() for w in lazy_pinyin(match.group(0)))

    for cjk, ascii_ in PUNCT.items():
        html = html.replace(cjk, ascii_)
    html = _CJK.sub(repl, html)
    return re.sub(r'<html lang="[^"]*"', '<html lang="en"', html, count=1)


def pages(html: str) -> int:
    from django.conf import settings
    from weasyprint import HTML

    return len(HTML(string=html, base_url=str(settings.BASE_DIR)).render().pages)


def child(variant: str, repeat: int) -> dict:
    _setup_django()
    from django.conf import settings
    from django.template.loader import render_to_string
    from weasyprint import HTML
    from weasyprint.pdf import fonts

    from servicecenter import pdf

    calls = {"harfbuzz": 0, "fonttools": 0}
    for name, key in (("_harfbuzz_subset", "harfbuzz"), ("_fonttools_subset", "fonttools")):
        original = getattr(fonts.Font, name)

        def spy(self, *a, _original=original, _key=key, **kw):  # noqa: ANN001, ANN002, ANN003, ANN202
            calls[_key] += 1
            return _original(self, *a, **kw)

        setattr(fonts.Font, name, spy)

    context = card_context()
    html = render_to_string("people/card_pdf.html", {**context, "cjk_font": settings.PDF_CJK_FONT_FAMILY})
    if variant == "zh":
        def render() -> bytes:  # exactly what the print view does
            return pdf.render_pdf("people/card_pdf.html", context)
    else:
        html = to_latin(html)
        if variant == "latin":
            html = html.replace(f'"{settings.PDF_CJK_FONT_FAMILY}"', f'"{LATIN_FONT}"')
        assert not _CJK.search(html)

        def render() -> bytes:
            return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()

    started = time.perf_counter()
    first = render()
    cold = time.perf_counter() - started
    renders = 1 + repeat
    times, cpu = [], []
    for _ in range(repeat):
        started, cpu_started = time.perf_counter(), time.process_time()
        render()
        times.append(time.perf_counter() - started)
        cpu.append(time.process_time() - cpu_started)
    return {"variant": variant, "cold": cold, "median": statistics.median(times), "min": min(times),
            "cpu_median": statistics.median(cpu),
            "max": max(times), "pages": pages(html), "bytes": len(first),
            "subset_calls": {k: n / renders for k, n in calls.items()},
            "harfbuzz_available": pdf.harfbuzz_subsetter_available(), "repeat": repeat}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=20, help="warm renders per variant")
    parser.add_argument("--save", help="write the three PDFs into this folder to look at")
    parser.add_argument("--json", help="also write the results here")
    parser.add_argument("--child", choices=VARIANTS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.repeat)))
        return 0
    if args.save:
        save(Path(args.save))

    results = {}
    for variant in VARIANTS:
        proc = subprocess.run([sys.executable, __file__, "--child", variant, "--repeat", str(args.repeat)],
                              capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            print(f"{variant}: failed\n{proc.stderr}", file=sys.stderr)
            return 2
        results[variant] = json.loads(proc.stdout.strip().splitlines()[-1])

    print(f"pdf bench: person card (templates/people/card_pdf.html), {args.repeat} warm renders per variant, "
          "each variant in a fresh subprocess")
    print()
    print("| variant | pages | first render (s) | warm median (s) | warm min (s) | warm max (s) | warm CPU median (s) "
          "| PDF (KB) | font subsets per render |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---|")
    for v, r in results.items():
        subset = ", ".join(f"{k} {n:g}" for k, n in r["subset_calls"].items() if n) or "none"
        print(f"| {v} | {r['pages']} | {r['cold']:.3f} | {r['median']:.3f} | {r['min']:.3f} | {r['max']:.3f} | "
              f"{r['cpu_median']:.3f} | {r['bytes'] / 1024:.0f} | {subset} |")
    zh, latin, latin_cjk = results["zh"], results["latin"], results["latin-cjk"]
    ratio = zh["median"] / latin["median"]
    ok_ratio = ratio <= RATIO_GOAL
    ok_time = zh["median"] < SECONDS_GOAL
    ok_page = zh["pages"] == 1
    print()
    cpu_ratio = zh["cpu_median"] / latin["cpu_median"]
    verdict = {True: "PASS", False: "FAIL"}
    print(f"{verdict[ok_ratio]}  pdf card: Chinese {zh['median']:.3f} s vs the same page in Latin text, Latin font "
          f"{latin['median']:.3f} s = {ratio:.2f}× (warm median); goal ≤ {RATIO_GOAL:.0f}×")
    print(f"INFO  pdf card: on the rendering process's CPU time {cpu_ratio:.2f}× (unmoved by other work on the "
          f"machine); against Latin text in the CJK font {zh['median'] / latin_cjk['median']:.2f}×")
    print(f"{verdict[ok_time]}  pdf card: Chinese warm render {zh['median']:.3f} s; goal < {SECONDS_GOAL} s "
          f"(first render in a fresh process {zh['cold']:.3f} s)")
    print(f"{verdict[ok_page]}  pdf card: Chinese card is {zh['pages']} page(s); goal 1")
    hb = zh["subset_calls"]["harfbuzz"] > 0 and zh["subset_calls"]["fonttools"] == 0
    print(f"INFO  pdf card: WeasyPrint font subsetter {'HarfBuzz (hb-subset)' if hb else 'fontTools (slow path)'}; "
          f"libharfbuzz-subset usable: {zh['harfbuzz_available']}")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    return 0 if ok_ratio and ok_time and ok_page else 1


def save(folder: Path) -> None:
    _setup_django()
    from django.conf import settings
    from django.template.loader import render_to_string
    from weasyprint import HTML

    from servicecenter import pdf

    folder.mkdir(parents=True, exist_ok=True)
    context = card_context()
    (folder / "card-zh.pdf").write_bytes(pdf.render_pdf("people/card_pdf.html", context))
    html = to_latin(render_to_string("people/card_pdf.html", {**context, "cjk_font": settings.PDF_CJK_FONT_FAMILY}))
    (folder / "card-latin-cjk.pdf").write_bytes(HTML(string=html).write_pdf())
    html = html.replace(f'"{settings.PDF_CJK_FONT_FAMILY}"', f'"{LATIN_FONT}"')
    (folder / "card-latin.pdf").write_bytes(HTML(string=html).write_pdf())


if __name__ == "__main__":
    sys.exit(main())
