from iecq.api.routers import OfferedMethodsRouter

from .views import ImportJobViewSet

router = OfferedMethodsRouter()
router.register("imports", ImportJobViewSet, basename="import")

urlpatterns = router.urls
