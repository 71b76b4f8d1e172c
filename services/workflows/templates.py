"""Step configs are templates rendered from the run's data in Jinja2's sandbox.

The sandbox refuses attribute access to internals (`__class__`, `mro`, …) and unsafe callables, so
an owner's template can read the event and earlier outputs but not reach Python. Undefined names
render as empty strings (an optional field of an event is often absent); a template that does not
compile is refused when the workflow is saved. Filters `date` and `money` format in French or
English (`locale`).
"""

from __future__ import annotations

import datetime as dt
import functools
from decimal import Decimal, InvalidOperation
from typing import Any

from jinja2 import ChainableUndefined, Template, TemplateSyntaxError
from jinja2.sandbox import SandboxedEnvironment

_MONTHS = {
    "fr": ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
           "novembre", "décembre"],
    "en": ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"],
}


class TemplateInvalid(ValueError):
    """A template that does not compile (or does not render); the message says where."""


def _date(value: Any, locale: str = "fr", with_time: bool = False) -> str:
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            return str(value)
    if not isinstance(value, dt.date):
        return str(value)
    months = _MONTHS.get(locale, _MONTHS["fr"])
    text = (f"{value.day} {months[value.month - 1]} {value.year}" if locale == "fr"
            else f"{months[value.month - 1]} {value.day}, {value.year}")
    if with_time and isinstance(value, dt.datetime):
        text += f" {value:%H:%M}" if locale == "fr" else f" {value:%I:%M %p}"
    return text


def _money(value: Any, currency: str = "EUR", locale: str = "fr") -> str:
    try:
        amount = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        return str(value)
    whole, _, cents = f"{abs(amount):,.2f}".partition(".")
    sign = "-" if amount < 0 else ""
    symbol = {"EUR": "€", "USD": "$", "GBP": "£"}.get(currency.upper(), currency.upper())
    if locale == "fr":
        return sign + whole.replace(",", "\u202f") + "," + cents + "\u00a0" + symbol
    return f"{sign}{symbol}{whole}.{cents}"


def environment() -> SandboxedEnvironment:
    env = SandboxedEnvironment(undefined=ChainableUndefined, autoescape=False, keep_trailing_newline=True)
    env.filters["date"] = _date
    env.filters["money"] = _money
    return env


_ENV = environment()


@functools.lru_cache(maxsize=2048)
def _compiled(text: str) -> Template:
    return _ENV.from_string(text)


def is_template(text: str) -> bool:
    return "{{" in text or "{%" in text or "{#" in text


def check(text: str, where: str) -> None:
    """Raise TemplateInvalid when `text` does not compile."""
    try:
        _ENV.parse(text)
    except TemplateSyntaxError as exc:
        raise TemplateInvalid(f"{where}: template does not compile (line {exc.lineno}): {exc.message}") from exc


def check_all(value: Any, where: str) -> None:
    """Every string inside a config (nested dicts and lists included) must compile."""
    if isinstance(value, str):
        check(value, where)
    elif isinstance(value, dict):
        for key, item in value.items():
            check_all(item, f"{where}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            check_all(item, f"{where}[{index}]")


def render(text: str, context: dict[str, Any], where: str = "template") -> str:
    if not is_template(text):
        return text
    try:
        return _compiled(text).render(context)
    except Exception as exc:  # a sandbox refusal or a runtime error in the owner's template
        raise TemplateInvalid(f"{where}: {type(exc).__name__}: {exc}") from exc


def render_all(value: Any, context: dict[str, Any], where: str = "config") -> Any:
    """Render every string in a config; other values are kept as they are."""
    if isinstance(value, str):
        return render(value, context, where)
    if isinstance(value, dict):
        return {key: render_all(item, context, f"{where}.{key}") for key, item in value.items()}
    if isinstance(value, list):
        return [render_all(item, context, f"{where}[{index}]") for index, item in enumerate(value)]
    return value

