"""Page-number pagination for every list endpoint, and the same for plain APIViews."""

from __future__ import annotations

from typing import Any

from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response


class DefaultPagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


def paginated_response(view: Any, queryset: Any, serializer_class: type[Any], **serializer_kwargs: Any) -> Response:
    """One page of ``queryset`` as ``{count, next, previous, results}`` from an APIView.

    Give such a view ``pagination_class = DefaultPagination`` too: the OpenAPI schema then
    describes its ``many=True`` responses as pages.
    """
    paginator = DefaultPagination()
    page: Any = paginator.paginate_queryset(queryset, view.request, view=view)
    return paginator.get_paginated_response(serializer_class(page, many=True, **serializer_kwargs).data)
