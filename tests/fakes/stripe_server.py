"""A local Stripe API server (Checkout Sessions) for tests and benchmarks.

It speaks the real protocol, so the official `stripe` library runs unchanged against it:
form-encoded bodies with bracketed keys (`line_items[0][price_data][currency]=eur`), Bearer secret
keys, `{"error": {"type", "code", "message", "param"}}` bodies, `Stripe-Should-Retry`, and
Idempotency-Key semantics — the saved response (errors included) is replayed with
`Idempotent-Replayed: true`; the same key with other parameters is a 400 `idempotency_error`;
while a request with a key is still being answered, another with that key gets a 409.
Object shapes follow stripe/openapi `fixtures3.json` (MIT), trimmed.

    async with FakeStripeServer() as fake:
        fake.script(Step(status=500), Step(delay_s=3))   # then normal answers
        client = StripeCheckout("sk_test_x", fake.base_url, timeout_s=1, max_retries=2)
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import time
import uuid
from collections import deque
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.fakes._server import LocalServer

_KEY_PART = re.compile(r"\[([^\]]*)\]")


@dataclass
class Step:
    """One scripted answer: an error status (with Stripe error type/code) and/or a delay."""

    status: int = 200
    delay_s: float = 0.0
    error_type: str = "api_error"
    code: str | None = None
    should_retry: bool | None = None


def decode_form(body: bytes) -> dict[str, Any]:
    """Stripe's bracketed form encoding back into nested dicts and lists."""
    root: dict[str, Any] = {}
    for key, value in parse_qsl(body.decode(), keep_blank_values=True):
        head = key.split("[", 1)[0]
        parts = [head, *_KEY_PART.findall(key)]
        node: Any = root
        for part, nxt in itertools.pairwise(parts):
            child_default: Any = [] if nxt.isdigit() else {}
            if isinstance(node, list):
                index = int(part)
                while len(node) <= index:
                    node.append(None)
                if node[index] is None:
                    node[index] = child_default
                node = node[index]
            else:
                node = node.setdefault(part, child_default)
        last = parts[-1]
        if isinstance(node, list):
            index = int(last)
            while len(node) <= index:
                node.append(None)
            node[index] = value
        else:
            node[last] = value
    return root


def stripe_error(status: int, message: str, kind: str = "invalid_request_error", code: str | None = None,
                 param: str | None = None, headers: dict[str, str] | None = None) -> JSONResponse:
    error: dict[str, Any] = {"type": kind, "message": message}
    if code:
        error["code"] = code
    if param:
        error["param"] = param
    return JSONResponse({"error": error}, status_code=status, headers=headers)


class FakeStripeServer(LocalServer):
    def __init__(self, api_key: str = "sk_test_comptoir", port: int = 0) -> None:
        self.api_key = api_key
        self.port = port
        self.sessions: dict[str, dict[str, Any]] = {}
        self.requests: list[dict[str, Any]] = []
        self.created = 0
        self._idempotency: dict[str, tuple[str, int, dict[str, Any]]] = {}
        self._in_flight: set[str] = set()
        self._script: deque[Step] = deque()
        self.products: dict[str, dict[str, Any]] = {}
        self.prices: dict[str, dict[str, Any]] = {}

    def add_product(self, name: str, prices: list[tuple[str | None, int]], *, description: str = "",
                    metadata: dict[str, str] | None = None, currency: str = "eur",
                    tax_behavior: str = "inclusive") -> str:
        """A Product with one-time Prices (nickname, unit_amount in cents), shaped as fixtures3.json."""
        pid = f"prod_{uuid.uuid4().hex[:14]}"
        price_ids = []
        for nickname, amount in prices:
            price_id = f"price_{uuid.uuid4().hex[:24]}"
            price_ids.append(price_id)
            self.prices[price_id] = {
                "id": price_id, "object": "price", "active": True, "billing_scheme": "per_unit",
                "created": int(time.time()), "currency": currency, "livemode": False, "lookup_key": None,
                "metadata": {}, "nickname": nickname, "product": pid, "recurring": None,
                "tax_behavior": tax_behavior, "type": "one_time", "unit_amount": amount,
                "unit_amount_decimal": str(amount)}
        self.products[pid] = {
            "id": pid, "object": "product", "active": True, "created": int(time.time()),
            "default_price": price_ids[0] if price_ids else None, "description": description, "images": [],
            "livemode": False, "marketing_features": [], "metadata": metadata or {}, "name": name,
            "package_dimensions": None, "shippable": None, "statement_descriptor": None, "tax_code": None,
            "unit_label": None, "updated": int(time.time()), "url": None, "type": "good"}
        return pid

    def script(self, *steps: Step) -> None:
        self._script.extend(steps)

    def app(self) -> Starlette:
        return Starlette(routes=[
            Route("/v1/checkout/sessions", self._create_session, methods=["POST"]),
            Route("/v1/checkout/sessions/{sid}", self._get_session, methods=["GET"]),
            Route("/v1/payment_intents/{pid}", self._get_payment_intent, methods=["GET"]),
            Route("/v1/products", self._list(lambda: self.products, "/v1/products"), methods=["GET"]),
            Route("/v1/prices", self._list(lambda: self.prices, "/v1/prices"), methods=["GET"]),
        ])


    def _unauthorised(self, request: Request) -> Response | None:
        if request.headers.get("authorization") == f"Bearer {self.api_key}":
            return None
        return stripe_error(401, "Invalid API Key provided.", "invalid_request_error")

    async def _get_payment_intent(self, request: Request) -> Response:
        denied = self._unauthorised(request)
        if denied is not None:
            return denied
        pid = request.path_params["pid"]
        if not pid.startswith("pi_"):
            return stripe_error(404, f"No such payment_intent: '{pid}'", code="resource_missing")
        charge_id = "ch_" + pid[3:]
        charge: Any = charge_id
        if "latest_charge" in request.query_params.getlist("expand[]") or \
                request.query_params.get("expand[0]") == "latest_charge":
            charge = {"id": charge_id, "object": "charge", "paid": True, "status": "succeeded",
                      "receipt_url": f"https://pay.stripe.com/receipts/payment/{charge_id}"}
        return JSONResponse({"id": pid, "object": "payment_intent", "status": "succeeded", "latest_charge": charge})

    def _list(self, store: Any, url: str) -> Any:
        """A Stripe list endpoint: `limit` (1-100), `starting_after`, `active`; `has_more` paging."""
        async def handler(request: Request) -> Response:
            denied = self._unauthorised(request)
            if denied is not None:
                return denied
            query = request.query_params
            try:
                limit = int(query.get("limit", "10"))
            except ValueError:
                return stripe_error(400, "Invalid integer: limit", param="limit")
            if not 1 <= limit <= 100:
                return stripe_error(400, "This value must be between 1 and 100.", param="limit")
            items = sorted(store().values(), key=lambda o: o["id"])
            if query.get("active") in ("true", "false"):
                items = [o for o in items if o["active"] == (query["active"] == "true")]
            after = query.get("starting_after")
            if after:
                ids = [o["id"] for o in items]
                if after not in ids:
                    return stripe_error(400, f"No such object: '{after}'", param="starting_after")
                items = items[ids.index(after) + 1:]
            return JSONResponse({"object": "list", "data": items[:limit], "has_more": len(items) > limit,
                                 "url": url})
        return handler

    async def _create_session(self, request: Request) -> Response:
        denied = self._unauthorised(request)
        if denied is not None:
            return denied
        raw = await request.body()
        params = decode_form(raw)
        self.requests.append({"params": params, "idempotency_key": request.headers.get("idempotency-key")})
        key = request.headers.get("idempotency-key")
        if key and key in self._idempotency:
            saved_body, status, saved = self._idempotency[key]
            if saved_body != json.dumps(params, sort_keys=True):
                return stripe_error(400, "Keys for idempotent requests can only be used with the same "
                                    "parameters they were first used with.", "idempotency_error")
            return JSONResponse(saved, status_code=status, headers={"Idempotent-Replayed": "true"})
        if key and key in self._in_flight:
            return stripe_error(409, "There is currently another in-progress request using this "
                                "Stripe-Idempotency-Key.", "idempotency_error", "idempotency_key_in_use")
        if key:
            self._in_flight.add(key)
        try:
            return await self._answer(key, params)
        finally:
            self._in_flight.discard(key or "")

    async def _answer(self, key: str | None, params: dict[str, Any]) -> Response:
        step = self._script.popleft() if self._script else Step()
        if step.delay_s:
            await asyncio.sleep(step.delay_s)
        if step.status >= 400:
            headers = ({} if step.should_retry is None
                       else {"Stripe-Should-Retry": str(step.should_retry).lower()})
            response = stripe_error(step.status, f"scripted failure {step.status}", step.error_type,
                                    step.code, headers=headers)
            if step.status < 500:  # Stripe saves 4xx results under the key; 5xx may be retried
                self._save(key, params, step.status, json.loads(bytes(response.body)))
            return response
        status, body = self._new_session(params)
        self._save(key, params, status, body)
        return JSONResponse(body, status_code=status)

    def _save(self, key: str | None, params: dict[str, Any], status: int, body: dict[str, Any]) -> None:
        if key:
            self._idempotency[key] = (json.dumps(params, sort_keys=True), status, body)

    def _new_session(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        problem = _validate(params)
        if problem is not None:
            param, message = problem
            return 400, {"error": {"type": "invalid_request_error", "message": message, "param": param}}
        items = params["line_items"]
        currency = items[0]["price_data"]["currency"]
        total = sum(int(i["price_data"]["unit_amount"]) * int(i.get("quantity", 1)) for i in items)
        sid = f"cs_test_{uuid.uuid4().hex}"
        session = {
            "id": sid, "object": "checkout.session", "amount_subtotal": total, "amount_total": total,
            "cancel_url": params.get("cancel_url"), "client_reference_id": params.get("client_reference_id"),
            "created": int(time.time()), "currency": currency, "customer_email": params.get("customer_email"),
            "customer_details": None, "expires_at": int(params.get("expires_at") or time.time() + 86400),
            "livemode": False, "metadata": params.get("metadata", {}), "mode": params["mode"],
            "payment_intent": None, "payment_method_types": ["card"], "payment_status": "unpaid",
            "status": "open", "success_url": params.get("success_url"),
            "url": f"https://checkout.stripe.com/c/pay/{sid}",
        }
        self.sessions[sid] = session
        self.created += 1
        return 200, session

    async def _get_session(self, request: Request) -> Response:
        denied = self._unauthorised(request)
        if denied is not None:
            return denied
        session = self.sessions.get(request.path_params["sid"])
        if session is None:
            return stripe_error(404, f"No such checkout.session: '{request.path_params['sid']}'",
                                code="resource_missing", param="session")
        return JSONResponse(session)

    def completed_event(self, session_id: str, *, email: str | None = "client@example.fr",
                        amount_total: int | None = None, currency: str | None = None,
                        event_id: str | None = None) -> dict[str, Any]:
        """The `checkout.session.completed` event Stripe would send for a paid session."""
        session = dict(self.sessions.get(session_id) or {"id": session_id, "object": "checkout.session",
                                                         "amount_total": 0, "currency": "eur"})
        session.update(status="complete", payment_status="paid",
                       customer_details={"email": email, "name": None, "phone": None},
                       payment_intent=session.get("payment_intent") or f"pi_{uuid.uuid4().hex[:24]}")
        if amount_total is not None:
            session["amount_total"] = amount_total
        if currency is not None:
            session["currency"] = currency
        return {"id": event_id or f"evt_{uuid.uuid4().hex[:24]}", "object": "event",
                "api_version": "2024-06-20", "created": int(time.time()), "livemode": False,
                "pending_webhooks": 1, "request": {"id": None, "idempotency_key": None},
                "type": "checkout.session.completed", "data": {"object": session}}


def _validate(params: dict[str, Any]) -> tuple[str, str] | None:
    if params.get("mode") not in ("payment", "setup", "subscription"):
        return "mode", "Missing required param: mode."
    items = params.get("line_items")
    if not isinstance(items, list) or not items:
        return "line_items", "line_items is required in payment mode."
    currencies = set()
    for index, item in enumerate(items):
        price = item.get("price_data") or {}
        try:
            amount = int(price.get("unit_amount", ""))
            quantity = int(item.get("quantity", ""))
        except ValueError:
            return f"line_items[{index}]", "Invalid integer."
        if amount < 0 or quantity < 1:
            return f"line_items[{index}]", "This value must be greater than or equal to 1."
        currencies.add(price.get("currency"))
    if len(currencies) != 1:
        return "line_items", "All line items must use the same currency."
    expires = params.get("expires_at")
    if expires is not None and not (time.time() + 1800 - 5 <= int(expires) <= time.time() + 86400 + 5):
        return "expires_at", "expires_at must be between 30 minutes and 24 hours from now."
    return None
