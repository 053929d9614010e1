from django.urls import include, path

from .routers import OfferedMethodsRouter
from .views import ApiTokenViewSet, DecisionEvidenceViewSet, MembershipViewSet, MeView, OrganisationViewSet

router = OfferedMethodsRouter()
router.register("tokens", ApiTokenViewSet, basename="api-token")
router.register("decision-evidence", DecisionEvidenceViewSet, basename="decision-evidence")
router.register("organisations", OrganisationViewSet, basename="organisation")
router.register("memberships", MembershipViewSet, basename="membership")

urlpatterns = [
    path("me/", MeView.as_view(), name="me"),
    path("", include("bodies.api.urls")),
    path("", include("manufacturers.api.urls")),
    path("", include("certification.api.urls")),
    path("", include("surveillance.api.urls")),
    path("", include("sanctions.api.urls")),
    path("", include("iecq.imports.api.urls")),
    path("", include("iecq.integrations.api.urls")),
    *router.urls,
]
