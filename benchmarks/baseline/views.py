"""A bare webhook: read the body, insert one row, answer JSON. No verification at all."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from .models import Delivery


@csrf_exempt
@require_POST
def insert_one_row(request: HttpRequest) -> JsonResponse:
    Delivery.objects.create(body=request.body.decode("utf-8", errors="replace"))
    return JsonResponse({"responseCode": "2005600", "responseMessage": "Successful"})
