"""Read-only FHIR R4 endpoints: the capability statement, read, search by patient and date, and
Patient/$everything. JSON only (application/fhir+json); bearer token or the browser's session."""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response

from sotchart import __version__
from sotchart.services import fhir_api
from sotchart.settings import Settings
from sotchart.web.deps import ActorDep, AppDep

router = APIRouter(prefix="/fhir", tags=["FHIR"])
FhirId = Annotated[str, Path(pattern=r"^[A-Za-z0-9\-.]{1,64}$")]
FhirType = Annotated[str, Path(pattern=r"^[A-Z][A-Za-z]{1,40}$")]


def _json(body: dict[str, Any]) -> Response:
    return Response(orjson.dumps(body), media_type="application/fhir+json")


def _base(request: Request) -> str:
    """Where the links a bundle carries point: the configured public address; in production without one,
    the server's own address; never a Host header a client made up (it would be echoed to others)."""
    s: Settings = request.app.state.sotchart.settings
    if s.public_url:
        return s.public_url.rstrip("/") + "/fhir"
    if s.environment == "production":
        return f"http://{s.host}:{s.port}/fhir"
    return str(request.base_url).rstrip("/") + "/fhir"


@router.get("/metadata")
def capability_statement(request: Request) -> Response:
    """What this server does: read and search of a patient's record, and Patient/$everything."""
    return _json(
        {
            "resourceType": "CapabilityStatement",
            "status": "active",
            "date": "2026-11-25",
            "kind": "instance",
            "software": {"name": "sotchart", "version": __version__},
            "implementation": {"description": "sotchart FHIR API (read-only)", "url": _base(request)},
            "fhirVersion": "4.0.1",
            "format": ["json"],
            "rest": [
                {
                    "mode": "server",
                    "resource": [
                        {
                            "type": kind,
                            "interaction": [{"code": "read"}, {"code": "search-type"}],
                            "searchParam": []
                            if kind in fhir_api.SHARED_TYPES
                            else [
                                {"name": "patient", "type": "reference"},
                                {"name": "date", "type": "date"},
                            ],
                            **(
                                {
                                    "operation": [
                                        {
                                            "name": "everything",
                                            "definition": "http://hl7.org/fhir/OperationDefinition/Patient-everything",
                                        }
                                    ]
                                }
                                if kind == "Patient"
                                else {}
                            ),
                        }
                        for kind in fhir_api.TYPES
                    ],
                }
            ],
        }
    )


@router.get("/Patient/{rid}/$everything")
def patient_everything(request: Request, app: AppDep, actor: ActorDep, rid: FhirId) -> Response:
    return _json(fhir_api.bundle(fhir_api.everything(app, actor, rid), _base(request)))


@router.get("/{kind}/{rid}")
def read(app: AppDep, actor: ActorDep, kind: FhirType, rid: FhirId) -> Response:
    return _json(fhir_api.read(app, actor, kind, rid))


@router.get("/{kind}")
def search(
    request: Request,
    app: AppDep,
    actor: ActorDep,
    kind: FhirType,
    patient: Annotated[str, Query(max_length=80)] = "",
    subject: Annotated[str, Query(max_length=80)] = "",
    date: Annotated[list[str] | None, Query(max_length=20)] = None,
) -> Response:
    found = fhir_api.search(app, actor, kind, patient=patient or subject, dates=date or [])
    return _json(fhir_api.bundle(found, _base(request)))
