from iecq.api.routers import OfferedMethodsRouter

from .views import AppealViewSet, BulletinNoticeViewSet, CARViewSet, DefectReportViewSet, SuspensionRequestViewSet

# Sanctions are created and then change only through their actions: no PATCH route (PL-01, see
# OfferedMethodsRouter).
router = OfferedMethodsRouter()
router.register("cars", CARViewSet, basename="car")
router.register("certificate-suspension-requests", SuspensionRequestViewSet, basename="certificate-suspension-request")
router.register("appeals", AppealViewSet, basename="appeal")
router.register("defect-reports", DefectReportViewSet, basename="defect-report")
router.register("bulletin-notices", BulletinNoticeViewSet, basename="bulletin-notice")  # public (SA-03)

urlpatterns = router.urls
