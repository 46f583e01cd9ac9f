"""`sotchart import PATH`: a FHIR export (sotchart's own, NDJSON with a Bulk Data manifest, zipped) read
back into a clinic. Every resource is validated and every reference checked before anything is written;
then each patient is written in one transaction, so a patient is imported whole or not at all, and the
report says what failed and where."""

from __future__ import annotations

import base64
import secrets
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, BinaryIO

import orjson
from fhir.resources.R4B import get_fhir_model_class
from pydantic import ValidationError

from sotchart.domain import charting as rules
from sotchart.domain.errors import Conflict, FieldProblem, InvalidInput
from sotchart.domain.fhir import codes as c
from sotchart.domain.fhir import mapper
from sotchart.domain.patients import chart_number_problem, check_details, search_key
from sotchart.domain.roles import Action
from sotchart.domain.visits import REASON_MAX, VisitStatus
from sotchart.services import passwords, patients, questionnaires, visits
from sotchart.services.charting import SignedElsewhere, assess_record, visit_summary, write_signed
from sotchart.services.context import Actor, App, Unit, unit
from sotchart.store import charting as chart_store
from sotchart.store import imports as store
from sotchart.store import patients as patient_store
from sotchart.store import questionnaires as q_store
from sotchart.store import users as user_store
from sotchart.store import visits as visit_store

Progress = Callable[[str, int], None]
PATIENT_OWNED = mapper.PATIENT_RECORD_TYPES[1:]  # every type but the Patient names its patient
GENDER_TO_SEX = {"female": "female", "male": "male", "other": "other", "unknown": "unknown"}


@dataclass
class Problem:
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


@dataclass
class ImportReport:
    path: Path
    patients: int = 0
    resources: int = 0
    failed: list[Problem] = field(default_factory=list)
    ids: dict[str, str] = field(default_factory=dict)  # exported id (Patient/p3) → id in this clinic
    seconds: float = 0.0


@dataclass
class _Line:
    where: str  # file and line, for messages
    resource: dict[str, Any]


@dataclass
class _Index:
    """Pass one: every resource validated, its patient and its place in the unpacked NDJSON noted (not the
    resource itself, so memory stays small however large the export). Problems are kept per patient
    ('' for the clinic's shared resources and for damage)."""

    folder: Path
    urls: dict[str, str] = field(default_factory=dict)  # type → NDJSON file name
    ids: set[str] = field(default_factory=set)
    groups: dict[str, list[tuple[str, int, int]]] = field(default_factory=dict)  # patient → (type, line, offset)
    shared: list[_Line] = field(default_factory=list)
    problems: dict[str, list[Problem]] = field(default_factory=dict)

    def problem(self, owner: str, where: str, message: str) -> None:
        self.problems.setdefault(owner, []).append(Problem(where, message))


def _open_zip(path: Path) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as err:
        raise InvalidInput(
            f"{path.name} is not a readable zip file.",
            [FieldProblem("path", "Give the zip that `sotchart export` wrote.")],
        ) from err


def _validation_problem(r: dict[str, Any]) -> str:
    try:
        get_fhir_model_class(r["resourceType"]).model_validate(r)
    except (ValidationError, KeyError, ValueError) as err:
        first = err.errors()[0] if isinstance(err, ValidationError) else {"loc": (), "msg": str(err)}
        at = ".".join(str(p) for p in first["loc"])
        return f"not valid FHIR R4: {at} {first['msg']}".strip()
    return ""


@dataclass(frozen=True)
class Limits:
    """What an import may cost, from the settings: a small crafted zip once unpacked to 1 GiB, held 745 MB
    in memory for one line, or ran for minutes."""

    max_bytes: int
    max_line: int
    max_files: int
    deadline: float  # time.monotonic() past which the import stops

    def expired(self) -> bool:
        return time.monotonic() > self.deadline

    def check_time(self) -> None:
        if self.expired():
            raise ImportStopped("The import took longer than SOTCHART_IMPORT_MAX_SECONDS and stopped.")


class ImportStopped(InvalidInput):
    """A limit reached: the import stops, and its report says how far it got."""


def _unpack(z: zipfile.ZipFile, url: str, dst: Path, limits: Limits, budget: int) -> int:
    """Copy one member out, counting what it really unpacks to (a header can claim less); the bytes the
    import may still unpack after it."""
    with z.open(url) as src, dst.open("wb") as out:
        while chunk := src.read(1 << 20):
            budget -= len(chunk)
            if budget < 0:
                raise ImportStopped(
                    f"The zip unpacks to more than {limits.max_bytes:,} bytes (SOTCHART_IMPORT_MAX_BYTES); "
                    "nothing was imported. Split the export, or raise the limit for this import."
                )
            out.write(chunk)
            limits.check_time()
    return budget


def _lines(f: BinaryIO, max_line: int) -> Iterator[tuple[int, bytes | None]]:
    """Each line with its byte length; a line longer than max_line is skipped without holding it in
    memory (its bytes are None)."""
    while True:
        raw = f.readline(max_line + 1)
        if not raw:
            return
        if len(raw) > max_line and not raw.endswith(b"\n"):
            size = len(raw)
            while (rest := f.readline(1 << 20)) and not rest.endswith(b"\n"):
                size += len(rest)
            yield size + len(rest), None
            continue
        yield len(raw), raw


def _index(path: Path, folder: Path, say: Progress, limits: Limits) -> _Index:
    """Unpack each NDJSON file, then read it line by line: parse, validate, note its patient and offset."""
    index = _Index(folder)
    with _open_zip(path) as z:
        if len(z.infolist()) > limits.max_files:
            raise ImportStopped(
                f"The zip holds {len(z.infolist())} files; an export holds one per resource type "
                f"(at most {limits.max_files}, SOTCHART_IMPORT_MAX_FILES). Nothing was imported."
            )
        try:
            manifest = orjson.loads(z.read("manifest.json")) if z.getinfo("manifest.json").file_size < 1 << 20 else {}
            outputs = [(str(o["type"]), str(o["url"])) for o in manifest["output"]]
        except (KeyError, TypeError, orjson.JSONDecodeError) as err:
            raise InvalidInput(
                "The zip has no readable manifest.json (the Bulk Data manifest `sotchart export` writes).",
                [FieldProblem("manifest.json", "Export again with `sotchart export`.")],
            ) from err
        budget = limits.max_bytes
        for kind, url in outputs:
            name = f"{len(index.urls)}.ndjson"
            try:
                budget = _unpack(z, url, folder / name, limits, budget)
            except (KeyError, zipfile.BadZipFile, OSError) as err:
                index.problem("", url, f"listed in the manifest but unreadable ({err})")
                continue
            index.urls[kind] = name
            with (folder / name).open("rb") as f:
                offset, n = 0, 0
                for size, raw in _lines(f, limits.max_line):
                    n += 1
                    here, offset = offset, offset + size
                    if raw is None:
                        index.problem(
                            "", f"{url} line {n}", f"is longer than {limits.max_line:,} bytes and was not read"
                        )
                        continue
                    if not raw.strip():
                        continue
                    _index_line(index, kind, url, n, here, raw)
                    if n % 1000 == 0:
                        say(kind, 1000)
                        limits.check_time()
    return index


def _index_line(index: _Index, kind: str, url: str, n: int, offset: int, raw: bytes) -> None:
    try:
        r = orjson.loads(raw)
    except orjson.JSONDecodeError:
        index.problem("", f"{url} line {n}", "is not JSON")
        return
    if not isinstance(r, dict) or r.get("resourceType") != kind or not r.get("id"):
        index.problem("", f"{url} line {n}", f"is not a {kind} resource with an id")
        return
    where = f"{url} line {n} ({kind}/{r['id']})"
    owner = _patient_of(r)
    if kind in PATIENT_OWNED and owner is None:
        index.problem("", where, "names no patient (subject)")
        return
    index.ids.add(f"{kind}/{r['id']}")
    if owner:
        index.groups.setdefault(owner, []).append((kind, n, offset))
    else:
        index.shared.append(_Line(where, r))
    if message := _validation_problem(r):
        index.problem(owner or "", where, message)


def _patient_of(r: dict[str, Any]) -> str | None:
    if r["resourceType"] == "Patient":
        return f"Patient/{r['id']}"
    subject = (r.get("subject") or {}).get("reference")
    return subject if isinstance(subject, str) and subject.startswith("Patient/") else None


def _references(node: Any) -> list[str]:
    if isinstance(node, dict):
        out = [node["reference"]] if isinstance(node.get("reference"), str) else []
        for v in node.values():
            out += _references(v)
        return out
    if isinstance(node, list):
        return [ref for v in node for ref in _references(v)]
    return []


def _dangling(index: _Index, lines: list[_Line]) -> list[Problem]:
    return [
        Problem(ln.where, f"refers to {target}, which is not in the export")
        for ln in lines
        for target in _references(ln.resource)
        if target not in index.ids
    ]


class _Reader:
    """Pass two: a patient's resources read back from the unpacked files by their offsets."""

    def __init__(self, index: _Index) -> None:
        self.index = index
        self.files = {kind: (index.folder / name).open("rb") for kind, name in index.urls.items()}

    def lines(self, entries: list[tuple[str, int, int]]) -> list[_Line]:
        out = []
        for kind, n, offset in entries:
            f = self.files[kind]
            f.seek(offset)
            r = orjson.loads(f.readline())
            out.append(_Line(f"{kind}.ndjson line {n} ({kind}/{r['id']})", r))
        return out

    def close(self) -> None:
        for f in self.files.values():
            f.close()


def _decode_record(encounter: dict[str, Any]) -> dict[str, Any]:
    for ext in encounter.get("extension") or []:
        if ext.get("url") == c.VISIT_RECORD:
            try:
                record = orjson.loads(base64.b64decode(ext["valueAttachment"]["data"], validate=True))
            except (ValueError, KeyError, TypeError):
                record = None
            if not isinstance(record, dict):
                raise InvalidInput(f"Encounter/{encounter.get('id')}: its sotchart visit record cannot be read.")
            return record
    raise InvalidInput(
        f"Encounter/{encounter['id']} carries no sotchart visit record.",
        [FieldProblem(f"Encounter/{encounter['id']}", "Only exports written by sotchart can be imported.")],
    )


def _named(where: str, check: Callable[[], Any]) -> Any:
    """Run a check; its problems come back naming the resource they were found in."""
    try:
        return check()
    except InvalidInput as e:
        raise InvalidInput(f"{where}: {e.detail}", e.problems) from None


def _moment(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        at = datetime.fromisoformat(str(value))
    except ValueError:
        raise InvalidInput(f"the signing time {str(value)[:40]!r} is not a date and time") from None
    if at.tzinfo is None:
        raise InvalidInput(f"the signing time {str(value)[:40]!r} has no time zone offset")
    return at


def _number(reference: str | None) -> str:
    return reference.split("/", 1)[1] if reference else ""


class _Importer:
    def __init__(self, app: App, u: Unit, report: ImportReport, users: dict[str, int]) -> None:
        self.app, self.u, self.report, self.users = app, u, report, users

    def patient(self, lines: list[_Line]) -> None:
        by_kind: dict[str, list[dict[str, Any]]] = {}
        for ln in lines:
            by_kind.setdefault(ln.resource["resourceType"], []).append(ln.resource)
        [p] = by_kind["Patient"]
        pid = self._patient(p)
        episodes = {f"CarePlan/{e['id']}": self._episode(e, pid) for e in by_kind.get("CarePlan", [])}
        visits = {f"Encounter/{e['id']}": self._visit(e, pid, episodes) for e in by_kind.get("Encounter", [])}
        scores = {
            (o.get("derivedFrom") or [{}])[0].get("reference"): o
            for o in by_kind.get("Observation", [])
            if o.get("derivedFrom")
        }
        for q in by_kind.get("QuestionnaireResponse", []):
            self._questionnaire(q, scores.get(f"QuestionnaireResponse/{q['id']}"), pid, visits)
        self.report.resources += len(lines)
        self.report.patients += 1
        self.u.audit("import.patient", "patient", pid, patient_id=pid, detail=f"from Patient/{p['id']}")

    def _patient(self, p: dict[str, Any]) -> int:
        u = self.u
        chart = next(
            (i["value"] for i in p.get("identifier") or [] if i.get("system", "").endswith("/chart-number")), ""
        )
        previous = next((i["value"] for i in p.get("identifier") or [] if i.get("use") == "old"), "")
        name = (p.get("name") or [{}])[0]
        telecom = {t.get("system"): t.get("value", "") for t in p.get("telecom") or []}
        # An imported patient passes the same checks as one registered at the desk: a 157 MB family name,
        # a birth date missing or in the future, a chart number that is a path are refused, named.
        details = patients.parse_details(
            {
                "family_name": name.get("family", ""),
                "given_name": " ".join(name.get("given") or []),
                "birth_date": p.get("birthDate", ""),
                "sex": GENDER_TO_SEX.get(p.get("gender", "unknown"), "unknown"),
                "phone": telecom.get("phone", ""),
                "email": telecom.get("email", ""),
                "address": ((p.get("address") or [{}])[0]).get("text", ""),
                "external_id": previous,
            }
        )
        check_details(details, u.today())
        if chart and (why := chart_number_problem(chart)):
            raise InvalidInput(f"Patient/{p.get('id')}: chart number {chart[:40]!r}: {why}")
        family, given, birth = details.family_name, details.given_name, details.birth_date
        if chart and patient_store.chart_number_taken(u.conn, u.clinic_id(), chart):
            raise Conflict(f"The clinic already holds a patient with chart number {chart}.")
        if store.same_person(u.conn, u.clinic_id(), search_key(family), search_key(given), birth):
            raise Conflict(f"The clinic already holds {given} {family}, born {birth.isoformat()}.")
        values = {
            "chart_number": chart or f"I{secrets.token_hex(4)}",
            "family_name": family,
            "given_name": given,
            **patients.search_keys(details),
            "birth_date": birth,
            "sex": details.sex,
            "phone": details.phone,
            "email": details.email,
            "address": details.address,
            "external_id": details.external_id,
            "status": "active" if p.get("active", True) else "inactive",
        }
        pid = store.patient_row(u.conn, clinic_id=u.clinic_id(), values=values, actor_id=u.actor.user_id, now=u.now)
        self.report.ids[f"Patient/{p['id']}"] = f"Patient/p{pid}"
        return pid

    def _episode(self, e: dict[str, Any], pid: int) -> int:
        period = e.get("period") or {}
        values = {
            "patient_id": pid,
            "complaint": e.get("title") or "",
            "start_date": date.fromisoformat(period["start"]),
            "end_date": date.fromisoformat(period["end"]) if period.get("end") else None,
            "status": "active" if e.get("status") == "active" else "closed",
        }
        new = store.episode_row(
            self.u.conn, clinic_id=self.u.clinic_id(), values=values, actor_id=self.u.actor.user_id, now=self.u.now
        )
        self.report.ids[f"CarePlan/{e['id']}"] = f"CarePlan/e{new}"
        return new

    def _user(self, reference: str | None) -> int | None:
        return self.users.get(reference or "")

    def _visit(self, e: dict[str, Any], pid: int, episodes: dict[str, int]) -> int:
        u = self.u
        record = _decode_record(e)
        where = f"Encounter/{e.get('id')}"
        # The visit's details pass the checks of one started at the desk, its record those of one typed in
        # (the engine's, against the pack), and its assessment is sotchart's own, never the file's.
        fields = _named(
            where,
            lambda: visits.check_fields(
                {
                    "visit_date": str((e.get("period") or {}).get("start", ""))[:10],
                    "kind": ((e.get("type") or [{}])[0].get("coding") or [{}])[0].get("code", ""),
                    "complaint": ((e.get("reasonCode") or [{}])[0]).get("text", ""),
                },
                u.today(),
                partial=False,
            ),
        )
        status = record.get("status")
        if status not in set(VisitStatus):
            raise InvalidInput(
                f"{where}: the visit's status {str(status)[:40]!r} is not one of {', '.join(VisitStatus)}."
            )
        reason, note = record.get("status_reason") or "", record.get("note") or ""
        if (
            not isinstance(reason, str)
            or not isinstance(note, str)
            or len(reason) > REASON_MAX
            or len(note) > rules.MAX_TEXT
        ):
            raise InvalidInput(
                f"{where}: the visit's status reason must be text of at most {REASON_MAX} characters, and its "
                f"note text of at most {rules.MAX_TEXT}."
            )
        doc = record.get("document") or {}
        p = patient_store.get(u.conn, u.clinic_id(), pid)
        assert p is not None
        day = fields["visit_date"]
        if doc:
            doc = _named(where, lambda: rules.check_document(doc))
            assessment = _named(where, lambda: assess_record(self.app, doc, p, day))
        clinician = next((self._user(part["individual"]["reference"]) for part in e.get("participant") or []), None)
        signed = status in ("signed", "amended") and bool(doc)
        signer_ref = f"Practitioner/u{record['signed_by']}" if record.get("signed_by") else ""
        values: dict[str, Any] = {
            "patient_id": pid,
            "episode_id": episodes.get((e.get("basedOn") or [{}])[0].get("reference", "")),
            "clinician_id": clinician,
            "visit_date": day,
            "kind": fields["kind"],
            # A signed note is written by the one signing writer below, which moves the row from draft.
            "status": "draft" if signed else status,
            "complaint": fields.get("complaint", ""),
            "note": "" if signed else note,
            "status_reason": reason,
            "revision": 0,
        }
        vid = store.visit_row(u.conn, clinic_id=u.clinic_id(), values=values, actor_id=u.actor.user_id, now=u.now)
        self.report.ids[f"Encounter/{e['id']}"] = f"Encounter/v{vid}"
        if not doc:
            return vid
        v = visit_store.get(u.conn, u.clinic_id(), vid)
        assert v is not None
        if not signed:
            chart_store.add(
                u.conn,
                visit_id=vid,
                revision=1,
                document=doc,
                assessment=assessment,
                kind="draft",
                reason="imported",
                actor_id=u.actor.user_id,
                now=u.now,
            )
            chart_store.set_summary(
                u.conn,
                visit_id=vid,
                expected_version=v["version"],
                values={"revision": 1, **visit_summary(doc, assessment)},
                actor_id=u.actor.user_id,
                now=u.now,
            )
            return vid
        # Signed elsewhere (an earlier system, or a file anyone could have edited): kept as signed there, by
        # whom and when, with what sotchart's own checks say of it; never as having passed sotchart's gate.
        signer_id = self._user(signer_ref) if signer_ref else None
        signer_row = user_store.get(u.conn, signer_id) if signer_id else None
        signer = signer_row["display_name"] if signer_row else signer_ref
        write_signed(
            u,
            v,
            p,
            doc,
            kind="imported",
            reason="",
            status={
                "status": status,
                "signed_at": _named(where, lambda: _moment(record.get("signed_at"))),
                "signed_by": signer_id,
            },
            elsewhere=SignedElsewhere(
                e.get("meta", {}).get("source") or "an earlier system",
                signer,
                str(record.get("signed_at") or ""),
                str(record.get("note") or ""),
            ),
        )
        return vid

    def _questionnaire(self, q: dict[str, Any], score: dict[str, Any] | None, pid: int, visits: dict[str, int]) -> None:
        if score is None:
            raise InvalidInput(
                f"QuestionnaireResponse/{q['id']} has no score Observation derived from it.",
                [FieldProblem(f"QuestionnaireResponse/{q['id']}", "Export again with `sotchart export`.")],
            )
        where = f"QuestionnaireResponse/{q.get('id')}"
        canonical = str(q.get("questionnaire") or "").rsplit("/", 1)[-1]
        instrument, _, version = canonical.partition("|")
        answers = [
            next(iter(item["answer"][0].values())) if item.get("answer") else None for item in q.get("item") or []
        ]
        activities = [item["text"] for item in q.get("item") or [] if item.get("text")]
        scoring = next((x["valueString"] for x in q.get("extension") or [] if x.get("url") == c.SCORING_VERSION), "")
        # Scored again by the instrument, as answers typed in are: an answer out of range, an unknown
        # instrument or a score that does not follow from the answers is refused, named.
        checked = _named(
            where,
            lambda: questionnaires.check_response(
                instrument, answers, activities, str(q.get("authored") or "")[:10], self.u.today()
            ),
        )
        if checked.instrument_version != version or checked.score != score.get("valueQuantity", {}).get("value"):
            raise InvalidInput(
                f"{where}: the score in the file does not follow from its answers by {instrument} version "
                f"{checked.instrument_version}; nothing of this patient was imported."
            )
        new = q_store.add(
            self.u.conn,
            clinic_id=self.u.clinic_id(),
            patient_id=pid,
            visit_id=visits.get((q.get("encounter") or {}).get("reference", "")),
            instrument=instrument,
            instrument_version=version,
            scoring_version=scoring or checked.scoring_version,
            answers=answers,
            activities=checked.activities,
            score=checked.score,
            percent=checked.percent,
            band=checked.band,
            answered_on=checked.answered_on,
            actor_id=self.u.actor.user_id,
            now=self.u.now,
        )
        self.report.ids[f"QuestionnaireResponse/{q['id']}"] = f"QuestionnaireResponse/qr{new}"


def _staff(u: Unit, shared: list[_Line], report: ImportReport) -> dict[str, int]:
    """Each Practitioner as a member of staff of this clinic: matched by email, or added as a clinician who
    cannot sign in until an owner resets their password (the export carries no password)."""
    out: dict[str, int] = {}
    for ln in shared:
        r = ln.resource
        if r["resourceType"] != "Practitioner":
            continue
        email = next(
            (i["value"] for i in r.get("identifier") or [] if i.get("system", "").endswith("/staff-email")), ""
        )
        existing = user_store.by_email(u.conn, email) if email else None
        if existing is not None and existing["clinic_id"] != u.clinic_id():
            raise Conflict(
                f"{ln.where}: the staff email {email} belongs to another clinic on this server; import into a "
                "separate sotchart installation, or rename that account first."
            )
        if existing is not None:
            uid = int(existing["id"])
        else:
            uid = user_store.create(
                u.conn,
                clinic_id=u.clinic_id(),
                email=email or f"imported-{r['id']}@invalid.example",
                display_name=((r.get("name") or [{}])[0]).get("text", r["id"]),
                role="clinician",
                password_hash=passwords.hash_password(secrets.token_urlsafe(32)),
                now=u.now,
            )
            user_store.set_fields(u.conn, uid, u.now, disabled_at=u.now)
        out[f"Practitioner/{r['id']}"] = uid
        report.ids[f"Practitioner/{r['id']}"] = f"Practitioner/u{uid}"
    return out


def import_export(app: App, actor: Actor, path: Path, *, progress: Progress | None = None) -> ImportReport:
    """Read the zip into the actor's clinic: patients whose resources are all valid are imported, each in
    its own transaction; the others are listed in the report with what failed and where."""
    started = time.perf_counter()
    report = ImportReport(path)
    say = progress or (lambda _what, _n: None)
    with unit(app, actor, Action.IMPORT, "import", path.name, read=True):
        pass  # refuse a role without the right before reading anything
    settings = app.settings
    limits = Limits(
        settings.import_max_bytes,
        settings.import_max_line_bytes,
        settings.import_max_files,
        time.monotonic() + settings.import_max_seconds,
    )
    with tempfile.TemporaryDirectory(prefix="sotchart-import-") as tmp:
        index = _index(path, Path(tmp), say, limits)
        shared_problems = index.problems.get("", []) + _dangling(index, index.shared)
        if shared_problems:
            raise InvalidInput(
                f"The export is damaged or its shared resources have problems ({len(shared_problems)}); "
                "nothing was imported.",
                [FieldProblem(p.where, p.message) for p in shared_problems[:50]],
            )
        with unit(app, actor, Action.IMPORT, "import", path.name) as u:
            users = _staff(u, index.shared, report)
            u.audit("import.staff", "clinic", u.clinic_id(), detail=f"{len(users)} practitioner(s) from {path.name}")
        reader = _Reader(index)
        try:
            groups = list(index.groups.items())
            for done, (owner, entries) in enumerate(groups):
                if limits.expired():
                    report.failed.append(
                        Problem(
                            "import",
                            f"stopped after SOTCHART_IMPORT_MAX_SECONDS: {len(groups) - done} patient(s) not "
                            "imported; import the same file again to bring in the rest (the others are kept)",
                        )
                    )
                    break
                _import_patient(app, actor, report, users, index, reader, owner, entries)
                say(owner, len(entries))
        finally:
            reader.close()
    report.seconds = time.perf_counter() - started
    return report


def _import_patient(
    app: App,
    actor: Actor,
    report: ImportReport,
    users: dict[str, int],
    index: _Index,
    reader: _Reader,
    owner: str,
    entries: list[tuple[str, int, int]],
) -> None:
    if owner in index.problems:
        report.failed += index.problems[owner]
        return
    if not any(kind == "Patient" for kind, _n, _o in entries):
        report.failed.append(Problem(owner, "resources name this patient, but the export has no such Patient"))
        return
    lines = reader.lines(entries)
    if dangling := _dangling(index, lines):
        report.failed += dangling
        return
    try:
        with unit(app, actor, Action.IMPORT, "patient", owner) as u:
            _Importer(app, u, report, users).patient(lines)
    except (Conflict, InvalidInput, KeyError, ValueError, IndexError, TypeError, AttributeError) as err:
        # The last five: a resource in a shape no check above foresaw; reported, never a crash.
        detail = err.detail if isinstance(err, Conflict | InvalidInput) else f"{type(err).__name__}: {err}"[:300]
        if isinstance(err, InvalidInput) and err.problems:
            # Each field to fix, as the desk would be told; never the value itself (it may be megabytes).
            detail += " " + "; ".join(f"{pr.field}: {pr.message}" for pr in err.problems)
        report.failed.append(Problem(owner, f"not imported: {detail}"))
