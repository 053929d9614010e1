from django.urls import path

from . import views

app_name = "manufacturers"
urlpatterns = [
    path("", views.ManufacturerListView.as_view(), name="manufacturer-list"),
    path("new/", views.ManufacturerCreateView.as_view(), name="manufacturer-create"),
    path("<int:pk>/", views.ManufacturerDetailView.as_view(), name="manufacturer-detail"),
    path("<int:pk>/edit/", views.ManufacturerEditView.as_view(), name="manufacturer-edit"),
    path("<int:pk>/sites/new/", views.SiteCreateView.as_view(), name="site-create"),
    path("<int:pk>/contacts/new/", views.ContactCreateView.as_view(), name="contact-create"),
]
