"""Operations endpoints: /healthz (liveness) and /readyz (readiness)."""

from __future__ import annotations

from django.conf import settings
from django.db import DatabaseError
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from interchange.core import health


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """200 while the database answers; 503 with the reason when it does not."""
    problem = health.database_reachable()
    if problem:
        return JsonResponse({"status": "unavailable", "problems": [problem]}, status=503)
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    """200 when this process can serve traffic: database up, every migration applied and,
    where REQUIRE_WORKER_HEARTBEAT is on, a worker seen recently (else only a warning)."""
    problems: list[str] = []
    warnings: list[str] = []
    problem = health.database_reachable()
    if problem:
        problems.append(problem)
    else:
        try:
            pending = health.unapplied_migrations()
        except DatabaseError as exc:
            pending = [f"cannot read migration state: {exc.__class__.__name__}"]
        if pending:
            problems.append("unapplied migrations: " + ", ".join(pending))
        else:
            worker = _worker_problem()
            if worker:
                (problems if settings.REQUIRE_WORKER_HEARTBEAT else warnings).append(worker)
    extra = {"warnings": warnings} if warnings else {}
    if problems:
        return JsonResponse({"status": "not ready", "problems": problems, **extra}, status=503)
    return JsonResponse({"status": "ready", **extra})


def _worker_problem() -> str | None:
    try:
        return health.worker_heartbeat_problem()
    except DatabaseError as exc:
        return f"cannot read worker heartbeats: {exc.__class__.__name__}"
