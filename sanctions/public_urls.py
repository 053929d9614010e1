from django.urls import path

from . import public_views

app_name = "bulletin"
urlpatterns = [
    path("", public_views.bulletin, name="index"),
    path("feed.atom", public_views.BulletinFeed(), name="feed"),
    path("<str:period>.pdf", public_views.bulletin_pdf, name="pdf"),
    path("report-a-defect/", public_views.defect_report, name="defect-report"),
]
