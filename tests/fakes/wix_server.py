"""A local Wix REST server (Stores catalogue, eCommerce checkouts, Invoices) and a webhook signer.

Paths, bodies and errors follow Wix's REST docs: `Authorization: <API key>` and `wix-site-id`
headers, JSON bodies, errors as `{"message", "details": {"applicationError": {"code",
"description"}}}`. Creating a checkout is not idempotent (as on Wix): every POST makes a new one,
which the tests use to prove the client never retries it blindly. Scripted failures and delays
apply per path prefix.

`WixSigner` makes webhooks as Wix sends them: a JWT signed RS256 whose `data` claim is a JSON
string `{"eventType", "instanceId", "data": "<domain event JSON>"}`.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections import deque
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.fakes._server import LocalServer


@dataclass
class Step:
    """A scripted answer for the next request whose path starts with `path`."""

    path: str
    status: int = 200
    delay_s: float = 0.0
    drop: bool = False


def wix_error(status: int, code: str, description: str) -> JSONResponse:
    return JSONResponse({"message": description, "details": {"applicationError": {
        "code": code, "description": description, "data": {}}}}, status_code=status)


def product(product_id: str, name: str, price: str, currency: str = "EUR") -> dict[str, Any]:
    amount = float(Decimal(price))
    return {"id": product_id, "name": name, "productType": "physical", "visible": True,
            "priceData": {"currency": currency, "price": amount, "discountedPrice": amount,
                          "formatted": {"price": f"{price} {currency}"}},
            "stock": {"trackInventory": False, "inStock": True}}


def store_product(product_id: str, name: str, price: str, *, description: str = "", stock: int | None = None,
                  variants: list[tuple[str, str, int | None]] | None = None, option: str = "Taille",
                  ribbon: str | None = None, image: str | None = None, currency: str = "EUR") -> dict[str, Any]:
    """A Wix Stores (Catalog v1) product as `products/query` returns it with `includeVariants`.

    `variants`: (choice, price, stock) each; stock None: not tracked. Shape after Wix's REST docs
    (priceData, stock.inventoryStatus, productOptions/choices, variants[].choices/variant/stock).
    """
    item = product(product_id, name, price, currency)
    item.update(description=f"<p>{description}</p>" if description else "", sku=f"SKU-{product_id[:6]}",
                lastUpdated="2026-11-30T10:00:00Z", ribbon=ribbon)
    item["stock"] = ({"trackInventory": False, "inStock": True, "inventoryStatus": "IN_STOCK"} if stock is None
                     else {"trackInventory": True, "quantity": stock, "inStock": stock > 0,
                           "inventoryStatus": "IN_STOCK" if stock > 0 else "OUT_OF_STOCK"})
    if image:
        item["media"] = {"mainMedia": {"image": {"url": image}}, "items": [{"image": {"url": image}}]}
    if variants:
        item["manageVariants"] = True
        item["productOptions"] = [{"optionType": "drop_down", "name": option,
                                   "choices": [{"value": c, "description": c, "inStock": s is None or s > 0}
                                               for c, _, s in variants]}]
        item["variants"] = [{
            "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{product_id}/{c}")), "choices": {option: c},
            "variant": {"priceData": {"currency": currency, "price": float(Decimal(p)),
                                      "discountedPrice": float(Decimal(p))}, "sku": f"{product_id[:6]}-{c}",
                        "visible": True},
            "stock": ({"trackQuantity": False, "inStock": True} if s is None
                      else {"trackQuantity": True, "quantity": s, "inStock": s > 0}),
        } for c, p, s in variants]
    return item


class FakeWixServer(LocalServer):
    def __init__(self, api_key: str = "wix-api-key", port: int = 0) -> None:
        self.api_key = api_key
        self.port = port
        self.products: dict[str, dict[str, Any]] = {}
        self.checkouts: dict[str, dict[str, Any]] = {}
        self.invoices: dict[str, dict[str, Any]] = {}
        self.calls: list[tuple[str, str]] = []
        self._script: deque[Step] = deque()


    def script(self, *steps: Step) -> None:
        self._script.extend(steps)

    def count(self, method: str, prefix: str) -> int:
        return sum(1 for m, p in self.calls if m == method and p.startswith(prefix))

    def app(self) -> Starlette:
        return Starlette(routes=[
            Route("/stores/v1/products/query", self._query_products, methods=["POST"]),
            Route("/stores/v1/products/{pid}", self._get_product, methods=["GET"]),
            Route("/ecom/v1/checkouts", self._create_checkout, methods=["POST"]),
            Route("/ecom/v1/checkouts/{cid}/checkout-url", self._checkout_url, methods=["GET"]),
            Route("/invoices/v2/invoices", self._create_invoice, methods=["POST"]),
            Route("/invoices/v2/invoices/{iid}/send", self._send_invoice, methods=["POST"]),
            Route("/invoices/v2/invoices/{iid}/payments", self._record_payment, methods=["POST"]),
        ])


    async def _gate(self, request: Request) -> Response | None:
        """Auth, call log and scripted behaviour shared by every route."""
        self.calls.append((request.method, request.url.path))
        if request.headers.get("authorization") != self.api_key:
            return wix_error(401, "UNAUTHORIZED", "Invalid API key")
        step = next((s for s in self._script if request.url.path.startswith(s.path)), None)
        if step is None:
            return None
        self._script.remove(step)
        if step.delay_s:
            await asyncio.sleep(step.delay_s)
        if step.status >= 400:
            return wix_error(step.status, "SCRIPTED", f"scripted failure {step.status}")
        return None

    async def _query_products(self, request: Request) -> Response:
        denied = await self._gate(request)
        if denied is not None:
            return denied
        body = json.loads(await request.body() or b"{}")
        query = body.get("query") or {}
        filt = json.loads(query.get("filter") or "{}")
        wanted = (filt.get("id") or {}).get("$hasSome")
        items = [p for pid, p in sorted(self.products.items()) if wanted is None or pid in wanted]
        paging = query.get("paging") or {}
        limit, offset = int(paging.get("limit", 100)), int(paging.get("offset", 0))
        if limit > 100:  # Wix's maximum page size
            return wix_error(400, "INVALID_PAGING", "paging.limit must be at most 100")
        page = items[offset:offset + limit]
        if not body.get("includeVariants"):
            page = [{k: v for k, v in p.items() if k != "variants"} for p in page]
        return JSONResponse({"products": page, "metadata": {"items": len(page), "offset": offset},
                             "totalResults": len(items)})

    async def _get_product(self, request: Request) -> Response:
        denied = await self._gate(request)
        if denied is not None:
            return denied
        found = self.products.get(request.path_params["pid"])
        if found is None:
            return wix_error(404, "PRODUCT_NOT_FOUND", "Product not found")
        return JSONResponse({"product": found})

    async def _create_checkout(self, request: Request) -> Response:
        denied = await self._gate(request)
        if denied is not None:
            return denied
        body = json.loads(await request.body() or b"{}")
        lines = body.get("lineItems") or []
        refs = [(li.get("catalogReference") or {}).get("catalogItemId") for li in lines]
        missing = [ref for ref in refs if ref not in self.products]
        if not lines or missing:
            return wix_error(400, "INVALID_LINE_ITEMS", "line items must reference catalogue products")
        total = sum(Decimal(str(self.products[li["catalogReference"]["catalogItemId"]]["priceData"]["price"]))
                    * int(li.get("quantity", 1)) for li in lines)
        cid = str(uuid.uuid4())
        currency = self.products[lines[0]["catalogReference"]["catalogItemId"]]["priceData"]["currency"]
        self.checkouts[cid] = {"id": cid, "lineItems": lines, "currency": currency,
                               "buyerInfo": (body.get("checkoutInfo") or {}).get("buyerInfo", {}),
                               "priceSummary": {"total": {"amount": f"{total:.2f}"}}}
        return JSONResponse({"checkout": self.checkouts[cid]})

    async def _checkout_url(self, request: Request) -> Response:
        denied = await self._gate(request)
        if denied is not None:
            return denied
        cid = request.path_params["cid"]
        if cid not in self.checkouts:
            return wix_error(404, "CHECKOUT_NOT_FOUND", "Checkout not found")
        return JSONResponse({"checkoutUrl": f"https://shop.example/checkout?checkoutId={cid}"})

    async def _create_invoice(self, request: Request) -> Response:
        denied = await self._gate(request)
        if denied is not None:
            return denied
        invoice = (json.loads(await request.body() or b"{}")).get("invoice") or {}
        if not (invoice.get("customer") or {}).get("email") or not invoice.get("lineItems"):
            return wix_error(400, "INVALID_INVOICE", "customer and line items are required")
        iid = str(uuid.uuid4())
        self.invoices[iid] = {**invoice, "id": {"id": iid, "version": 1}, "status": "Draft",
                              "invoiceUrl": f"https://shop.example/invoice/{iid}"}
        return JSONResponse({"invoice": self.invoices[iid]})

    async def _send_invoice(self, request: Request) -> Response:
        denied = await self._gate(request)
        if denied is not None:
            return denied
        invoice = self.invoices.get(request.path_params["iid"])
        if invoice is None:
            return wix_error(404, "INVOICE_NOT_FOUND", "Invoice not found")
        invoice["status"] = "Sent"
        return JSONResponse({"invoice": invoice})

    async def _record_payment(self, request: Request) -> Response:
        denied = await self._gate(request)
        if denied is not None:
            return denied
        invoice = self.invoices.get(request.path_params["iid"])
        if invoice is None:
            return wix_error(404, "INVOICE_NOT_FOUND", "Invoice not found")
        payment = (json.loads(await request.body() or b"{}")).get("payment") or {}
        invoice.setdefault("payments", []).append(payment)
        invoice["status"] = "Paid"
        return JSONResponse({"invoice": invoice})

    def product_event(self, product_id: str, slug: str = "ProductChanged",
                      event_id: str | None = None) -> dict[str, Any]:
        """A Stores catalogue webhook (`ProductCreated`/`ProductChanged`/`ProductDeleted`) domain event."""
        return {"id": event_id or str(uuid.uuid4()), "entityFqdn": "wix.stores.catalog.v1.product",
                "slug": slug, "entityId": product_id, "eventTime": "2026-11-30T10:00:00Z",
                "productId": product_id}

    def paid_order_event(self, checkout_id: str, *, amount: str | None = None, currency: str | None = None,
                         email: str = "client@example.fr", event_id: str | None = None) -> dict[str, Any]:
        """The `order_payment_status_updated` domain event Wix sends once a checkout is paid."""
        checkout = self.checkouts.get(checkout_id, {"currency": "EUR",
                                                    "priceSummary": {"total": {"amount": "0.00"}}})
        total = amount or checkout["priceSummary"]["total"]["amount"]
        order_id = str(uuid.uuid4())
        order = {"id": order_id, "number": "10002", "checkoutId": checkout_id, "paymentStatus": "PAID",
                 "currency": currency or checkout["currency"], "buyerInfo": {"email": email},
                 "priceSummary": {"total": {"amount": total, "formattedAmount": f"{total} €"}}}
        return {"id": event_id or str(uuid.uuid4()), "entityFqdn": "wix.ecom.v1.order",
                "slug": "payment_status_updated", "entityId": order_id, "eventTime": "2026-11-25T13:37:43Z",
                "actionEvent": {"body": {"order": order, "previousPaymentStatus": "NOT_PAID"}}}


class WixSigner:
    """Signs webhooks with a fresh RSA key; `public_pem` is what the app is configured with."""

    def __init__(self) -> None:
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.public_pem = self._key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()

    def sign(self, event_type: str, domain_event: dict[str, Any], instance_id: str = "inst-1",
             extra_claims: dict[str, Any] | None = None) -> bytes:
        envelope = {"eventType": event_type, "instanceId": instance_id, "data": json.dumps(domain_event)}
        claims = {"data": json.dumps(envelope), **(extra_claims or {})}
        return jwt.encode(claims, self._key, algorithm="RS256").encode()
