"""Two Tanzuji PACT hosts on loopback: two processes, two databases, real TLS.

Node S (the supplier: PostgreSQL when reachable, else SQLite) publishes the certified widget;
node B (the buyer: SQLite) asks for it with a RequestCreatedEvent (``tanzuji pact request``).
S's rules are off (``pact_auto_fulfil=false``), so the request waits in S's task queue until a
person answers it (``tanzuji pact fulfil``); S's delivery loop sends the RequestFulfilledEvent
to B, which stores the footprint as a primary-data factor, and a model on B made of three
widgets computes 3 x 8.6568 kg CO2e (the widget's pcfIncludingBiogenicUptake by hand, see
tests/data/pact_widget.yaml).
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from sqlalchemy import make_url

from conftest import POSTGRES_URL, _admin_connection
from pact_helpers import BUYER, OWNER, PRODUCT, certified_widget, pact_context, publish_widget
from tanzuji.pact_host import keys
from tanzuji.services import pact, pact_client

TANZUJI = str(Path(sys.executable).with_name("tanzuji"))

#: Seconds a node may take to start, and an answer to travel (generous on a loaded machine).
START_S = 60.0
ANSWER_S = 60.0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def supplier_database(tmp_path: Path) -> Iterator[str]:
    """A fresh PostgreSQL database for the supplier node (SQLite when none answers)."""
    server = make_url(POSTGRES_URL).set(drivername="postgresql+psycopg")
    try:
        admin = _admin_connection(server)
    except psycopg.OperationalError:
        yield f"sqlite:///{tmp_path / 'supplier.db'}"
        return
    name = f"tanzuji_test_nodes_{os.getpid()}_{secrets.token_hex(4)}"
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield server.set(database=name).render_as_string(hide_password=False)
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class Node:
    """One Tanzuji host process: its data directory, database, port and environment."""

    def __init__(self, name: str, root: Path, database_url: str, **settings: str) -> None:
        self.name = name
        self.data_dir = root / name
        self.data_dir.mkdir()
        self.database_url = database_url
        self.port = _free_port()
        self.url = f"https://127.0.0.1:{self.port}"
        self.certificate, _ = keys.self_signed(self.data_dir)
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("TANZUJI_")},
            "TANZUJI_DATA_DIR": str(self.data_dir),
            "TANZUJI_CONFIG": str(self.data_dir / "none.toml"),
            "TANZUJI_DATABASE_URL": database_url,
            "TANZUJI_PACT_PUBLIC_URL": self.url,
            "TANZUJI_PACT_DELIVERY_INTERVAL_S": "0.2",
            **{f"TANZUJI_{k.upper()}": v for k, v in settings.items()},
        }
        self.process: subprocess.Popen | None = None
        self._context = None

    def context(self):
        """The node's Context (its database made and the cast added the first time)."""
        if self._context is None:
            self._context = pact_context(self.database_url, self.data_dir)
        return self._context

    def trust(self) -> ssl.SSLContext:
        """TLS trust in this node's self-signed certificate."""
        return ssl.create_default_context(cafile=str(self.certificate))

    def cli(self, *args: str) -> str:
        done = subprocess.run(
            [TANZUJI, *args], env=self.env, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, f"{self.name}: tanzuji {' '.join(args)}\n{done.stderr}"
        return done.stdout

    def start(self, trust: Path) -> None:
        self.env["TANZUJI_PACT_TLS_CA"] = str(trust)
        log = open(self.data_dir / "serve.log", "w")
        self.process = subprocess.Popen(
            [TANZUJI, "pact", "serve", "--port", str(self.port)],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self._log = log
        deadline = time.monotonic() + START_S
        while time.monotonic() < deadline:
            assert self.process.poll() is None, (self.data_dir / "serve.log").read_text()
            try:
                httpx.get(f"{self.url}/.well-known/jwks.json", verify=self.trust())
                return
            except httpx.HTTPError:
                time.sleep(0.2)
        raise AssertionError(
            f"{self.name} did not start: {(self.data_dir / 'serve.log').read_text()}"
        )

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
        if self.process is not None:
            self._log.close()


def _until(what: str, check: Callable[[], Any], nodes: list[Node]) -> Any:
    deadline = time.monotonic() + ANSWER_S
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.2)
    logs = "\n".join((n.data_dir / "serve.log").read_text()[-3000:] for n in nodes)
    outboxes = "\n".join(
        f"{n.name}: {[(e.type, e.state, e.last_error) for e in pact.events(n.context())]}"
        for n in nodes
    )
    raise AssertionError(f"timed out waiting for {what}\n{outboxes}\n{logs}")


def test_request_fulfilled_through_the_task_queue_becomes_a_factor_used_in_a_model(
    tmp_path: Path, supplier_database: str
):
    supplier = Node("supplier", tmp_path, supplier_database, pact_auto_fulfil="false")
    buyer = Node("buyer", tmp_path, f"sqlite:///{tmp_path / 'buyer.db'}")
    trust = tmp_path / "trust.pem"  # each node trusts the other's self-signed certificate
    trust.write_bytes(supplier.certificate.read_bytes() + buyer.certificate.read_bytes())
    # the supplier: a certified widget, published and shared with the buyer
    s_ctx = supplier.context()
    publish_widget(s_ctx, certified_widget(s_ctx))
    pact.share(s_ctx, pact.ShareRequest(owner=OWNER, partner=BUYER))
    for_buyer = pact.add_client(s_ctx, pact.ClientRequest(owner=OWNER, partner=BUYER))
    # the buyer: credentials for the supplier to answer with, and the supplier's host
    b_ctx = buyer.context()
    for_supplier = pact.add_client(b_ctx, pact.ClientRequest(owner=BUYER, partner=OWNER))
    pact_client.add_remote(
        b_ctx,
        keys.secret_box(buyer.data_dir),
        pact_client.RemoteRequest(
            organisation=BUYER,
            partner=OWNER,
            base_url=supplier.url,
            client_id=for_buyer.client_id,
            client_secret=for_buyer.client_secret,
        ),
    )
    pact_client.add_remote(
        s_ctx,
        keys.secret_box(supplier.data_dir),
        pact_client.RemoteRequest(
            organisation=OWNER,
            partner=BUYER,
            base_url=buyer.url,
            client_id=for_supplier.client_id,
            client_secret=for_supplier.client_secret,
        ),
    )
    nodes = [supplier, buyer]
    try:
        for node in nodes:
            node.start(trust)
        buyer.cli(
            "pact", "request", "--host", supplier.url, "--product-id", PRODUCT, "--org", BUYER
        )
        task = _until(
            "the request to reach the supplier's task queue",
            lambda: pact.tasks(s_ctx, status="open"),
            nodes,
        )[0]
        assert (task.partner, task.criteria["productId"]) == (BUYER, [PRODUCT])
        assert len(task.candidates) == 1  # exactly one match, but no rule answers
        supplier.cli("pact", "fulfil", str(task.id))  # a person answers through the queue
        answered = _until(
            "the fulfilled answer at the buyer",
            lambda: [r for r in pact_client.requests(b_ctx) if r.status != "sent"],
            nodes,
        )[0]
        assert answered.status == "fulfilled"
        [received] = pact_client.received(b_ctx)
        assert (received.host, received.via, received.factor_version) == (supplier.url, "event", 1)
        # the supplier marks the event delivered when the buyer's 200 comes back, which can be
        # after the buyer has stored the answer: wait for it rather than race it
        delivered = _until(
            "the supplier's outbox to mark the event delivered",
            lambda: [
                e
                for e in pact.events(s_ctx)
                if e.type.endswith("RequestFulfilledEvent.3") and e.state != "pending"
            ],
            nodes,
        )
        assert [(e.state, e.last_status) for e in delivered] == [("delivered", 200)]
        box = tmp_path / "box.yaml"
        box.write_text(
            "product:\n"
            "  id: widget-box\n"
            "  name: {en: Box of three widgets}\n"
            "  functional_unit: {amount: 1, unit: piece}\n"
            "  reference_flow: {process: pack, amount: 1, unit: piece}\n"
            "processes:\n"
            "  - id: pack\n"
            "    name: {en: Packing}\n"
            "    life_cycle_stage: production\n"
            "    reference_product: {amount: 1, unit: piece}\n"
            "    inputs:\n"
            f'      - {{factor: "{received.factor_id}", amount: 3, unit: piece}}\n',
            encoding="utf-8",
        )
        result = json.loads(buyer.cli("calc", str(box), "--json"))
        assert result["total_kg_co2e"] == pytest.approx(3 * 8.6568, rel=1e-9)
        assert [f["id"] for f in result["inputs"]["factors"]] == [received.factor_id]
    finally:
        for node in nodes:
            node.stop()


def test_nodes_refuse_plain_http(tmp_path: Path):
    node = Node("plain", tmp_path, f"sqlite:///{tmp_path / 'plain.db'}")
    node.context()  # the database made and migrated; the self-signed certificate is enough
    try:
        node.start(node.certificate)
        with pytest.raises(httpx.HTTPError):
            httpx.post(f"http://127.0.0.1:{node.port}/auth/token", data={"grant_type": "x"})
        ok = httpx.get(f"{node.url}/.well-known/openid-configuration", verify=node.trust())
        assert ok.json()["token_endpoint"] == f"{node.url}/auth/token"
    finally:
        node.stop()
