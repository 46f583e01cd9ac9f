"""sotchart's records as FHIR R4 resources (plain dicts, written with orjson; the tests validate them
against fhir.resources' R4B models). US Core profiles are declared where one exists."""
