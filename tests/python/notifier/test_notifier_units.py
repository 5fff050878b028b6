"""Plain functions: tiers, message formatting and limits, ARNs, artifacts, profiles."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest
from notifier_testing import MODEL_ID, TEST_ID, make_project

from notifier.artifacts import Relation, freshness_problems, locate_mart
from notifier.audit import Unevaluated
from notifier.dbt_build import _interrupt_behind
from notifier.errors import BadInputError, StaleArtifactsError
from notifier.lifecycle import Event, Notice
from notifier.messages import (
    MAX_SUBJECT_CHARS,
    GroupBy,
    Layout,
    Message,
    ascii_subject,
    build_messages,
    format_line,
)
from notifier.profile import AthenaTarget, DuckDBTarget, find_profiles_dir, load_target
from notifier.publisher import Publisher, batches
from notifier.routing import Routing, Topic
from notifier.tiers import Thresholds, Tier, to_alerts

TOPIC = "arn:aws:sns:us-east-1:123456789012:accreditation-alerts"
FIFO_TOPIC = "arn:aws:sns:eu-west-1:123456789012:accreditation-alerts.fifo"
AS_OF = "2025-05-15"


def notice(
    days: int,
    facility_id: str = "FAC1",
    name: str | None = "City Hospital",
    state: str | None = "TX",
    accreditation_id: str | None = "NCQA500",
) -> Notice:
    return Notice(
        event=Event.NEW,
        tier=tier_of(days, Thresholds()) or Tier.MEDIUM,
        key=(facility_id, "NCQA", accreditation_id, "2025-06-30"),
        facility_name=name,
        state=state,
        owner=None,
        days_until_expiry=days,
        lapsed=days < 0,
        topic_arn=None,
        acknowledged_until=None,
        previous=None,
    )


def messages_for(
    notices: list[Notice], group_by: GroupBy, routing: Routing | None = None
) -> list[Message]:
    layout = Layout(group_by, routing or Routing.from_options(TOPIC, {}), Thresholds())
    return build_messages(notices, layout, AS_OF, Unevaluated())


def tier_of(days: int, thresholds: Thresholds) -> Tier | None:
    """The tier the notifier gives a mart row `days` from expiry (None: no alert)."""
    row = ("F", None, None, None, None, "2025-01-01", "2025-01-01", days, None, None, None)
    return next((a.tier for a in to_alerts([row], thresholds)), None)


@pytest.mark.parametrize(
    ("days", "tier"),
    [
        (-227, Tier.CRITICAL),
        (-1, Tier.CRITICAL),
        (0, Tier.CRITICAL),
        (30, Tier.CRITICAL),
        (31, Tier.HIGH),
        (60, Tier.HIGH),
        (61, Tier.MEDIUM),
        (90, Tier.MEDIUM),
        (91, None),
    ],
)
def test_tier_boundaries(days: int, tier: Tier | None) -> None:
    assert tier_of(days, Thresholds()) is tier


def test_thresholds_are_configurable_and_validated() -> None:
    custom = Thresholds(critical=7, high=14, medium=21)
    assert [tier_of(d, custom) for d in (7, 8, 14, 15, 21, 22)] == [
        Tier.CRITICAL,
        Tier.HIGH,
        Tier.HIGH,
        Tier.MEDIUM,
        Tier.MEDIUM,
        None,
    ]
    with pytest.raises(BadInputError, match="critical < high < medium"):
        Thresholds(critical=60, high=30, medium=90)


def test_a_line_survives_control_characters_and_missing_fields() -> None:
    assert format_line(notice(1), AS_OF).endswith(": expires in 1 day. Renew by 2025-06-30.")
    missing = format_line(
        notice(5, name="Line\nbreak\tname", state=None, accreditation_id=None), AS_OF
    )
    assert "\n" not in missing
    assert "/ no id (NCQA) at Line break name, state unknown:" in missing


def test_subject_is_printable_ascii_within_100_chars() -> None:
    subject = ascii_subject("Clínica São José - Ünïcode 医院\nsecond line " * 5, " [2/3]")
    assert len(subject) <= MAX_SUBJECT_CHARS
    assert subject.isascii() and subject.isprintable()
    assert subject.startswith("Clinica Sao Jose")
    assert subject.endswith("... [2/3]")
    # A name with no Latin letters at all still leaves a usable subject.
    assert ascii_subject("医院 (FAC9)") == "(FAC9)"


def test_fifo_entries_get_group_and_stable_deduplication_ids() -> None:
    notices = [notice(-3, "FAC2"), notice(10, "FAC1")]
    fifo = Routing.from_options(FIFO_TOPIC, {})
    first = messages_for(notices, GroupBy.FACILITY, fifo)
    again = messages_for(notices, GroupBy.FACILITY, fifo)
    entry = first[1].entry("m0")
    assert entry["MessageGroupId"] == "FAC2"
    assert entry["MessageDeduplicationId"] == again[1].entry("m0")["MessageDeduplicationId"]
    assert first[0].dedup_id != first[1].dedup_id
    assert "MessageGroupId" not in messages_for(notices, GroupBy.TIER)[0].entry("m0")


def test_batches_hold_at_most_ten_entries_for_one_topic() -> None:
    notices = [notice(5, f"FAC{i}") for i in range(23)] + [notice(40, f"FAC{i}") for i in range(3)]
    per_tier = Routing.from_options(TOPIC, {Tier.HIGH: TOPIC + "-high"})
    messages = messages_for(notices, GroupBy.FACILITY, per_tier)
    sizes = [(len(batch), batch[0].topic.arn) for batch in batches(messages)]
    assert sizes == [(10, TOPIC), (10, TOPIC), (3, TOPIC), (3, TOPIC + "-high")]


class _FakeSNS:
    """A thread-safe stand-in for an SNS client: accepts every entry, slowly."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.in_flight = 0
        self.most_in_flight = 0
        self.calls = 0

    def publish_batch(self, TopicArn: str, PublishBatchRequestEntries: list[dict[str, str]]):
        with self.lock:
            self.calls += 1
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
        time.sleep(0.01)
        with self.lock:
            self.in_flight -= 1
        return {
            "Successful": [
                {"Id": e["Id"], "MessageId": f"{TopicArn}/{e['Id']}"}
                for e in PublishBatchRequestEntries
            ],
            "Failed": [],
        }


@pytest.mark.parametrize("workers", [1, 4])
def test_publisher_workers_publish_every_message_once_recording_serially(workers: int) -> None:
    messages = messages_for([notice(5, f"FAC{i:03}") for i in range(95)], GroupBy.FACILITY)
    sns = _FakeSNS()
    recorded: list[Message] = []
    recording = threading.Lock()

    def on_accepted(accepted: list[tuple[Message, str]]) -> None:
        assert recording.acquire(blocking=False), "on_accepted called by two threads at once"
        time.sleep(0.002)
        recorded.extend(message for message, _ in accepted)
        recording.release()

    failures = Publisher(lambda region: sns, attempts=2, workers=workers).publish(  # type: ignore[arg-type,return-value]
        messages, on_accepted
    )
    assert failures == []
    assert sorted(m.notices[0].facility_id for m in recorded) == sorted(
        m.notices[0].facility_id for m in messages
    )
    assert sns.calls == 10
    assert (sns.most_in_flight > 1) == (workers > 1)


def test_publisher_stops_starting_batches_once_recording_fails() -> None:
    messages = messages_for([notice(5, f"FAC{i:03}") for i in range(200)], GroupBy.FACILITY)
    sns = _FakeSNS()

    def on_accepted(accepted: list[tuple[Message, str]]) -> None:
        raise OSError("ledger unwritable")

    publisher = Publisher(lambda region: sns, attempts=1, workers=2)  # type: ignore[arg-type,return-value]
    with pytest.raises(OSError, match="ledger unwritable"):
        publisher.publish(messages, on_accepted)
    # The batch whose recording failed, and at most the one the other worker had in flight.
    assert sns.calls <= 2
    with pytest.raises(ValueError, match="at least 1"):
        Publisher(lambda region: sns, attempts=1, workers=0)  # type: ignore[arg-type,return-value]


@pytest.mark.parametrize(
    "arn",
    [
        "arn:aws:sns:us-east-1:12345678901:alerts",  # 11-digit account
        "arn:aws:sqs:us-east-1:123456789012:alerts",  # not SNS
        "arn:aws:sns:us-east-1:123456789012:bad name",
        "accreditation-alerts",
        "arn:aws:sns:us-east-1:123456789012:" + "x" * 257,
    ],
)
def test_malformed_topic_arns_are_refused(arn: str) -> None:
    with pytest.raises(BadInputError, match="not an SNS topic ARN"):
        Topic.parse(arn, "--topic-arn")


def test_topic_arns_are_parsed_for_region_and_fifo() -> None:
    assert Topic.parse(FIFO_TOPIC, "x") == Topic(FIFO_TOPIC, "eu-west-1", True)
    gov = "arn:aws-us-gov:sns:us-gov-west-1:123456789012:alerts"
    assert Topic.parse(gov, "x").region == "us-gov-west-1"


def test_routing_needs_a_topic_for_every_tier() -> None:
    with pytest.raises(BadInputError, match="no topic for tier"):
        Routing.from_options(None, {Tier.CRITICAL: TOPIC})
    per_tier = Routing.from_options(None, {t: f"{TOPIC}-{t.value}" for t in Tier})
    assert per_tier.topics[Tier.HIGH].arn.endswith("-high")


def test_relation_names_are_requoted_and_anything_else_refused() -> None:
    relation = Relation.parse('"accreditation_monitor"."main"."expiring_accreditations_v2"')
    assert relation.parts == ("accreditation_monitor", "main", "expiring_accreditations_v2")
    assert Relation.parse('"we""ird".tbl').sql == '"we""ird"."tbl"'
    for bad in ['"db"."main"."t"; drop table x', "t where 1=1", '"a"."b"."c"."d"', ""]:
        with pytest.raises(BadInputError):
            Relation.parse(bad)


def test_latest_version_is_found_with_its_tests(tmp_path: Path) -> None:
    project = make_project(tmp_path, [], "2025-05-15")
    mart = locate_mart(project.target_path)
    assert mart.unique_id == MODEL_ID
    assert mart.relation.parts[-1] == "expiring_accreditations_v3"
    assert mart.test_ids == {TEST_ID}


@pytest.mark.parametrize(
    ("artifacts", "problem"),
    [
        ({"model_status": "error"}, "ended with status 'error'"),
        ({"model_status": "skipped"}, "ended with status 'skipped'"),
        ({"test_status": "fail"}, "ended with status 'fail'"),
        ({"test_status": None}, "did not run in the last dbt run"),
        ({"model_status": None}, "was not part of the last dbt run"),
        ({"command": "generate"}, "`generate`, which does not build the mart"),
    ],
)
def test_freshness_problems(tmp_path: Path, artifacts: dict[str, str], problem: str) -> None:
    project = make_project(tmp_path, [], "2025-05-15")
    mart = locate_mart(project.target_path)
    assert freshness_problems(project.target_path, mart, "local", "local") == []
    project.write_artifacts(**artifacts)  # type: ignore[arg-type]
    problems = freshness_problems(project.target_path, mart, "local", "local")
    assert any(problem in p for p in problems), problems


def test_a_unit_test_of_the_mart_may_be_left_out_of_the_build_but_must_pass_if_run(
    tmp_path: Path,
) -> None:
    """`notifier run` builds without unit tests; a build that ran one must have passed it."""
    project = make_project(tmp_path, [], "2025-05-15")
    manifest_file = project.target_path / "manifest.json"
    manifest = json.loads(manifest_file.read_text())
    unit_test_id = "unit_test.accreditation_monitor.expiring_accreditations.horizon_v3"
    manifest["unit_tests"] = {unit_test_id: {"depends_on": {"nodes": [MODEL_ID]}}}
    manifest_file.write_text(json.dumps(manifest))
    mart = locate_mart(project.target_path)
    assert mart.test_ids == {TEST_ID, unit_test_id}
    assert freshness_problems(project.target_path, mart, "local", "local") == []

    results_file = project.target_path / "run_results.json"
    run_results = json.loads(results_file.read_text())
    run_results["results"].append({"unique_id": unit_test_id, "status": "fail"})
    results_file.write_text(json.dumps(run_results))
    assert freshness_problems(project.target_path, mart, "local", "local") == [
        f"test {unit_test_id} ended with status 'fail'"
    ]


def test_freshness_checks_the_target_and_missing_results(tmp_path: Path) -> None:
    project = make_project(tmp_path, [], "2025-05-15")
    mart = locate_mart(project.target_path)
    assert freshness_problems(project.target_path, mart, "athena", "local") == [
        "the last dbt run used target 'local', not 'athena'"
    ]
    (project.target_path / "run_results.json").unlink()
    assert "is missing" in freshness_problems(project.target_path, mart, "local", "local")[0]
    (project.target_path / "manifest.json").unlink()
    with pytest.raises(StaleArtifactsError, match=r"manifest\.json is missing"):
        locate_mart(project.target_path)


def test_profiles_dir_precedence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    flag, env, project = tmp_path / "flag", tmp_path / "env", tmp_path / "project"
    for directory in (flag, env, project):
        directory.mkdir()
        (directory / "profiles.yml").write_text("{}")
    monkeypatch.setenv("DBT_PROFILES_DIR", str(env))
    assert find_profiles_dir(flag, project) == flag
    assert find_profiles_dir(None, project) == env
    monkeypatch.delenv("DBT_PROFILES_DIR")
    assert find_profiles_dir(None, project) == project
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    with pytest.raises(BadInputError, match=r"no profiles\.yml found"):
        find_profiles_dir(None, tmp_path / "empty")


def test_profile_env_vars_are_rendered(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    make_project(tmp_path, [], "2025-05-15")
    monkeypatch.delenv("DBT_PROFILES_DIR", raising=False)
    monkeypatch.setenv("NOTIFIER_TEST_DUCKDB", "/data/mart.duckdb")
    resolved = load_target(tmp_path, None, None)
    assert resolved.target == DuckDBTarget("local", Path("/data/mart.duckdb"))
    assert resolved.profile_default == "local"
    monkeypatch.delenv("NOTIFIER_TEST_DUCKDB")
    relative = load_target(tmp_path, None, None).target
    assert isinstance(relative, DuckDBTarget)
    assert relative.path == tmp_path / "accreditation_monitor.duckdb"
    athena = load_target(tmp_path, None, "athena").target
    assert athena == AthenaTarget("athena", "us-east-1", "s3://athena-results/", "primary", None)
    with pytest.raises(BadInputError, match=r"target 'prod' not found .* known targets: athena"):
        load_target(tmp_path, None, "prod")
    (tmp_path / "profiles.yml").write_text(
        "accreditation_monitor:\n  target: local\n  outputs:\n    local:\n      type: duckdb\n"
        "      path: \"{{ env_var('NOTIFIER_TEST_UNSET_VAR') }}\"\n"
    )
    with pytest.raises(BadInputError, match="NOTIFIER_TEST_UNSET_VAR"):
        load_target(tmp_path, None, None)


def test_iam_policy_is_valid_and_covers_every_call() -> None:
    from parliament import analyze_policy_string

    text = (Path(__file__).parents[3] / "iam" / "notifier-policy.json").read_text()
    concrete = text.replace("REGION", "us-east-1").replace("ACCOUNT", "123456789012")
    assert [finding.issue for finding in analyze_policy_string(concrete).findings] == []
    statements = json.loads(text)["Statement"]
    actions: set[str] = set()
    for statement in statements:
        action = statement["Action"]
        actions.update([action] if isinstance(action, str) else action)
    assert {
        "sns:Publish",
        "sns:GetTopicAttributes",
        "s3:GetObject",
        "s3:PutObject",
        "s3:DeleteObject",
        "athena:StartQueryExecution",
        "athena:GetQueryResults",
        "cloudwatch:PutMetricData",
    } <= actions
    assert all(s["Resource"] != "*" or "Condition" in s for s in statements)


def test_an_interrupt_wrapped_by_python_is_still_an_interrupt() -> None:
    """Python 3.11 wraps an error raised in `__set_name__` in a RuntimeError; CI saw SIGTERM land
    while dbt-duckdb defined a class. The wrapping is Python's own, produced here for real."""

    class Interrupting:
        def __set_name__(self, owner: type, name: str) -> None:
            raise KeyboardInterrupt

    with pytest.raises(RuntimeError) as raised:

        class Column:
            fields = Interrupting()

    assert "__set_name__" in str(raised.value)
    found = _interrupt_behind(raised.value)
    assert isinstance(found, KeyboardInterrupt)
    assert found is raised.value.__cause__
    assert _interrupt_behind(RuntimeError("a dbt error")) is None
    assert _interrupt_behind(None) is None
