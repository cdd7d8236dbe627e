"""`make deploy-check`: every offline check of the deployment code, one line per check.

Runs without network, a Docker engine, a cluster or an AWS account:

- docker/generated is what `sre generate --env compose` produces now (drift);
- promtool checks docker/prometheus.yml with its generated rules and runs the rule unit tests;
  amtool checks the generated Alertmanager config; mkdocs builds the compose runbook site;
- the compose file validates against the Compose specification's JSON schema;
- hadolint lints docker/Dockerfile;
- python-hcl2 parses every Terraform file and `terraform fmt -check` (when terraform is on PATH)
  finds nothing to reformat;
- kubernetes-validate (strict, its bundled schemas) accepts every manifest in infra/k8s (the
  service's namespace, and monitoring/: the 3-peer Alertmanager cluster);
- checkov finds nothing in infra/terraform, infra/k8s and docker/Dockerfile (skips are
  justified inline where they are made).

checkov pins dependencies (boto3, packaging) older than the project's, so it lives in its own
virtual environment under build/tools/, created on first use. Exit status 1 on any finding.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
CHECKOV_VERSION = "3.3.30"
CHECKOV_VENV = ROOT / "build" / "tools" / f"checkov-{CHECKOV_VERSION}"

TERRAFORM = ROOT / "infra" / "terraform"
K8S = ROOT / "infra" / "k8s"
DOCKER = ROOT / "docker"
GENERATED = DOCKER / "generated"


def tool(name: str) -> str:
    """A console script of this virtual environment, else one on PATH."""
    local = BIN / name
    return str(local) if local.exists() else (shutil.which(name) or name)


def k8s_manifests() -> list[Path]:
    return sorted(p for p in K8S.rglob("*.yaml") if p.name != "kustomization.yaml")


def terraform_files() -> list[Path]:
    return sorted(TERRAFORM.rglob("*.tf"))


def parse_hcl() -> list[str]:
    """python-hcl2 parses every .tf file; plus the layout `terraform fmt` would insist on."""
    import hcl2  # the `python-hcl2` distribution

    problems = []
    for path in terraform_files():
        text = path.read_text(encoding="utf-8")
        rel = path.relative_to(ROOT)
        try:
            hcl2.loads(text)
        except Exception as exc:  # noqa: BLE001  # any parser error is the finding itself
            problems.append(f"{rel}: does not parse: {exc}")
        for number, line in enumerate(text.splitlines(), 1):
            if "\t" in line:
                problems.append(f"{rel}:{number}: tab (terraform fmt indents with 2 spaces)")
            if line != line.rstrip():
                problems.append(f"{rel}:{number}: trailing whitespace")
            indent = len(line) - len(line.lstrip(" "))
            if indent % 2:
                problems.append(f"{rel}:{number}: odd indentation")
        if not text.endswith("\n"):
            problems.append(f"{rel}: no newline at end of file")
    return problems


def ensure_checkov() -> str:
    checkov = CHECKOV_VENV / "bin" / "checkov"
    if not checkov.exists():
        print(f"  (creating {CHECKOV_VENV.relative_to(ROOT)} with checkov=={CHECKOV_VERSION})")
        subprocess.run([sys.executable, "-m", "venv", str(CHECKOV_VENV)], check=True)
        log = CHECKOV_VENV.parent / f"checkov-{CHECKOV_VERSION}-install.log"
        pip = [str(CHECKOV_VENV / "bin" / "pip"), "install", "--quiet"]
        with log.open("w") as out:
            done = subprocess.run(
                [*pip, f"checkov=={CHECKOV_VERSION}"], stdout=out, stderr=out, check=False
            )
        if done.returncode != 0:
            shutil.rmtree(CHECKOV_VENV)
            sys.exit(f"deploy-check: installing checkov failed, see {log}")
    return str(checkov)


def checkov(framework: str, *target: str) -> list[str]:
    # --skip-download: no call home for guidelines or policies (offline, deterministic).
    return [
        ensure_checkov(),
        *target,
        "--framework",
        framework,
        "--skip-download",
        "--compact",
        "--quiet",
    ]


def commands() -> list[tuple[str, Sequence[str] | None, Path]]:
    """(name, argument list, working directory); None marks an in-process check."""
    site = ROOT / "build" / "compose-site"  # git-ignored
    found: list[tuple[str, Sequence[str] | None, Path]] = [
        (
            "drift: docker/generated",
            [tool("sre"), "generate", "--env", "compose", "--out", str(GENERATED), "--check"],
            ROOT,
        ),
        ("promtool check config", ["promtool", "check", "config", "prometheus.yml"], DOCKER),
        (
            "promtool test rules",
            [
                "promtool",
                "test",
                "rules",
                *sorted(
                    p.relative_to(GENERATED / "alerts" / "tests").as_posix()
                    for p in (GENERATED / "alerts" / "tests").glob("*/*.test.yml")
                ),
            ],
            GENERATED / "alerts" / "tests",
        ),
        (
            "amtool check-config",
            ["amtool", "check-config", "alerts/potato-pipeline.alertmanager-standalone.yml"],
            GENERATED,
        ),
        (
            "mkdocs build --strict (compose runbook site)",
            [
                tool("mkdocs"),
                "build",
                "--strict",
                "--quiet",
                "--config-file",
                "mkdocs.yml",
                "--site-dir",
                str(site),
            ],
            GENERATED,
        ),
        (
            "compose spec schema",
            [
                tool("check-jsonschema"),
                "--builtin-schema",
                "vendor.compose-spec",
                "docker-compose.yml",
            ],
            DOCKER,
        ),
        ("hadolint", [tool("hadolint"), "Dockerfile"], DOCKER),
        ("python-hcl2 parse and layout", None, TERRAFORM),
    ]
    if shutil.which("terraform"):
        found.append(
            (
                "terraform fmt -check",
                ["terraform", "fmt", "-check", "-recursive", "-diff"],
                TERRAFORM,
            )
        )
    found += [
        (
            "kubernetes-validate --strict",
            [
                tool("kubernetes-validate"),
                "--strict",
                "--quiet",
                *(p.relative_to(K8S).as_posix() for p in k8s_manifests()),
            ],
            K8S,
        ),
        ("checkov terraform", checkov("terraform", "-d", "."), TERRAFORM),
        ("checkov kubernetes", checkov("kubernetes", "-d", "."), K8S),
        ("checkov dockerfile", checkov("dockerfile", "-f", "Dockerfile"), DOCKER),
    ]
    return found


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-checkov", action="store_true", help="Leave out checkov.")
    args = parser.parse_args(argv)
    env = {**os.environ, "TF_CLI_CONFIG_FILE": os.devnull}
    failed = []
    for name, argv_, cwd in (
        commands()
        if not args.skip_checkov
        else [c for c in commands() if not c[0].startswith("checkov")]
    ):
        started = time.perf_counter()
        if argv_ is None:
            problems = parse_hcl()
            ok, output = not problems, "\n".join(problems)
        else:
            done = subprocess.run(
                list(argv_), cwd=cwd, env=env, capture_output=True, text=True, check=False
            )
            ok, output = done.returncode == 0, (done.stdout + done.stderr).strip()
        print(f"{'ok  ' if ok else 'FAIL'} {name} ({time.perf_counter() - started:.1f} s)")
        if not ok:
            failed.append(name)
            print("\n".join(f"     {line}" for line in output.splitlines()))
    if failed:
        print(f"deploy-check: {len(failed)} check(s) failed: {', '.join(failed)}")
        return 1
    print("deploy-check: every check passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
