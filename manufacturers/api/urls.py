from rest_framework.routers import SimpleRouter

from .views import EngagementViewSet, ManufacturerViewSet, SiteViewSet

router = SimpleRouter()
router.register("manufacturers", ManufacturerViewSet, basename="manufacturer")
router.register("sites", SiteViewSet, basename="site")
router.register("engagements", EngagementViewSet, basename="engagement")
urlpatterns = router.urls
