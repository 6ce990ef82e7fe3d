from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from servicecenter.access import Action, require


def landing(request: HttpRequest) -> HttpResponse:
    require(request.user, Action.VIEW)
    return render(request, "petitions/landing.html", {"title": "信访接待"})
