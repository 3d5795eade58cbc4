"""The OpenAPI 3.0 description of /api/v1 (served at /api/v1/openapi.json)."""
from __future__ import annotations

from directory.catalog.search.query import DEFAULT_LIMIT, MAX_LIMIT, MAX_OFFSET, WHEN_VALUES
from directory.catalog.geo import MAX_RADIUS_KM
from directory.catalog.codes import ATTRIBUTES, CATEGORIES


def _q(name, description, schema, required=False):
    return {"name": name, "in": "query", "required": required, "description": description, "schema": schema}


ERROR = {"$ref": "#/components/responses/Error"}
PAGE_PARAMS = [_q("page", "Page number (from 1).", {"type": "integer", "minimum": 1}),
               _q("per_page", "Rows per page.", {"type": "integer", "minimum": 1, "maximum": 100})]


def openapi_document(base_url: str) -> dict:
    page = {"$ref": "#/components/schemas/Page"}
    return {
        "openapi": "3.0.3",
        "info": {"title": "Signpost directory API", "version": "1.0.0",
                 "description": "Community resources for people in recovery: geo search and HSDS 3.0 reads."},
        "servers": [{"url": f"{base_url}/api/v1"}],
        "paths": {
            "/search": {"get": {
                "summary": "Nearest fitting services, sorted by distance (meetings asked for now or tonight: soonest "
                           "first); one result per weekly group of listings",
                "parameters": [
                    _q("near", "ZIP, 'City, ST', an address, or a bare city, neighbourhood or county in the "
                               "service area (SERVICE_AREA) with typos corrected (or use lat and lon).",
                       {"type": "string", "maxLength": 200}),
                    _q("lat", "Latitude of the origin.", {"type": "number", "minimum": -90, "maximum": 90}),
                    _q("lon", "Longitude of the origin.", {"type": "number", "minimum": -180, "maximum": 180}),
                    _q("radius_km", "Search radius in km.", {"type": "number", "exclusiveMinimum": True, "minimum": 0, "maximum": MAX_RADIUS_KM}),
                    _q("category", "Need category.", {"type": "string", "enum": list(CATEGORIES)}),
                    _q("attributes", "Comma-separated attribute codes; all must match.", {"type": "string"}),
                    _q("fellowship", "Meetings of this fellowship: AA, NA, Al-Anon, CA or SMART (any case; "
                                     "comma-separated: any of them). Unknown names are a 400 `unknown_fellowship`. "
                                     "When none is listed within the radius but meetings that do not record their "
                                     "fellowship are, those are returned with `_meta.fellowship_unmatched` true.",
                       {"type": "string"}),
                    _q("language", "Language code (e.g. es).", {"type": "string"}),
                    _q("open_now", "Only what is open now.", {"type": "boolean"}),
                    _q("when", "now, today or tonight. Meetings: starting soon (now: within 4 hours; tonight: "
                               "from 5 pm to midnight; today: before midnight), soonest first; when none does, the "
                               "next ones, soonest first, with `_meta.when_unmatched` true. Other places: open at "
                               "some moment then.", {"type": "string", "enum": list(WHEN_VALUES)}),
                    _q("has_vacancy", "Only listings with a free bed.", {"type": "boolean"}),
                    _q("q", "Free text in names.", {"type": "string", "maxLength": 100}),
                    _q("limit", "Items per page.", {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT}),
                    _q("offset", "Items to skip.", {"type": "integer", "minimum": 0, "maximum": MAX_OFFSET}),
                ],
                "responses": {"200": {"description": "Results", "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/SearchResults"}}}},
                    "400": ERROR, "422": ERROR}}},
            "/services": {"get": {"summary": "HSDS services", "parameters": PAGE_PARAMS + [
                _q("search", "Name contains.", {"type": "string"}),
                _q("organization_id", "Only this organization's.", {"type": "string"}),
                _q("taxonomy_term_id", "Only services with this term.", {"type": "string"}),
                _q("category", "Need category.", {"type": "string", "enum": list(CATEGORIES)}),
                _q("full", "Nested documents (default true).", {"type": "boolean"})],
                "responses": {"200": {"description": "A page of services", "content": {"application/json": {"schema": page}}}, "400": ERROR}}},
            "/services/{id}": {"get": {"summary": "One HSDS service, plus `signpost` (open now, capacity...)",
                                       "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}],
                                       "responses": {"200": {"description": "The service"}, "404": ERROR}}},
            "/organizations": {"get": {"summary": "HSDS organizations", "parameters": PAGE_PARAMS + [
                _q("search", "Name contains.", {"type": "string"})],
                "responses": {"200": {"description": "A page of organizations", "content": {"application/json": {"schema": page}}}, "400": ERROR}}},
            "/organizations/{id}": {"get": {"summary": "One organization with its services",
                                            "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}],
                                            "responses": {"200": {"description": "The organization"}, "404": ERROR}}},
            "/service_at_locations": {"get": {"summary": "HSDS services at locations", "parameters": PAGE_PARAMS + [
                _q("postcode", "ZIP code: located in it, or the centre for proximity.", {"type": "string"}),
                _q("proximity", "Metres from the postcode's centroid.", {"type": "number", "minimum": 0}),
                _q("taxonomy_term_id", "Only services with this term.", {"type": "string"}),
                _q("organization_id", "Only this organization's.", {"type": "string"})],
                "responses": {"200": {"description": "A page", "content": {"application/json": {"schema": page}}}, "400": ERROR, "422": ERROR}}},
            "/service_at_locations/{id}": {"get": {"summary": "One service at a location",
                                                   "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}],
                                                   "responses": {"200": {"description": "It"}, "404": ERROR}}},
            "/taxonomy_terms": {"get": {"summary": "Taxonomy terms (our categories and attributes, imported ones)",
                                        "parameters": PAGE_PARAMS + [_q("taxonomy", "Only this taxonomy.", {"type": "string"}),
                                                                     _q("parent_id", "Children of.", {"type": "string"}),
                                                                     _q("search", "Name contains.", {"type": "string"})],
                                        "responses": {"200": {"description": "A page", "content": {"application/json": {"schema": page}}}, "400": ERROR}}},
            "/taxonomy_terms/{id}": {"get": {"summary": "One taxonomy term",
                                             "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}],
                                             "responses": {"200": {"description": "It"}, "404": ERROR}}},
            "/referrals": {"post": {"summary": "Create a referral and text the person (service token)",
                                    "security": [{"serviceToken": []}],
                                    "requestBody": {"required": True, "content": {"application/json": {"schema": {
                                        "type": "object", "required": ["service_id"],
                                        "properties": {"service_id": {"type": "string"}, "client_ref": {"type": "string"},
                                                       "source": {"type": "string"}, "share_with_provider": {"type": "boolean"},
                                                       "language": {"type": "string", "enum": ["en", "es"]}}}}}},
                                    "responses": {"201": {"description": "Created"}, "400": ERROR, "401": ERROR, "404": ERROR}}},
        },
        "components": {
            "securitySchemes": {"serviceToken": {"type": "http", "scheme": "bearer"}},
            "responses": {"Error": {"description": "An error", "content": {"application/json": {
                "schema": {"$ref": "#/components/schemas/Error"}}}}},
            "schemas": {
                "Error": {"type": "object", "required": ["error"], "properties": {"error": {
                    "type": "object", "required": ["code", "message"],
                    "properties": {"code": {"type": "string"}, "message": {"type": "string"},
                                   "suggestions": {"type": "array", "items": {"type": "string"},
                                                   "description": "unknown_place: the nearest spellings we know, "
                                                                  "e.g. 'Santa Ana, CA'"}}}}},
                "Page": {"type": "object", "required": ["total_items", "total_pages", "page_number", "size", "contents"],
                         "properties": {"total_items": {"type": "integer"}, "total_pages": {"type": "integer"},
                                        "page_number": {"type": "integer"}, "size": {"type": "integer"},
                                        "first_page": {"type": "boolean"}, "last_page": {"type": "boolean"},
                                        "empty": {"type": "boolean"}, "contents": {"type": "array", "items": {"type": "object"}}}},
                "SearchItem": {"type": "object",
                               "required": ["service_id", "name", "organization", "category", "distance_km",
                                            "latitude", "longitude", "address", "phone"],
                               "properties": {
                                   "service_id": {"type": "string"}, "service_at_location_id": {"type": "string"},
                                   "name": {"type": "string"}, "organization": {"type": "string"},
                                   "category": {"type": "string", "nullable": True}, "distance_km": {"type": "number"},
                                   "latitude": {"type": "number"}, "longitude": {"type": "number"},
                                   "address": {"type": "string", "nullable": True}, "phone": {"type": "string", "nullable": True},
                                   "open_now": {"type": "boolean", "nullable": True},
                                   "hours_today": {"type": "string", "nullable": True},
                                   "next_meeting": {"type": "object", "nullable": True},
                                   "capacity": {"type": "object", "nullable": True},
                                   "attributes": {"type": "array", "items": {"type": "string", "enum": list(ATTRIBUTES)}},
                                   "languages": {"type": "array", "items": {"type": "string"}},
                                   "last_verified": {"type": "string", "nullable": True}, "url": {"type": "string"},
                                   "meets": {"type": "string", "nullable": True,
                                             "description": "Meetings: the weekly days and start times, e.g. "
                                                            "'Mon, Wed, Fri 12:00 pm'"},
                                   "occurrences": {
                                       "type": "array", "description": "One result per weekly group: each listing "
                                       "of the group (same name, same place) with its weekday and start; the item's "
                                       "own service_id is the one that meets next",
                                       "items": {"type": "object", "properties": {
                                           "service_id": {"type": "string"}, "day": {"type": "string"},
                                           "time": {"type": "string"}}}}}},
                "SearchResults": {"type": "object", "required": ["items", "_meta"], "properties": {
                    "items": {"type": "array", "items": {"$ref": "#/components/schemas/SearchItem"}},
                    "_meta": {"type": "object", "properties": {
                        "total": {"type": "integer", "nullable": True}, "has_more": {"type": "boolean"},
                        "when_unmatched": {"type": "boolean"}, "fellowship_unmatched": {"type": "boolean"}}}}},
            },
        },
    }
