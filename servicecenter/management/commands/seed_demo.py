"""Demo organisation, accounts, people and employers; ``--scale N`` fills the registers in bulk.

Idempotent: running it again changes nothing that is already there (passwords are reset to
``DEMO_PASSWORD`` so the README stays true). ``--scale N`` makes sure the N bulk people (and N/30
bulk employers) exist; a second run with the same N adds nothing, a larger N adds the difference.

Bulk people are written in blocks of ``--batch`` rows, each block in one transaction: with COPY on
PostgreSQL, with ``bulk_create`` elsewhere. The costly part of a row is Python (Fernet encryption,
pinyin initials), so blocks are prepared by ``--workers`` processes while the main process writes.
"""

from __future__ import annotations

import datetime
import io
import multiprocessing
import os
import random
import time
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import IntegrityError, connection, connections, transaction
from django.utils import timezone

from servicecenter import demo, encryption, registry
from servicecenter.models import Employer, OrgUnit, Person, PersonLink, User
from servicecenter.orgunits import orgunit_save
from servicecenter.people import identity_fields, name_initials
from servicecenter.staff import staff_set_roles
from servicecenter.summary_demo import seed_summaries
from servicecenter.validators import mask_resident_id, resident_id_sex
from servicecenter.workdays import calendar_seed

DEFAULT_PASSWORD = "Demo@2026!"
DEMO_PEOPLE = 200
DEMO_EMPLOYERS = 30
BLOCK = 10_000
# Every LINK_EVERY-th bulk person was also served by another station (a PersonLink).
LINK_EVERY = 100
# Bulk people were registered one every 90 seconds from this moment on (ids follow time).
BULK_EPOCH = datetime.datetime(2021, 1, 4, 8, 30, tzinfo=datetime.UTC)

PERSON_COLUMNS = (
    "name", "name_initials", "sex", "birth_date", "id_number_encrypted", "id_number_hash",
    "id_number_masked", "phone", "address", "employer_id", "is_union_member", "union_card_number",
    "is_migrant_worker", "model_worker", "jobless_certificate", "jobless_certificate_number",
    "org_unit_id", "created_by_id", "created_at", "updated_at",
)


class Command(BaseCommand):
    help = "加载演示数据（组织、账号、职工、用人单位）；--scale N 批量生成 N 名职工用于性能测试。"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--scale", type=int, default=0,
                            help="批量职工人数（已有的不重复生成；另按每 30 人 1 家生成用人单位）")
        parser.add_argument("--count", action="append", default=[], metavar="APP=N",
                            help="某个业务应用的演示记录数（基准测试用，批量生成），如 --count petitions=1000000；可重复")
        parser.add_argument("--force", action="store_true", help="DEBUG 关闭时也运行（仅限测试环境）")
        parser.add_argument("--batch", type=int, default=BLOCK, help="每个事务写入的职工人数")
        parser.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1),
                            help="准备数据的进程数（0 或 1 为不另起进程）")

    def handle(self, *args: Any, scale: int, force: bool, batch: int, workers: int, count: list[str],
               **options: Any) -> None:
        if not settings.DEBUG and not force:
            raise CommandError("DEBUG 已关闭：演示数据不应写入生产库。确需运行请加 --force。")
        if scale < 0 or batch < 1:
            raise CommandError("--scale 不能为负数，--batch 至少为 1。")
        counts = self._counts(count)
        password = os.environ.get("DEMO_PASSWORD", DEFAULT_PASSWORD)
        calendar_seed()
        units = self._organisation(demo.ORGANISATION)
        self._accounts(units, password)
        employers = self._employers(units)
        self._people(units, employers)
        if scale:
            units = self._organisation(demo.extra_stations())
            self._scale(units, scale, batch, workers)
        # Each installed app's records: a realistic handful for the demo, ``--count app=N`` in bulk.
        summaries = []
        for app in registry.service_apps():
            if app.demo is not None:
                summaries.append(app.demo(registry.DemoRun(count=counts.get(app.label, 0),
                                                           write=self.stdout.write)))
        # The monthly summaries last: their figures come from every app's records.
        summaries.append(seed_summaries(self.stdout.write))
        self.stdout.write(self.style.SUCCESS(
            f"演示数据就绪：{OrgUnit.objects.count()} 个单位，{User.objects.count()} 个账号，"
            f"{Person.objects.count()} 名职工，{Employer.objects.count()} 家用人单位"
            + "".join(f"，{s}" for s in summaries if s) + "。"))

    @staticmethod
    def _counts(values: list[str]) -> dict[str, int]:
        out = {}
        for value in values:
            label, _, n = value.partition("=")
            if registry.service_app(label) is None or not n.isdigit():
                known = "、".join(a.label for a in registry.service_apps())
                raise CommandError(f"--count 应为 应用=数量（应用：{known}），收到“{value}”。")
            out[label] = int(n)
        return out

    @transaction.atomic
    def _organisation(self, specs: list[demo.UnitSpec]) -> dict[str, OrgUnit]:
        units: dict[str, OrgUnit] = {u.code: u for u in OrgUnit.objects.all()}
        for spec in specs:
            if spec.code not in units:
                unit = OrgUnit(code=spec.code, name=spec.name, kind=spec.kind,
                               parent=units[spec.parent] if spec.parent else None)
                units[spec.code] = orgunit_save(unit)
        return units

    @transaction.atomic
    def _accounts(self, units: dict[str, OrgUnit], password: str) -> None:
        for spec in demo.ACCOUNTS:
            user, _ = User.objects.get_or_create(username=spec.username,
                                                 defaults={"full_name": spec.full_name, "org_unit": units[spec.unit]})
            user.full_name, user.org_unit, user.is_active = spec.full_name, units[spec.unit], True
            user.set_password(password)
            user.save()
            staff_set_roles(user=user, roles=spec.roles)

    @transaction.atomic
    def _employers(self, units: dict[str, OrgUnit]) -> list[Employer]:
        rng = random.Random(30)
        rows = []
        codes = []
        for i in range(DEMO_EMPLOYERS):
            station = units[demo.STATIONS[i % len(demo.STATIONS)]]
            word = demo.COMPANY_WORDS[i % len(demo.COMPANY_WORDS)]
            kind, industry = demo.COMPANY_KINDS[(i * 7) % len(demo.COMPANY_KINDS)]
            codes.append(demo.credit_code(station.code[:6], 1000 + i))
            rows.append(Employer(
                name=f"绍兴{word}{kind}" if i < len(demo.COMPANY_WORDS) else f"绍兴市{word}{kind}",
                credit_code=codes[-1],
                legal_representative=demo.person_name(rng), address=f"绍兴市{rng.choice(demo.STREETS)}{i + 1}号",
                contact_person=demo.person_name(rng), contact_phone=demo.mobile(rng), industry=industry,
                union_status=Employer.UnionStatus.ESTABLISHED if i % 4 else Employer.UnionStatus.NONE,
                org_unit=station,
            ))
        Employer.objects.bulk_create(rows, ignore_conflicts=True)
        return list(Employer.objects.filter(credit_code__in=codes).order_by("id"))

    def _person_objects(self, rows: Any, units: list[OrgUnit], employers: list[Employer], rng: random.Random,
                        now: Any) -> list[Person]:
        objects = []
        for i, row in enumerate(rows):
            number = row.pop("id_number")
            objects.append(Person(
                **row, **identity_fields(number), name_initials=name_initials(row["name"]),
                union_card_number=f"ZJ{rng.randrange(10**8):08d}" if row["is_union_member"] else "",
                employer=employers[rng.randrange(len(employers))] if employers and rng.random() < 0.8 else None,
                org_unit=units[i % len(units)], created_at=now, updated_at=now,
            ))
        return objects

    @transaction.atomic
    def _people(self, units: dict[str, OrgUnit], employers: list[Employer]) -> None:
        stations = [units[c] for c in demo.STATIONS] + [units["330602"], units["330604"]]
        rng = random.Random(7)
        people = self._person_objects(demo.people_rows(DEMO_PEOPLE), stations, employers, rng, timezone.now())
        Person.objects.bulk_create(people, ignore_conflicts=True)

    # --- bulk ------------------------------------------------------------------------------------

    def _scale(self, units: dict[str, OrgUnit], count: int, batch: int, workers: int) -> None:
        station_codes = demo.STATIONS + [s.code for s in demo.extra_stations()]
        stations = [units[c].pk for c in station_codes]
        employer_ids = self._bulk_employers(units, station_codes, count // demo.EMPLOYERS_PER_PERSON)

        blocks = [(start, min(batch, demo.BULK_OFFSET + count - start))
                  for start in range(demo.BULK_OFFSET, demo.BULK_OFFSET + count, batch)]
        todo = self._missing_blocks(blocks)
        present = count - sum(size for _, size, _ in todo)
        if present:
            self.stdout.write(f"  已有 {present:,} 名批量职工，跳过。")
        if not todo:
            return
        copy = connection.vendor == "postgresql"
        context = _BlockContext(stations=stations, employers=employer_ids, copy=copy)
        total = sum(size for _, size, _ in todo)
        self.stdout.write(f"  生成 {total:,} 名职工（{len(todo)} 批，{max(workers, 1)} 个进程，"
                          f"{'COPY' if copy else 'bulk_create'}）……")
        started = time.monotonic()
        done = 0
        last_report = 0.0
        for (start, size, partial), payload in zip(todo, self._prepare(todo, context, workers), strict=True):
            self._write_block(payload, partial, start, size, context)
            done += size
            elapsed = time.monotonic() - started
            if elapsed - last_report >= 5 or done == total:
                last_report = elapsed
                self.stdout.write(f"  {done:,}/{total:,} 名职工，{elapsed:.0f} 秒，{done / max(elapsed, 1e-9):,.0f} 条/秒")
        if copy:
            # Fresh statistics for the planner, and (outside a transaction) the visibility map that
            # index-only scans need: what autovacuum would do a little later.
            command = "ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)"
            with connection.cursor() as cursor:
                for model in (Person, PersonLink, Employer):
                    cursor.execute(f"{command} {model._meta.db_table}")
        elapsed = time.monotonic() - started
        self.stdout.write(f"  批量职工完成：{total:,} 名，用时 {elapsed:.1f} 秒（{total / max(elapsed, 1e-9):,.0f} 条/秒）。")

    def _bulk_employers(self, units: dict[str, OrgUnit], station_codes: list[str], count: int) -> list[int]:
        started = time.monotonic()
        codes = []
        for start in range(0, count, 5000):
            rows = []
            for j in range(start, min(count, start + 5000)):
                data = demo.bulk_employer(j)
                codes.append(data["credit_code"])
                rows.append(Employer(org_unit=units[station_codes[j % len(station_codes)]], **data))
            with transaction.atomic():
                Employer.objects.bulk_create(rows, ignore_conflicts=True)
        by_code = dict(Employer.objects.filter(credit_code__startswith="91").values_list("credit_code", "pk")
                       .iterator(chunk_size=10_000)) if codes else {}
        ids = [by_code[c] for c in codes]
        if count:
            self.stdout.write(f"  用人单位 {count:,} 家，{time.monotonic() - started:.1f} 秒")
        return ids

    def _missing_blocks(self, blocks: list[tuple[int, int]]) -> list[tuple[int, int, bool]]:
        """Blocks not yet (completely) written, each with whether part of it is already there."""
        probes = {}
        for start, size in blocks:
            probes[start] = (encryption.lookup_hash(demo.bulk_id_number(start)),
                             encryption.lookup_hash(demo.bulk_id_number(start + size - 1)))
        hashes = [h for pair in probes.values() for h in pair]
        found: set[str] = set()
        for k in range(0, len(hashes), 500):
            found.update(Person.objects.filter(id_number_hash__in=hashes[k:k + 500])
                         .values_list("id_number_hash", flat=True))
        todo = []
        for start, size in blocks:
            first, last = (h in found for h in probes[start])
            if not (first and last):
                todo.append((start, size, first or last))
        return todo

    def _prepare(self, todo: list[tuple[int, int, bool]], context: _BlockContext, workers: int) -> Iterator[Any]:
        specs = [(start, size, context.copy and not partial) for start, size, partial in todo]
        if workers <= 1 or len(specs) == 1:
            _init_worker(context)
            yield from map(_build_block, specs)
            return
        if not connection.in_atomic_block:
            # The children never use the database; closing first keeps them from holding its socket.
            connections.close_all()
        pool = multiprocessing.get_context("fork").Pool(workers, initializer=_init_worker, initargs=(context,))
        try:
            yield from pool.imap(_build_block, specs)
        except BaseException:
            pool.terminate()
            raise
        # Done: let the workers take their stop sentinel and exit. terminate() here killed a worker
        # that could be holding the task queue's lock, and a worker started at that moment then
        # waited for the lock forever while we waited for it (a hang seen once in CI).
        pool.close()
        pool.join()

    def _write_block(self, payload: Any, partial: bool, start: int, size: int, context: _BlockContext) -> None:
        data, links = payload
        if isinstance(data, bytes):
            try:
                with transaction.atomic(), connection.cursor() as cursor:
                    copy_sql = (f"COPY {Person._meta.db_table} ({', '.join(PERSON_COLUMNS)}) FROM STDIN")
                    with cursor.cursor.copy(copy_sql) as copy:
                        copy.write(data)
                    self._write_links(links)
                return
            except IntegrityError:
                # Someone registered or deleted rows inside this block: fall back to the careful path.
                _init_worker(context)
                data, links = _build_block((start, size, False))
        with transaction.atomic():
            Person.objects.bulk_create([Person(**row) for row in data], ignore_conflicts=True, batch_size=2000)
            self._write_links(links)

    def _write_links(self, links: list[tuple[str, int]]) -> None:
        if not links:
            return
        ids = dict(Person.objects.filter(id_number_hash__in=[h for h, _ in links]).values_list("id_number_hash", "pk"))
        now = timezone.now()
        PersonLink.objects.bulk_create(
            [PersonLink(person_id=ids[h], org_unit_id=unit, created_at=now) for h, unit in links if h in ids],
            ignore_conflicts=True)


# --- block preparation (runs in worker processes) ------------------------------------------------------


class _BlockContext:
    def __init__(self, *, stations: list[int], employers: list[int], copy: bool) -> None:
        self.stations, self.employers, self.copy = stations, employers, copy


_context: _BlockContext | None = None


def _init_worker(context: _BlockContext) -> None:
    global _context
    _context = context


@lru_cache(maxsize=500_000)
def _initials(name: str) -> str:
    return name_initials(name)  # names repeat a lot; pinyin is the second most costly step


def _bulk_rows(start: int, size: int) -> Iterator[tuple[dict, tuple[str, int] | None]]:
    assert _context is not None
    stations, employers = _context.stations, _context.employers
    for raw in demo.bulk_people_rows(start, size):
        i = raw.pop("index")
        number = raw.pop("id_number")
        has_employer, pick = raw.pop("has_employer"), raw.pop("employer_pick")
        # identity_fields() without stdnum's date parsing: the test checks both agree.
        digest = encryption.lookup_hash(number)
        at = BULK_EPOCH + datetime.timedelta(seconds=90 * (i - demo.BULK_OFFSET))
        row = {
            **raw,
            "name_initials": _initials(raw["name"]),
            "sex": resident_id_sex(number),
            "birth_date": datetime.date(int(number[6:10]), int(number[10:12]), int(number[12:14])),
            "id_number_encrypted": encryption.encrypt(number),
            "id_number_hash": digest,
            "id_number_masked": mask_resident_id(number),
            "employer_id": employers[int(pick * len(employers))] if employers and has_employer else None,
            "org_unit_id": stations[i % len(stations)],
            "created_by_id": None,
            "created_at": at,
            "updated_at": at,
        }
        link = None
        if i % LINK_EVERY == 37:
            # also served by another station (a record filed there about this person)
            other = (i // LINK_EVERY) % len(stations)
            if other == i % len(stations):
                other = (other + 1) % len(stations)
            link = (digest, stations[other])
        yield row, link


def _build_block(spec: tuple[int, int, bool]) -> tuple[bytes | list[dict], list[tuple[str, int]]]:
    start, size, as_copy = spec
    rows, links = [], []
    for row, link in _bulk_rows(start, size):
        rows.append(row)
        if link:
            links.append(link)
    if not as_copy:
        return rows, links
    out = io.StringIO()
    for row in rows:
        out.write("\t".join(_copy_text(row[c]) for c in PERSON_COLUMNS))
        out.write("\n")
    return out.getvalue().encode(), links


_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_text(value: Any) -> str:
    """One field in PostgreSQL's COPY text format."""
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value).translate(_ESCAPES)
