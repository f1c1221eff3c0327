"""The System page: what the studio is really using (engines and why, files, services, workers,
the stream), for every moderator; a Test action per service, for the owner (a test spends the
owner's keys and money); every test goes to the moderator log."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_POST

from aijesus.studio.models import ModeratorAction, Persona
from aijesus.studio.system import probes, run_checks, summary
from aijesus.studio.system.limits import upload_limits
from aijesus.studio.views.access import moderator_required, owner_required


@require_GET
@moderator_required
def system(request: HttpRequest) -> HttpResponse:
    checks = run_checks()
    recent = ModeratorAction.objects.filter(kind=ModeratorAction.Kind.SYSTEM).select_related("user")[:10]
    context = {"checks": checks, "summary": summary(checks), "recent": recent}
    context["upload_limits"] = upload_limits()  # the UPLOAD_* settings in effect
    return render(request, "studio/system.html", context)


@require_POST
@owner_required
def system_test(request: HttpRequest, name: str) -> JsonResponse:
    if name not in probes.TESTS:
        return JsonResponse({"error": f"No test called {name!r}."}, status=404)
    active = Persona.objects.active()
    result = probes.run_test(
        name, active.snapshot() if active else None, timeout=settings.SYSTEM_CHECK_TIMEOUT
    )
    verdict = "ok" if result.ok else "failed"
    ModeratorAction.record(
        ModeratorAction.Kind.SYSTEM, by=request.user, detail=f"test {name}: {verdict}, {result.detail}"
    )
    return JsonResponse({"ok": result.ok, "detail": result.detail, **result.extra})
