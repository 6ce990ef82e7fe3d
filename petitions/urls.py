from django.urls import path

from . import views

app_name = "petitions"
urlpatterns = [
    path("", views.landing, name="landing"),
]
