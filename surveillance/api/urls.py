from iecq.api.routers import OfferedMethodsRouter

from .views import (
    AuditViewSet,
    ComplaintViewSet,
    NonconformityViewSet,
    PCNDocumentViewSet,
    PCNViewSet,
    SampleViewSet,
)

# Records created but never changed (samples, complaints, PCNs, nonconformities) get no PATCH route (PL-01, see
# OfferedMethodsRouter); their changes are the actions.
router = OfferedMethodsRouter()
router.register("audits", AuditViewSet, basename="audit")
router.register("nonconformities", NonconformityViewSet, basename="nonconformity")
router.register("samples", SampleViewSet, basename="sample")
router.register("complaints", ComplaintViewSet, basename="complaint")
router.register("pcns", PCNViewSet, basename="pcn")
router.register("pcn-documents", PCNDocumentViewSet, basename="pcn-document")
urlpatterns = router.urls
