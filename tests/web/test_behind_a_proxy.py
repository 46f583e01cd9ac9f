"""sotchart behind the TLS proxies docs/deploy/ configures, run as written (only ports and paths changed):
the audit log and the sign-in throttle see the client's address, not the proxy's; a client cannot choose
its own address by sending X-Forwarded-For, through the proxy or around it; cookies are Secure and HSTS
is sent over the proxy's TLS. Once every audit entry behind a proxy recorded the proxy's address."""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx2 as httpx
import pytest
from bs4 import BeautifulSoup
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from sotchart.services.context import App
from sotchart.store import audit as audit_store
from tests import factories
from tests.support.server import ServerProcess, free_port

DEPLOY = Path(__file__).parents[2] / "docs" / "deploy"
CLIENT = "127.0.0.2"  # the clinic's browser: loopback has all of 127/8, so it has an address of its own
FORGED = "203.0.113.66"


def _certificate(folder: Path) -> tuple[Path, Path, Path]:
    """A self-signed certificate for 127.0.0.1: the chain, the key, and both in one file (HAProxy's way)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sotchart.test")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .sign(key, hashes.SHA256())
    )
    chain, private = folder / "fullchain.pem", folder / "privkey.pem"
    chain.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    private.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    both = folder / "sotchart.pem"
    both.write_bytes(chain.read_bytes() + private.read_bytes())
    return chain, private, both


def deploy_config(name: str, replacements: tuple[tuple[str, str], ...], dest: Path) -> Path:
    """docs/deploy/<name> as written, with only the given ports, addresses and paths replaced."""
    conf = (DEPLOY / name).read_text()
    for old, new in replacements:
        assert old in conf, f"docs/deploy/{name} no longer has {old!r}"
        conf = conf.replace(old, new)
    dest.write_text(conf)
    return dest


def _nginx(folder: Path, app_port: int, tls: int, plain: int) -> list[str]:
    chain, private, _ = _certificate(folder)
    replacements = (
        ("user www-data;", "user root;"),
        ("/run/nginx-sotchart.pid", str(folder / "nginx.pid")),
        ("/var/log/nginx/sotchart-error.log", str(folder / "error.log")),
        ("/var/log/nginx/sotchart-access.log", str(folder / "access.log")),
        ("server 127.0.0.1:8000;", f"server 127.0.0.1:{app_port};"),
        ("listen 443 ssl;", f"listen 127.0.0.1:{tls} ssl;"),
        ("listen 80;", f"listen 127.0.0.1:{plain};"),
        ("/etc/ssl/sotchart/fullchain.pem", str(chain)),
        ("/etc/ssl/sotchart/privkey.pem", str(private)),
    )
    conf = deploy_config("nginx.conf", replacements, folder / "nginx.conf")
    return [_program("nginx"), "-p", str(folder), "-c", str(conf), "-g", "daemon off;"]


def _haproxy(folder: Path, app_port: int, tls: int, plain: int) -> list[str]:
    _, _, both = _certificate(folder)
    replacements = (
        ("bind :443 ssl crt /etc/ssl/sotchart/sotchart.pem", f"bind 127.0.0.1:{tls} ssl crt {both}"),
        ("bind :80", f"bind 127.0.0.1:{plain}"),
        ("server app1 127.0.0.1:8000 check", f"server app1 127.0.0.1:{app_port} check"),
    )
    return [_program("haproxy"), "-db", "-f", str(deploy_config("haproxy.cfg", replacements, folder / "haproxy.cfg"))]


def _program(name: str) -> str:
    """Debian puts the daemons in /usr/sbin, which a non-root PATH may lack."""
    found = shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/local/sbin")
    assert found, f"{name} is not installed: .ci/system-deps installs it"
    return found


PROXIES = {"nginx": _nginx, "haproxy": _haproxy}


@pytest.fixture(params=sorted(PROXIES))
def behind_a_proxy(request: pytest.FixtureRequest, app: App, tmp_path: Path) -> Iterator[tuple[str, str, str]]:
    """(the proxy's https URL, its plain http URL, the app's own URL)."""
    kind = str(request.param)
    server = ServerProcess(app, SOTCHART_TRUSTED_PROXIES="127.0.0.1", SOTCHART_COOKIE_SECURE="true")
    tls, plain = free_port(), free_port()
    folder = tmp_path / kind
    folder.mkdir()
    log = (folder / "stderr.log").open("w")
    proc = subprocess.Popen(PROXIES[kind](folder, server.port, tls, plain), stdout=log, stderr=log)
    url = f"https://127.0.0.1:{tls}"
    try:
        wait_for_proxy(url, proc, kind, folder / "stderr.log")
        yield url, f"http://127.0.0.1:{plain}", server.url
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        log.close()
        server.stop()


def wait_for_proxy(url: str, proc: subprocess.Popen[bytes], kind: str, log: Path) -> None:
    """Until the proxy answers its own /healthz through TLS (30 s at most), failing with its log if it exits."""
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(url + "/healthz", verify=False, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        assert proc.poll() is None, log.read_text()
        assert time.monotonic() < deadline, f"{kind} did not answer in 30 s"
        time.sleep(0.2)


def _from(address: str, base: str) -> httpx.Client:
    return httpx.Client(
        base_url=base, transport=httpx.HTTPTransport(local_address=address, verify=False), verify=False, timeout=10
    )


def _sign_in(client: httpx.Client, email: str, password: str) -> httpx.Response:
    form = BeautifulSoup(client.get("/sign-in").text, "html.parser")
    pre = str(form.select_one("input[name=pre_token]")["value"])  # type: ignore[index]
    return client.post(
        "/sign-in",
        data={"email": email, "password": password, "pre_token": pre, "next": "/"},
        headers={"X-Forwarded-For": FORGED},
    )


def _newest_sign_in(app: App, email: str) -> tuple[str, str]:
    with app.db.read() as conn:
        entries = [e for e in audit_store.iter_entries(conn) if e.action == "sign-in" and e.actor_label == email]
    return entries[-1].outcome, entries[-1].address


def test_the_audit_and_the_throttle_see_the_client_not_the_proxy(app: App, behind_a_proxy) -> None:  # type: ignore[no-untyped-def]
    url, plain, direct = behind_a_proxy
    c = factories.clinic_with_staff(app)
    email = c.emails["clinician"]
    with _from(CLIENT, url) as browser:
        assert _sign_in(browser, email, "not-the-password").status_code == 401
        assert _newest_sign_in(app, email) == ("failure", CLIENT)
        signed_in = _sign_in(browser, email, factories.PASSWORD)
    assert signed_in.status_code == 303
    assert _newest_sign_in(app, email) == ("success", CLIENT)
    cookie = next(h for h in signed_in.headers.get_list("set-cookie") if h.startswith("sotchart_session="))
    assert re.search(r";\s*Secure", cookie), cookie
    assert signed_in.headers["strict-transport-security"].startswith("max-age=")
    # Around the proxy, X-Forwarded-For from an address not trusted is not believed.
    with _from("127.0.0.3", direct) as around:
        assert _sign_in(around, email, "not-the-password").status_code == 401
    assert _newest_sign_in(app, email) == ("failure", "127.0.0.3")
    # Plain HTTP to the proxy is sent to HTTPS.
    moved = httpx.get(plain + "/patients", follow_redirects=False, timeout=10)
    assert moved.status_code == 301 and moved.headers["location"].startswith("https://")
