"""The Dockerfile's build steps, run here as they run in the image (no Docker engine on this machine).

`deploy/image.sh` holds the steps; the Dockerfile runs them, and so does this test: the root steps
install into a fresh virtualenv (offline, from uv's cache), the model step runs as an unprivileged
user (`nobody` through setpriv when the tests run as root), with the Dockerfile's own folders
re-rooted under a temporary directory.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import tempfile
import tomllib
from pathlib import Path

import pytest

from libs.common.settings import REPO_ROOT

DOCKERFILE = REPO_ROOT / "deploy" / "Dockerfile"
IMAGE_SH = REPO_ROOT / "deploy" / "image.sh"
SYSTEM_PYTHON = Path("/usr/bin/python3.11")


def instructions() -> list[tuple[str, str]]:
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            out.append((keyword.upper(), rest.strip()))
    return out


def dockerfile_env() -> dict[str, str]:
    env: dict[str, str] = {}
    for keyword, rest in instructions():
        if keyword == "ENV":
            for part in shlex.split(rest):
                key, _, value = part.partition("=")
                env[key] = value
    return env


def image_steps() -> tuple[list[str], list[str]]:
    """The image.sh steps run before and after the USER instruction."""
    before: list[str] = []
    after: list[str] = []
    user_seen = False
    for keyword, rest in instructions():
        if keyword == "USER":
            user_seen = True
        elif keyword == "RUN" and rest.startswith("comptoir-image "):
            (after if user_seen else before).extend(rest.split()[1:])
    return before, after


def test_the_image_runs_as_a_numeric_non_root_user() -> None:
    users = [rest for keyword, rest in instructions() if keyword == "USER"]
    assert users, "no USER instruction: the image would run as root"
    uid = users[-1].split(":")[0]
    assert uid.isdigit() and int(uid) != 0, f"USER {users[-1]}: Kubernetes checks runAsNonRoot on a numeric uid"
    keywords = [keyword for keyword, _ in instructions()]
    assert keywords.index("CMD") > max(i for i, k in enumerate(keywords) if k == "USER")


def test_only_runtime_dependencies_go_into_the_image() -> None:
    text = DOCKERFILE.read_text() + IMAGE_SH.read_text()
    assert "requirements.lock" in text
    assert "requirements-dev.lock" not in text.replace("never requirements-dev.lock", "")
    dev = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]["dev"]
    dev_names = {re.split(r"[<>=\[;~ ]", req, maxsplit=1)[0].lower().replace("_", "-") for req in dev}
    locked = {line.split("==")[0].strip().lower().replace("_", "-")
              for line in (REPO_ROOT / "requirements.lock").read_text().splitlines()
              if "==" in line and not line.lstrip().startswith("#")}
    # a dev tool may be a runtime dependency's dependency too (none is today); the named ones never are
    assert not dev_names & locked, f"dev tools in the runtime lock: {sorted(dev_names & locked)}"


def test_every_image_step_exists() -> None:
    before, after = image_steps()
    assert before == ["deps", "app", "folders"]
    assert after == ["model"]
    env = dockerfile_env()
    assert env["COMPTOIR_ENV"] == "production"
    assert env["RAG_MODEL_DIR"].startswith("/") and env["COMPTOIR_DATA_DIR"].startswith("/")


@pytest.mark.slow
@pytest.mark.skipif(not SYSTEM_PYTHON.exists(), reason="needs /usr/bin/python3.11 (readable by any user)")
@pytest.mark.skipif(shutil.which("setpriv") is None, reason="needs setpriv (util-linux)")
def test_the_build_steps_work_as_an_unprivileged_user() -> None:
    # not pytest's tmp_path: its parent folders are private to the user running the tests
    with tempfile.TemporaryDirectory(prefix="comptoir-image-") as folder:
        root = Path(folder)
        root.chmod(0o755)  # the unprivileged user reads the virtualenv
        _build_and_prepare(root)


def _build_and_prepare(root: Path) -> None:
    venv = root / "venv"
    uv = REPO_ROOT / ".venv" / "bin" / "uv"
    subprocess.run([str(uv), "venv", "-q", "--python", str(SYSTEM_PYTHON), str(venv)], check=True)
    env = dockerfile_env()
    data_dir = root / env["COMPTOIR_DATA_DIR"].lstrip("/")
    model_dir = root / env["RAG_MODEL_DIR"].lstrip("/")
    as_root = os.geteuid() == 0
    step_env = {
        "PATH": f"{venv / 'bin'}:{uv.parent}:/usr/bin:/bin",
        "HOME": str(data_dir),
        "UV_TARGET": f"--offline --python {venv / 'bin' / 'python'}",  # offline: from uv's cache
        "UV_CACHE": "",
        "COMPTOIR_DATA_DIR": str(data_dir),
        "RAG_MODEL_DIR": str(model_dir),
        "APP_USER": "nobody" if as_root else str(os.getuid()),
        "APP_GROUP": "nogroup" if as_root else str(os.getgid()),
    }
    before, after = image_steps()
    cache = subprocess.run([str(uv), "cache", "dir"], capture_output=True, text=True, check=True).stdout.strip()
    subprocess.run(["sh", str(IMAGE_SH), *before], cwd=REPO_ROOT,
                   env={**os.environ, **step_env, "UV_CACHE_DIR": cache}, check=True, timeout=300)
    # runtime only: the dev tools of the suite are not in the image's interpreter
    probe = subprocess.run([str(venv / "bin" / "python"), "-c", "import pytest"], capture_output=True)
    assert probe.returncode != 0
    drop = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"] if as_root else []
    user_env = {key: value for key, value in {**step_env, **env}.items()
                if key not in ("COMPTOIR_DATA_DIR", "RAG_MODEL_DIR")}
    user_env.update(COMPTOIR_DATA_DIR=str(data_dir), RAG_MODEL_DIR=str(model_dir))
    result = subprocess.run([*drop, "env", "-i", *(f"{k}={v}" for k, v in user_env.items()),
                             "sh", str(IMAGE_SH), *after], cwd=root, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert (model_dir / "model.onnx").stat().st_size > 1_000_000
    assert (model_dir / "tokenizer.json").is_file()
    if as_root:
        assert (model_dir / "model.onnx").stat().st_uid == 65534  # written by nobody, not root


def test_the_image_sets_only_variables_the_code_reads() -> None:
    from tests.deploy.test_deploy_files import known_variables

    tooling = ("PYTHON", "PIP_", "UV_")  # the interpreter's and the installers' own
    unknown = [name for name in dockerfile_env() if name not in known_variables() and not name.startswith(tooling)]
    assert not unknown, f"variables no settings class reads: {unknown}"
