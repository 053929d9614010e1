from ...api.routers import OfferedMethodsRouter
from .views import EventViewSet, WatchlistEntryViewSet, WebhookDeliveryViewSet, WebhookSubscriptionViewSet

router = OfferedMethodsRouter()
router.register("events", EventViewSet, basename="event")
router.register("webhooks", WebhookSubscriptionViewSet, basename="webhook")
router.register("webhook-deliveries", WebhookDeliveryViewSet, basename="webhook-delivery")
router.register("watchlist", WatchlistEntryViewSet, basename="watchlist-entry")

urlpatterns = router.urls
