from django.urls import path

from . import views

app_name = "hardship"
urlpatterns = [
    path("", views.landing, name="landing"),
]
