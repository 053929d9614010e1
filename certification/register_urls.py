from django.urls import path

from . import register_views

app_name = "register"
urlpatterns = [
    path("", register_views.search, name="search"),
    path("public-key.json", register_views.public_key, name="public-key"),
    path("<str:number>/", register_views.verify, name="verify"),
    path("<str:number>/signed.json", register_views.verify_signed, name="verify-signed"),
]
