"""Portal base views (lists, details, transitions, service-backed forms), sign-in with TOTP, home."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.contrib.auth import views as auth_views
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import connection, models
from django.forms.utils import ErrorDict
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from django.views.generic import FormView, TemplateView

from .. import services
from ..errors import DomainError, NotFound
from ..log import history_of
from ..models import ApiToken
from ..models.tokens import API_SCOPES
from ..principals import Principal
from ..roles import ROLES_BY_KIND, Role
from ..selectors import get_visible, visible
from ..tenancy import scope
from ..transitions import available_transitions, declared_transitions, fsm_field
from . import listing
from .middleware import SESSION_MEMBERSHIP_KEY

PENDING_2FA_KEY = "iecq_pending_2fa_user"
PENDING_2FA_FAILURES = "iecq_pending_2fa_failures"
MAX_2FA_FAILURES = 5


class PrincipalMixin:
    request: HttpRequest

    @property
    def principal(self) -> Principal:
        return self.request.principal


class ScopedListView(PrincipalMixin, TemplateView):
    """A filtered, searched, sorted, paginated list of what the principal may see; `?export=csv` streams it all.

    `sortable` whitelists the columns `?sort=` (or `?sort=-column`) accepts; `search_fields` (ORM lookups) are
    what `?q=` searches, by default the list's free-text columns. The CSV export applies the same visibility,
    filters, search and sort as the page (PL-01, PL-06).
    """

    template_name = "portal/list.html"
    model: ClassVar[type[models.Model]]
    filterset_class: ClassVar[type | None] = None
    columns: ClassVar[list[tuple[str, str]]] = []
    sortable: ClassVar[tuple[str, ...]] = ()
    search_fields: ClassVar[tuple[str, ...] | None] = None
    select_related: ClassVar[tuple[str, ...]] = ()
    detail_url_name: ClassVar[str | None] = None
    create_url_name: ClassVar[str | None] = None
    title: ClassVar[str] = ""
    paginate_by = 25

    def get_queryset(self) -> models.QuerySet:
        qs = visible(self.model, self.principal)
        return qs.select_related(*self.select_related) if self.select_related else qs

    def can_create(self) -> bool:
        return False

    def get_search_fields(self) -> tuple[str, ...]:
        """What `?q=` searches; nothing when the list's filter set declares its own `q` search."""
        declared = getattr(self.filterset_class, "base_filters", None)
        if declared is None:  # a functools.partial binding the request
            declared = getattr(getattr(self.filterset_class, "func", None), "base_filters", {})
        if "q" in declared:
            return ()
        if self.search_fields is not None:
            return self.search_fields
        return listing.searchable_columns(self.model, self.columns)

    def filtered(self) -> tuple[Any, models.QuerySet, str]:
        """(filterset, rows, sort): the visible rows with the request's filters, search and sort applied."""
        qs = self.get_queryset()
        filterset = self.filterset_class(self.request.GET or None, queryset=qs) if self.filterset_class else None
        if filterset is not None:
            qs = filterset.qs
        text = self.request.GET.get("q", "").strip()[:200]
        fields = self.get_search_fields()
        if text and fields:
            qs = qs.filter(listing.search_q(fields, text))
        sort = self.request.GET.get("sort", "")
        if sort.lstrip("-") in self.sortable:
            qs = qs.order_by(listing.lookup(sort), "pk")
        else:
            sort = ""
        return filterset, qs, sort

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.GET.get("export") == "csv":
            return self.export_csv()
        return super().get(request, *args, **kwargs)

    def export_filename(self) -> str:
        return f"{self.model._meta.model_name}-{timezone.now():%Y%m%d}.csv"

    def export_csv(self) -> StreamingHttpResponse:
        """Every matching row as CSV, streamed in chunks so a large register never sits in memory."""
        _filterset, qs, _sort = self.filtered()
        columns = list(self.columns)
        principal = self.principal

        def rows():
            with scope(principal):  # the response is streamed after the middleware's scope has closed
                for obj in qs.iterator(chunk_size=listing.EXPORT_CHUNK):
                    yield [listing.cell_text(obj, path) for path, _label in columns]

        response = StreamingHttpResponse(
            listing.csv_rows([str(label) for _path, label in columns], rows()), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="{self.export_filename()}"'
        response["Cache-Control"] = "private, no-store"
        response["X-Content-Type-Options"] = "nosniff"
        return response

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        filterset, qs, sort = self.filtered()
        page = Paginator(qs, self.paginate_by).get_page(self.request.GET.get("page"))
        ctx.update(
            title=self.title or self.model._meta.verbose_name_plural.capitalize(),
            filterset=filterset,
            page=page,
            columns=self.columns,
            sortable=self.sortable,
            sort=sort,
            searchable=bool(self.get_search_fields()),
            search=self.request.GET.get("q", ""),
            detail_url_name=self.detail_url_name,
            create_url=reverse(self.create_url_name) if self.create_url_name and self.can_create() else None,
        )
        return ctx


class ScopedDetailView(PrincipalMixin, TemplateView):
    """One record the principal may see (404 otherwise), its history and the actions open to this user."""

    template_name = "portal/detail.html"
    model: ClassVar[type[models.Model]]
    fields: ClassVar[list[tuple[str, str]]] = []
    transition_url_name: ClassVar[str | None] = None
    edit_url_name: ClassVar[str | None] = None

    def get_object(self) -> models.Model:
        try:
            return get_visible(self.model, self.principal, self.kwargs["pk"])
        except NotFound:
            raise Http404 from None

    def can_edit(self, obj: models.Model) -> bool:
        return False

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        obj = self.get_object()
        has_fsm = self.transition_url_name is not None
        ctx.update(
            object=obj,
            title=str(obj),
            fields=self.fields,
            history=history_of(obj, self.principal) if has_fsm else None,
            state_labels=dict(fsm_field(self.model).choices) if has_fsm else {},
            transitions=available_transitions(obj, self.principal) if has_fsm else [],
            transition_url_name=self.transition_url_name,
            edit_url=reverse(self.edit_url_name, args=[obj.pk]) if self.edit_url_name and self.can_edit(obj) else None,
        )
        return ctx


class TransitionView(PrincipalMixin, LoginRequiredMixin, View):
    """POST a transition through its service; errors come back as messages, never as a lost decision."""

    http_method_names = ["post"]
    services: ClassVar[dict[str, Callable[..., models.Model]]]
    model: ClassVar[type[models.Model]]
    detail_url_name: ClassVar[str]

    def post(self, request: HttpRequest, pk: int, name: str) -> HttpResponse:
        service = self.services.get(name)
        if service is None:
            raise Http404
        get_visible(self.model, self.principal, pk)  # 404 before anything else for records not visible
        try:
            service(actor=self.principal, pk=pk, reason=request.POST.get("reason", "")[:4000])
        except NotFound:
            raise Http404 from None
        except DomainError as exc:
            detail = "; ".join(str(m) for msgs in exc.errors.values() for m in msgs) or exc.detail
            messages.error(request, detail)
        else:
            label = declared_transitions(self.model)[name].label
            messages.success(request, _("Done: %(action)s.") % {"action": label})
        return redirect(self.detail_url_name, pk=pk)


class ServiceFormView(PrincipalMixin, LoginRequiredMixin, FormView):
    """A form whose valid data goes to a service; the service's field errors land on the form fields."""

    template_name = "portal/form.html"
    # The model of the record named by `pk` in the URL (the isolation test relies on it).
    model: ClassVar[type[models.Model] | None] = None
    title: ClassVar[str] = ""
    success_message: ClassVar[str] = ""

    def call_service(self, data: dict[str, Any]) -> models.Model:
        raise NotImplementedError

    def get_success_url(self) -> str:
        return self.object.get_absolute_url() if hasattr(self.object, "get_absolute_url") else reverse("portal:home")

    def form_valid(self, form: forms.Form) -> HttpResponse:
        try:
            self.object = self.call_service(form.cleaned_data)
        except NotFound:
            raise Http404 from None
        except DomainError as exc:
            if not exc.errors:
                form.add_error(None, exc.detail)
            for field, msgs in exc.errors.items():
                for msg in msgs:
                    form.add_error(field if field in form.fields else None, msg)
            return self.form_invalid(form)
        if self.success_message:
            messages.success(self.request, self.success_message)
        return HttpResponseRedirect(self.get_success_url())

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)  # builds the form, which may set the title
        context["title"] = self.title
        return context


class RecordFormView(ServiceFormView):
    """A form about one record named by `pk`: 404 if the principal does not see it, 403 if it may not act on it."""

    template_name = "portal/record_form.html"
    detail_url_name: ClassVar[str]
    title_pattern: ClassVar[str] = ""  # with %(record)s

    @cached_property
    def record(self):
        try:
            return get_visible(self.model, self.principal, self.kwargs["pk"])
        except NotFound:
            raise Http404 from None

    def allowed(self, record) -> bool:
        return True

    def get_form_kwargs(self) -> dict[str, Any]:
        if not self.allowed(self.record):
            raise PermissionDenied
        self.title = self.title_pattern % {"record": self.record}
        return super().get_form_kwargs()

    def get_success_url(self) -> str:
        return reverse(self.detail_url_name, args=[self.record.pk])

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(record=self.record, back_url=self.get_success_url(), **kwargs)


# --- sign-in -----------------------------------------------------------------------------------


class LoginView(auth_views.LoginView):
    """Password first; users with two-factor sign-in on are then asked for their TOTP code."""

    template_name = "portal/login.html"
    redirect_authenticated_user = True

    def post(self, request, *args, **kwargs):
        from .. import lockout

        lock = lockout.check("login", request.POST.get("username", ""), lockout.client_address(request))
        if lock is not None:  # refused before the password is checked: a locked attacker learns nothing
            # An unbound form: binding it would check the password. The name typed is kept.
            form = self.get_form_class()(request, initial={"username": request.POST.get("username", "")[:150]})
            message = _("Too many failed sign-in attempts. Try again in %(minutes)d minutes.") % {
                "minutes": max(1, lock.retry_after // 60)
            }
            form._errors = ErrorDict({"__all__": form.error_class([message], error_class="nonfield")})
            response = self.render_to_response(self.get_context_data(form=form), status=429)
            response["Retry-After"] = str(lock.retry_after)
            return response
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form):
        from .. import lockout

        lockout.failed("login", self.request.POST.get("username", ""), lockout.client_address(self.request))
        return super().form_invalid(form)

    def form_valid(self, form):
        from .. import lockout

        user = form.get_user()
        if not user.totp_enabled:
            lockout.succeeded("login", self.request.POST.get("username", ""), lockout.client_address(self.request))
        if user.totp_enabled:
            self.request.session[PENDING_2FA_KEY] = user.pk
            self.request.session[PENDING_2FA_FAILURES] = 0
            self.request.session["iecq_pending_next"] = self.get_success_url()
            return redirect("portal:login-verify")
        return super().form_valid(form)


class TotpCodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Code from your authenticator app"),
        max_length=8,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}),
    )


def login_verify(request: HttpRequest) -> HttpResponse:
    """Second step of sign-in: the TOTP code; five wrong codes send the user back to the password."""
    user_id = request.session.get(PENDING_2FA_KEY)
    if user_id is None:
        return redirect("portal:login")
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    form = TotpCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid() and user is not None:
        if services.totp_verify(user, form.cleaned_data["code"]):
            next_url = request.session.pop("iecq_pending_next", "")
            request.session.pop(PENDING_2FA_KEY, None)
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            from .. import lockout

            lockout.succeeded("login", user.get_username(), lockout.client_address(request))
            safe = url_has_allowed_host_and_scheme(next_url, {request.get_host()}, request.is_secure())
            return redirect(next_url if safe and next_url else "portal:home")
        failures = request.session.get(PENDING_2FA_FAILURES, 0) + 1
        request.session[PENDING_2FA_FAILURES] = failures
        if failures >= MAX_2FA_FAILURES:
            request.session.pop(PENDING_2FA_KEY, None)
            messages.error(request, _("Too many wrong codes. Sign in again."))
            return redirect("portal:login")
        form.add_error("code", _("That code is not right."))
    return render(request, "portal/login_verify.html", {"form": form})


class TwoFactorView(LoginRequiredMixin, View):
    """Turn two-factor sign-in on (scan the QR code, confirm a code) or off (confirm a code)."""

    def get(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        context: dict[str, Any] = {"form": TotpCodeForm(), "enabled": user.totp_enabled}
        if not user.totp_enabled:
            secret = user.totp_secret or services.totp_begin(user=user)
            import pyotp

            from iecq import qr

            uri = pyotp.TOTP(secret).provisioning_uri(name=user.get_username(), issuer_name="IECQ platform")
            context.update(secret=secret, qr_png=qr.png_data_uri(uri))
        return render(request, "portal/two_factor.html", context)

    def post(self, request: HttpRequest) -> HttpResponse:
        form = TotpCodeForm(request.POST)
        if form.is_valid():
            try:
                if request.user.totp_enabled:
                    services.totp_disable(user=request.user, code=form.cleaned_data["code"])
                    messages.success(request, _("Two-factor sign-in is off."))
                else:
                    services.totp_enable(user=request.user, code=form.cleaned_data["code"])
                    messages.success(request, _("Two-factor sign-in is on."))
                return redirect("portal:two-factor")
            except DomainError as exc:
                for msgs in exc.errors.values():
                    for msg in msgs:
                        messages.error(request, msg)
        return redirect("portal:two-factor")


@require_POST
def switch_membership(request: HttpRequest) -> HttpResponse:
    """Act for another of the user's organisations."""
    if not request.user.is_authenticated:
        return redirect("portal:login")
    wanted = request.POST.get("membership", "")
    if any(str(m.pk) == wanted for m in request.memberships):
        request.session[SESSION_MEMBERSHIP_KEY] = int(wanted)
    return redirect("portal:home")


# --- home, tokens, errors -------------------------------------------------------------------------


class HomeView(PrincipalMixin, TemplateView):
    """What this person must do next: the work waiting for their role, then their unread reminders and decisions."""

    template_name = "portal/home.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        from ..models import Notification
        from . import home

        context = super().get_context_data(**kwargs)
        if self.request.user.is_authenticated:
            context["todo"] = Notification.objects.filter(recipient=self.request.user, read_at__isnull=True)[:8]
            context["work"] = home.todo_for(self.principal)
            context["dashboard"] = home.may_see_dashboard(self.principal)
        return context


class TokenCreateForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("Name"),
        max_length=100,
        help_text=gettext_lazy("Who or what uses it, for example 'ERP purchasing'."),
    )
    role = forms.ChoiceField(label=gettext_lazy("Acts as"))
    scopes = forms.MultipleChoiceField(
        label=gettext_lazy("Scopes"), widget=forms.CheckboxSelectMultiple, choices=[(s, s) for s in API_SCOPES]
    )
    expires_in_days = forms.IntegerField(label=gettext_lazy("Valid for (days)"), min_value=1, initial=90)

    def __init__(self, *args, principal: Principal, **kwargs):
        super().__init__(*args, **kwargs)
        roles = ROLES_BY_KIND.get(principal.kind, frozenset())
        self.fields["role"].choices = [(r.value, r.label) for r in Role if r in roles]


class TokenListView(PrincipalMixin, LoginRequiredMixin, View):
    """The organisation's API tokens; administrators create and revoke them here."""

    def get(self, request: HttpRequest, form: TokenCreateForm | None = None, secret: str = "") -> HttpResponse:
        if not self.principal.is_organisation_admin:
            raise Http404
        tokens = visible(ApiToken, self.principal).filter(organisation_id=self.principal.organisation_id)
        form = form or TokenCreateForm(principal=self.principal)
        return render(request, "portal/tokens.html", {"tokens": tokens, "form": form, "secret": secret})

    def post(self, request: HttpRequest) -> HttpResponse:
        if not self.principal.is_organisation_admin:
            raise Http404
        if "revoke" in request.POST:
            try:
                services.api_token_revoke(actor=self.principal, pk=request.POST["revoke"])
            except NotFound:
                raise Http404 from None
            messages.success(request, _("The token is revoked."))
            return redirect("portal:token-list")
        form = TokenCreateForm(request.POST, principal=self.principal)
        if form.is_valid():
            try:
                _token, secret = services.api_token_create(actor=self.principal, **form.cleaned_data)
            except DomainError as exc:
                for field, msgs in exc.errors.items():
                    for msg in msgs:
                        form.add_error(field if field in form.fields else None, msg)
            else:
                return self.get(request, secret=secret)
        return self.get(request, form=form)


def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness and database reachability, for load balancers and docker-compose health checks."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(
        request,
        "portal/error.html",
        {"status": 404, "message": _("This page does not exist, or it is not yours to see.")},
        status=404,
    )


def forbidden(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "portal/error.html", {"status": 403, "message": _("You may not do this.")}, status=403)


@require_GET
@never_cache
def choose_language(request: HttpRequest) -> HttpResponse:
    """The language picker of anonymous visitors (?language=fr&next=/register/…/): sets the language cookie and
    returns to `next` (a path of this site, else the home page).

    Signed-in users pick through Django's `set_language` (a POST with their CSRF token). An anonymous visitor has no
    session and nothing a forged request could reach but this preference, which is a link away from being changed
    back; a GET keeps every anonymous page free of a per-visitor token, so that the public verification page can be
    stored and served alike to everyone (certification/register_cache.py)."""
    language = request.GET.get("language", "")
    if language not in dict(settings.LANGUAGES):
        choices = ", ".join(code for code, _name in settings.LANGUAGES)
        return HttpResponse(
            _("Unknown language %(language)s; choose one of %(choices)s.")
            % {"language": language[:20], "choices": choices},
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    target = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = "/"
    response = HttpResponseRedirect(target)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )
    return response
