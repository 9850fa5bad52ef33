"""Known vulnerabilities in the installed packages (pip-audit), for `make check`.

Skipped with a message, not failed, when the advisory service cannot be reached from this
machine (pip-audit then audits nothing)."""

import json
import subprocess
import sys
from pathlib import Path

PIP_AUDIT = Path(sys.executable).with_name("pip-audit")

result = subprocess.run(  # noqa: S603
    [PIP_AUDIT, "--skip-editable", "--progress-spinner", "off", "--format", "json"],
    capture_output=True,
    text=True,
    check=False,
    timeout=600,
)
try:
    report = json.loads(result.stdout)
except json.JSONDecodeError:
    print("pip-audit skipped: no report (the advisory service may be unreachable).")
    print(result.stderr.strip()[-500:])
    sys.exit(0)
dependencies = report.get("dependencies", [])
audited = [d for d in dependencies if "skip_reason" not in d]
if not audited:
    print(
        f"pip-audit skipped: none of {len(dependencies)} packages could be looked up "
        "(the advisory service is unreachable from here)."
    )
    sys.exit(0)
vulnerable = [d for d in audited if d.get("vulns")]
for dependency in vulnerable:
    for vuln in dependency["vulns"]:
        fixes = ", ".join(vuln.get("fix_versions", [])) or "no fix yet"
        print(f"{dependency['name']} {dependency['version']}: {vuln['id']} (fixed in {fixes})")
print(f"pip-audit: {len(audited)} packages audited, {len(vulnerable)} with known vulnerabilities.")
sys.exit(1 if vulnerable else 0)
