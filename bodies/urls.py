from django.urls import path

from . import views

app_name = "bodies"
urlpatterns = [
    path("", views.CertificationBodyListView.as_view(), name="cb-list"),
    path("new/", views.CertificationBodyCreateView.as_view(), name="cb-create"),
    path("<int:pk>/", views.CertificationBodyDetailView.as_view(), name="cb-detail"),
    path("<int:pk>/edit/", views.CertificationBodyEditView.as_view(), name="cb-edit"),
    path("<int:pk>/transitions/<slug:name>/", views.CertificationBodyTransitionView.as_view(), name="cb-transition"),
]
