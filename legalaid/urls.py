from django.urls import path

from . import views

app_name = "legalaid"
urlpatterns = [
    path("", views.landing, name="landing"),
]
