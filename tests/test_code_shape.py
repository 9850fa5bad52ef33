"""The shape the code keeps (issue 13): short functions, and the seeders outside the app."""

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: Longest function outside the seeders (campaign/dev) and the migrations.
MAX_FUNCTION_LINES = 40


def _functions(folder: Path):
    for path in sorted(folder.rglob("*.py")):
        relative = path.relative_to(ROOT)
        if {"dev", "migrations"} & set(relative.parts):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                yield f"{relative}:{node.lineno} {node.name}", node.end_lineno - node.lineno + 1


def test_no_function_is_longer_than_forty_lines():
    long = [
        f"{where} ({lines} lines)"
        for folder in ("campaign", "campaign_serving")
        for where, lines in _functions(ROOT / folder)
        if lines > MAX_FUNCTION_LINES
    ]
    assert long == []


def test_the_app_does_not_import_the_seeders(tmp_path):
    script = (
        "import sys, campaign\n"
        "campaign.create_app({'TESTING': True, 'SQLALCHEMY_DATABASE_URI': 'sqlite://'})\n"
        "seeders = ('campaign.dev', 'campaign.demo', 'campaign.scale')\n"
        "print(sorted(m for m in sys.modules if m.startswith(seeders)))\n"
    )
    env = {"CAMPAIGN_INSTANCE_PATH": str(tmp_path / "instance"), "PATH": ""}
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
