"""The platform's URLs plus ``/bench/bare``: a Django JSON endpoint doing no work (the p50 baseline)."""

import json

from django.http import HttpRequest, JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from shipyard.config.urls import urlpatterns as platform_urls


@csrf_exempt
def bare(request: HttpRequest) -> JsonResponse:
    body = json.loads(request.body or b"{}")
    return JsonResponse({"outputs": [0] * len(body.get("inputs", [])), "model_version": 1})


urlpatterns = [path("bench/bare", bare), *platform_urls]
