"""One active file per applicant under concurrency: 20 submissions at once for the same person, each
on its own database connection, leave exactly one file (the partial unique index decides; the
others get the Chinese refusal). PostgreSQL only: SQLite serialises writers anyway."""

from __future__ import annotations

import threading
import uuid

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from hardship import services
from hardship.models import HardshipFile, Member
from tests.conftest import new_id_number

from .conftest import Kit, household

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
PARALLEL = 20


def test_twenty_parallel_submissions_make_exactly_one_file(users, units):
    kit = Kit(users, units)
    person = kit.person(name="孙建华", id_number=new_id_number())
    barrier = threading.Barrier(PARALLEL)
    outcomes: list[str] = []
    lock = threading.Lock()

    def submit() -> None:
        try:
            barrier.wait()
            services.file_apply(by=kit.worker, token=uuid.uuid4(), org_unit=kit.station, household=household(person))
            result = "ok"
        except ValidationError as exc:
            result = " ".join(exc.messages)
        except Exception as exc:  # noqa: BLE001 — any other outcome fails the test below
            result = f"error: {exc!r}"
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=submit) for _ in range(PARALLEL)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert len(outcomes) == PARALLEL
    assert outcomes.count("ok") == 1, outcomes
    refusals = [o for o in outcomes if o != "ok"]
    assert all("申请人已有有效的困难职工档案" in o for o in refusals), refusals
    assert HardshipFile.objects.filter(applicant=person).count() == 1
    assert Member.objects.filter(file__applicant=person).count() == 3  # the losers left no rows behind
