"""Every setting sotchart reads, declared once with its default and help text (docs/settings.md lists them)."""

from __future__ import annotations

import ipaddress
import secrets
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PLACEHOLDER_SECRETS = {"", "changeme", "change-me", "secret", "dev"}
MIN_SECRET_LENGTH = 32
ROLES = ("owner", "clinician", "assistant", "researcher")


class Settings(BaseSettings):
    """Read from `SOTCHART_*` environment variables; each field's description is its documentation."""

    model_config = SettingsConfigDict(env_prefix="SOTCHART_", extra="ignore")

    environment: Literal["development", "production", "test"] = Field(
        "development",
        description="`production` refuses to start with a missing or placeholder secret key.",
    )
    data_dir: Path = Field(
        Path("./data"),
        description="Folder for the SQLite database, the generated secret key and backups.",
    )
    database_url: str | None = Field(
        None,
        description="SQLAlchemy URL of the database. Unset: SQLite in the data folder. "
        "PostgreSQL: `postgresql+psycopg://user:password@host/dbname`.",
    )
    secret_key: str | None = Field(
        None,
        description="Key that protects second-factor secrets. Unset in development: generated once "
        "and kept in the data folder. Required in production.",
    )
    session_idle_minutes: int = Field(
        15, ge=1, le=720, description="Minutes without a request after which a signed-in session ends."
    )
    session_max_hours: int = Field(
        12, ge=1, le=72, description="Hours after sign-in after which a session ends however active it is."
    )
    lockout_attempts: int = Field(
        5,
        ge=3,
        le=10,
        description="Failed sign-ins in a row that lock an account (at most 10): for the address the wrong "
        "passwords came from, and for every address when they were wrong second-factor codes.",
    )
    lockout_minutes: int = Field(
        15, ge=1, le=1440, description="Minutes an account stays locked after too many failed sign-ins."
    )
    address_attempts: int = Field(
        20,
        ge=5,
        le=1000,
        description="Failed sign-ins from one address, to any accounts, within the lockout minutes after which "
        "that address is refused for the lockout minutes (against password spraying). Behind a proxy this "
        "needs SOTCHART_TRUSTED_PROXIES, or every client shares the proxy's address.",
    )
    mfa_required_roles: str = Field(
        "owner",
        description="Comma-separated roles that must use a second factor (TOTP) to sign in. Owners always must.",
    )
    cookie_secure: bool | None = Field(
        None,
        description="Send the session cookie only over HTTPS, and HSTS with every answer. Default: on in "
        "production (behind a TLS proxy), off otherwise; set false only to try production settings over HTTP.",
    )
    public_url: str | None = Field(
        None,
        description="The address clinicians and FHIR clients use (https://sotchart.clinic.example). Links the "
        "server writes (FHIR bundles) use it; in production without it, the server's own host and port are "
        "used, never the Host header a client sent.",
    )
    trusted_proxies: str = Field(
        "",
        description="Comma-separated addresses or networks of the TLS proxies in front (127.0.0.1, 10.0.0.0/24). "
        "From these alone X-Forwarded-For and X-Forwarded-Proto are believed, so the audit log and the sign-in "
        "throttle see the client's address rather than the proxy's; a client elsewhere cannot choose its own.",
    )
    max_body_bytes: int = Field(
        1_000_000, ge=10_000, description="Largest request body accepted, in bytes; larger gets 413."
    )
    max_active_requests: int = Field(
        8,
        ge=1,
        le=200,
        description="Requests a worker handles at once; more wait their turn. The database pool holds a few "
        "more connections than this.",
    )
    max_queued_requests: int = Field(
        64,
        ge=0,
        le=10_000,
        description="Requests a worker lets wait for their turn; past this it answers 503 with Retry-After "
        "at once (new visits and registrations first, once the queue is half full).",
    )
    queue_wait_seconds: float = Field(
        0.1,
        gt=0,
        le=60,
        description="Longest a request waits for its turn before it is answered 503 with Retry-After, "
        "unchanged; clients may send it again.",
    )
    host: str = Field("127.0.0.1", description="Address `sotchart serve` listens on.")
    port: int = Field(8000, ge=1, le=65535, description="Port `sotchart serve` listens on.")
    workers: int = Field(1, ge=1, le=64, description="Server worker processes for `sotchart serve`.")
    bp_crisis_systolic: int | None = Field(
        None,
        ge=120,
        le=260,
        description="Systolic reading above which the safety gate stops treatment (recheck after rest, refer). "
        "Unset: the protocol pack's value (180, ACC/AHA).",
    )
    bp_crisis_diastolic: int | None = Field(
        None,
        ge=80,
        le=160,
        description="Diastolic reading above which the safety gate stops treatment. Unset: the pack's value (120).",
    )
    questionnaire_text_file: Path | None = Field(
        None,
        description="JSON file with the item text of licensed questionnaires (ODI, NDI, Bournemouth, HIT-6) that "
        "the clinic holds a licence for. Without it those are scored but not offered on the kiosk.",
    )
    fee_schedule_file: Path | None = Field(
        None,
        description='JSON file of the clinic\'s own fees by code, e.g. {"98940": 45.00}, printed on superbills. '
        "sotchart ships no fees and no CPT descriptor text.",
    )
    kiosk_minutes: int = Field(
        30,
        ge=5,
        le=240,
        description="Minutes a tablet handed to a patient stays open (its code is good for ten of them).",
    )
    audit_anchor_file: Path | None = Field(
        None,
        description="File outside the database where the audit log's newest seal is written after every "
        "commit, so `audit verify` can tell that no newest entries were cut off. Default: audit-anchor in the "
        "data folder; put it on another disk or a host-mounted folder the database's users cannot write.",
    )
    import_max_bytes: int = Field(
        2 * 1024**3,
        ge=1024**2,
        description="Most bytes an import may unpack in all (a zip that claims less but unpacks more stops there).",
    )
    import_max_line_bytes: int = Field(
        8 * 1024**2, ge=64 * 1024, description="Longest NDJSON line (one resource) an import reads."
    )
    import_max_files: int = Field(500, ge=10, description="Most files an import's zip may hold.")
    import_max_seconds: int = Field(
        3600, ge=60, description="An import stops after this long, reporting which patients it brought in."
    )
    reminder_interval_seconds: int = Field(
        60,
        ge=0,
        le=3600,
        description="How often each server sends the appointment confirmations and reminders that are due "
        "(through the clinic's own mail server, set on its Settings page); 0: not at all (run "
        "`sotchart reminders send` from cron instead).",
    )
    page_size: int = Field(50, ge=10, le=500, description="Rows per page in lists such as a patient's visits.")
    time_zone: str = Field(
        "America/New_York",
        description="The clinic's IANA time zone (e.g. America/Chicago): dates of service, Today's list and "
        "the clinic's day are in it, so an evening visit keeps its own date. A clinic may have its own.",
    )

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as err:
            raise ValueError(f"'{value}' is not an IANA time zone; use a name such as America/Chicago") from err
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _addresses(cls, value: str) -> str:
        parts = [p.strip() for p in value.split(",") if p.strip()]
        for part in parts:
            try:
                ipaddress.ip_network(part, strict=False)
            except ValueError as err:
                raise ValueError(f"'{part}' is not an address or network (e.g. 127.0.0.1 or 10.0.0.0/24)") from err
        return ",".join(parts)

    @field_validator("mfa_required_roles")
    @classmethod
    def _known_roles(cls, value: str) -> str:
        roles = {r.strip() for r in value.split(",") if r.strip()}
        unknown = roles - set(ROLES)
        if unknown:
            raise ValueError(f"unknown role(s) {sorted(unknown)}; use some of {', '.join(ROLES)}")
        return ",".join(sorted(roles | {"owner"}))

    @model_validator(mode="after")
    def _production_needs_a_secret(self) -> Settings:
        key = (self.secret_key or "").strip()
        if self.environment == "production" and (key in PLACEHOLDER_SECRETS or len(key) < MIN_SECRET_LENGTH):
            # It keys the audit log's seals and encrypts second-factor secrets: a short one can be guessed.
            raise ValueError(
                f"SOTCHART_SECRET_KEY must be a random value of at least {MIN_SECRET_LENGTH} characters in "
                "production, e.g. from `python -c 'import secrets; print(secrets.token_urlsafe(48))'`"
            )
        return self

    @property
    def secure_cookies(self) -> bool:
        return self.cookie_secure if self.cookie_secure is not None else self.environment == "production"

    @property
    def proxies(self) -> list[str]:
        return [p for p in self.trusted_proxies.split(",") if p]

    @property
    def mfa_roles(self) -> frozenset[str]:
        return frozenset(self.mfa_required_roles.split(","))

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'sotchart.db').resolve()}"

    @property
    def resolved_audit_anchor(self) -> Path:
        return self.audit_anchor_file or self.data_dir / "audit-anchor"

    def resolved_secret_key(self) -> str:
        """The configured key, or in development one generated once and kept beside the database."""
        if self.secret_key:
            return self.secret_key
        key_file = self.data_dir / "secret_key"
        if key_file.exists():
            return key_file.read_text().strip()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        key_file.write_text(key)
        key_file.chmod(0o600)
        return key
