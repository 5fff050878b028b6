"""The template and the Dockerfile pass cfn-lint, checkov and hadolint (from .venv-iac, which
`make iac-tools` installs from deploy/requirements-lint.txt), and every skipped finding says why.
"""

from __future__ import annotations

import json
import re

from deploy_testing import DOCKERFILE_PATH, IAC_BIN, TEMPLATE_PATH, run_tool

# Each skip, and why, is next to the resource in deploy/template.yaml; a new skip must be
# added here too, so that none slips in unreviewed.
EXPECTED_CHECKOV_SKIPS = {
    ("CKV_AWS_18", "AWS::S3::Bucket.DataBucket"),
    ("CKV_AWS_18", "AWS::S3::Bucket.ResultsBucket"),
    ("CKV_AWS_65", "AWS::ECS::Cluster.Cluster"),
}


def test_cfn_lint_passes_with_no_rule_suppressed() -> None:
    result = run_tool(IAC_BIN / "cfn-lint", "--format", "parseable", TEMPLATE_PATH)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
    assert "cfn-lint" not in TEMPLATE_PATH.read_text().split("Resources:", 1)[1], (
        "a cfn-lint suppression needs a justification and an entry in this test"
    )


def test_checkov_passes_on_the_template_and_the_dockerfile() -> None:
    # --skip-download: no call to the vendor's platform (the machine has no internet anyway).
    result = run_tool(
        IAC_BIN / "checkov",
        "--file",
        TEMPLATE_PATH,
        "--file",
        DOCKERFILE_PATH,
        "--framework",
        "cloudformation",
        "dockerfile",
        "--skip-download",
        "--output",
        "json",
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    reports = {report["check_type"]: report for report in json.loads(result.stdout)}
    assert set(reports) == {"cloudformation", "dockerfile"}
    for report in reports.values():
        assert report["results"]["failed_checks"] == []
        assert report["summary"]["passed"] > 0
    skipped = {
        (check["check_id"], check["resource"])
        for report in reports.values()
        for check in report["results"]["skipped_checks"]
    }
    assert skipped == EXPECTED_CHECKOV_SKIPS


def test_every_checkov_skip_carries_a_reason() -> None:
    skips = re.findall(r"#\s*checkov:skip=(\S+?)(?::(.*))?$", TEMPLATE_PATH.read_text(), re.M)
    skips += re.findall(r"#\s*checkov:skip=(\S+?)(?::(.*))?$", DOCKERFILE_PATH.read_text(), re.M)
    assert sorted(check for check, _ in skips) == ["CKV_AWS_18", "CKV_AWS_18", "CKV_AWS_65"]
    for check, reason in skips:
        assert len(reason.split()) >= 8, f"{check}: the skip needs a reason, got {reason!r}"


def test_hadolint_passes_on_the_dockerfile() -> None:
    result = run_tool(IAC_BIN / "hadolint", "--no-color", DOCKERFILE_PATH)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_the_image_runs_notifier_run_as_a_non_root_user() -> None:
    instructions = [
        line.strip()
        for line in DOCKERFILE_PATH.read_text().splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    assert instructions[-1] == 'ENTRYPOINT ["notifier", "run"]'
    users = [line for line in instructions if line.startswith("USER ")]
    assert users == ["USER 10001:10001"]
    assert "useradd --create-home --uid 10001 --gid 10001" in DOCKERFILE_PATH.read_text()
    assert "NOTIFIER_LOG_FORMAT=json" in DOCKERFILE_PATH.read_text()
