from iecq.api.routers import OfferedMethodsRouter

from .views import ContactViewSet, EngagementViewSet, ManufacturerViewSet, SiteViewSet

router = OfferedMethodsRouter()
router.register("manufacturers", ManufacturerViewSet, basename="manufacturer")
router.register("sites", SiteViewSet, basename="site")
router.register("engagements", EngagementViewSet, basename="engagement")
router.register("contacts", ContactViewSet, basename="contact")
urlpatterns = router.urls
