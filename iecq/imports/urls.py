from django.urls import path

from . import views

app_name = "imports"
urlpatterns = [
    path("", views.ImportListView.as_view(), name="job-list"),
    path("template/", views.ImportTemplateView.as_view(), name="template"),
    path("<int:pk>/", views.ImportDetailView.as_view(), name="job-detail"),
    path("<int:pk>/progress/", views.ImportProgressView.as_view(), name="job-progress"),
]
