from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from servicecenter.access import Action, require


@require_safe
def landing(request: HttpRequest) -> HttpResponse:
    require(request.user, Action.VIEW)
    return render(request, "hardship/landing.html", {"title": "困难职工档案"})
