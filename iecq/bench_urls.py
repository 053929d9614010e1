from django.urls import path

from . import bench_views

urlpatterns = [
    path("floor/", bench_views.constant),
    path("rows/<str:table>/", bench_views.rows),
    path("dashboard/<str:country>/", bench_views.dashboard),
]
