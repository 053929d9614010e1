"""Public pages of sanctions: the system bulletin (page, Atom feed, monthly PDF) and the defect report form."""

from __future__ import annotations

import calendar
from datetime import datetime

from django import forms
from django.conf import settings
from django.contrib.syndication.views import Feed
from django.core.cache import cache
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from iecq.errors import ValidationFailed
from iecq.pdf import render_pdf
from iecq.principals import PUBLIC
from iecq.selectors import visible

from .choices import ReporterKind
from .models import BulletinNotice
from .services import defect_report_submit


def notices():
    """The bulletin, public by its tenancy: newest first."""
    return visible(BulletinNotice, PUBLIC).select_related("corrects").order_by("-published_at", "-id")


@require_GET
def bulletin(request: HttpRequest) -> HttpResponse:
    """The public bulletin: every suspension, withdrawal, reinstatement and upheld appeal (SA-03)."""
    qs = notices()
    month = request.GET.get("month", "")
    if month:
        try:
            start = datetime.strptime(month, "%Y-%m")
        except ValueError:
            start = None
        if start is not None:
            qs = qs.filter(published_at__year=start.year, published_at__month=start.month)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    months = notices().dates("published_at", "month", order="DESC")
    return render(
        request,
        "sanctions/bulletin.html",
        {"page": page, "months": months, "month": month, "title": _("IECQ system bulletin")},
    )


class BulletinFeed(Feed):
    """The bulletin as an Atom feed, newest 50 notices."""

    feed_type = Atom1Feed
    title = gettext_lazy("IECQ system bulletin")
    subtitle = gettext_lazy("Suspensions, withdrawals, reinstatements and upheld appeals")

    def link(self) -> str:
        return reverse("bulletin:index")

    def items(self):
        return notices()[:50]

    def item_title(self, item: BulletinNotice) -> str:
        subject = item.certificate_number or item.certification_body_name
        return f"{item.number} — {item.get_kind_display()}: {subject}"

    def item_description(self, item: BulletinNotice) -> str:
        who = f"{item.manufacturer_name}, " if item.manufacturer_name else ""
        return f"{who}{item.certification_body_name}. {item.reason_summary}"

    def item_link(self, item: BulletinNotice) -> str:
        return reverse("bulletin:index") + f"#notice-{item.number.replace('/', '-')}"

    def item_pubdate(self, item: BulletinNotice):
        return item.published_at

    def item_guid(self, item: BulletinNotice) -> str:
        return f"urn:iecq:bulletin:{item.number}"


@require_GET
def bulletin_pdf(request: HttpRequest, period: str) -> HttpResponse:
    """One month's issue of the bulletin as a PDF (period: YYYY-MM)."""
    try:
        start = datetime.strptime(period, "%Y-%m")
    except ValueError:
        raise Http404 from None
    items = list(notices().filter(published_at__year=start.year, published_at__month=start.month).order_by("id"))
    pdf = render_pdf(
        "sanctions/bulletin_pdf.html",
        {
            "items": items,
            "period": start,
            "month_name": calendar.month_name[start.month],
            "base_url": settings.IECQ_PUBLIC_BASE_URL,
        },
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="iecq-bulletin-{period}.pdf"'
    return response


class DefectReportForm(forms.Form):
    reporter_kind = forms.ChoiceField(label=gettext_lazy("You are"), choices=ReporterKind.choices)
    reporter_name = forms.CharField(label=gettext_lazy("Your name"), max_length=200)
    reporter_email = forms.EmailField(
        label=gettext_lazy("Your email"), help_text=gettext_lazy("We write to you about the outcome.")
    )
    certificate_number = forms.CharField(
        label=gettext_lazy("Certificate number"),
        max_length=40,
        required=False,
        help_text=gettext_lazy("As printed on the certificate or the component's documentation, if you know it."),
    )
    component = forms.CharField(label=gettext_lazy("Component (part number, lot)"), max_length=300)
    description = forms.CharField(
        label=gettext_lazy("The defect"), widget=forms.Textarea(attrs={"rows": 5}), max_length=10000
    )


def _client_address(request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR", "unknown")


def defect_report(request: HttpRequest) -> HttpResponse:
    """Anybody reports a defect in a certified component (SA-05); at most a few reports an hour per address."""
    form = DefectReportForm(request.POST or None)
    if request.method == "POST":
        key = f"defect-report:{_client_address(request)}:{timezone.now():%Y%m%d%H}"
        count = cache.get_or_set(key, 0, timeout=3600)
        if count >= settings.IECQ_DEFECT_REPORTS_PER_HOUR:
            form.add_error(None, _("Too many reports from your address this hour. Please try again later."))
            return render(
                request, "sanctions/defect_report.html", {"form": form, "title": _("Report a defect")}, status=429
            )
        if form.is_valid():
            try:
                report = defect_report_submit(**form.cleaned_data)
            except ValidationFailed as exc:
                for field, messages in exc.errors.items():
                    for message in messages:
                        form.add_error(field if field in form.fields else None, message)
            else:
                try:
                    cache.incr(key)
                except ValueError:
                    cache.set(key, 1, timeout=3600)
                return render(
                    request, "sanctions/defect_report_thanks.html", {"report": report, "title": _("Thank you")}
                )
    return render(request, "sanctions/defect_report.html", {"form": form, "title": _("Report a defect")})
