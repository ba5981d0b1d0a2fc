"""The Starlette application: URLs -> page builders (``views``) -> HTML or JSON.

URLs (a contract; each page has a ``.json`` twin for scripts):

- ``/`` (``/index.json``): the policy list, ``?q=`` searches number, name, drug, payer;
- ``/codes?q=C7A.1`` (``/codes.json``): code search;
- ``/policy/<number>`` (``/policy/<number>.json``): the timeline;
- ``/policy/<number>/compare/<old-date>...<new-date>`` (``.json``: the change set);
- ``/policy/<number>/compare/<old>...<new>/case?<criterion id>=yes&age_years=67``
  (``case.json``): try a case;
- ``/policy/<number>/<date>/page/<n>.png`` and ``/policy/<number>/<date>/source.pdf``;
- ``/upload`` (GET the form, POST a PDF; ``/upload.json``: the limits, or the outcome).

Safety: every name from a URL goes through ``StoreView`` (listed keys and dates only);
answers carry a strict Content-Security-Policy (this app's own files only, no inline
script or style) and ``nosniff``; the Host header must name this server (no DNS
rebinding) and a POST must come from this app's own pages (no cross-site upload);
errors are pages (or JSON) with one clear message, never a traceback.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..errors import InputError, PolicyToolsError, StoreError
from ..io import dumps
from ..render.env import ENV
from ..settings import SETTINGS
from ..store import resolve_ref
from .errors import WebError
from .images import page_png
from .sources import SourceFinder
from .store_view import StoreView
from .upload import receive_upload
from .urls import compare_url
from .views import (
    Page,
    base_context,
    case_page,
    codes_page,
    compare_page,
    error_page,
    policies_page,
    timeline_page,
    upload_page,
)

__all__ = ["CSP", "LOOPBACK", "create_app"]

LOG = logging.getLogger("policy_tools.web")
CSP = (
    "default-src 'none'; img-src 'self'; style-src 'self'; script-src 'self'; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
SECURITY_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
]
LOOPBACK = ("127.0.0.1", "localhost", "::1", "[::1]")
STATIC = {
    "report.css": "report.css",
    "web.css": "web/web.css",
    "web.js": "web/web.js",
    "favicon.svg": "web/favicon.svg",
}
MEDIA = {
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
}
_PAIR = re.compile(r"^(?P<old>[A-Za-z0-9-]+)\.\.\.(?P<new>[A-Za-z0-9-]+?)(?P<json>\.json)?$")
_PAGE = re.compile(r"^(?P<n>[0-9]{1,5})\.png$")
ALIASES = ("latest", "previous", "inception")
ERROR_STATUS: tuple[tuple[type[Exception], int, str], ...] = (
    (StoreError, 404, "Not found"),
    (InputError, 422, "Cannot read this revision"),
    (PolicyToolsError, 400, "Cannot do that"),
)


class SecurityHeaders:
    """Pure ASGI middleware: the security headers on every HTTP answer."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                names = {k.lower() for k, _ in message.get("headers", [])}
                extra = [(k, v) for k, v in SECURITY_HEADERS if k not in names]
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _wants_json(request: Request) -> bool:
    return request.url.path.endswith(".json")


class WebApp:
    """The routes over one store (see module doc)."""

    def __init__(self, store: Path, sources: Sequence[Path] = ()) -> None:
        self.store = store
        self.view = StoreView(store)
        self.finder = SourceFinder(store, sources)

    # -- rendering ----------------------------------------------------------------
    def respond(self, page: Page, as_json: bool) -> Response:
        if as_json:
            return Response(dumps(page.data), page.status, media_type="application/json")
        context = {**base_context(page, self.store), **page.context}
        html = ENV.get_template(page.template).render(**context)
        return Response(html, page.status, media_type="text/html; charset=utf-8")

    def error(self, request: Request, status: int, title: str, message: str) -> Response:
        response = self.respond(error_page(status, title, message), _wants_json(request))
        response.headers["cache-control"] = "no-store"
        return response

    # -- names from the URL ----------------------------------------------------------
    def _policy(self, request: Request) -> tuple[str, bool]:
        """The store key of the URL's policy, and whether the ``.json`` twin is asked."""
        text = str(request.path_params["number"])
        as_json = text.endswith(".json") and text != ".json"
        try:
            return self.view.policy(text), False
        except StoreError:
            if not as_json:
                raise
        return self.view.policy(text.removesuffix(".json")), True

    def _date(self, policy: str, text: str) -> str:
        if text in ALIASES:
            return resolve_ref(f"{policy}@{text}", self.store).date
        return self.view.date(policy, text)

    def _pair(self, request: Request, policy: str) -> tuple[str, str, bool, bool]:
        """(old date, new date, .json asked, an alias was used) of ``<old>...<new>``."""
        text = str(request.path_params["pair"])
        m = _PAIR.match(text)
        if m is None:
            raise StoreError(
                f"'{text}' is not a revision pair: expected <old-date>...<new-date>, e.g. "
                "2025-08-08...2026-05-06"
            )
        old, new = self._date(policy, m["old"]), self._date(policy, m["new"])
        if old == new:
            raise WebError(
                400, "Same revision twice", f"choose two different revisions of {policy}"
            )
        aliased = m["old"] in ALIASES or m["new"] in ALIASES
        return old, new, bool(m["json"]), aliased

    # -- pages ---------------------------------------------------------------------
    def home(self, request: Request) -> Response:
        query = request.query_params.get("q", "")[:200]
        return self.respond(policies_page(self.view, query), _wants_json(request))

    def codes(self, request: Request) -> Response:
        query = request.query_params.get("q", "")
        return self.respond(codes_page(self.view, query), _wants_json(request))

    def timeline(self, request: Request) -> Response:
        policy, as_json = self._policy(request)
        asked = str(request.path_params["number"]).removesuffix(".json" if as_json else "")
        if asked != policy:
            return RedirectResponse(request.url.replace(path=f"/policy/{policy}"), 308)
        return self.respond(timeline_page(self.view, policy), as_json)

    def choose(self, request: Request) -> Response:
        """The timeline's form (``?old=&new=``) -> the compare page's own URL."""
        policy = self.view.policy(str(request.path_params["number"]))
        old = self._date(policy, request.query_params.get("old", ""))
        new = self._date(policy, request.query_params.get("new", ""))
        return RedirectResponse(compare_url(policy, old, new), 303)

    def compare(self, request: Request) -> Response:
        policy = self.view.policy(str(request.path_params["number"]))
        old, new, as_json, aliased = self._pair(request, policy)
        if aliased or policy != request.path_params["number"]:
            return RedirectResponse(compare_url(policy, old, new, ".json" if as_json else ""), 307)
        page = compare_page(self.view, self.finder, policy, old, new)
        return self.respond(page, as_json)

    def case(self, request: Request) -> Response:
        leaf = request.path_params["leaf"]
        if leaf not in ("case", "case.json"):
            raise HTTPException(404)
        policy = self.view.policy(str(request.path_params["number"]))
        old, new, _, _ = self._pair(request, policy)
        params = request.query_params.multi_items()
        return self.respond(case_page(self.view, policy, old, new, params), leaf == "case.json")

    def _pdf(self, request: Request) -> tuple[str, str, Path, str, int]:
        """(policy, date, source PDF, its sha256, its pages) named by the URL."""
        policy = self.view.policy(str(request.path_params["number"]))
        date = self.view.date(policy, str(request.path_params["date"]))
        rev = self.view.summary(policy, date)
        pdf = self.finder.find(rev.sha256, rev.source) if rev.format == "pdf" else None
        if pdf is None:
            raise WebError(
                404, "No source PDF", f"the source PDF of {policy}@{date} is not available"
            )
        return policy, date, pdf, rev.sha256, rev.pages

    def page_image(self, request: Request) -> Response:
        m = _PAGE.match(str(request.path_params["leaf"]))
        if m is None:
            raise HTTPException(404)
        _, _, pdf, sha, pages = self._pdf(request)
        page, scale = int(m["n"]), SETTINGS.web.page_scale
        if not 1 <= page <= max(pages, 1):
            raise WebError(404, "No such page", f"the PDF has pages 1-{pages}, not {page}")
        etag = f'"{sha[:32]}-{page}-{scale:g}"'
        headers = {"etag": etag, "cache-control": "no-cache"}
        if request.headers.get("if-none-match") == etag:
            return Response(status_code=304, headers=headers)
        png = page_png(self.store, sha, pdf, page, scale)
        return Response(png, media_type="image/png", headers=headers)

    def source_pdf(self, request: Request) -> Response:
        policy, date, pdf, _, _ = self._pdf(request)
        return FileResponse(
            pdf,
            media_type="application/pdf",
            filename=f"{policy}_{date}.pdf",
            content_disposition_type="inline",
        )

    def upload_form(self, request: Request) -> Response:
        return self.respond(upload_page(), _wants_json(request))

    async def upload(self, request: Request) -> Response:
        origin = request.headers.get("origin")
        host = request.headers.get("host", "")
        site = request.headers.get("sec-fetch-site", "same-origin")
        if (origin and origin.split("://", 1)[-1] != host) or site not in ("same-origin", "none"):
            raise WebError(403, "Upload refused", "uploads are taken from this app's own page only")
        outcome = await receive_upload(request, self.store)
        return self.respond(upload_page(outcome), _wants_json(request))

    def static(self, request: Request) -> Response:
        name = STATIC.get(str(request.path_params["name"]))
        if name is None:
            raise HTTPException(404)
        assert ENV.loader is not None
        text, _, _ = ENV.loader.get_source(ENV, name)
        media = MEDIA[Path(name).suffix]
        return Response(text, media_type=media, headers={"cache-control": "no-cache"})

    # -- errors ----------------------------------------------------------------------
    def on_error(self, request: Request, exc: Exception) -> Response:
        if isinstance(exc, WebError):
            return self.error(request, exc.status, exc.title, exc.message)
        if isinstance(exc, HTTPException):
            words = {404: "Not found", 405: "Method not allowed"}
            title = words.get(exc.status_code, f"HTTP {exc.status_code}")
            message = (
                exc.detail
                if exc.detail and exc.status_code != 404
                else (f"there is no page at {request.url.path}")
            )
            return self.error(request, exc.status_code, title, str(message))
        for kind, status, title in ERROR_STATUS:
            if isinstance(exc, kind):
                return self.error(request, status, title, str(exc))
        return self.crash(request, exc)

    def crash(self, request: Request, exc: Exception) -> Response:
        LOG.error("%s %s failed: %s: %s", request.method, request.url.path, type(exc).__name__, exc)
        message = (
            f"the server failed on this request ({type(exc).__name__}); the server's log has "
            "the details"
        )
        response = self.error(request, 500, "Internal error", message)
        for key, value in SECURITY_HEADERS:  # this answer bypasses the middleware
            response.headers[key.decode()] = value.decode()
        return response

    def routes(self) -> list[Route]:
        return [
            Route("/", self.home),
            Route("/index.json", self.home),
            Route("/codes", self.codes),
            Route("/codes.json", self.codes),
            Route("/upload", self.upload_form, methods=["GET"]),
            Route("/upload", self.upload, methods=["POST"]),
            Route("/upload.json", self.upload_form, methods=["GET"]),
            Route("/upload.json", self.upload, methods=["POST"]),
            Route("/static/{name}", self.static),
            Route("/policy/{number}", self.timeline),
            Route("/policy/{number}/compare", self.choose),
            Route("/policy/{number}/compare/{pair}", self.compare),
            Route("/policy/{number}/compare/{pair}/{leaf}", self.case),
            Route("/policy/{number}/{date}/page/{leaf}", self.page_image),
            Route("/policy/{number}/{date}/source.pdf", self.source_pdf),
        ]


def create_app(
    store: Path,
    *,
    sources: Sequence[Path] = (),
    allowed_hosts: Sequence[str] | None = None,
) -> Starlette:
    """The web app over ``store``; ``allowed_hosts``: Host header names it answers to
    (default: the loopback names; ``["*"]`` for any)."""
    web = WebApp(store, sources)
    handlers: dict[Any, Any] = {
        Exception: web.crash,
        HTTPException: web.on_error,
        PolicyToolsError: web.on_error,
        WebError: web.on_error,
    }
    middleware = [
        Middleware(SecurityHeaders),
        Middleware(TrustedHostMiddleware, allowed_hosts=list(allowed_hosts or LOOPBACK)),
    ]
    return Starlette(routes=web.routes(), middleware=middleware, exception_handlers=handlers)
