"""Benchmark 1: client cost. This app's AlloClient against DOKU's doku-python-library.

Both talk to the bundled DOKU simulator served by gunicorn (gthread, keep-alive) on
loopback, in one run, alternating: every iteration runs each operation with every
variant, the variant that goes first rotating. Variants:

``ours``
    ``django_doku_allo.conf.get_client()`` as a merchant uses it: the B2B token cached in
    Django's cache, the customer's B2B2C token held by the caller (the Binding row).
``ours, fresh tokens``
    the same client made to do the SDK's wire work: the B2B token is dropped from the
    cache before each call and, for customer operations, the authCode is exchanged for a
    new B2B2C token inside the timed call. Same HTTP requests as the SDK: compares the
    clients' own overhead.
``DOKU SDK``
    ``DokuSNAP`` 1.1.72 as shipped. Its ``is_token_expired`` is inverted (a token counts
    as expired while it is valid), so it fetches a new B2B token before every call, and a
    new B2B2C token before every customer call: that is part of its cost, reported as is.

SDK defects worked around, none to its advantage: its undeclared imports (flask,
xmltodict, pycryptodome) get stand-ins (unused on these paths); its base URL and paths
are patched to the simulator; line items are plain dicts (it does not serialise its own
LineItems); X-IP-ADDRESS is a 14-character IPv4 (it demands 10 to 15 characters), used by
both clients.

Also measured: client CPU time (``time.process_time`` of this process: signing, JSON,
requests; the server runs in another process) and HTTP requests per operation.

Run: ``.venv/bin/python benchmarks/bench_client.py [--iterations N]``
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
import types
import uuid
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import locations, meters, servers
from benchmarks.machine import machine, pem_parse_ms
from benchmarks.results import finish, table
from benchmarks.stats import fmt_ms, fmt_ratio, summary_ms
from tests.support import doku_sdk

NAME = "client"
CHANNEL = "DIRECT_DEBIT_ALLO_SNAP"
OURS_PHONE = "6281100000001"
SDK_PHONE = "6281200000077"
IP_ADDRESS = "192.168.100.10"
DEVICE_ID = "benchdevice01"
AMOUNT = "10000.00"
OPERATIONS = ("token", "payment", "refund", "status")
VARIANTS = ("ours", "ours_fresh", "sdk")
VARIANT_LABELS = {"ours": "ours (cached tokens)", "ours_fresh": "ours, fresh tokens each call",
                  "sdk": "DOKU SDK 1.1.72"}
TOKEN_LABELS = {"ours_cached_only": "ours, get_b2b_token() (cache hit)",
                "ours": "ours, fetch_b2b_token() (always HTTP)"}
SUCCESS_CODES = {"token": "2007300", "payment": "2005400", "refund": "2005800",
                 "status": "2005500"}

def new_ref(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:24].upper()}"


# --------------------------------------------------------------------------- the SDK
def load_sdk(server: str) -> types.SimpleNamespace:
    """DOKU's SDK pointed at the simulator: ``snap`` module and request model classes."""
    snap = doku_sdk.load_sdk(server, locations.SIMULATOR_PREFIX)
    return types.SimpleNamespace(snap=snap, **vars(doku_sdk.models()))


def sdk_ok(operation: str, response: Any) -> Any:
    """The SDK turns every failure into a response object: refuse anything but success."""
    code = getattr(response, "response_code", None)
    if code != SUCCESS_CODES[operation]:
        raise RuntimeError(f"SDK {operation} failed: {code} "
                           f"{getattr(response, 'response_message', '')}")
    return response


# --------------------------------------------------------------------------- the bench
class Bench:
    def __init__(self, server: str) -> None:
        import requests
        from django.conf import settings
        from django.core.cache import cache

        from django_doku_allo.conf import get_client
        from django_doku_allo.snap.messages import CustomerContext

        self.server = server
        self.control_session = requests.Session()
        self.client = get_client()
        self.cache = cache
        self.customer = CustomerContext(ip_address=IP_ADDRESS, device_id=DEVICE_ID)
        self.sdk = load_sdk(server)
        for phone in (OURS_PHONE, SDK_PHONE):
            self.control(f"accounts/{phone}", {"balance": "1000000000.00"})
        self.ours_auth, self.ours_token = self._bind_ours()
        self.snap = self.sdk.snap.DokuSNAP(
            private_key=settings.MERCHANT_PRIVATE_KEY_PEM, client_id=settings.CLIENT_ID,
            is_production=False, public_key=settings.DOKU_PUBLIC_KEY_PEM,
            issuer="benchmarks", secret_key=settings.CLIENT_SECRET,
            merchant_public_key=settings.MERCHANT_PUBLIC_KEY_PEM)
        self.sdk_auth = self._bind_sdk()
        # One paid payment per variant, for the status checks.
        self.status_targets = {variant: self.paid_payment(variant) for variant in VARIANTS}

    # ------------------------------------------------------------------ setup helpers
    def control(self, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        url = f"{self.server}{locations.SIMULATOR_PREFIX}/_control/{path}"
        response = self.control_session.post(url, json=body or {}, timeout=30)
        response.raise_for_status()
        return dict(response.json())

    def _bind_ours(self) -> tuple[str, str]:
        from django_doku_allo.snap.messages import AccountBindingRequest

        response = self.client.bind_account(AccountBindingRequest(
            phone_no=OURS_PHONE, cust_id_merchant="bench-ours",
            success_registration_url="https://shop.example/bind/ok",
            failed_registration_url="https://shop.example/bind/fail",
            device_model="bench", os_type="android", channel_id="web"), customer=self.customer)
        auth_code = response.auth_code or ""
        result = self.control(f"bindings/{auth_code}/complete")["result"]
        assert result["succeeded"], result
        return auth_code, self.client.exchange_auth_code(auth_code).access_token

    def _bind_sdk(self) -> str:
        m = self.sdk
        binding = self.snap.do_account_binding(
            m.BindingRequest(SDK_PHONE, m.BindingInfo(
                channel=CHANNEL, cust_id_merchant="bench-sdk",
                success_registration_url="https://shop.example/bind/ok",
                failed_registration_url="https://shop.example/bind/fail",
                device_model="bench", os_type="android", channel_id="web")),
            device_id=DEVICE_ID, ip_address=IP_ADDRESS)
        assert binding.response_code == "2000700", binding.response_message
        auth_code = str(binding.additional_info["authCode"])
        result = self.control(f"bindings/{auth_code}/complete")["result"]
        assert result["succeeded"], result
        # do_payment & co. read snap.token_b2b2c, which the constructor never sets.
        token = self.snap.get_token_b2b2c(auth_code)
        assert token.response_code == "2007400", token.response_message
        return auth_code

    def paid_payment(self, variant: str) -> dict[str, str]:
        """A payment made by ``variant``'s client and confirmed by the customer (untimed)."""
        ref = new_ref("BENCH")
        if variant == "sdk":
            reference_no = sdk_ok("payment", self._sdk_pay(ref)).reference_no
        else:
            reference_no = self._ours_pay(ref, self.ours_token).reference_no
        result = self.control(f"payments/{reference_no}/confirm")["result"]
        assert result["succeeded"], result
        return {"partner_reference_no": ref, "reference_no": str(reference_no)}

    # ------------------------------------------------------------------ the operations
    def _ours_pay(self, ref: str, customer_token: str) -> Any:
        from django_doku_allo.snap.messages import LineItem, PaymentRequest

        return self.client.pay(PaymentRequest(
            partner_reference_no=ref, amount=Decimal(AMOUNT), remarks="Benchmark order",
            success_payment_url="https://shop.example/pay/ok",
            failed_payment_url="https://shop.example/pay/fail",
            line_items=[LineItem(name="Mug", price=Decimal(AMOUNT))]),
            customer_token=customer_token, customer=self.customer)

    def _sdk_pay(self, ref: str) -> Any:
        m = self.sdk
        return self.snap.do_payment(
            m.PaymentRequest(
                partner_reference_no=ref, amount=m.Amount(AMOUNT, "IDR"),
                additional_info=m.PaymentInfo(
                    channel=CHANNEL, remarks="Benchmark order",
                    success_payment_url="https://shop.example/pay/ok",
                    failed_payment_url="https://shop.example/pay/fail",
                    line_items=[{"name": "Mug", "price": AMOUNT, "quantity": "1"}])),
            ip_address=IP_ADDRESS, auth_code=self.sdk_auth)

    def _drop_b2b_token(self) -> None:
        self.cache.delete(self.client.tokens._key)

    def _customer_token(self, variant: str) -> str:
        if variant == "ours_fresh":
            self._drop_b2b_token()
            return self.client.exchange_auth_code(self.ours_auth).access_token
        return self.ours_token

    def operation(self, operation: str, variant: str) -> Callable[[], Any]:
        """A zero-argument callable doing one ``operation`` the ``variant`` way (timed)."""
        from django_doku_allo.snap.messages import CheckStatusRequest, RefundRequest

        m = self.sdk
        if operation == "token":
            if variant == "sdk":
                return lambda: sdk_ok("token", self.snap.get_token())
            if variant == "ours_cached_only":
                return self.client.get_b2b_token
            return self.client.fetch_b2b_token
        if operation == "payment":
            ref = new_ref("BENCH")
            if variant == "sdk":
                return lambda: sdk_ok("payment", self._sdk_pay(ref))
            return lambda: self._ours_pay(ref, self._customer_token(variant))
        if operation == "refund":
            target = self.paid_payment(variant)  # untimed setup
            refund_no = new_ref("RFND-BENCH-0000-")
            if variant == "sdk":
                return lambda: sdk_ok("refund", self.snap.do_refund(
                    m.RefundRequest(
                        original_partner_reference_no=target["partner_reference_no"],
                        refund_amount=m.Amount(AMOUNT, "IDR"), partner_refund_no=refund_no,
                        additional_info=m.RefundInfo(CHANNEL), reason="Benchmark refund"),
                    ip_address=IP_ADDRESS, auth_code=self.sdk_auth, device_id=DEVICE_ID))
            request = RefundRequest(
                original_partner_reference_no=target["partner_reference_no"],
                original_reference_no=target["reference_no"], original_external_id=None,
                refund_amount=Decimal(AMOUNT), partner_refund_no=refund_no,
                reason="Benchmark refund")
            return lambda: self.client.refund(request, customer_token=self._customer_token(
                variant), customer=self.customer)
        if operation == "status":
            target = self.status_targets[variant]
            if variant == "sdk":
                return lambda: sdk_ok("status", self.snap.do_check_status(m.StatusRequest(
                    service_code="55",
                    original_partner_reference_no=target["partner_reference_no"],
                    original_reference_no=target["reference_no"],
                    additional_info=m.StatusInfo(channel=CHANNEL))))
            status_request = CheckStatusRequest(
                original_partner_reference_no=target["partner_reference_no"],
                original_reference_no=target["reference_no"], amount=Decimal(AMOUNT))

            def ours_status() -> Any:
                if variant == "ours_fresh":
                    self._drop_b2b_token()
                return self.client.check_status(status_request)

            return ours_status
        raise ValueError(operation)


def timed(call: Callable[[], Any]) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    call()
    return time.perf_counter() - wall, time.process_time() - cpu


def run(server: servers.Server, iterations: int, warmup: int) -> dict[str, Any]:
    bench = Bench(server.url)
    keys = [(op, v) for op in OPERATIONS for v in VARIANTS] + [("token", "ours_cached_only")]
    wall: dict[tuple[str, str], list[float]] = {key: [] for key in keys}
    cpu: dict[tuple[str, str], list[float]] = {key: [] for key in keys}

    # HTTP requests per operation, counted once outside the timed runs.
    requests_per_call: dict[tuple[str, str], int] = {}
    bench.client.get_b2b_token()
    for key in keys:
        call = bench.operation(*key)
        with meters.RequestCounter() as counter:
            call()
        requests_per_call[key] = counter.count

    with meters.CpuWindow(server) as window:
        for i in range(warmup + iterations):
            for operation in OPERATIONS:
                measure_once(bench, operation, i, record=i >= warmup, wall=wall, cpu=cpu)
    return {"wall": wall, "cpu": cpu, "requests": requests_per_call,
            "duration_s": window.seconds, "load": window.as_dict()}


def measure_once(bench: Bench, operation: str, iteration: int, *, record: bool,
                 wall: dict[tuple[str, str], list[float]],
                 cpu: dict[tuple[str, str], list[float]]) -> None:
    """Every variant of ``operation`` once, the one going first rotating per iteration."""
    shift = iteration % len(VARIANTS)
    variants = [*VARIANTS[shift:], *VARIANTS[:shift]]
    if operation == "token":
        variants.append("ours_cached_only")
    calls = [(v, bench.operation(operation, v)) for v in variants]  # setup, untimed
    gc.collect()
    for variant, call in calls:
        elapsed, used = timed(call)
        if record:
            wall[(operation, variant)].append(elapsed)
            cpu[(operation, variant)].append(used)


def report(raw: dict[str, Any], iterations: int, warmup: int) -> dict[str, Any]:
    wall, cpu, requests_per_call = raw["wall"], raw["cpu"], raw["requests"]
    stats = {f"{op}/{v}": {"wall_ms": summary_ms(wall[(op, v)]),
                           "cpu_ms": summary_ms(cpu[(op, v)]),
                           "http_requests": requests_per_call[(op, v)]}
             for (op, v) in wall}
    rows = []
    for op in OPERATIONS:
        variants = ["ours_cached_only", "ours", "sdk"] if op == "token" else list(VARIANTS)
        for v in variants:
            s = stats[f"{op}/{v}"]
            label = (TOKEN_LABELS.get(v) if op == "token" else None) or VARIANT_LABELS[v]
            rows.append([op, label, s["http_requests"], fmt_ms(s["wall_ms"]["median"]),
                         fmt_ms(s["wall_ms"]["p90"]), fmt_ms(s["cpu_ms"]["median"]),
                         fmt_ms(s["cpu_ms"]["p90"])])
    ratio_rows = []
    ratios: dict[str, dict[str, float]] = {}
    for op in OPERATIONS:
        sdk = stats[f"{op}/sdk"]
        ours = stats[f"{op}/ours"]
        fresh = stats[f"{op}/ours_fresh"] if op != "token" else ours
        entry = {
            "wall_vs_ours": sdk["wall_ms"]["median"] / ours["wall_ms"]["median"],
            "wall_vs_ours_fresh": sdk["wall_ms"]["median"] / fresh["wall_ms"]["median"],
            "cpu_vs_ours": sdk["cpu_ms"]["median"] / ours["cpu_ms"]["median"],
            "cpu_vs_ours_fresh": sdk["cpu_ms"]["median"] / fresh["cpu_ms"]["median"],
        }
        ratios[op] = entry
        ratio_rows.append([op, fmt_ratio(entry["wall_vs_ours"]),
                           fmt_ratio(entry["wall_vs_ours_fresh"]),
                           fmt_ratio(entry["cpu_vs_ours"]),
                           fmt_ratio(entry["cpu_vs_ours_fresh"])])
    pem_ms = pem_parse_ms()
    result = {
        "benchmark": NAME,
        "title": "Client cost: AlloClient vs DOKU's doku-python-library",
        "command": ".venv/bin/python benchmarks/bench_client.py",
        "machine": machine(),
        "config": {"iterations": iterations, "warmup": warmup,
                   "server": "gunicorn 1 worker, gthread 4 threads, keep-alive; PostgreSQL",
                   "run_seconds": round(raw["duration_s"], 1),
                   "other_jobs_cpus_busy": round(raw["load"]["other_cores"], 2)},
        "tables": [
            table(f"Per call, {iterations} alternating iterations (ms)",
                  ["operation", "client", "HTTP requests", "median", "p90",
                   "client CPU median", "client CPU p90"], rows),
            table("DOKU SDK time / this client's time (medians)",
                  ["operation", "wall vs ours", "wall vs ours fresh",
                   "CPU vs ours", "CPU vs ours fresh"], ratio_rows),
        ],
        "notes": [
            "Wall time includes the simulator's work (gunicorn + Django + PostgreSQL on the "
            "same 2 CPUs); client CPU is this process only: signing, JSON, HTTP client.",
            "'ours (cached tokens)' is how the app runs: one B2B token per ~14 min, the "
            "customer's B2B2C token stored on the Binding. 'fresh tokens' makes the same "
            "HTTP requests as the SDK (B2B token, plus B2B2C for customer calls), so that "
            "row against the SDK compares the clients' own overhead.",
            "The SDK re-fetches its tokens before every call because its is_token_expired "
            "is inverted; that is counted as its cost. It also opens a new TCP connection "
            "per request (requests.post, no Session); on loopback that costs little, over "
            "TLS to DOKU it costs a handshake per request.",
            "Most of the SDK's client CPU is key parsing: TokenService.create_signature calls "
            "load_pem_private_key for every RSA signature (each B2B and B2B2C token), "
            f"{pem_ms:.0f} ms per parse here (cryptography {machine()['cryptography']} "
            "validates the RSA key on load); AlloClient parses the key once, at start.",
            "Refund rows: each refund has its own paid payment, made and confirmed untimed.",
            f"Other jobs on the (shared) machine kept {raw['load']['other_cores']:.2f} CPUs "
            "busy on average during the run; alternating the clients spreads that evenly.",
        ],
        "data": {"stats": stats, "ratios": ratios, "pem_parse_ms": pem_ms,
                 "load": raw["load"]},
    }
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=150)
    parser.add_argument("--warmup", type=int, default=5)
    args = parser.parse_args()
    port = servers.free_port()
    servers.setup_django(fresh_database=True, base_url=locations.simulator_url(port))
    with servers.gunicorn(port, workers=1, threads=4, name=NAME) as server:
        meters.wait_for_quiet()
        raw = run(server, args.iterations, args.warmup)
    finish(NAME, report(raw, args.iterations, args.warmup))


if __name__ == "__main__":
    main()
