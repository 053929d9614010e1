from iecq.api.routers import OfferedMethodsRouter

from .pdf_batches import CertificatePdfBatchViewSet
from .views import ApplicationViewSet, CertificateViewSet, EvidenceViewSet

# Evidence is created but never changed: the router must not route PATCH to it (PL-01, see OfferedMethodsRouter).
router = OfferedMethodsRouter()
router.register("applications", ApplicationViewSet, basename="application")
router.register("evidence", EvidenceViewSet, basename="evidence")
router.register("certificates", CertificateViewSet, basename="certificate")
router.register("certificate-pdf-batches", CertificatePdfBatchViewSet, basename="certificate-pdf-batch")
urlpatterns = router.urls
