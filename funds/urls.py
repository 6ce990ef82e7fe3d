from django.urls import path

from . import views

app_name = "funds"
urlpatterns = [
    path("", views.landing, name="landing"),
]
