"""The schema as SQLAlchemy Core tables; the migrations build it, `sotchart db check` compares the two."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from sotchart.store.types import UtcDateTime

SEARCH_KEY = String(100).with_variant(String(100, collation="C"), "postgresql")

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


def _who_and_when() -> list[Column[object]]:
    """Every clinical row says who made it and when, and who changed it last and when."""
    return [
        Column("created_at", UtcDateTime, nullable=False),
        Column("created_by", Integer, ForeignKey("app_user.id"), nullable=True),
        Column("updated_at", UtcDateTime, nullable=False),
        Column("updated_by", Integer, ForeignKey("app_user.id"), nullable=True),
    ]


clinic = Table(
    "clinic",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    # IANA zone of the clinic's day; NULL: the installation's SOTCHART_TIME_ZONE.
    Column("time_zone", String(64), nullable=True),
    Column("address", Text, nullable=False, server_default=""),
    Column("phone", String(30), nullable=False, server_default=""),
    # JSON: weekday ("mon"…"sun") → open spans ("08:00-12:00, 14:00-18:00"); NULL: domain's DEFAULT_HOURS.
    Column("opening_hours", Text, nullable=True),
)

app_user = Table(
    "app_user",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("clinic_id", Integer, ForeignKey("clinic.id"), nullable=False, index=True),
    Column("email", String(254), nullable=False, unique=True),
    Column("display_name", String(200), nullable=False),
    # How a signed note names its signer: "DC", "DC, DACBSP"; and the individual NPI (10 digits).
    Column("credentials", String(60), nullable=False, server_default=""),
    Column("npi", String(10), nullable=True),
    Column("role", String(20), nullable=False),
    Column("password_hash", String(200), nullable=False),
    Column("mfa_secret", String(400), nullable=True),  # encrypted with the secret key
    Column("mfa_enrolled_at", UtcDateTime, nullable=True),
    # The 30-second step of the last code accepted: a code is good once, not again within its window.
    Column("mfa_last_step", Integer, nullable=True),
    Column("failed_attempts", Integer, nullable=False, server_default="0"),
    Column("locked_until", UtcDateTime, nullable=True),
    Column("disabled_at", UtcDateTime, nullable=True),
    # A clinician's own hours, as the clinic's opening_hours; NULL: the clinic's.
    Column("working_hours", Text, nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    CheckConstraint("role in ('owner','clinician','assistant','researcher')", name="role"),
)

user_session = Table(
    "user_session",
    metadata,
    Column("id", String(64), primary_key=True),  # SHA-256 of the cookie value, never the value
    Column("user_id", Integer, ForeignKey("app_user.id"), nullable=False, index=True),
    Column("csrf_token", String(64), nullable=False),
    Column("mfa_passed", Boolean, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("last_seen_at", UtcDateTime, nullable=False),
    Column("ended_at", UtcDateTime, nullable=True),
    Column("address", String(64), nullable=False, server_default=""),
    # Wrong second-factor codes in this session: five end it, and each counts towards the account's lockout.
    Column("mfa_failures", Integer, nullable=False, server_default="0"),
    # The secret being set up, encrypted, kept with the session that asked for it until a code confirms it.
    Column("mfa_pending", String(400), nullable=True),
)

# Single-use codes for when the authenticator is lost; only their SHA-256 is kept.
mfa_recovery_code = Table(
    "mfa_recovery_code",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, ForeignKey("app_user.id"), nullable=False, index=True),
    Column("code_hash", String(64), nullable=False, unique=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("used_at", UtcDateTime, nullable=True),
)

# Failed sign-ins counted per address, and per account from one address. An account locks for the address
# its wrong passwords came from, not for everyone (anyone knowing an email could otherwise lock it out);
# an address that fails across many accounts (password spraying) is refused for a while.
sign_in_throttle = Table(
    "sign_in_throttle",
    metadata,
    Column("key", String(120), primary_key=True),  # "address:<ip>" or "account:<user id>:<ip>"
    Column("failures", Integer, nullable=False),
    Column("window_started_at", UtcDateTime, nullable=False),
    Column("blocked_until", UtcDateTime, nullable=True),
)

api_token = Table(
    "api_token",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, ForeignKey("app_user.id"), nullable=False, index=True),
    Column("name", String(100), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("last_used_at", UtcDateTime, nullable=True),
    Column("revoked_at", UtcDateTime, nullable=True),
    # "read" tokens may only read; "write" ones do what the account's role allows.
    Column("scope", String(10), nullable=False, server_default="write"),
    Column("expires_at", UtcDateTime, nullable=True),
)

patient = Table(
    "patient",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("clinic_id", Integer, ForeignKey("clinic.id"), nullable=False),
    Column("chart_number", String(20), nullable=False),
    Column("family_name", String(100), nullable=False),
    Column("given_name", String(100), nullable=False),
    # Binary collation on both databases, so a prefix search is an index range scan.
    Column("family_key", SEARCH_KEY, nullable=False),
    Column("given_key", SEARCH_KEY, nullable=False),
    Column("birth_date", Date, nullable=False),
    Column("sex", String(10), nullable=False),
    Column("phone", String(30), nullable=False, server_default=""),
    Column("email", String(254), nullable=False, server_default=""),
    Column("address", Text, nullable=False, server_default=""),
    Column("external_id", String(64), nullable=False, server_default=""),
    Column("preferred_name", String(100), nullable=False, server_default=""),
    Column("emergency_name", String(200), nullable=False, server_default=""),
    Column("emergency_phone", String(30), nullable=False, server_default=""),
    Column("emergency_relationship", String(50), nullable=False, server_default=""),
    Column("referring_provider", String(200), nullable=False, server_default=""),
    # The phone's digits reversed (so a search by its last digits is an index prefix), and the email folded.
    Column("phone_key", String(20), nullable=False, server_default=""),
    Column("email_key", String(254), nullable=False, server_default=""),
    Column("status", String(20), nullable=False, server_default="active"),
    Column("version", Integer, nullable=False, server_default="1"),
    *_who_and_when(),
    UniqueConstraint("clinic_id", "chart_number", name="uq_patient_chart_number"),
    Index("ix_patient_phone_key", "clinic_id", "phone_key"),
    Index("ix_patient_email_key", "clinic_id", "email_key"),
    Index("ix_patient_family_search", "clinic_id", "family_key", "given_key"),
    Index("ix_patient_given_search", "clinic_id", "given_key"),
    # Birth date, then the order results are listed in: a date-of-birth search needs no sort.
    Index("ix_patient_birth_date", "clinic_id", "birth_date", "family_key", "given_key"),
    Index("ix_patient_external_id", "clinic_id", "external_id"),
)

# A patient's insurance, as the front desk registers it: who pays (in priority order), the member and group
# numbers, and who the subscriber is. Ended, never deleted; billing reads the active ones.
coverage = Table(
    "coverage",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("clinic_id", Integer, ForeignKey("clinic.id"), nullable=False),
    Column("patient_id", Integer, ForeignKey("patient.id"), nullable=False, index=True),
    Column("priority", String(10), nullable=False),  # primary | secondary | tertiary
    Column("payer_name", String(200), nullable=False),
    Column("payer_id", String(30), nullable=False, server_default=""),  # the clearinghouse's payer id
    Column("member_id", String(60), nullable=False),
    Column("group_number", String(60), nullable=False, server_default=""),
    Column("relationship", String(10), nullable=False),  # the patient to the subscriber: self | spouse | child | other
    Column("subscriber_name", String(200), nullable=False, server_default=""),
    Column("subscriber_birth_date", Date, nullable=True),
    Column("start_date", Date, nullable=True),
    Column("end_date", Date, nullable=True),
    Column("status", String(10), nullable=False, server_default="active"),  # active | ended
    Column("version", Integer, nullable=False, server_default="1"),
    *_who_and_when(),
)

patient_alert = Table(
    "patient_alert",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("patient_id", Integer, ForeignKey("patient.id"), nullable=False, index=True),
    Column("kind", String(20), nullable=False),
    Column("text", String(500), nullable=False),
    Column("active", Boolean, nullable=False, server_default="1"),
    *_who_and_when(),
)

episode = Table(
    "episode",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("clinic_id", Integer, ForeignKey("clinic.id"), nullable=False),
    Column("patient_id", Integer, ForeignKey("patient.id"), nullable=False, index=True),
    Column("complaint", String(200), nullable=False),
    Column("start_date", Date, nullable=False),
    Column("end_date", Date, nullable=True),
    Column("status", String(20), nullable=False, server_default="active"),
    *_who_and_when(),
    Index("ix_episode_clinic_start", "clinic_id", "start_date"),
)

visit = Table(
    "visit",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("clinic_id", Integer, ForeignKey("clinic.id"), nullable=False),
    Column("patient_id", Integer, ForeignKey("patient.id"), nullable=False),
    Column("episode_id", Integer, ForeignKey("episode.id"), nullable=True),
    Column("clinician_id", Integer, ForeignKey("app_user.id"), nullable=True),
    Column("visit_date", Date, nullable=False),
    Column("kind", String(20), nullable=False),
    Column("status", String(20), nullable=False, server_default="draft"),
    Column("complaint", String(500), nullable=False, server_default=""),
    Column("note", Text, nullable=False, server_default=""),
    Column("status_reason", String(500), nullable=False, server_default=""),
    Column("signed_at", UtcDateTime, nullable=True),
    Column("signed_by", Integer, ForeignKey("app_user.id"), nullable=True),
    Column("version", Integer, nullable=False, server_default="1"),
    # Summary of the current revision, kept beside the visit so the chart's timeline needs no JSON.
    Column("revision", Integer, nullable=False, server_default="0"),
    Column("category", Integer, nullable=True),
    Column("category_side", String(10), nullable=True),
    Column("pain", Integer, nullable=True),
    Column("safety_action", String(30), nullable=True),
    Column("indicators_pre", Integer, nullable=True),
    Column("indicators_post", Integer, nullable=True),
    # Of the positive pre-treatment indicators: how many were rechecked, and how many were then normal.
    Column("indicators_rechecked", Integer, nullable=True),
    Column("indicators_cleared", Integer, nullable=True),
    *_who_and_when(),
    Index("ix_visit_patient_date", "patient_id", "visit_date", "id"),
    Index("ix_visit_clinic_date", "clinic_id", "visit_date"),
    Index("ix_visit_episode", "episode_id", "visit_date"),
)

# Every save of a visit's clinical record is a new revision: drafts autosave into it, a signed note is
# the revision it was signed at, an amendment is a later revision with its reason. Rows never change.
visit_revision = Table(
    "visit_revision",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("visit_id", Integer, ForeignKey("visit.id"), nullable=False),
    Column("revision", Integer, nullable=False),
    Column("document", Text, nullable=False),  # the visit record as JSON
    Column("assessment", Text, nullable=False),  # the engine's answer for that record, as JSON
    Column("kind", String(20), nullable=False),  # draft | signed | amendment
    Column("reason", String(500), nullable=False, server_default=""),
    Column("created_at", UtcDateTime, nullable=False),
    Column("created_by", Integer, ForeignKey("app_user.id"), nullable=True),
    UniqueConstraint("visit_id", "revision", name="uq_visit_revision"),
)

# The signed findings, one row each, for charts, analytics and export; written once per signed revision.
visit_finding = Table(
    "visit_finding",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("clinic_id", Integer, ForeignKey("clinic.id"), nullable=False),
    Column("patient_id", Integer, ForeignKey("patient.id"), nullable=False),
    Column("visit_id", Integer, ForeignKey("visit.id"), nullable=False),
    Column("revision", Integer, nullable=False),
    Column("phase", String(4), nullable=False),
    Column("code", String(50), nullable=False),
    Column("value", String(50), nullable=False),
    Column("side", String(10), nullable=True),
    Column("location", String(20), nullable=True),
    Column("grade", Integer, nullable=True),
    Column("mm", Integer, nullable=True),  # tenths of a millimetre
    Column("region", String(20), nullable=True),
    Column("level", String(5), nullable=True),
    Column("line", Integer, nullable=True),
    Column("area", Integer, nullable=True),
    Column("point", String(10), nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    # sotchart.domain.findings.identity_key: a recheck shares its pre-treatment finding's key.
    Column("finding_key", String(200), nullable=True),
    Index("ix_visit_finding_visit", "visit_id", "revision"),
    Index("ix_visit_finding_clinic_code", "clinic_id", "code", "phase"),
    Index("ix_visit_finding_key", "visit_id", "revision", "finding_key"),
)

# The kinds of care given at a signed revision (pack procedure codes), one row each, for analytics.
visit_treatment = Table(
    "visit_treatment",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("clinic_id", Integer, ForeignKey("clinic.id"), nullable=False),
    Column("visit_id", Integer, ForeignKey("visit.id"), nullable=False),
    Column("revision", Integer, nullable=False),
    Column("kind", String(50), nullable=False),
    Index("ix_visit_treatment_visit", "visit_id", "revision"),
)

# Practice analytics, counted per clinic and calendar month (YYYY-MM) so a dashboard over a million
# visits reads thousands of rows. Derived from the signed visits and rebuilt whenever a month changes:
# not a clinical record, so a month's rows are replaced, never amended.
outcome_month = Table(
    "outcome_month",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("clinic_id", Integer, ForeignKey("clinic.id"), nullable=False),
    Column("month", String(7), nullable=False),
    Column("clinician_id", Integer, nullable=False),  # 0 when the visit names no clinician
    Column("complaint", String(500), nullable=False),
    Column("measure", String(20), nullable=False),
    Column("key1", String(60), nullable=False),
    Column("key2", String(60), nullable=False),
    Column("n", Integer, nullable=False),
    Index("ix_outcome_month_measure", "clinic_id", "measure", "month"),
)

# A month's counts were built at `built_at` (no row: never counted).
outcome_month_state = Table(
    "outcome_month_state",
    metadata,
    Column("clinic_id", Integer, ForeignKey("clinic.id"), primary_key=True),
    Column("month", String(7), primary_key=True),
    Column("built_at", UtcDateTime, nullable=True),
)

# A change that moves a month's counts, one row per signing (inserted, never updated, so signings of one
# clinic's month never wait on one another for a shared row); the rebuild that counts it removes it.
outcome_month_change = Table(
    "outcome_month_change",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("clinic_id", Integer, ForeignKey("clinic.id"), nullable=False),
    Column("month", String(7), nullable=False),
    Index("ix_outcome_month_change", "clinic_id", "month"),
)

# An examination of the patient at a visit by a second (third, ...) examiner, recorded blind to the
# first: the indicators they found before treatment and the category they would assign. Examiner
# agreement compares these with the visit's own signed findings. Rows never change.
examination = Table(
    "examination",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("clinic_id", Integer, ForeignKey("clinic.id"), nullable=False),
    Column("patient_id", Integer, ForeignKey("patient.id"), nullable=False),
    Column("visit_id", Integer, ForeignKey("visit.id"), nullable=False),
    Column("examiner_id", Integer, ForeignKey("app_user.id"), nullable=False),
    Column("findings", Text, nullable=False),  # JSON: pre-treatment findings, as in the visit record
    Column("category", Integer, nullable=True),
    Column("category_side", String(10), nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Index("ix_examination_visit", "visit_id", "examiner_id"),
    Index("ix_examination_clinic", "clinic_id", "created_at"),
)

# A questionnaire as the patient answered it (raw answers, instrument and scoring versions) with its
# score, band and percent: the observation the charts, reports and analytics read. Never changed.
questionnaire_response = Table(
    "questionnaire_response",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("clinic_id", Integer, ForeignKey("clinic.id"), nullable=False),
    Column("patient_id", Integer, ForeignKey("patient.id"), nullable=False),
    Column("visit_id", Integer, ForeignKey("visit.id"), nullable=True),
    Column("instrument", String(20), nullable=False),
    Column("instrument_version", String(20), nullable=False),
    Column("scoring_version", String(20), nullable=False),
    Column("answers", Text, nullable=False),  # JSON, in item order, null for a skipped item
    Column("activities", Text, nullable=False, server_default="[]"),  # PSFS: the activities rated
    Column("score", Float, nullable=False),
    Column("percent", Float, nullable=True),
    Column("band", String(50), nullable=True),
    Column("answered_on", Date, nullable=False),
    Column("status", String(20), nullable=False, server_default="completed"),
    Column("created_at", UtcDateTime, nullable=False),
    Column("created_by", Integer, ForeignKey("app_user.id"), nullable=True),
    Index("ix_questionnaire_patient", "patient_id", "instrument", "answered_on"),
    Index("ix_questionnaire_clinic", "clinic_id", "instrument", "answered_on"),
)

# A tablet handed to a patient to fill questionnaires: the link's token (hashed) lets it do that and
# nothing else, for one patient, until it is used or expires.
kiosk_session = Table(
    "kiosk_session",
    metadata,
    Column("id", String(64), primary_key=True),  # random; older rows: the SHA-256 of their link's token
    Column("clinic_id", Integer, ForeignKey("clinic.id"), nullable=False),
    Column("patient_id", Integer, ForeignKey("patient.id"), nullable=False),
    Column("opened_by", Integer, ForeignKey("app_user.id"), nullable=False),
    Column("instruments", String(200), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("ended_at", UtcDateTime, nullable=True),
    # The tablet's own device session: the desk shows a short code (and its QR); the tablet that types it
    # first gets a device cookie (only its SHA-256 is kept here) and the code is spent.
    Column("task", String(20), nullable=False, server_default="questionnaires"),
    Column("appointment_id", Integer, ForeignKey("appointment.id"), nullable=True),
    Column("code_hash", String(64), nullable=True),
    Column("code_expires_at", UtcDateTime, nullable=True),
    Column("device_hash", String(64), nullable=True),
    Column("claimed_at", UtcDateTime, nullable=True),
    Column("progress", Text, nullable=True),  # JSON: the answers so far, kept until the patient sends them
    Column("outcome", String(20), nullable=False, server_default=""),  # sent | ended-at-desk | ""
    Index("uq_kiosk_session_code_hash", "code_hash", unique=True),
    Index("uq_kiosk_session_device_hash", "device_hash", unique=True),
)

# What a patient gave on the tablet (history in their words, answers to the red-flag questions, consent with
# its signature), kept as given: the clinician reviews it and takes it into the visit; nothing here is ever
# changed but the review, and nothing is deleted.
patient_intake = Table(
    "patient_intake",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("clinic_id", Integer, ForeignKey("clinic.id"), nullable=False),
    Column("patient_id", Integer, ForeignKey("patient.id"), nullable=False, index=True),
    Column("appointment_id", Integer, ForeignKey("appointment.id"), nullable=True),
    Column("kiosk_session_id", String(64), ForeignKey("kiosk_session.id"), nullable=False),
    Column("submitted_at", UtcDateTime, nullable=False),
    Column("answers", Text, nullable=False),  # JSON: {"history": {key: text}, "screen": {code: yes|no|unsure}}
    Column("consent_text", Text, nullable=True),  # the words the patient agreed to, exactly as shown
    Column("consent_sha256", String(64), nullable=True),
    Column("consent_name", String(200), nullable=False, server_default=""),  # the name typed under it
    Column("consent_signature", LargeBinary, nullable=True),  # the drawn signature, PNG
    Column("reviewed_by", Integer, ForeignKey("app_user.id"), nullable=True),
    Column("reviewed_at", UtcDateTime, nullable=True),
    Column("visit_id", Integer, ForeignKey("visit.id"), nullable=True),  # the visit it was taken into
)

# The clinic's treatment rooms, which the calendar books beside the clinician.
room = Table(
    "room",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("clinic_id", Integer, ForeignKey("clinic.id"), nullable=False),
    Column("name", String(60), nullable=False),
    Column("active", Boolean, nullable=False, server_default="1"),
    Column("created_at", UtcDateTime, nullable=False),
    UniqueConstraint("clinic_id", "name", name="uq_room_name"),
)

# What an appointment is for (new patient, follow-up, re-examination, ...), its length and calendar colour.
# Each clinic has its own rows, starting from domain/appointments.DEFAULT_TYPES; a code is never reused.
appointment_type = Table(
    "appointment_type",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("clinic_id", Integer, ForeignKey("clinic.id"), nullable=False),
    Column("code", String(30), nullable=False),
    Column("name", String(60), nullable=False),
    Column("minutes", Integer, nullable=False),
    Column("colour", String(7), nullable=False),
    Column("visit_kind", String(20), nullable=False),
    Column("active", Boolean, nullable=False, server_default="1"),
    UniqueConstraint("clinic_id", "code", name="uq_appointment_type_code"),
)

# The cadence of care the clinician planned for an episode (the plan's text, as in the intake, and the
# re-exam interval); the calendar books its series from it and Today counts the patient's way through it.
care_plan = Table(
    "care_plan",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("clinic_id", Integer, ForeignKey("clinic.id"), nullable=False),
    Column("patient_id", Integer, ForeignKey("patient.id"), nullable=False),
    Column("episode_id", Integer, ForeignKey("episode.id"), nullable=False),
    Column("frequency", String(200), nullable=False),  # "3 a week for 4 weeks, then 2 a week for 4 weeks"
    Column("reexam_every", Integer, nullable=True),
    Column("start_date", Date, nullable=False),
    Column("status", String(20), nullable=False, server_default="active"),  # active | ended
    Column("version", Integer, nullable=False, server_default="1"),
    *_who_and_when(),
    Index("ix_care_plan_episode", "episode_id", "start_date"),
)

# A booked time with a clinician (and a room) for a patient. Never deleted: a cancellation or a no-show is
# a status with its reason; a move keeps the row and leaves its trail in the audit log.
appointment = Table(
    "appointment",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("clinic_id", Integer, ForeignKey("clinic.id"), nullable=False),
    Column("patient_id", Integer, ForeignKey("patient.id"), nullable=False),
    Column("clinician_id", Integer, ForeignKey("app_user.id"), nullable=False),
    Column("room_id", Integer, ForeignKey("room.id"), nullable=True),
    Column("type_id", Integer, ForeignKey("appointment_type.id"), nullable=False),
    Column("episode_id", Integer, ForeignKey("episode.id"), nullable=True),
    Column("care_plan_id", Integer, ForeignKey("care_plan.id"), nullable=True),
    Column("plan_number", Integer, nullable=True),  # which visit of the plan's series it is
    Column("starts_at", UtcDateTime, nullable=False),
    Column("ends_at", UtcDateTime, nullable=False),
    Column("status", String(20), nullable=False, server_default="booked"),
    Column("status_reason", String(300), nullable=False, server_default=""),
    Column("arrived_at", UtcDateTime, nullable=True),
    Column("visit_id", Integer, ForeignKey("visit.id"), nullable=True),
    Column("note", String(300), nullable=False, server_default=""),
    Column("version", Integer, nullable=False, server_default="1"),
    *_who_and_when(),
    CheckConstraint(
        "status in ('booked','arrived','in-room','with-clinician','done','cancelled','no-show')", name="status"
    ),
    Index("ix_appointment_clinic_starts", "clinic_id", "starts_at"),
    Index("ix_appointment_clinician_starts", "clinician_id", "starts_at"),
    Index("ix_appointment_patient_starts", "patient_id", "starts_at"),
    Index("ix_appointment_plan", "care_plan_id", "plan_number"),
)

# A clinician's calendar feed: the address's token is the key (only its SHA-256 is kept), one live each.
calendar_feed = Table(
    "calendar_feed",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("clinic_id", Integer, ForeignKey("clinic.id"), nullable=False),
    Column("user_id", Integer, ForeignKey("app_user.id"), nullable=False, index=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("revoked_at", UtcDateTime, nullable=True),
)

# The clinic's own mail server, through which appointment confirmations and reminders go.
clinic_mail = Table(
    "clinic_mail",
    metadata,
    Column("clinic_id", Integer, ForeignKey("clinic.id"), primary_key=True, autoincrement=False),
    Column("host", String(200), nullable=False),
    Column("port", Integer, nullable=False),
    Column("security", String(10), nullable=False),  # starttls | ssl | none
    Column("username", String(200), nullable=False, server_default=""),
    Column("password", String(600), nullable=True),  # encrypted with the secret key
    Column("sender", String(254), nullable=False),
    Column("reminder_hours", Integer, nullable=False, server_default="24"),
    Column("updated_at", UtcDateTime, nullable=False),
)

# The outbox of messages to patients about their appointments, written with the booking: pending →
# sending (claimed by one sender) → sent, or back to pending with its error, failed after five tries, or
# cancelled when the appointment is. Kept, as a record of what the patient was told and when.
appointment_message = Table(
    "appointment_message",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("clinic_id", Integer, ForeignKey("clinic.id"), nullable=False),
    Column("appointment_id", Integer, ForeignKey("appointment.id"), nullable=False, index=True),
    Column("kind", String(20), nullable=False),  # confirmation | reminder
    Column("channel", String(10), nullable=False),  # email (text messages: a provider behind TextProvider)
    Column("recipient", String(254), nullable=False),
    Column("due_at", UtcDateTime, nullable=False),
    Column("status", String(10), nullable=False),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("last_error", String(300), nullable=False, server_default=""),
    Column("claimed_at", UtcDateTime, nullable=True),
    Column("sent_at", UtcDateTime, nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Index("ix_appointment_message_due", "status", "due_at"),
)

audit_event = Table(
    "audit_event",
    metadata,
    # A chain per clinic (0: no clinic, and entries from before the split); seq counts within the chain.
    Column("chain", Integer, primary_key=True, autoincrement=False, server_default="0"),
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("at", String(40), nullable=False),  # ISO text, hashed exactly as stored
    Column("clinic_id", Integer, nullable=True),
    Column("actor_id", Integer, nullable=True),
    Column("actor_label", String(254), nullable=False),
    Column("action", String(50), nullable=False),
    Column("record_type", String(30), nullable=False),
    Column("record_id", String(40), nullable=False),
    Column("patient_id", Integer, nullable=True),
    Column("outcome", String(20), nullable=False),
    Column("address", String(64), nullable=False),
    Column("detail", String(500), nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    # The seal: HMAC-SHA256 with the audit key, which is kept outside the database (domain/audit.py).
    Column("mac", String(64), nullable=True),
    Index("ix_audit_patient_at", "patient_id", "at"),
    Index("ix_audit_clinic_at", "clinic_id", "at"),
)

# Each chain's newest entry, updated in the same transaction as every append: it serialises one clinic's
# appends (not other clinics') and lets `audit verify` notice when the newest entries were cut off.
audit_head = Table(
    "audit_head",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),  # the chain
    Column("seq", Integer, nullable=False),
    Column("hash", String(64), nullable=False),
    Column("mac", String(64), nullable=True),
)

CLINICAL_TABLES = ("clinic", "patient", "patient_alert", "episode", "visit", "care_plan", "appointment")
