"""The HTTP surfaces: HTML pages, the JSON API (and later FHIR), all over the same services."""
