"""Every route of the URL configuration, described for the route security matrix (tests/test_route_security.py).

Routes are discovered by walking `get_resolver()`, so a new URL is checked the moment it is added. What a view
declares is read from the view itself:

- admin-only: a class view subclassing `billing.tenancy.OrganizationAdminRequiredMixin`, a function view with
  `admin_only = True` (set by `organization_admin_required`), or a DRF view whose permissions for that method
  include `IsOrganizationAdmin` or a permission listing the method in `admin_only_methods`;
- the model behind `pk`: `view_class.model`, `view_class.queryset.model`, or a `model` attribute on a function view;
- the model behind any other `*_pk` kwarg: `view_class.child_models = {"payment_pk": Payment}` (or the same
  attribute on a function view);
- a signed webhook: `view_class.signed_webhook = True` (CSRF-exempt, no login: the provider's signature
  authenticates it). Those routes leave the tenant matrix for their own rules (`signed_webhook_routes()`):
  unsigned → 401 with nothing stored, and no other view of the app may be CSRF-exempt.

The few routes that cannot say it themselves get an entry in HINTS below, with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.apps import apps
from django.urls import URLPattern, URLResolver, get_resolver

from billing.tenancy import OrganizationAdminRequiredMixin

HTML_METHODS = ("GET", "POST")
API_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

# Routes outside the tenant matrix. Matched against the route's path (prefix) or its namespaced name (exact).
# Keep every entry explicit, with the reason it is safe to leave out.
ALLOWED = [
    ("path", "admin/", "Django admin: support staff, guarded by its own is_staff login (tests/test_admin*.py)."),
    ("path", "accounts/", "django-allauth login, logout, password reset: public by design (tests/test_login.py)."),
    ("name", "home", "Redirects to billing:invoice-list, which the matrix checks."),
    ("name", "api-schema", "OpenAPI schema: describes the API, holds no tenant data."),
    ("name", "api-docs", "Swagger UI page: static assets plus the schema, no tenant data."),
    (
        "path",
        "sandbox/",
        "Provider sandboxes stand in for Xero & co over HTTP: OAuth + bearer tokens like the real provider, "
        "no tenant pages of this app; off in production (issue 4 tests them).",
    ),
    # Static files are served by WhiteNoise middleware, not by a route. Signed webhook routes (CSRF-exempt,
    # authenticated by the provider's signature) declare themselves on the view: see signed_webhook_routes().
]

# Per-route facts a view cannot declare itself: {"namespace:name": {...}}.
#   models: {kwarg: "app_label.Model"}  the model behind a pk-like kwarg
#   admin_only: True                    admin-only although the class does not say so
#   no_control: "reason"                skip the positive control (own organization's object opens fine)
HINTS: dict[str, dict] = {
    "billing:expense-receipt": {
        "no_control": "A built expense has no receipt, so its download is a 404; "
        "tests/billing/test_expense_receipts.py downloads one of the member's own organization."
    },
}


@dataclass
class Route:
    path: str  # the route pattern, e.g. "invoices/<int:pk>/payments/<int:payment_pk>/delete/"
    name: str  # namespaced URL name, e.g. "billing:invoice-payment-delete"
    callback: object
    view_class: type | None
    is_api: bool
    methods: tuple[str, ...]
    kwargs: tuple[str, ...]
    admin_methods: frozenset[str] = frozenset()
    models: dict[str, type] = field(default_factory=dict)
    model_error: str = ""

    def __str__(self):
        return self.name or self.path

    @property
    def object_kwargs(self) -> tuple[str, ...]:
        return tuple(kw for kw in self.kwargs if kw == "pk" or kw.endswith("_pk"))

    @property
    def hint(self) -> dict:
        return HINTS.get(self.name, {})

    def is_admin_only(self, method: str) -> bool:
        return method in self.admin_methods


def all_patterns():
    """(path, namespaced name) of every URL pattern, the allowed ones included."""
    return [(path, name) for path, name, _ in _walk(get_resolver())]


def allow_reason(path: str, name: str) -> str:
    for kind, value, reason in ALLOWED:
        if (kind == "path" and path.startswith(value)) or (kind == "name" and name == value):
            return reason
    return ""


def _walk(resolver: URLResolver, prefix: str = "", namespace: str = ""):
    for entry in resolver.url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            inner = f"{namespace}:{entry.namespace}" if namespace and entry.namespace else entry.namespace
            yield from _walk(entry, route, inner or namespace)
        elif isinstance(entry, URLPattern):
            name = f"{namespace}:{entry.name}" if namespace and entry.name else (entry.name or "")
            yield route, name, entry


def _kwargs_of(entry: URLPattern) -> tuple[str, ...]:
    pattern = entry.pattern
    converters = getattr(pattern, "converters", None)
    if converters:
        return tuple(converters)
    return tuple(pattern.regex.groupindex)


def _drf_class(callback):
    cls = getattr(callback, "cls", None)
    try:
        from rest_framework.views import APIView
    except ImportError:  # pragma: no cover
        return None
    return cls if isinstance(cls, type) and issubclass(cls, APIView) else None


def _drf_admin_methods(callback, cls, methods) -> frozenset[str]:
    from billing.api.permissions import IsOrganizationAdmin

    admin = set()
    actions = getattr(callback, "actions", None) or {}
    for method in methods:
        view = cls(**getattr(callback, "initkwargs", {}))
        view.action = actions.get(method.lower())
        view.request = None
        try:
            permissions = view.get_permissions()
        except Exception:  # a get_permissions() that needs a real request: fall back to the declaration
            permissions = [permission() for permission in view.permission_classes]
        for permission in permissions:
            if isinstance(permission, IsOrganizationAdmin) or method in getattr(permission, "admin_only_methods", ()):
                admin.add(method)
    return frozenset(admin)


def _methods(callback, view_class, drf_class) -> tuple[str, ...]:
    if drf_class is not None:
        actions = getattr(callback, "actions", None)
        if actions:
            return tuple(m for m in API_METHODS if m.lower() in actions)
        return tuple(m for m in API_METHODS if hasattr(drf_class, m.lower()))
    if view_class is not None:
        allowed = {m.upper() for m in view_class.http_method_names}
        return tuple(m for m in HTML_METHODS if m in allowed and hasattr(view_class, m.lower()))
    return HTML_METHODS  # a function view: nothing says which methods it takes, so try both


def _model_of(value):
    if isinstance(value, str):
        return apps.get_model(value)
    return value


def _resolve_models(route: Route) -> None:
    hinted = {kw: _model_of(model) for kw, model in route.hint.get("models", {}).items()}
    owner = route.view_class or route.callback
    declared_children = getattr(owner, "child_models", None) or {}
    for kwarg in route.object_kwargs:
        model = hinted.get(kwarg)
        if model is None and kwarg == "pk":
            model = getattr(owner, "model", None)
            queryset = getattr(owner, "queryset", None)
            if model is None and queryset is not None:
                model = queryset.model
        if model is None:
            model = _model_of(declared_children.get(kwarg))
        if model is None:
            route.model_error = (
                f"{route} ({route.path}) takes `{kwarg}` but declares no model for it: set `model` (for pk) or "
                f"`child_models = {{'{kwarg}': Model}}` on the view, or add a HINTS entry in tests/routes.py."
            )
            return
        route.models[kwarg] = model


def is_signed_webhook(entry: URLPattern) -> bool:
    callback = entry.callback
    view_class = getattr(callback, "view_class", None)
    return bool(getattr(view_class or callback, "signed_webhook", False))


def signed_webhook_routes() -> list[tuple[str, str, URLPattern]]:
    """(path, namespaced name, pattern) of every route whose view declares itself a signed webhook."""
    return [(path, name, entry) for path, name, entry in _walk(get_resolver()) if is_signed_webhook(entry)]


def csrf_exempt_routes() -> list[tuple[str, str]]:
    """(path, name) of every CSRF-exempt route outside the ALLOWED list. DRF marks all its views exempt and checks
    CSRF itself for session-authenticated requests (the matrix tests that), so they are not counted."""
    found = []
    for path, name, entry in _walk(get_resolver()):
        if allow_reason(path, name) or _drf_class(entry.callback) is not None:
            continue
        if getattr(entry.callback, "csrf_exempt", False):
            found.append((path, name))
    return found


def routes() -> list[Route]:
    """Every route of the URL configuration that the matrix covers (the ALLOWED ones and signed webhooks left out)."""
    found = []
    for path, name, entry in _walk(get_resolver()):
        if allow_reason(path, name) or is_signed_webhook(entry):
            continue
        callback = entry.callback
        drf_class = _drf_class(callback)
        view_class = drf_class or getattr(callback, "view_class", None)
        is_api = drf_class is not None or path.startswith("api/")
        methods = _methods(callback, view_class, drf_class)
        if drf_class is not None:
            admin_methods = _drf_admin_methods(callback, drf_class, methods)
        elif (
            (view_class is not None and issubclass(view_class, OrganizationAdminRequiredMixin))
            or getattr(view_class, "admin_only", False)
            or getattr(callback, "admin_only", False)
        ):
            admin_methods = frozenset(methods)
        else:
            admin_methods = frozenset()
        route = Route(
            path=path,
            name=name,
            callback=callback,
            view_class=view_class,
            is_api=is_api,
            methods=methods,
            kwargs=_kwargs_of(entry),
            admin_methods=admin_methods,
        )
        if route.hint.get("admin_only"):
            route.admin_methods = frozenset(methods)
        _resolve_models(route)
        found.append(route)
    return found
