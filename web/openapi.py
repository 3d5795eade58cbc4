"""The OpenAPI 3.0 description of /api/v1 (served at /api/v1/openapi.json)."""
from __future__ import annotations

from directory.catalog.search.query import DEFAULT_LIMIT, MAX_LIMIT, MAX_OFFSET, WHEN_VALUES
from directory.catalog.geo import MAX_RADIUS_KM
from directory.catalog.codes import ATTRIBUTES, CATEGORIES


def _q(name, description, schema, required=False):
    return {"name": name, "in": "query", "required": required, "description": description, "schema": schema}


ERROR = {"$ref": "#/components/responses/Error"}
PAGE_PARAMS = [_q("page", "Page number (from 1).", {"type": "integer", "minimum": 1}),
               _q("per_page", "Rows per page.", {"type": "integer", "minimum": 1, "maximum": 100}),
               _q("format", "json (pages, the default) or ndjson (every result, one document a line).",
                  {"type": "string", "enum": ["json", "ndjson"]})]
BOOL = {"type": "boolean"}
HSDS_FILTERS = [_q("search", "Name contains.", {"type": "string"}),
                _q("taxonomy_term_id", "Only services with this term (HSDS UUID or our id).", {"type": "string"}),
                _q("taxonomy_id", "Only services with a term of this taxonomy (its name, e.g. signpost-category).", {"type": "string"}),
                _q("organization_id", "Only this organization's (HSDS UUID or our id).", {"type": "string"}),
                _q("modified_after", "Modified on or after this ISO 8601 date-time.", {"type": "string", "format": "date-time"})]
ID_PATH = [{"name": "id", "in": "path", "required": True, "description": "The HSDS UUID or our own id.",
            "schema": {"type": "string", "minLength": 1}}]


def _ok(description, ref):
    return {"description": description, "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}}}


def _hsds_doc(required, extra=None):
    """What we promise about an HSDS document: its required fields; the official schemas say the rest (tests)."""
    props = {name: {"type": "string"} for name in required}
    props.update(extra or {})
    return {"type": "object", "required": list(required), "properties": props}


def _page_of(*refs):
    items = [{"$ref": f"#/components/schemas/{ref}"} for ref in refs]
    return {"allOf": [{"$ref": "#/components/schemas/Page"}, {"type": "object", "properties": {
        "contents": {"type": "array", "items": items[0] if len(items) == 1 else {"anyOf": items}}}}]}


def openapi_document(base_url: str) -> dict:
    doc = _document(base_url)
    for item in doc["paths"].values():  # any operation refuses a repeated or unknown parameter
        for method, operation in item.items():
            operation["responses"].setdefault("400", ERROR)
            if any(p["name"] == "format" for p in operation.get("parameters", [])):
                operation["responses"]["200"]["content"]["application/x-ndjson"] = {"schema": {"type": "string"}}
            if method == "post":  # a body over a megabyte
                operation["responses"].setdefault("413", ERROR)
    return doc


def _document(base_url: str) -> dict:
    return {
        "openapi": "3.0.3",
        "info": {"title": "Signpost directory API", "version": "1.0.0",
                 "description": "Community resources for people in recovery: geo search and HSDS 3.0 reads."},
        "servers": [{"url": f"{base_url}/api/v1"}],
        "paths": {
            "/search": {"get": {
                "summary": "Nearest fitting services, sorted by distance (meetings asked for now or tonight: soonest "
                           "first); one result per weekly group of listings",
                "description": "Say where: `near` (ZIP, 'City, ST' or an address) or both `lat` and `lon`; "
                               "without either the answer is a 400. Each parameter once (`attributes` and "
                               "`fellowship` may repeat).",
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
            "/": {"get": {"summary": "HSDS 3.0 root: version, profile, where this document is",
                          "responses": {"200": _ok("About this API", "Root")}}},
            "/services": {"get": {"summary": "HSDS services: direct fields, or full documents with full=true",
                                  "parameters": PAGE_PARAMS + HSDS_FILTERS + [
                _q("minimal", "Only id and last_modified.", BOOL),
                _q("full", "Nested documents (phones, schedules, locations...).", BOOL),
                _q("category", "Need category.", {"type": "string", "enum": list(CATEGORIES)})],
                "responses": {"200": _ok("A page of services", "ServicePage"), "400": ERROR}}},
            "/services/{id}": {"get": {"summary": "One HSDS service, plus `signpost` (open now, capacity...)",
                                       "parameters": ID_PATH,
                                       "responses": {"200": _ok("The service", "Service"), "404": ERROR}}},
            "/organizations": {"get": {"summary": "HSDS organizations", "parameters": PAGE_PARAMS + [
                _q("search", "Name contains.", {"type": "string"}),
                _q("full", "With their services (direct fields).", BOOL),
                _q("full_service", "With their services as full documents.", BOOL)],
                "responses": {"200": _ok("A page of organizations", "OrganizationPage"), "400": ERROR}}},
            "/organizations/{id}": {"get": {"summary": "One organization with its services",
                                            "parameters": ID_PATH + [_q("full_service", "Services as full documents.", BOOL)],
                                            "responses": {"200": _ok("The organization", "Organization"), "404": ERROR}}},
            "/service_at_locations": {"get": {"summary": "HSDS services at locations", "parameters": PAGE_PARAMS + HSDS_FILTERS + [
                _q("full", "With the location and the service.", BOOL),
                _q("postcode", "ZIP code: located in it, or the centre for proximity.", {"type": "string"}),
                _q("proximity", "Metres from the postcode's centroid (needs postcode).", {"type": "number", "exclusiveMinimum": True, "minimum": 0})],
                "responses": {"200": _ok("A page", "ServiceAtLocationPage"), "400": ERROR, "422": ERROR}}},
            "/service_at_locations/{id}": {"get": {"summary": "One service at a location",
                                                   "parameters": ID_PATH,
                                                   "responses": {"200": _ok("It", "ServiceAtLocation"), "404": ERROR}}},
            "/taxonomies": {"get": {"summary": "Taxonomies (the vocabularies of the terms)",
                                    "parameters": PAGE_PARAMS + [_q("search", "Name contains.", {"type": "string"})],
                                    "responses": {"200": _ok("A page", "TaxonomyPage")}}},
            "/taxonomies/{id}": {"get": {"summary": "One taxonomy", "parameters": ID_PATH,
                                         "responses": {"200": _ok("It", "Taxonomy"), "404": ERROR}}},
            "/taxonomy_terms": {"get": {"summary": "Taxonomy terms (our categories and attributes, imported ones)",
                                        "parameters": PAGE_PARAMS + [_q("taxonomy_id", "Only this taxonomy (its name).", {"type": "string"}),
                                                                     _q("taxonomy", "The same as taxonomy_id.", {"type": "string"}),
                                                                     _q("parent_id", "Children of.", {"type": "string"}),
                                                                     _q("top_only", "Only terms without a parent.", BOOL),
                                                                     _q("search", "Name contains.", {"type": "string"})],
                                        "responses": {"200": _ok("A page", "TaxonomyTermPage"), "400": ERROR}}},
            "/taxonomy_terms/{id}": {"get": {"summary": "One taxonomy term",
                                             "parameters": ID_PATH,
                                             "responses": {"200": _ok("It", "TaxonomyTerm"), "404": ERROR}}},
            "/referrals": {"post": {"summary": "Create a referral and text the person (service token)",
                                    "security": [{"serviceToken": []}],
                                    "requestBody": {"required": True, "content": {"application/json": {"schema": {
                                        "type": "object", "required": ["service_id", "client_ref"],
                                        "properties": {"service_id": {"type": "string", "minLength": 1},
                                                       "client_ref": {"type": "string", "minLength": 1, "maxLength": 100,
                                                                      "description": "The person's pseudonym (the SMS gateway's)."},
                                                       "source": {"type": "string", "minLength": 1, "maxLength": 20, "default": "bot"},
                                                       "share_with_provider": {"type": "boolean", "default": False},
                                                       "language": {"type": "string", "enum": ["en", "es"], "default": "en"}}}}}},
                                    "responses": {"201": _ok("Created; the text is queued", "ReferralCreated"), "400": ERROR,
                                                  "401": {"description": "No or wrong token", "headers": {"WWW-Authenticate": {
                                                      "schema": {"type": "string"}, "required": True}},
                                                      "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
                                                  "404": ERROR}}},
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
                "Root": {"type": "object", "required": ["version", "openapi_url"], "properties": {
                    "version": {"type": "string"}, "profile": {"type": "string", "format": "uri"},
                    "openapi_url": {"type": "string", "format": "uri"}}},
                "Service": _hsds_doc(("id", "name", "status")),
                "Organization": _hsds_doc(("id", "name", "description"),
                                          {"services": {"type": "array", "items": {"$ref": "#/components/schemas/Service"}}}),
                "ServiceAtLocation": _hsds_doc(("id",)),
                "TaxonomyTerm": _hsds_doc(("id", "name", "description")),
                "Taxonomy": _hsds_doc(("id", "name", "description")),
                "TaxonomyPage": _page_of("Taxonomy"),
                "ServiceMinimal": _hsds_doc(("id",), {"last_modified": {"type": "string", "format": "date-time"}}),
                "ServicePage": _page_of("Service", "ServiceMinimal"), "OrganizationPage": _page_of("Organization"),
                "ServiceAtLocationPage": _page_of("ServiceAtLocation"), "TaxonomyTermPage": _page_of("TaxonomyTerm"),
                "ReferralCreated": {"type": "object", "required": ["referral"], "properties": {"referral": {
                    "type": "object", "required": ["id", "status", "code", "service_id"],
                    "properties": {"id": {"type": "string"}, "status": {"type": "string"}, "code": {"type": "string"},
                                   "service_id": {"type": "string"}, "sms_body": {"type": "string", "nullable": True}}}}},
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
