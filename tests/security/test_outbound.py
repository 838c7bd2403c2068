"""Outbound requests (alert webhooks, CI notifications): SSRF attacks through the URL a member saves.

Every attack here is performed for real: URLs that name internal addresses in every spelling, a member's
API call saving one, deliveries to a real HTTP server on 127.0.0.1 that redirects, answers errors with
secrets in its reason phrase and body, or is not HTTP at all. Only name resolution is replaced (there is no
DNS in the test environment), by patching ``socket.getaddrinfo`` for names the tests invent.
"""

from __future__ import annotations

import datetime as dt
import socket
import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from shipyard.ci import notify
from shipyard.config import env
from shipyard.core import outbound
from shipyard.monitoring import alerts, reference
from shipyard.monitoring.models import Alert, MonitorConfig
from tests.monitoring.conftest import make_setup

SECRET = "REMOTE-SECRET-7f3a"

REFUSED_INTERNAL = [
    # IPv4 ranges
    "http://127.0.0.1:6379/",
    "http://127.8.9.10/",
    "http://10.1.2.3/",
    "http://172.16.0.1/",
    "http://172.31.255.254/",
    "http://192.168.0.1/",
    "http://169.254.1.1/",  # link-local
    "http://100.64.0.1/",  # shared address space (carrier NAT)
    "http://0.0.0.0:8000/",  # unspecified
    "http://224.0.0.1/",  # multicast
    "http://239.255.255.250:1900/",  # multicast (SSDP)
    "http://240.0.0.1/",  # reserved
    "http://255.255.255.255/",  # broadcast
    "http://192.0.2.1/",  # documentation
    "http://198.18.0.1/",  # benchmarking
    # decimal, hex, octal and short IPv4 spellings of 127.0.0.1
    "http://2130706433/",
    "http://0x7f000001/",
    "http://0x7f.1/",
    "http://0177.0.0.1/",
    "http://017700000001/",
    "http://127.1/",
    "http://127.0.0.1./",
    # IPv6 ranges
    "http://[::1]:6379/",
    "http://[::]/",
    "http://[fe80::1]/",  # link-local
    "http://[fc00::1]/",  # unique-local
    "http://[fd12:3456::1]/",  # unique-local
    "http://[fec0::1]/",  # site-local (deprecated)
    "http://[ff02::1]/",  # multicast
    "http://[2001:db8::1]/",  # documentation
    # IPv4 inside IPv6
    "http://[::ffff:127.0.0.1]/",  # IPv4-mapped
    "http://[::ffff:7f00:1]/",  # IPv4-mapped, hex
    "http://[::ffff:10.0.0.1]/",
    "http://[::127.0.0.1]/",  # IPv4-compatible
    "http://[64:ff9b::7f00:1]/",  # NAT64
    "http://[2002:7f00:1::1]/",  # 6to4
    # internal names
    "http://localhost:8000/",
    "http://LOCALHOST/",
    "http://admin.localhost/",
    "http://redis.internal/",
    "http://printer.local/",
]
REFUSED_METADATA = [
    "http://169.254.169.254/latest/meta-data/",
    "http://[fd00:ec2::254]/latest/meta-data/",
    "http://[::ffff:169.254.169.254]/latest/meta-data/",
    "http://[::ffff:a9fe:a9fe]/",
]
REFUSED_FORM = [
    ("ftp://example.com/x", outbound.REFUSED_SCHEME),
    ("file:///etc/passwd", outbound.REFUSED_SCHEME),
    ("gopher://example.com:6379/_INFO", outbound.REFUSED_SCHEME),
    ("dict://example.com:11211/stat", outbound.REFUSED_SCHEME),
    ("javascript:alert(1)", outbound.REFUSED_SCHEME),
    ("//example.com/x", outbound.REFUSED_SCHEME),
    ("http:///x", outbound.REFUSED_HOST),
    ("http://user:pw@example.com/", outbound.REFUSED_USERINFO),
    ("http://example.com@127.0.0.1/", outbound.REFUSED_USERINFO),
    ("http://@example.com/", outbound.REFUSED_USERINFO),
    ("http://127.0.0.1\\@example.com/", outbound.REFUSED_MALFORMED),
    ("http://example.com /", outbound.REFUSED_MALFORMED),
    ("http://example.com/\r\nX-Injected: 1", outbound.REFUSED_MALFORMED),
    ("http://example.com:99999/", outbound.REFUSED_PORT),
    ("http://example.com:0/", outbound.REFUSED_PORT),
    ("http://example.com:http/", outbound.REFUSED_PORT),
    ("", outbound.REFUSED_MALFORMED),
]


@pytest.fixture(autouse=True)
def strict(settings: Any, tmp_path: Path) -> None:
    """The default: private targets refused (tests that need the local server turn it on)."""
    settings.OUTBOUND_ALLOW_PRIVATE = False
    settings.ARTIFACT_ROOT = tmp_path / "artifacts"
    settings.STORAGE_BACKEND = "local"
    settings.MONITORING_WEBHOOK_TIMEOUT_S = 5.0


class FakeDNS:
    """Answers for invented names, one answer per lookup in turn; everything else resolves normally."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.answers: dict[str, list[list[str]]] = {}
        self.lookups: list[str] = []
        real = socket.getaddrinfo

        def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
            name = host.decode() if isinstance(host, bytes) else str(host)
            if name not in self.answers:
                return real(host, port, *args, **kwargs)
            self.lookups.append(name)
            queue = self.answers[name]
            addresses = queue.pop(0) if len(queue) > 1 else queue[0]
            return [
                (
                    socket.AF_INET6 if ":" in a else socket.AF_INET,
                    socket.SOCK_STREAM,
                    socket.IPPROTO_TCP,
                    "",
                    (a, int(port or 0), 0, 0) if ":" in a else (a, int(port or 0)),
                )
                for a in addresses
            ]

        monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)

    def add(self, name: str, *answers: list[str]) -> None:
        self.answers[name] = list(answers)


@pytest.fixture
def dns(monkeypatch: pytest.MonkeyPatch) -> FakeDNS:
    return FakeDNS(monkeypatch)


class Remote:
    """A real HTTP server on 127.0.0.1 that a hostile webhook URL points at (HTTPS with ``tls``)."""

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self.requests: list[dict[str, Any]] = []
        self.server_names: list[str | None] = []
        remote = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                remote.requests.append(
                    {"path": self.path, "host": self.headers.get("Host"), "body": self.rfile.read(length)}
                )
                if self.path.startswith("/redirect"):
                    self.send_response(302)
                    self.send_header("Location", f"{remote.base}/landed")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if self.path.startswith("/error"):
                    self.send_response(500, f"{SECRET} redis_version:7.2.4")
                    payload = f"{SECRET} internal stack trace".encode()
                else:
                    self.send_response(200)
                    payload = f"{SECRET} body of the answer".encode()
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        if tls is not None:

            def record_server_name(sock: Any, name: str | None, context: Any) -> None:
                self.server_names.append(name)

            tls.sni_callback = record_server_name
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        self.base = f"{'https' if tls else 'http'}://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def paths(self) -> list[str]:
        return [r["path"] for r in self.requests]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def remote() -> Iterator[Remote]:
    server = Remote()
    yield server
    server.close()


@pytest.fixture
def banner() -> Iterator[int]:
    """A TCP service that is not HTTP: it sends a banner with details and closes (like SSH or Redis)."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    stop = threading.Event()

    def serve() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            with conn:
                conn.sendall(f"-ERR {SECRET} SSH-2.0-OpenSSH_9.6\r\n".encode())

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    stop.set()
    thread.join(timeout=2)
    listener.close()


@pytest.fixture
def silent() -> Iterator[int]:
    """A port that accepts connections (the kernel's backlog) and never answers."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    yield listener.getsockname()[1]
    listener.close()


def certificates(directory: Path, host: str) -> tuple[Path, Path, Path]:
    """A private CA and a server certificate for ``host`` signed by it: (ca, cert, key)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = dt.datetime.now(dt.UTC)

    def build(subject: str, key: Any, issuer: str, signer: Any, *, ca: bool) -> Any:
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
            .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(hours=1))
            .not_valid_after(now + dt.timedelta(hours=1))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        )
        if not ca:
            builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(subject)]), critical=False)
        return builder.sign(signer, hashes.SHA256())

    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_cert = build("Test CA", ca_key, "Test CA", ca_key, ca=True)
    cert = build(host, key, "Test CA", ca_key, ca=False)
    paths = (directory / "ca.pem", directory / "cert.pem", directory / "key.pem")
    paths[0].write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return paths


def closed_port() -> int:
    probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    probe.bind(("127.0.0.1", 0))
    port = int(probe.getsockname()[1])
    probe.close()
    return port


# -- the address check ------------------------------------------------------------------------------
@pytest.mark.parametrize("url", REFUSED_INTERNAL)
def test_internal_addresses_are_refused_in_every_spelling(url: str) -> None:
    with pytest.raises(outbound.UnsafeURL) as excinfo:
        outbound.check_url(url)
    assert str(excinfo.value) == outbound.REFUSED_PRIVATE
    assert outbound.post_json(url, {"text": "x"}) == outbound.OutboundResult(ok=False, status=outbound.REFUSED_PRIVATE)


@pytest.mark.parametrize("url", REFUSED_METADATA)
def test_metadata_endpoints_are_refused_even_when_private_targets_are_allowed(url: str, settings: Any) -> None:
    for allowed in (False, True):
        settings.OUTBOUND_ALLOW_PRIVATE = allowed
        with pytest.raises(outbound.UnsafeURL) as excinfo:
            outbound.check_url(url)
        assert str(excinfo.value) == outbound.REFUSED_METADATA


@pytest.mark.parametrize(("url", "reason"), REFUSED_FORM)
def test_schemes_hosts_userinfo_ports_and_malformed_urls_are_refused(url: str, reason: str, settings: Any) -> None:
    settings.OUTBOUND_ALLOW_PRIVATE = True  # the form is checked whatever the operator allows
    with pytest.raises(outbound.UnsafeURL) as excinfo:
        outbound.check_url(url, resolve=False)
    assert str(excinfo.value) == reason


def test_public_addresses_pass_and_the_connection_target_is_the_checked_address(dns: FakeDNS) -> None:
    assert outbound.check_url("http://8.8.8.8/hook").address == "8.8.8.8"
    target = outbound.check_url("https://[2606:4700:4700::1111]:8443/a?b=1")
    assert (target.address, target.port, target.path, target.host_header) == (
        "2606:4700:4700::1111",
        8443,
        "/a?b=1",
        "[2606:4700:4700::1111]:8443",
    )
    dns.add("hooks.example.com", ["93.184.216.34"])
    target = outbound.check_url("https://Hooks.Example.com/services/T0/B0/x")
    assert (target.host, target.address, target.host_header) == (
        "hooks.example.com",
        "93.184.216.34",
        "hooks.example.com",
    )
    assert outbound.check_url("https://hooks.slack.com/services/T0/B0/x", resolve=False).address == ""


def test_a_name_is_refused_when_any_of_its_addresses_is_internal(dns: FakeDNS) -> None:
    dns.add("mixed.example.com", ["93.184.216.34", "10.0.0.7"])
    dns.add("v6.example.com", ["2606:4700::1", "::ffff:127.0.0.1"])
    dns.add("meta.example.com", ["169.254.169.254"])
    for url, reason in (
        ("http://mixed.example.com/", outbound.REFUSED_PRIVATE),
        ("http://v6.example.com/", outbound.REFUSED_PRIVATE),
        ("http://meta.example.com/", outbound.REFUSED_METADATA),
        ("http://nowhere.invalid/", outbound.REFUSED_UNRESOLVED),
    ):
        with pytest.raises(outbound.UnsafeURL) as excinfo:
            outbound.check_url(url)
        assert str(excinfo.value) == reason


def test_private_targets_are_allowed_only_by_the_operator_setting(settings: Any) -> None:
    with pytest.raises(outbound.UnsafeURL):
        outbound.check_url("http://10.0.0.5/x")
    settings.OUTBOUND_ALLOW_PRIVATE = True
    assert outbound.check_url("http://10.0.0.5/x").address == "10.0.0.5"
    assert outbound.check_url("http://0x7f.1:9/").address == "127.0.0.1"


def test_the_setting_keeps_reading_its_former_name() -> None:
    assert env.env_bool_renamed("OUTBOUND_ALLOW_PRIVATE", "CI_OUTBOUND_ALLOW_PRIVATE", environ={}) is False
    old = {"CI_OUTBOUND_ALLOW_PRIVATE": "1"}
    assert env.env_bool_renamed("OUTBOUND_ALLOW_PRIVATE", "CI_OUTBOUND_ALLOW_PRIVATE", environ=old) is True
    both = {"CI_OUTBOUND_ALLOW_PRIVATE": "1", "OUTBOUND_ALLOW_PRIVATE": "0"}
    assert env.env_bool_renamed("OUTBOUND_ALLOW_PRIVATE", "CI_OUTBOUND_ALLOW_PRIVATE", environ=both) is False
    with pytest.raises(env.EnvError):
        env.env_bool_renamed(
            "OUTBOUND_ALLOW_PRIVATE", "CI_OUTBOUND_ALLOW_PRIVATE", environ={"OUTBOUND_ALLOW_PRIVATE": "x"}
        )


# -- resolve once, connect to the checked address ------------------------------------------------
def test_dns_rebinding_cannot_move_the_request_after_the_check(dns: FakeDNS, remote: Remote, settings: Any) -> None:
    """The name answers the checked address first and another address on any later lookup: the request
    still reaches the checked address, with the URL's host in the Host header, after one lookup only."""
    settings.OUTBOUND_ALLOW_PRIVATE = True
    dns.add("hooks.example.test", ["127.0.0.1"], ["127.0.0.2"])  # 127.0.0.2: nothing listens there
    result = outbound.post_json(f"http://hooks.example.test:{remote.port}/ok", {"text": "hi"})
    assert result == outbound.OutboundResult(ok=True, status="200", http_status=200)
    assert dns.lookups == ["hooks.example.test"]
    assert remote.requests[0]["host"] == f"hooks.example.test:{remote.port}"
    assert remote.requests[0]["body"] == b'{"text": "hi"}'


def test_a_name_that_rebinds_to_an_internal_address_is_refused_at_send_time(dns: FakeDNS, remote: Remote) -> None:
    dns.add("rebind.example.test", ["127.0.0.1"])
    result = outbound.post_json(f"http://rebind.example.test:{remote.port}/ok", {"text": "hi"})
    assert result == outbound.OutboundResult(ok=False, status=outbound.REFUSED_PRIVATE)
    assert remote.requests == []


# -- what comes back ---------------------------------------------------------------------------------
def test_redirects_are_not_followed_and_errors_carry_no_remote_text(remote: Remote, banner: int, settings: Any) -> None:
    settings.OUTBOUND_ALLOW_PRIVATE = True
    redirected = outbound.post_json(f"{remote.base}/redirect", {"text": "x"})
    assert redirected == outbound.OutboundResult(
        ok=False, status="error: delivery failed (HTTP 302, redirect not followed)", http_status=302
    )
    assert remote.paths() == ["/redirect"]  # /landed never asked for
    failed = outbound.post_json(f"{remote.base}/error", {"text": "x"})
    assert failed == outbound.OutboundResult(ok=False, status="error: delivery failed (HTTP 500)", http_status=500)
    # A closed port and an open non-HTTP port read the same: no port scanner.
    assert outbound.post_json(f"http://127.0.0.1:{closed_port()}/", {}).status == outbound.ERROR_FAILED
    assert outbound.post_json(f"http://127.0.0.1:{banner}/", {}).status == outbound.ERROR_FAILED


def test_a_silent_server_is_a_timeout(silent: int, settings: Any) -> None:
    settings.OUTBOUND_ALLOW_PRIVATE = True
    result = outbound.post_json(f"http://127.0.0.1:{silent}/", {"text": "x"}, timeout=0.5)
    assert result == outbound.OutboundResult(ok=False, status=outbound.ERROR_TIMEOUT)


def test_https_to_the_pinned_address_verifies_the_certificate_for_the_url_host(
    dns: FakeDNS, tmp_path: Path, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import certifi

    settings.OUTBOUND_ALLOW_PRIVATE = True
    ca, cert, key = certificates(tmp_path, "hooks.example.test")
    monkeypatch.setattr(certifi, "where", lambda: str(ca))  # trust the test CA instead of the public ones
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(cert, key)
    server = Remote(tls)
    try:
        dns.add("hooks.example.test", ["127.0.0.1"], ["127.0.0.2"])
        dns.add("other.example.test", ["127.0.0.1"])
        ok = outbound.post_json(f"https://hooks.example.test:{server.port}/ok", {"text": "hi"})
        assert ok == outbound.OutboundResult(ok=True, status="200", http_status=200)
        assert server.server_names == ["hooks.example.test"]  # SNI names the host, not the address
        assert server.requests[0]["host"] == f"hooks.example.test:{server.port}"
        # A certificate for another name, or for no name at all, is refused: verification stays on.
        for url in (f"https://other.example.test:{server.port}/ok", f"https://127.0.0.1:{server.port}/ok"):
            assert outbound.post_json(url, {"text": "hi"}).status == outbound.ERROR_FAILED
        assert len(server.requests) == 1
    finally:
        server.close()


def test_the_ci_notifier_is_a_user_of_the_same_module(remote: Remote, settings: Any) -> None:
    assert notify.post(f"{remote.base}/ok", "hi") == outbound.REFUSED_PRIVATE
    assert notify.post("http://[::ffff:169.254.169.254]/", "hi") == outbound.REFUSED_METADATA
    settings.OUTBOUND_ALLOW_PRIVATE = True
    assert notify.post(f"{remote.base}/ok", "hi") == "200"
    assert notify.post(f"{remote.base}/redirect", "hi") == "error: delivery failed (HTTP 302, redirect not followed)"
    assert remote.paths() == ["/ok", "/redirect"]
    with pytest.raises(notify.UnsafeURL):
        settings.OUTBOUND_ALLOW_PRIVATE = False
        notify.check_url("http://2130706433/")


# -- the monitoring alert webhook: saved by a member, delivered by the platform ---------------------
MONITORING = "/api/v1/projects/fraud-model/deployments/{name}/monitoring/"


@pytest.mark.django_db
def test_a_member_cannot_save_an_internal_webhook_url(world: Any, tmp_path: Path, dns: FakeDNS) -> None:
    d = make_setup(world.project, tmp_path)
    client = world.client(world.teammate)  # a member may change monitoring settings
    url = MONITORING.format(name=d.name)
    for hostile in (
        "http://127.0.0.1:6379/",
        "http://[::1]:6379/",
        "http://169.254.169.254/latest/meta-data/iam/",
        "http://10.0.0.8:9200/_cat/indices",
        "http://localhost:5432/",
        "http://redis.example.test:6379/",
        "ftp://example.com/x",
    ):
        dns.add("redis.example.test", ["10.0.0.9"])
        response = client.patch(url, {"webhook_url": hostile}, format="json")
        assert response.status_code == 400, (hostile, response.content)
        error = response.json()["error"]
        assert error["code"] == "invalid"
        assert list(error["fields"]) == ["webhook_url"]
    assert not MonitorConfig.objects.filter(deployment=d).exclude(webhook_url="").exists()
    dns.add("hooks.example.com", ["93.184.216.34"])
    ok = client.patch(url, {"webhook_url": "https://hooks.example.com/services/T0/B0/x"}, format="json")
    assert ok.status_code == 200, ok.content
    assert ok.json()["webhook_url"] == "https://hooks.example.com/services/T0/B0/x"
    assert client.patch(url, {"webhook_url": ""}, format="json").status_code == 200


@pytest.mark.django_db
def test_the_service_refuses_the_url_too(world: Any, tmp_path: Path) -> None:
    from shipyard.core.errors import DomainError

    d = make_setup(world.project, tmp_path)
    with pytest.raises(DomainError) as excinfo:
        reference.config_update(deployment=d, values={"webhook_url": "http://127.0.0.1:6379/"})
    assert excinfo.value.field == "webhook_url"


def _alert_to(world: Any, tmp_path: Path, webhook_url: str, key: str = "k") -> Alert:
    d = make_setup(world.project, tmp_path, name=f"dep-{key}")
    reference.config_for(d)
    # As if saved before the check existed, or when the operator allowed it: the send re-checks.
    MonitorConfig.objects.filter(deployment=d).update(webhook_url=webhook_url)
    alert, created = alerts.alert_fire(project=world.project, key=key, title="drift", deployment=d)
    assert created
    return alert


def _deliveries(alert: Alert) -> list[dict[str, Any]]:
    alerts.alert_deliver(alert_id=alert.pk)
    alert.refresh_from_db()
    return [{k: v for k, v in entry.items() if k != "at"} for entry in alert.deliveries]


@pytest.mark.django_db
def test_delivery_to_a_refused_url_is_recorded_as_refused_and_sends_nothing(
    world: Any, tmp_path: Path, remote: Remote
) -> None:
    alert = _alert_to(world, tmp_path, f"{remote.base}/ok")
    assert _deliveries(alert) == [{"channel": "webhook", "ok": False, "error": "refused: private address"}]
    assert remote.requests == []


@pytest.mark.django_db
def test_alert_webhook_follows_no_redirect_and_stores_no_remote_text(
    world: Any, tmp_path: Path, remote: Remote, banner: int, settings: Any
) -> None:
    settings.OUTBOUND_ALLOW_PRIVATE = True
    ok = _alert_to(world, tmp_path, f"{remote.base}/ok", key="ok")
    assert _deliveries(ok) == [{"channel": "webhook", "ok": True, "error": ""}]
    assert remote.requests[0]["body"].startswith(b'{"text": "[warning] fraud-model: drift')

    redirected = _alert_to(world, tmp_path, f"{remote.base}/redirect", key="redirect")
    assert _deliveries(redirected) == [
        {"channel": "webhook", "ok": False, "error": "error: delivery failed (HTTP 302, redirect not followed)"}
    ]
    assert "/landed" not in remote.paths()

    failed = _alert_to(world, tmp_path, f"{remote.base}/error", key="error")
    assert _deliveries(failed) == [{"channel": "webhook", "ok": False, "error": "error: delivery failed (HTTP 500)"}]

    closed = _alert_to(world, tmp_path, f"http://127.0.0.1:{closed_port()}/", key="closed")
    not_http = _alert_to(world, tmp_path, f"http://127.0.0.1:{banner}/", key="banner")
    assert (
        _deliveries(closed)
        == _deliveries(not_http)
        == [{"channel": "webhook", "ok": False, "error": "error: delivery failed"}]
    )
    for alert in Alert.objects.all():
        assert SECRET not in str(alert.deliveries)
        assert "127.0.0.1" not in str(alert.deliveries)


@pytest.mark.django_db
def test_a_failed_email_is_recorded_without_the_mail_servers_text(world: Any, tmp_path: Path, settings: Any) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", closed_port(), 2
    alert = _alert_to(world, tmp_path, "", key="mail")
    MonitorConfig.objects.filter(deployment=alert.deployment).update(email_to="ops@example.com")
    assert _deliveries(alert) == [{"channel": "email", "ok": False, "error": "error: delivery failed"}]
