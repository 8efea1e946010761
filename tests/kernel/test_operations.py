"""The operation runner: what every API's operations go through."""

import pytest

from polytrack.kernel.hot import HotDB
from polytrack.kernel.operations import Call, Limit, NotImplementedYet, Registry, Runner
from polytrack.kernel.sql import Statement, Transaction

INSERT = Statement("INSERT INTO kernel_rate_windows (key, window_start, count, previous_count) VALUES (?, 0, 1, 0)")
COUNT = Statement("SELECT count(*) FROM kernel_rate_windows WHERE key LIKE 'runner-%'")


class Refused(Exception):
    pass


class TestCall(Call):
    __test__ = False  # not a test class
    __slots__ = ("who", "seen")

    def __init__(self, services, operation, who="alice"):
        super().__init__(services, operation)
        self.who = who
        self.seen: list[str] = []

    def answer_key(self):
        return self.who


def per_caller(call):
    return (Limit(f"runner:{call.who}", 3, 60),)


@pytest.fixture
def registry():
    registry = Registry("test", limit=per_caller)

    @registry.operation("read")
    def read(call):
        return type(call.db).__name__

    @registry.operation("write", writes=True)
    def write(call):
        call.db.run(INSERT, (f"runner-{len(call.seen)}",))
        if call.seen:
            raise RuntimeError("fails after its write")
        return type(call.db).__name__

    counter = {"runs": 0}

    @registry.operation("cached", cacheable=True)
    def cached(call):
        counter["runs"] += 1
        return {"runs": counter["runs"], "who": call.who}

    registry.planned("later", before=[lambda call: call.seen.append("hook")])
    return registry


@pytest.fixture
def runner(services, registry):
    return Runner(services, registry, refused=lambda limit, decision: Refused(limit.key),
                  freeze=lambda answer: (dict(answer, frozen=True), 10))


def test_reads_get_the_held_connection_and_writes_one_transaction(services, registry, runner):
    assert runner.run(TestCall(services, registry.get("read"))) == HotDB.__name__
    assert runner.run(TestCall(services, registry.get("write"))) == Transaction.__name__
    assert services.hot.one(COUNT) == (1,)


def test_a_write_that_raises_is_rolled_back(services, registry, runner):
    failing = TestCall(services, registry.get("write"), who="bob")
    failing.seen.append("x")
    with pytest.raises(RuntimeError):
        runner.run(failing)
    assert services.hot.one(COUNT) == (0,)


def test_the_rate_limit_raises_the_apis_refusal_and_counts_before_anything_runs(services, registry, runner):
    for _ in range(3):
        runner.run(TestCall(services, registry.get("read"), who="carol"))
    with pytest.raises(Refused, match="runner:carol"):
        runner.run(TestCall(services, registry.get("read"), who="carol"))
    assert runner.run(TestCall(services, registry.get("read"), who="dave")) == HotDB.__name__


def test_cacheable_answers_are_frozen_and_kept_per_answer_key(services, registry, runner):
    first = runner.run(TestCall(services, registry.get("cached"), who="erin"))
    again = runner.run(TestCall(services, registry.get("cached"), who="erin"))
    other = runner.run(TestCall(services, registry.get("cached"), who="frank"))
    assert first == again == {"runs": 1, "who": "erin", "frozen": True}
    assert other == {"runs": 2, "who": "frank", "frozen": True}
    with services.transaction() as db:  # any commit empties the cache
        db.run(INSERT, ("runner-commit",))
    assert runner.run(TestCall(services, registry.get("cached"), who="erin"))["runs"] == 3


def test_a_planned_operation_passes_its_hooks_then_is_not_implemented(services, registry, runner):
    call = TestCall(services, registry.get("later"))
    with pytest.raises(NotImplementedYet):
        runner.run(call)
    assert call.seen == ["hook"]
    assert [op.name for op in registry if not op.implemented] == ["later"]


def test_declarations_are_checked(services, registry):
    with pytest.raises(ValueError, match="declared twice"):
        registry.operation("read")(lambda call: None)
    with pytest.raises(ValueError, match="cannot be cacheable"):
        registry.operation("both", writes=True, cacheable=True)
    with pytest.raises(ValueError, match="freeze"):
        Runner(services, registry, refused=lambda limit, decision: Refused())
    folding = Registry("asp", fold_case=True)
    folding.operation("Group/GetByTypeID")(lambda call: None)
    assert folding.get("group/getbytypeid") is folding.get("GROUP/GETBYTYPEID") is not None
