from django.urls import include, path
from rest_framework.routers import SimpleRouter

from .views import ApiTokenViewSet, MeView

router = SimpleRouter()
router.register("tokens", ApiTokenViewSet, basename="api-token")

urlpatterns = [
    path("me/", MeView.as_view(), name="me"),
    path("", include("bodies.api.urls")),
    path("", include("manufacturers.api.urls")),
    *router.urls,
]
