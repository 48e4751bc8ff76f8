"""The product's URL map plus the Open311 benchmark's baseline: a bare view behind the same
middleware that only parses a form-encoded POST (served only by `bench.open311_settings`)."""

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from interchange.urls import urlpatterns as product_urlpatterns

BASELINE_PATH = "bench/open311/form-parse"


@csrf_exempt
def form_parse(request: HttpRequest) -> HttpResponse:
    """Parse the body as Django parses any form and say how many fields came."""
    fields = {name: request.POST.getlist(name) for name in request.POST}
    return JsonResponse({"fields": len(fields)}, status=201)


urlpatterns = [path(BASELINE_PATH, form_parse), *product_urlpatterns]
