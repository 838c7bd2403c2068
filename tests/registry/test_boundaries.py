"""The web process never imports torch/onnx/onnxruntime through the registry."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import REPO_ROOT, worker_env


def test_registry_web_modules_do_not_import_ml_frameworks() -> None:
    script = (
        "import sys, django; django.setup()\n"
        "import shipyard.config.urls, shipyard.registry.api.views, shipyard.registry.versions, shipyard.registry.datasets, shipyard.registry.demo\n"
        "import shipyard.client.registry, shipyard.client.registry_cmd\n"
        "print(sorted(m for m in ('torch', 'onnx', 'onnxruntime', 'safetensors') if m in sys.modules))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO_ROOT, env=worker_env(), capture_output=True, text=True, check=True
    )
    assert out.stdout.strip().splitlines()[-1] == "[]"
