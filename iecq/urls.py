from django.conf import settings
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from .api.routing import include_indexed
from .portal import views as portal_views

urlpatterns = [
    # The public register first: verification is the busiest route, and each pattern before it is one more test.
    path("register/", include("certification.register_urls")),
    path("bulletin/", include("sanctions.public_urls")),
    include_indexed("api/v1/", "iecq.api.urls", namespace="api"),
    path("api/v1/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/v1/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("i18n/language/", portal_views.choose_language, name="choose-language"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("healthz", portal_views.healthz, name="healthz"),
    path("", include("iecq.portal.urls")),
    path("settings/", include("iecq.integrations.urls")),
    path("bodies/", include("bodies.urls")),
    path("manufacturers/", include("manufacturers.urls")),
    path("certification/imports/", include("iecq.imports.urls")),
    path("certification/", include("certification.urls")),
    path("surveillance/", include("surveillance.urls")),
    path("sanctions/", include("sanctions.urls")),
]

if getattr(settings, "IECQ_BENCH_VIEWS", False):  # the floors of `make bench` (iecq.settings.bench only)
    urlpatterns.insert(0, path("__bench__/", include("iecq.bench_urls")))

handler404 = "iecq.portal.views.not_found"
handler403 = "iecq.portal.views.forbidden"
