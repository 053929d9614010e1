from rest_framework.routers import SimpleRouter

from .views import AccreditationBodyViewSet, CertificationBodyViewSet

router = SimpleRouter()
router.register("certification-bodies", CertificationBodyViewSet, basename="certification-body")
router.register("accreditation-bodies", AccreditationBodyViewSet, basename="accreditation-body")
urlpatterns = router.urls
