"""Latency page: approval → on air and per-stage times over the last N clips."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from aijesus.studio.latency import chart, recent_latencies, summary
from aijesus.studio.views.access import moderator_required


@require_GET
@moderator_required
def latency(request: HttpRequest) -> HttpResponse:
    try:
        limit = max(5, min(1000, int(request.GET.get("n", settings.DASHBOARD_LATENCY_CLIPS))))
    except ValueError:
        limit = settings.DASHBOARD_LATENCY_CLIPS
    rows = recent_latencies(limit)
    return render(
        request,
        "studio/latency.html",
        {"rows": rows, "summary": summary(rows), "chart": chart(rows), "limit": limit},
    )
