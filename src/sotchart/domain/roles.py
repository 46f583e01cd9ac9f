"""Who may do what: the role × action table that the one authorization layer enforces."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    OWNER = "owner"
    CLINICIAN = "clinician"
    ASSISTANT = "assistant"
    RESEARCHER = "researcher"
    # The operator at the server's console (the CLI); never a signed-in web user.
    SYSTEM = "system"


class Action(StrEnum):
    PATIENT_SEARCH = "patient.search"
    PATIENT_READ = "patient.read"  # opening a chart: always audited
    PATIENT_CREATE = "patient.create"
    PATIENT_UPDATE = "patient.update"
    VISIT_CREATE = "visit.create"
    VISIT_UPDATE = "visit.update"
    VITALS_RECORD = "visit.vitals"  # blood pressure and pulse on a draft, which the desk may take
    VISIT_SIGN = "visit.sign"
    VISIT_MARK_IN_ERROR = "visit.mark-in-error"
    EPISODE_WRITE = "episode.write"
    CALENDAR_READ = "calendar.read"  # the day's and week's appointments, with the patients' names
    APPOINTMENT_WRITE = "appointment.write"  # book, move, cancel, mark a no-show, check in
    CARE_PLAN_WRITE = "care-plan.write"  # set the cadence of an episode's care
    CLINIC_SETTINGS = "clinic.settings"  # opening hours, rooms, appointment types
    ASSESS = "assessment.evaluate"  # run the engine on an exam; reads and writes no record
    ANALYTICS_READ = "analytics.read"  # practice-wide aggregates, no patient named
    DEIDENTIFIED_READ = "research.read"
    USER_MANAGE = "user.manage"
    OWN_ACCOUNT = "account.own"  # one's own account: its second factor's recovery codes
    AUDIT_READ = "audit.read"
    BACKUP = "backup"
    EXPORT = "export"
    IMPORT = "import"  # records brought in from another system's export


# How a refusal names the action to the person refused, in the clinic's words.
ACTION_WORDS: dict[Action, str] = {
    Action.PATIENT_SEARCH: "finding patients",
    Action.PATIENT_READ: "opening a chart",
    Action.PATIENT_CREATE: "registering a patient",
    Action.PATIENT_UPDATE: "changing a patient's details",
    Action.VISIT_CREATE: "starting a visit",
    Action.VITALS_RECORD: "recording blood pressure and pulse",
    Action.VISIT_UPDATE: "charting a visit",
    Action.VISIT_SIGN: "signing a note",
    Action.VISIT_MARK_IN_ERROR: "marking a visit entered in error",
    Action.EPISODE_WRITE: "opening or closing an episode of care",
    Action.CALENDAR_READ: "the calendar",
    Action.APPOINTMENT_WRITE: "booking and changing appointments",
    Action.CARE_PLAN_WRITE: "setting a care plan",
    Action.CLINIC_SETTINGS: "the clinic's settings",
    Action.ASSESS: "running the examination's rules",
    Action.ANALYTICS_READ: "practice analytics",
    Action.DEIDENTIFIED_READ: "the research export",
    Action.USER_MANAGE: "managing staff accounts and script tokens",
    Action.OWN_ACCOUNT: "looking after your own account",
    Action.AUDIT_READ: "reading the audit log",
    Action.BACKUP: "backing up or restoring",
    Action.EXPORT: "exporting records",
    Action.IMPORT: "importing records",
}

_CLINICAL_READ = {Action.PATIENT_SEARCH, Action.PATIENT_READ}
_EVERYONE = {Action.OWN_ACCOUNT}
# What a read-only token may do: look, compute, export; never change a record.
READ_ACTIONS = frozenset(
    {
        *_CLINICAL_READ,
        Action.CALENDAR_READ,
        Action.ANALYTICS_READ,
        Action.DEIDENTIFIED_READ,
        Action.AUDIT_READ,
        Action.ASSESS,
        Action.EXPORT,
    }
)
_FRONT_DESK = (
    _CLINICAL_READ
    | _EVERYONE
    | {
        Action.PATIENT_CREATE,
        Action.PATIENT_UPDATE,
        Action.VISIT_CREATE,
        Action.VITALS_RECORD,
        Action.EPISODE_WRITE,
        Action.CALENDAR_READ,
        Action.APPOINTMENT_WRITE,
    }
)
_CLINICIAN = _FRONT_DESK | {
    Action.VISIT_UPDATE,
    Action.VISIT_SIGN,
    Action.VISIT_MARK_IN_ERROR,
    Action.CARE_PLAN_WRITE,  # the plan is a clinical decision; the desk books from it
    Action.DEIDENTIFIED_READ,
    Action.ASSESS,
    Action.ANALYTICS_READ,
}

PERMISSIONS: dict[Role, frozenset[Action]] = {
    Role.OWNER: frozenset(
        _CLINICIAN
        | {Action.USER_MANAGE, Action.CLINIC_SETTINGS, Action.AUDIT_READ, Action.BACKUP, Action.EXPORT, Action.IMPORT}
    ),
    Role.CLINICIAN: frozenset(_CLINICIAN),
    # Assistants register patients and open visits; clinical entries and signing are the clinician's.
    Role.ASSISTANT: frozenset(_FRONT_DESK),
    # Researchers see de-identified data only: nothing that opens a chart or names a patient.
    Role.RESEARCHER: frozenset({Action.DEIDENTIFIED_READ, Action.ANALYTICS_READ, *_EVERYONE}),
    Role.SYSTEM: frozenset(Action),
}


def allows(role: Role, action: Action) -> bool:
    return action in PERMISSIONS.get(role, frozenset())
