"""Register exports too large for one request run as background jobs.

One entry point for list views: ``export_or_enqueue(request, source)``. Up to the unit's
``exports.background_rows`` rows it streams the file at once (``exports.register_response``);
above that it records an :class:`~servicecenter.models.ExportJob`, enqueues ``run_export_job`` on
Django's task framework (the ``django-tasks`` backport, database backend, so any server running
``manage.py db_worker`` picks it up) and redirects to the job page, which polls for progress.

An :class:`ExportSource` declares what a list exports: the register, the model's base queryset and
the list's filterset. Both paths build the queryset the same way — ``access.visible`` for the user,
then the filterset over the list's query string, then a fixed ordering — so the worker, given the
stored user and query string, exports exactly what the list showed.

The file is written under ``MEDIA_ROOT/exports/`` with a random name (never under ``static/``) and
served only to the user who asked (anyone else gets 404); every download is audited.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpResponse, QueryDict
from django.shortcuts import redirect
from django.utils import timezone
from django_tasks import task

from . import registry
from .access import Action, require, role_allows, visible
from .exports import Register, register_response, write_register
from .filters import EmployerFilter, PersonFilter
from .http import StaffRequest
from .models import Employer, ExportJob, OrgUnit, Person, User
from .parameters import param
from .registers import EMPLOYER_REGISTER, PERSON_REGISTER

logger = logging.getLogger(__name__)

Status = ExportJob.Status
EXPORT_DIR_NAME = "exports"
PROGRESS_EVERY_ROWS = 2000  # look at the clock this often …
PROGRESS_MIN_SECONDS = 0.5  # … and write progress at most this often
PENDING_REUSE = timedelta(minutes=30)  # a repeated request within this joins the pending job


class ExportRefused(Exception):
    """The requesting user may no longer export what the job would contain."""


# --- What a list exports ----------------------------------------------------------------------------

@dataclass(frozen=True)
class ExportSource:
    """A list's export: ``key`` ("app_label.name") is what a job stores to find it again;
    ``permission`` is who may export it. Apps declare theirs in their ``ServiceApp.exports``.
    """

    key: str
    register: Register
    base: Callable[[], QuerySet]
    filterset_class: type
    ordering: tuple[str, ...] = ("id",)
    permission: str = Action.EXPORT

    def queryset(self, user: User, params: QueryDict | None) -> QuerySet:
        """The user's scope, filtered as the list filters it, in a stable order."""
        scoped = visible(self.base(), user)
        filterset = self.filterset_class(params or None, queryset=scoped, user=user)
        return filterset.qs.order_by(*self.ordering)

    def build(self, user: User, params: QueryDict | None) -> tuple[Register, QuerySet]:
        """The register and its rows for this user and query. A source whose columns are data (one
        per category, say) overrides this, to read them once for the columns and the query alike."""
        return self.register, self.queryset(user, params)


PERSON_EXPORT = ExportSource("servicecenter.people", PERSON_REGISTER, Person.objects.all, PersonFilter)
EMPLOYER_EXPORT = ExportSource("servicecenter.employers", EMPLOYER_REGISTER, Employer.objects.all, EmployerFilter)
CORE_SOURCES = (PERSON_EXPORT, EMPLOYER_EXPORT)


def sources() -> dict[str, ExportSource]:
    return {s.key: s for s in [*CORE_SOURCES, *registry.export_sources()]}


def get_source(key: str) -> ExportSource:
    try:
        return sources()[key]
    except KeyError:
        raise LookupError(f"未知的导出名册：{key}") from None


def export_permissions() -> set[str]:
    """Every permission that lets someone export something (the navigation's 我的导出)."""
    return {s.permission for s in sources().values()}


# --- The entry point for list views ---------------------------------------------------------------


def background_threshold(user: User) -> int:
    return param("exports.background_rows", _unit(user))


def _unit(user: User) -> OrgUnit:
    unit = user.org_unit
    # Only case roles export, and a case role always comes with a unit (the staff form requires it).
    assert unit is not None
    return unit


def has_more_than(queryset: QuerySet, limit: int) -> bool:
    """Whether ``queryset`` has more than ``limit`` rows, reading at most ``limit + 1`` of them."""
    if limit < 0:
        return queryset.exists()
    return queryset.order_by()[limit:limit + 1].exists()


def export_or_enqueue(request: StaffRequest, source: ExportSource | str, *,
                      period: str = "") -> HttpResponse | FileResponse:
    """The list's export: the file itself when small, else a background job and its page."""
    user = request.user
    source = get_source(source) if isinstance(source, str) else source
    require(user, source.permission)
    register, queryset = source.build(user, request.GET)
    if not has_more_than(queryset, background_threshold(user)):
        return register_response(register, queryset, request=request, unit_name=_unit(user).name,
                                 period=period, detail=request.GET.urlencode())
    job = export_job_enqueue(user=user, source=source, query=request.GET.urlencode(), period=period)
    return redirect("export_job", job_id=job.pk)


def export_job_enqueue(*, user: User, source: ExportSource, query: str, period: str = "") -> ExportJob:
    """Record the job and hand it to the task framework. The same request asked again while its
    job is still waiting or running gets that job back rather than a second copy."""
    require(user, source.permission)
    pending = ExportJob.objects.filter(user=user, register=source.key, query=query, period=period,
                                       status__in=[Status.QUEUED, Status.RUNNING],
                                       created_at__gte=timezone.now() - PENDING_REUSE).first()
    if pending is not None:
        return pending
    job = ExportJob.objects.create(user=user, org_unit=_unit(user), register=source.key,
                                   title=source.register.title, query=query, period=period)
    result = run_export_job.enqueue(str(job.pk))
    ExportJob.objects.filter(pk=job.pk).update(task_id=str(result.id)[:64])
    job.refresh_from_db()
    return job


# --- The worker side ----------------------------------------------------------------------------------


@task()
def run_export_job(job_id: str) -> int:
    """Task body (kept tiny so tests and operators can call ``export_job_run`` directly)."""
    return export_job_run(job_id)


def export_dir() -> Path:
    return Path(settings.MEDIA_ROOT) / EXPORT_DIR_NAME


def export_path(job: ExportJob) -> Path:
    if not job.stored_name:
        raise FileNotFoundError(job.pk)
    return export_dir() / job.stored_name


def _progress(rows: Iterable[tuple], job_pk: uuid.UUID) -> Iterator[tuple]:
    """Pass ``rows`` through, writing the count to the job now and then for the progress bar."""
    last = time.monotonic()
    for n, row in enumerate(rows, start=1):
        yield row
        if n % PROGRESS_EVERY_ROWS == 0:
            now = time.monotonic()
            if now - last >= PROGRESS_MIN_SECONDS:
                ExportJob.objects.filter(pk=job_pk).update(rows_done=n)
                last = now


def export_job_run(job_id: str | uuid.UUID) -> int:
    """Build the job's file. Claims the job first, so a job is only ever built once."""
    claimed = ExportJob.objects.filter(pk=job_id, status=Status.QUEUED).update(
        status=Status.RUNNING, started_at=timezone.now())
    if not claimed:
        return 0
    job = ExportJob.objects.select_related("user", "org_unit").get(pk=job_id)
    jobs = ExportJob.objects.filter(pk=job.pk)
    partial: Path | None = None
    try:
        user = job.user
        source = get_source(job.register)
        # The job runs with the asker's rights as they are now, in the unit they asked from.
        if not (role_allows(user, source.permission) and user.org_unit_id == job.org_unit_id):
            raise ExportRefused("申请人的角色或所在单位已变化，任务未执行。")
        register, queryset = source.build(user, QueryDict(job.query))
        jobs.update(row_count=queryset.count())
        directory = export_dir()
        directory.mkdir(parents=True, exist_ok=True)
        stored_name = secrets.token_hex(20) + ".xlsx"
        partial = directory / (stored_name + ".part")
        with partial.open("xb") as out:
            count = write_register(register, _progress(register.rows(queryset), job.pk), out,
                                   unit_name=job.org_unit.name, period=job.period, printed_at=job.created_at)
        final = directory / stored_name
        os.replace(partial, final)
        partial = None
        created = timezone.localtime(job.created_at)
        jobs.update(status=Status.DONE, rows_done=count, row_count=count, stored_name=stored_name,
                    filename=f"{register.filename}-{created:%Y%m%d-%H%M}.xlsx",
                    size=final.stat().st_size, finished_at=timezone.now())
    except ExportRefused as exc:
        jobs.update(status=Status.FAILED, error=str(exc), finished_at=timezone.now())
        return 0
    except BaseException as exc:
        logger.exception("export job %s failed", job.pk)
        jobs.update(status=Status.FAILED, finished_at=timezone.now(),
                    error=f"生成失败（{type(exc).__name__}），请重试或联系系统管理员。")
        raise
    finally:
        if partial is not None:
            partial.unlink(missing_ok=True)
    prune_export_jobs()
    return count


def prune_export_jobs(days: int | None = None) -> int:
    """Delete jobs older than ``EXPORT_JOB_KEEP_DAYS`` and their files (a job still "queued" or
    "running" after that long lost its worker)."""
    keep = settings.EXPORT_JOB_KEEP_DAYS if days is None else days
    old = ExportJob.objects.filter(created_at__lt=timezone.now() - timedelta(days=keep))
    removed = 0
    for job in old:
        export_job_delete(job)
        removed += 1
    return removed


def export_job_delete(job: ExportJob) -> None:
    if job.stored_name:
        with contextlib.suppress(FileNotFoundError):
            export_path(job).unlink()
    job.delete()


# --- Reading jobs back ------------------------------------------------------------------------------


def get_own_job_or_404(user: User, job_id: str) -> ExportJob:
    """The user's own job; anything else — someone else's job, a malformed id — is not found."""
    try:
        pk = uuid.UUID(str(job_id))
    except (ValueError, TypeError, AttributeError):
        raise Http404("未找到该导出任务。") from None
    job = ExportJob.objects.filter(pk=pk, user_id=user.pk).first()
    if job is None:
        raise Http404("未找到该导出任务。")
    return job


def describe_filters(job: ExportJob) -> str:
    """The job's filters as the list's form shows them (“性别：女；登记单位：越城区…”)."""
    params = QueryDict(job.query)
    if not params:
        return "全部"
    try:
        source = get_source(job.register)
    except LookupError:
        return job.query
    form = source.filterset_class(params, queryset=source.base().none(), user=job.user).form
    if not form.is_valid():
        return job.query
    parts = []
    for name, value in form.cleaned_data.items():
        if value in (None, "", [], ()):
            continue
        field = form.fields[name]
        if isinstance(value, bool):
            shown = "是" if value else "否"
        elif isinstance(value, list | tuple):
            choices = dict(getattr(field, "choices", ()))
            shown = "、".join(str(choices.get(v, v)) for v in value)
        elif isinstance(value, str) and getattr(field, "choices", None):
            shown = str(dict(field.choices).get(value, value))
        else:
            shown = str(value)
        parts.append(f"{field.label or name}：{shown}")
    return "；".join(parts) or "全部"


def job_state(job: ExportJob) -> dict[str, Any]:
    """What the progress endpoint reports."""
    return {
        "id": str(job.pk),
        "status": job.status,
        "status_display": job.get_status_display(),
        "finished": job.status in (Status.DONE, Status.FAILED),
        "rows_done": job.rows_done,
        "row_count": job.row_count,
        "percent": job.percent,
        "error": job.error,
        "size": job.size,
    }
