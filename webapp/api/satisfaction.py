"""REST API for satisfaction ratings: read-only (customers rate through their links)."""

from __future__ import annotations

from webapp.access.interface import ScopedInterface
from webapp.api.base import ScopedModelRestApi
from webapp.models.satisfaction import SatisfactionRating


class SatisfactionRatingApi(ScopedModelRestApi):
    resource_name = "satisfaction_rating"
    class_permission_name = "SatisfactionRating"
    datamodel = ScopedInterface(SatisfactionRating)
    include_route_methods = {"get", "get_list", "info"}
    list_columns = ["id", "item.id", "item.title", "customer.id", "customer.email", "score",
                    "comment", "created_at", "updated_at"]
    show_columns = list_columns
    # No item filter: ``_info`` would list the items of its dropdown unscoped.
    search_columns = ["score", "created_at", "updated_at"]
    order_columns = ["id", "score", "created_at", "updated_at"]
    base_order = ("id", "desc")
