"""The Grafana dashboard and the Prometheus alert rules use only series (and labels) our code
exports; `promtool check rules` passes where promtool is installed (Debian's `prometheus` package,
installed by scripts/services.sh)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from typing import Any

import pytest
import yaml
from prometheus_client import CollectorRegistry

from libs.common import metrics
from libs.common.settings import REPO_ROOT

# the two service modules are imported for their series, which join the platform registry on import
from services.agents import metrics as _agents_metrics  # noqa: F401
from services.gateway.metrics import GatewayMetrics
from services.workflows import metrics as _workflows_metrics  # noqa: F401

DASHBOARD = REPO_ROOT / "deploy" / "grafana" / "comptoir.json"
ALERTS = REPO_ROOT / "deploy" / "prometheus" / "alerts.yml"
SERIES = re.compile(r"\bcomptoir_[a-z0-9_]+")
# label names an expression may use besides the metric's own: histogram buckets, Prometheus target labels
EXTRA_LABELS = {"le", "namespace", "pod", "job", "instance"}
PROMQL_WORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "bool", "offset"}


def registries() -> list[CollectorRegistry]:
    return [metrics.REGISTRY, GatewayMetrics().registry]


def exported() -> dict[str, set[str]]:
    """Series name → its label names, for every series our code exports."""
    out: dict[str, set[str]] = {}
    for registry in registries():
        for family in registry.collect():
            labels = set(getattr(registry._names_to_collectors[family.name], "_labelnames", ()))
            for name in metrics.exported_names(registry):
                if name == family.name or name.removeprefix(family.name) in ("_total", "_bucket", "_sum", "_count"):
                    out.setdefault(name, set()).update(labels)
    return out


def dashboard() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(DASHBOARD.read_text())
    return document


def dashboard_exprs() -> list[str]:
    exprs = [target["expr"] for panel in dashboard()["panels"] for target in panel.get("targets", [])]
    exprs += [str(var.get("definition", "")) for var in dashboard()["templating"]["list"] if var["type"] == "query"]
    return exprs


def alert_rules() -> list[dict[str, Any]]:
    document = yaml.safe_load(ALERTS.read_text())
    return [rule for group in document["groups"] for rule in group["rules"]]


def labels_used(expr: str) -> set[str]:
    grouped = {label.strip() for group in re.findall(r"\b(?:by|without)\s*\(([^)]*)\)", expr)
               for label in group.split(",") if label.strip()}
    matched = {m for selector in re.findall(r"\{([^}]*)\}", expr)
               for m in re.findall(r"([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)", selector)}
    return (grouped | matched) - PROMQL_WORDS


def check(expr: str, known: dict[str, set[str]]) -> list[str]:
    names = set(SERIES.findall(expr))
    problems = [f"{name} is not exported" for name in names if name not in known]
    if names and not problems:
        allowed = set().union(*(known[name] for name in names)) | EXTRA_LABELS
        problems += [f"label {label} is on none of {sorted(names)}" for label in labels_used(expr) - allowed]
    return problems


def test_the_exported_series_are_listed() -> None:
    known = exported()
    assert known["comptoir_messages_consumed_total"] == {"service", "queue"}
    assert known["comptoir_workflow_runs_total"] == {"trigger", "status"}
    assert known["comptoir_workflow_step_seconds_bucket"] == {"type"}
    assert known["comptoir_social_posts_total"] == {"platform", "status"}
    assert known["comptoir_agent_tool_calls_total"] == {"tool", "status"}
    assert known["comptoir_agent_budget_stops_total"] == {"budget"}
    assert known["comptoir_http_requests_total"] == {"method", "route", "status"}
    assert "le" not in known["comptoir_handler_seconds_bucket"]  # the bucket label is added on export
    assert check("sum by (nope) (rate(comptoir_messages_consumed_total[5m]))", known)
    assert check("rate(comptoir_no_such_series_total[5m])", known)


def test_the_dashboard_uses_only_exported_series() -> None:
    known = exported()
    exprs = dashboard_exprs()
    problems = [f"{expr}: {problem}" for expr in exprs for problem in check(expr, known)]
    assert not problems, "\n".join(problems)
    used = {name for expr in exprs for name in SERIES.findall(expr)}
    families = {name.removesuffix("_bucket") for name in used}
    # every platform family has a panel
    for family in metrics.REGISTRY.collect():
        assert any(f.startswith(family.name) for f in families), f"{family.name} has no panel"


def test_the_dashboard_is_well_formed() -> None:
    board = dashboard()
    assert board["uid"] and board["title"] and board["schemaVersion"] >= 30
    variables = {var["name"] for var in board["templating"]["list"]}
    ids = [panel["id"] for panel in board["panels"]]
    assert len(ids) == len(set(ids))
    for panel in board["panels"]:
        assert {"h", "w", "x", "y"} <= set(panel["gridPos"])
        if panel["type"] == "row":
            continue
        assert panel["datasource"]["uid"].strip("${}") in variables
        assert [t["refId"] for t in panel["targets"]] == [chr(65 + i) for i in range(len(panel["targets"]))]
        for target in panel["targets"]:
            for var in re.findall(r"\$([a-z_]+)", target["expr"]):
                assert var in variables or var.startswith("__"), f"{panel['title']}: ${var} undefined"


def test_the_alert_rules_use_only_exported_series() -> None:
    known = exported()
    rules = alert_rules()
    assert len(rules) >= 10
    problems = [f"{rule['alert']}: {problem}" for rule in rules for problem in check(rule["expr"], known)]
    assert not problems, "\n".join(problems)
    for rule in rules:
        assert rule["labels"]["severity"] in ("info", "warning", "critical"), rule["alert"]
        assert rule["annotations"]["summary"], rule["alert"]
    alerted = {name for rule in rules for name in SERIES.findall(rule["expr"])}
    for series in ("comptoir_messages_parked_total", "comptoir_rpc_requests_total", "comptoir_outbox_lag_seconds",
                   "comptoir_llm_errors_total", "comptoir_http_requests_total"):
        assert series in alerted, f"no alert on {series}"


@pytest.mark.skipif(shutil.which("promtool") is None,
                    reason="promtool is not installed (apt-get install prometheus; scripts/services.sh does)")
def test_promtool_accepts_the_rules() -> None:
    result = subprocess.run(["promtool", "check", "rules", str(ALERTS)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SUCCESS: {len(alert_rules())} rules found" in result.stdout
