"""The import contracts of pyproject.toml ([tool.importlinter]) hold, and they do catch a violation."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LINT = Path(sys.executable).with_name("lint-imports")


def lint(cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(LINT), "--no-cache"], cwd=cwd, capture_output=True, text=True, timeout=120,
                          check=False, env={"PYTHONPATH": str(cwd), "PATH": "/usr/bin:/bin"})


def test_the_repository_keeps_every_contract() -> None:
    done = lint(ROOT)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "0 broken" in done.stdout


def test_a_service_importing_another_and_libs_importing_a_service_are_caught(tmp_path: Path) -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]
    files = {
        "comptoir/__init__.py": "", "comptoir/cli.py": "import services.chat.app\nimport services.billing.app\n",
        "libs/__init__.py": "", "libs/common/__init__.py": "", "libs/common/db.py": "",
        "libs/common/bad.py": "import services.billing.app\n",
        "libs/guard/__init__.py": "", "libs/lexical/__init__.py": "", "libs/storage/__init__.py": "",
        "libs/webhooks/__init__.py": "", "libs/mail/__init__.py": "",
        "services/__init__.py": "",
        **{f"services/{name}/__init__.py": "" for name in ("gateway", "rag", "security", "agents", "workflows")},
        "services/chat/__init__.py": "", "services/chat/app.py": "from services.billing import app\n",
        "services/billing/__init__.py": "", "services/billing/app.py": "import libs.common.db\n",
    }
    for path, text in files.items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(text)
    lines = ["[tool.importlinter]", f"root_packages = {config['root_packages']!r}".replace("'", '"')]
    for contract in config["contracts"]:
        lines.append("[[tool.importlinter.contracts]]")
        lines += [f"{key} = {value!r}".replace("'", '"') for key, value in contract.items()]
    (tmp_path / "pyproject.toml").write_text("\n".join(lines) + "\n")
    done = lint(tmp_path)
    assert done.returncode == 1, done.stdout
    assert "Services never import each other (they talk over the broker) BROKEN" in done.stdout
    assert "libs never imports a service or the composition root BROKEN" in done.stdout
    assert "services.chat.app -> services.billing" in done.stdout
    assert "libs.common.bad -> services.billing.app" in done.stdout
