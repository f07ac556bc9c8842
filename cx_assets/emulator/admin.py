"""Emulator administration (no auth): fault switches, request statistics, health."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from cx_assets.emulator.context import EmulatorContext
from cx_assets.emulator.cxone.platform import PREFIX as CXONE_PLATFORM_PREFIX
from cx_assets.emulator.cxone.platform import SERVICE as CXONE_PLATFORM
from cx_assets.emulator.errors import ApiError, json_body
from cx_assets.emulator.faults import Fault, FaultSpecError


def _ctx(request: Request) -> EmulatorContext:
    return request.app.state.ctx


def _faults_body(ctx: EmulatorContext) -> dict[str, object]:
    return {
        "faults": [f.to_json() for f in ctx.faults.active()],
        "fired": ctx.faults.fired(),
    }


async def get_faults(request: Request) -> JSONResponse:
    return JSONResponse(_faults_body(_ctx(request)))


async def add_faults(request: Request) -> JSONResponse:
    """Add faults; `revoke_tokens` acts at once instead of waiting on a request."""
    ctx = _ctx(request)
    body = await json_body(request, 'JSON: {"faults": [...]}')
    items = body.get("faults") if isinstance(body, dict) else None
    if not isinstance(items, list):
        raise ApiError(400, "faults must be a list of fault objects")
    try:
        faults = [Fault.from_json(item) for item in items]
    except FaultSpecError as exc:
        raise ApiError(400, str(exc)) from exc
    for fault in faults:
        if fault.kind == "revoke_tokens":
            _revoke_tokens(ctx, fault)
            ctx.faults.note_fired("revoke_tokens")
        else:
            ctx.faults.add(fault)
    return JSONResponse(_faults_body(ctx))


def _revoke_tokens(ctx: EmulatorContext, fault: Fault) -> None:
    """Genesys tokens, and CXone platform ones when the fault's path_prefix covers them."""
    if not (fault.path_prefix or "").startswith(CXONE_PLATFORM_PREFIX):
        ctx.tokens.revoke_all()
    if fault.matches(CXONE_PLATFORM_PREFIX + "/") and CXONE_PLATFORM in ctx.services:
        ctx.services[CXONE_PLATFORM].tokens.revoke_all()


async def clear_faults(request: Request) -> JSONResponse:
    ctx = _ctx(request)
    ctx.faults.clear()
    return JSONResponse(_faults_body(ctx))


async def get_stats(request: Request) -> JSONResponse:
    ctx = _ctx(request)
    cxone = ctx.services.get("cxone")
    platform = ctx.services.get(CXONE_PLATFORM)
    jobs = ctx.services.get("details_jobs")
    snapshot = ctx.stats.snapshot()
    events = snapshot["events"]
    return JSONResponse(
        {
            **snapshot,
            "faults_fired": ctx.faults.fired(),
            "cxone_exports": cxone.exports.summaries() if cxone is not None else [],
            "cxone_platform": platform.stats() if platform is not None else {},
            "details_jobs_created": events.get("details_jobs_created", 0),
            "details_jobs_cancelled": events.get("details_jobs_cancelled", 0),
            "details_jobs": jobs.summaries() if jobs is not None else [],
            "gdpr_requests": snapshot.get("gdpr_requests", []),
            "outbound_puts": snapshot.get("outbound_puts", []),
            "audit_queries": snapshot.get("audit_queries", []),
        }
    )


async def get_lake_webhook(request: Request) -> JSONResponse:
    """What the data-lake webhook receiver stored, in arrival order."""
    return JSONResponse({"batches": _ctx(request).services["lake_webhook"].batches()})


async def clear_lake_webhook(request: Request) -> JSONResponse:
    cleared = _ctx(request).services["lake_webhook"].clear()
    return JSONResponse({"batches": [], "cleared": cleared})


async def health(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


ROUTES = (
    Route("/admin/faults", get_faults, methods=["GET"]),
    Route("/admin/faults", add_faults, methods=["POST"]),
    Route("/admin/faults", clear_faults, methods=["DELETE"]),
    Route("/admin/stats", get_stats, methods=["GET"]),
    Route("/admin/health", health, methods=["GET"]),
    Route("/admin/lake-webhook", get_lake_webhook, methods=["GET"]),
    Route("/admin/lake-webhook", clear_lake_webhook, methods=["DELETE"]),
)
