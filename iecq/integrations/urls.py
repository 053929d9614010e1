from django.urls import path

from . import views

app_name = "integrations"
urlpatterns = [
    path("webhooks/", views.WebhookListView.as_view(), name="webhook-list"),
    path("webhooks/<int:pk>/", views.WebhookDetailView.as_view(), name="webhook-detail"),
    path("webhooks/deliveries/<int:pk>/replay/", views.DeliveryReplayView.as_view(), name="delivery-replay"),
    path("watchlist/", views.WatchlistView.as_view(), name="watchlist"),
]
