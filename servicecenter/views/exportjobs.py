"""Background export jobs: the user's list, one job's page, its progress (JSON) and its file.

Included from the root URLconf under ``exports/``. Every view answers only for the user's own jobs;
anyone else's job — or an id that is not one — is a 404.
"""

from __future__ import annotations

from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.encoding import escape_uri_path
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from .. import audit
from ..access import require
from ..exportjobs import (
    Status,
    describe_filters,
    export_path,
    get_own_job_or_404,
    get_source,
    job_state,
)
from ..http import StaffRequest
from ..models import ExportJob

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _state(job: ExportJob) -> dict:
    state = job_state(job)
    state["download_url"] = reverse("export_job_download", args=[job.pk]) if job.status == Status.DONE else None
    return state


@require_safe
def export_job_list(request: StaffRequest) -> HttpResponse:
    jobs = list(ExportJob.objects.filter(user=request.user)[:50])
    for job in jobs:
        job.filters = describe_filters(job)
    return render(request, "exports/list.html", {"jobs": jobs})


@require_safe
@never_cache
def export_job_detail(request: StaffRequest, job_id: str) -> HttpResponse:
    job = get_own_job_or_404(request.user, job_id)
    return render(request, "exports/job.html", {"job": job, "state": _state(job), "filters": describe_filters(job)})


@require_safe
@never_cache
def export_job_status(request: StaffRequest, job_id: str) -> JsonResponse:
    job = get_own_job_or_404(request.user, job_id)
    return JsonResponse(_state(job), json_dumps_params={"ensure_ascii": False})


@require_safe
def export_job_download(request: StaffRequest, job_id: str) -> FileResponse:
    job = get_own_job_or_404(request.user, job_id)
    try:
        permission = get_source(job.register).permission
    except LookupError:
        raise Http404("该名册已不可用。") from None
    require(request.user, permission)
    if job.status != Status.DONE:
        raise Http404("文件尚未生成。")
    try:
        handle = export_path(job).open("rb")
    except FileNotFoundError:
        raise Http404("文件已过期或已删除。") from None
    audit.record(audit.Event.EXPORT, request=request,
                 detail=f"{job.title} {job.row_count}行 后台任务{job.pk} {job.query}".strip())
    response = FileResponse(handle, as_attachment=True, filename=job.filename, content_type=XLSX)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{escape_uri_path(job.filename)}"
    return response


urlpatterns = [
    path("", export_job_list, name="export_job_list"),
    path("<str:job_id>/", export_job_detail, name="export_job"),
    path("<str:job_id>/status.json", export_job_status, name="export_job_status"),
    path("<str:job_id>/download/", export_job_download, name="export_job_download"),
]
