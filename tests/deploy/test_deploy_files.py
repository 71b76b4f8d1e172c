"""docker-compose.yml and the Kubernetes manifests against the code: every variable is one a settings
class reads, every command is one the CLI accepts, every service is deployed with probes, a
PodDisruptionBudget, a non-root read-only securityContext and metrics scraping; the manifests are
validated against the Kubernetes schemas (kubernetes-validate) and, when kubectl is installed, built
with `kubectl kustomize`."""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil
import shutil
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml
from pydantic import AliasChoices
from pydantic_settings import BaseSettings

from comptoir.cli import build_parser
from comptoir.registry import SERVABLE
from libs.common.settings import REPO_ROOT

K8S = REPO_ROOT / "deploy" / "k8s"
TMP = "/tmp"  # noqa: S108 - the container path mounted as an emptyDir, not a file opened here
COMPOSE = REPO_ROOT / "docker-compose.yml"
IMAGE = "comptoir"
# built services (the agents service is not yet): each needs a compose service and a Deployment
BUILT = tuple(name for name in SERVABLE if importlib.util.find_spec(f"services.{name}.app") is not None)
CORE_API_GROUPS = ("v1", "apps/v1", "batch/v1", "policy/v1")


def _all_subclasses(cls: type) -> set[type]:
    found: set[type] = set()
    subclasses: list[type] = cls.__subclasses__()
    for sub in subclasses:
        found.add(sub)
        found |= _all_subclasses(sub)
    return found


@cache
def settings_classes() -> tuple[type[BaseSettings], ...]:
    for package in ("libs", "services", "comptoir"):
        module = importlib.import_module(package)
        for info in pkgutil.walk_packages(module.__path__, f"{package}."):
            if not info.name.endswith("__main__"):
                importlib.import_module(info.name)
    ours = (c for c in _all_subclasses(BaseSettings) if c.__module__.startswith(("libs.", "services.", "comptoir.")))
    return tuple(sorted(ours, key=lambda c: f"{c.__module__}.{c.__qualname__}"))


def env_names(cls: type[BaseSettings]) -> set[str]:
    """The environment variables pydantic-settings reads for `cls` (aliases, else prefix + field name)."""
    prefix = str(cls.model_config.get("env_prefix", ""))
    names: set[str] = set()
    for field_name, field in cls.model_fields.items():
        alias = field.validation_alias
        if isinstance(alias, str):
            names.add(alias.upper())
        elif isinstance(alias, AliasChoices):
            names |= {choice.upper() for choice in alias.choices if isinstance(choice, str)}
        else:
            names.add(f"{prefix}{field.alias or field_name}".upper())
    return names


@cache
def known_variables() -> frozenset[str]:
    return frozenset(name for cls in settings_classes() for name in env_names(cls))


def compose() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return document


def comptoir_compose_services() -> dict[str, dict[str, Any]]:
    return {name: svc for name, svc in compose()["services"].items()
            if str(svc.get("image", "")).split(":")[0] == IMAGE}


def k8s_documents(include_example: bool = True) -> list[tuple[Path, dict[str, Any]]]:
    out = []
    for path in sorted(K8S.glob("*.yaml")):
        if path.name == "kustomization.yaml" or (not include_example and ".example." in path.name):
            continue
        out += [(path, doc) for doc in yaml.safe_load_all(path.read_text()) if doc]
    return out


def of_kind(kind: str) -> list[dict[str, Any]]:
    return [doc for _, doc in k8s_documents() if doc["kind"] == kind]


def containers(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return list(doc["spec"]["template"]["spec"]["containers"])


def parses(command: list[str]) -> str | None:
    """None when the CLI accepts `command`, else why not."""
    if command[:1] != ["comptoir"]:
        return f"{command}: not a comptoir command"
    try:
        build_parser().parse_args(command[1:])
    except SystemExit as exc:
        return f"{command}: the CLI refuses it (exit {exc.code})"
    return None


# ---- settings ------------------------------------------------------------------------------------
def test_the_settings_classes_are_found() -> None:
    names = {cls.__name__ for cls in settings_classes()}
    assert {"Settings", "GatewaySettings", "ChatSettings", "RagSettings", "BillingSettings",
            "SecuritySettings", "LLMSettings"} <= names
    assert {"DATABASE_URL", "COMPTOIR_HEALTH_PORT", "BILLING_STRIPE_API_KEY", "LLM_MODEL"} <= known_variables()
    assert "STRIPE_API_KEY" not in known_variables()


def test_compose_passes_only_variables_the_code_reads() -> None:
    unknown = {f"{name}: {var}" for name, svc in comptoir_compose_services().items()
               for var in svc.get("environment", {}) if var not in known_variables()}
    assert not unknown, f"variables no settings class reads: {sorted(unknown)}"


def test_chat_and_security_read_the_same_guard_settings() -> None:
    """chat runs security's output guard in process (libs/guard): both need the same SECURITY_* values."""
    services = comptoir_compose_services()
    guard = {name: {k: v for k, v in services[name].get("environment", {}).items() if k.startswith("SECURITY_")}
             for name in ("chat", "security")}
    assert guard["chat"] == guard["security"] and "SECURITY_SECRETS" in guard["chat"]
    sources = {}
    for doc in of_kind("Deployment"):
        for container in containers(doc):
            if container["name"] in ("chat", "security"):
                own = {e["name"]: e for e in container.get("env", []) if e["name"].startswith("SECURITY_")}
                sources[container["name"]] = (container.get("envFrom"), own)
    assert sources["chat"] == sources["security"]
    secret = next(doc for doc in of_kind("Secret") if doc["metadata"]["name"] == "comptoir-secrets")
    assert "SECURITY_SECRETS" in secret["stringData"]


def test_compose_runs_every_service_with_a_command_the_cli_accepts() -> None:
    services = comptoir_compose_services()
    problems = [problem for svc in services.values() if (problem := parses(svc["command"]))]
    assert not problems
    served = {svc["command"][2] for svc in services.values() if svc["command"][1] == "serve"}
    assert served == set(BUILT)
    assert any(svc["command"] == ["comptoir", "migrate"] for svc in services.values())
    for name, svc in services.items():
        if svc["command"][1] == "serve":
            assert "healthcheck" in svc and "readyz" in " ".join(svc["healthcheck"]["test"]), name
            assert svc.get("read_only") is True and TMP in svc.get("tmpfs", []), name


def test_configmap_and_secret_hold_only_variables_the_code_reads() -> None:
    keys = {key for doc in of_kind("ConfigMap") for key in doc.get("data", {})}
    keys |= {key for doc in of_kind("Secret") for key in {**doc.get("stringData", {}), **doc.get("data", {})}}
    unknown = keys - known_variables()
    assert not unknown, f"variables no settings class reads: {sorted(unknown)}"
    secret = next(doc for doc in of_kind("Secret") if doc["metadata"]["name"] == "comptoir-secrets")
    assert {"DATABASE_URL", "AMQP_URL", "COMPTOIR_SECRET_KEY", "GATEWAY_ADMIN_TOKEN"} <= set(secret["stringData"])
    # what other manifests take from the Secret is in it
    for doc in [d for _, d in k8s_documents() if d["kind"] == "TriggerAuthentication"]:
        for ref in doc["spec"]["secretTargetRef"]:
            assert ref["name"] == "comptoir-secrets" and ref["key"] in secret["stringData"]


# ---- Kubernetes workloads ------------------------------------------------------------------------
def test_every_service_has_a_deployment_with_a_command_the_cli_accepts() -> None:
    served = {}
    for doc in of_kind("Deployment") + of_kind("Job"):
        for container in containers(doc):
            assert (problem := parses(container["command"])) is None, problem
            if container["command"][1] == "serve":
                served[container["command"][2]] = doc
    assert set(served) == set(BUILT)


def test_every_deployment_has_probes_on_a_port_it_serves() -> None:
    for doc in of_kind("Deployment"):
        for container in containers(doc):
            ports = {port["name"]: port["containerPort"] for port in container.get("ports", [])}
            for probe, path in (("readinessProbe", "/readyz"), ("livenessProbe", "/healthz")):
                get = container[probe]["httpGet"]
                assert get["path"] == path and get["port"] in ports, (doc["metadata"]["name"], probe)
            if container["command"][2] != "gateway":  # workers: the health port from the ConfigMap
                config = of_kind("ConfigMap")[0]["data"]
                assert ports[container["readinessProbe"]["httpGet"]["port"]] == int(config["COMPTOIR_HEALTH_PORT"])
                assert config["COMPTOIR_HEALTH_HOST"] == "0.0.0.0"


def test_every_pod_runs_non_root_on_a_read_only_root_filesystem() -> None:
    for doc in of_kind("Deployment") + of_kind("Job"):
        pod = doc["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["securityContext"]["runAsUser"] != 0
        tmp_volumes = {v["name"] for v in pod.get("volumes", []) if "emptyDir" in v}
        for container in pod["containers"]:
            security = container["securityContext"]
            assert security["readOnlyRootFilesystem"] is True
            assert security["allowPrivilegeEscalation"] is False
            assert security["capabilities"]["drop"] == ["ALL"]
            mounts = {m["mountPath"]: m["name"] for m in container.get("volumeMounts", [])}
            assert mounts.get(TMP) in tmp_volumes, f"{doc['metadata']['name']}: /tmp is not an emptyDir"


def test_every_deployment_has_a_disruption_budget_and_is_scraped() -> None:
    budgets = of_kind("PodDisruptionBudget")
    monitors = of_kind("PodMonitor")
    assert monitors, "no PodMonitor"
    scraped_ports = {endpoint["port"] for m in monitors for endpoint in m["spec"]["podMetricsEndpoints"]}
    for doc in of_kind("Deployment"):
        labels = doc["spec"]["template"]["metadata"]["labels"]
        mine = [b["spec"] for b in budgets
                if all(labels.get(k) == v for k, v in b["spec"]["selector"]["matchLabels"].items())]
        assert len(mine) == 1, f"{doc['metadata']['name']}: {len(mine)} PodDisruptionBudgets"
        # a budget that still lets a node drain: fewer pods must stay than run
        assert mine[0].get("minAvailable", 0) < doc["spec"]["replicas"], doc["metadata"]["name"]
        annotations = doc["spec"]["template"]["metadata"]["annotations"]
        port_names = {p["name"]: p["containerPort"] for c in containers(doc) for p in c["ports"]}
        assert annotations["prometheus.io/scrape"] == "true"
        assert int(annotations["prometheus.io/port"]) in port_names.values()
        assert scraped_ports & set(port_names), f"{doc['metadata']['name']}: no PodMonitor endpoint"
        assert all(labels.get(k) == v for m in monitors for k, v in m["spec"]["selector"]["matchLabels"].items())


def test_the_kustomization_lists_every_manifest() -> None:
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    listed = set(kustomization["resources"])
    present = {p.name for p in K8S.glob("*.yaml")} - {"kustomization.yaml"}
    assert listed == {name for name in present if ".example." not in name}


# ---- schema validation ---------------------------------------------------------------------------
@pytest.mark.parametrize("path_and_doc", k8s_documents(), ids=lambda pd: f"{pd[0].name}:{pd[1]['kind']}")
def test_manifests_are_valid_kubernetes(path_and_doc: tuple[Path, dict[str, Any]]) -> None:
    path, doc = path_and_doc
    assert doc.get("apiVersion") and doc.get("kind") and doc.get("metadata", {}).get("name"), path
    if doc["apiVersion"] not in CORE_API_GROUPS:  # operator resources (KEDA, RabbitMQ, Prometheus)
        assert isinstance(doc.get("spec"), dict), f"{path}: {doc['kind']} without a spec"
        return
    kubernetes_validate.validate(doc, kubernetes_validate.latest_version(), strict=True)


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed (no binary is downloaded)")
def test_kustomize_builds() -> None:
    out = subprocess.run(["kubectl", "kustomize", str(K8S)], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    kinds = [doc["kind"] for doc in yaml.safe_load_all(out.stdout) if doc]
    assert kinds.count("Deployment") == len(BUILT)
