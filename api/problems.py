"""Errors as RFC 9457 problem details, and the request-size guard. No route answers 500."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as SQLAlchemyTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from engine.errors import Problem, ScenarioError
from engine.io import problems_from_errors

log = logging.getLogger(__name__)
MEDIA_TYPE = "application/problem+json"


class ApiError(Exception):
    """An error a route raises on purpose: a status, a sentence, and optionally problems."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        problems: Sequence[Problem] = (),
        headers: dict[str, str] | None = None,
    ):
        super().__init__(detail)
        self.status, self.detail, self.problems, self.headers = status, detail, list(problems), headers


def not_found(kind: str, id_: str) -> ApiError:
    """The same answer for an id that does not exist and one another organisation owns."""
    return ApiError(404, f"no {kind} with id '{id_}'")


def problem_response(
    status: int,
    detail: str | None,
    request: Request,
    problems: Sequence[Problem] = (),
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
    }
    if problems:
        body["errors"] = [p.as_dict() for p in problems]
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE, headers=headers)


def install(app: FastAPI) -> None:
    """Every error the app can meet becomes problem details."""

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
        return problem_response(exc.status, exc.detail, request, exc.problems, exc.headers)

    @app.exception_handler(ScenarioError)
    async def _scenario_error(request: Request, exc: ScenarioError) -> JSONResponse:
        detail = f"the scenario has {len(exc.errors)} problem(s)"
        return problem_response(422, detail, request, exc.problems)

    @app.exception_handler(RequestValidationError)
    async def _invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = problems_from_errors([_without_body(err) for err in exc.errors()])
        return problem_response(422, "the request is not valid", request, problems)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        headers = dict(getattr(exc, "headers", None) or {})
        if exc.status_code == 405:
            headers["Allow"] = ", ".join(_allowed_methods(app, request))
        return problem_response(exc.status_code, str(exc.detail), request, headers=headers)

    @app.exception_handler(SQLAlchemyTimeout)
    @app.exception_handler(OperationalError)
    async def _database_busy(request: Request, exc: Exception) -> JSONResponse:
        log.warning("database unavailable on %s %s: %s", request.method, request.url.path, exc)
        detail = "the database is busy or unreachable; try again shortly"
        return problem_response(503, detail, request, headers={"Retry-After": "5"})

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return problem_response(500, "an unexpected error; it has been logged", request)


def _allowed_methods(app: FastAPI, request: Request) -> list[str]:
    """Every method any route offers at this path (Starlette names only the first route's)."""
    scope = {"type": "http", "path": request.url.path, "method": "", "root_path": ""}
    methods: set[str] = set()
    for route in app.router.routes:
        match, _ = route.matches(scope)
        if match != Match.NONE:
            methods |= set(getattr(route, "methods", None) or ())
    return sorted(methods)


def _without_body(err: dict[str, Any]) -> dict[str, Any]:
    loc = tuple(err.get("loc", ()))
    if loc and loc[0] == "body":
        loc = loc[1:]
    return {**err, "loc": loc}


class BodyGuard:
    """Refuses bodies over ``max_bytes`` (413, declared or streamed) and bodies with NUL characters (422)."""

    def __init__(self, app: ASGIApp, max_bytes: int):
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            await self._refuse(scope, send)
            return
        body, more = bytearray(), True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > self.max_bytes:
                await self._refuse(scope, send)
                return
        if b"\\u0000" in body:  # JSON may carry NUL characters; no database column can store them
            request = Request(scope)
            detail = "the request contains a NUL character (\\u0000), which cannot be stored"
            await problem_response(422, detail, request)(scope, _no_body, send)
            return
        await self.app(scope, _replay(bytes(body), receive), send)

    async def _refuse(self, scope: Scope, send: Send) -> None:
        request = Request(scope)
        detail = f"the request body is larger than this server accepts ({self.max_bytes:,} bytes)"
        await problem_response(413, detail, request)(scope, _no_body, send)


class InFlightLimit:
    """At most ``limit`` requests inside the app at once; the rest wait here, holding nothing.

    Without it, a burst of clients each takes a database connection and then waits for a
    thread, while the threads wait for connections: everyone times out together.
    """

    def __init__(self, app: ASGIApp, limit: int, exempt: tuple[str, ...] = ("/healthz",)):
        self.app, self.exempt = app, exempt
        self.slots = asyncio.Semaphore(limit)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in self.exempt:
            await self.app(scope, receive, send)
            return
        async with self.slots:
            await self.app(scope, receive, send)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


async def _no_body() -> Message:
    return {"type": "http.request", "body": b"", "more_body": False}
