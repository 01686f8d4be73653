"""Readers side by side: reads of the served warehouse run in parallel, each on
a connection of its own; a write runs alone; cached answers and the audit
chain stay right under a burst of parallel requests."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.web.conftest import _serve_copy

WAIT = 10  # seconds a step may take on a loaded machine before it has failed


def _in_threads(*works):
    """Run each work in a thread of its own; their results, in order."""
    with ThreadPoolExecutor(len(works)) as pool:
        return [f.result(timeout=60) for f in [pool.submit(w) for w in works]]


def test_reads_run_side_by_side_each_on_its_own_connection(server):
    """Two reads meet inside the warehouse (a barrier that one lock over the
    warehouse would break), each counting on a connection of its own."""
    met = threading.Barrier(2, timeout=WAIT)

    def read(wh):
        met.wait()  # both reads are inside now
        return id(wh.con), wh.count("person")

    (first, n1), (second, n2) = _in_threads(
        lambda: server.web.read(read), lambda: server.web.read(read)
    )
    assert first != second
    assert n1 == n2 == 300


def test_readers_making_a_missing_table_at_once_make_it_once(fresh_server):
    """Reads make a missing results or bookkeeping table (the cohort list on a
    warehouse without cohorts): two at once both go on, with one table."""
    import ibis

    met = threading.Barrier(2, timeout=WAIT)

    def make(wh):
        met.wait()
        wh.store.create_table("results", "readers_test", ibis.schema({"x": "int64"}))
        return wh.store.list_tables("results").count("readers_test")

    assert _in_threads(
        lambda: fresh_server.web.read(make), lambda: fresh_server.web.read(make)
    ) == [1, 1]


def test_two_slow_reads_take_less_than_twice_one(server):
    def slow(wh):
        wh.count("person")
        time.sleep(0.5)  # a slow read: the warehouse is not given up meanwhile

    started = time.perf_counter()
    server.web.read(slow)
    one = time.perf_counter() - started
    started = time.perf_counter()
    _in_threads(lambda: server.web.read(slow), lambda: server.web.read(slow))
    assert time.perf_counter() - started < 1.5 * one


def test_a_write_runs_alone(server):
    """A write waits for the reads running, and reads wait for a write."""
    reading, done_reading = threading.Event(), threading.Event()
    events = []

    def long_read(wh):
        reading.set()
        done_reading.wait(WAIT)
        events.append("read ends")

    def write(wh):
        events.append("write runs")
        time.sleep(0.3)
        events.append("write ends")

    def short_read(wh):
        events.append("second read runs")

    with ThreadPoolExecutor(3) as pool:
        first = pool.submit(server.web.read, long_read)
        assert reading.wait(WAIT)
        writer = pool.submit(server.web.use, write)
        time.sleep(0.3)
        assert events == []  # the write waits for the read
        done_reading.set()
        while "write runs" not in events:
            time.sleep(0.01)
        second = pool.submit(server.web.read, short_read)
        for f in (first, writer, second):
            f.result(timeout=WAIT)
    assert events == ["read ends", "write runs", "write ends", "second read runs"]


def test_an_answer_computed_across_a_change_is_not_kept(server):
    """A cached answer whose computation overlapped a change is given to its
    caller but not kept: the next caller computes again."""
    computing, go_on = threading.Event(), threading.Event()
    answers = iter(["before the change", "after the change"])

    def work(wh):
        computing.set()
        go_on.wait(WAIT)
        return next(answers)

    key = ("test-readers", "kept?")
    with ThreadPoolExecutor(1) as pool:
        first = pool.submit(server.web.cached, key, work)
        assert computing.wait(WAIT)
        server.web.changed("test-readers")
        go_on.set()
        assert first.result(timeout=WAIT) == "before the change"
    assert server.web.cached(key, work) == "after the change"
    assert server.web.cached(key, work) == "after the change"  # kept now


def _held(calls: list, computing: threading.Event, go_on: threading.Event):
    """Work that counts its calls, says it started, and waits for `go_on`."""

    def work(wh):
        calls.append(1)
        computing.set()
        go_on.wait(WAIT)
        return wh.count("person")

    return work


def test_an_answer_asked_while_it_is_computed_is_computed_once(server):
    """Twenty users opening the overview at once wait for one computation of
    it, instead of each computing it beside the others."""
    computing, go_on = threading.Event(), threading.Event()
    calls = []
    work = _held(calls, computing, go_on)
    key = ("test-readers", "once")
    with ThreadPoolExecutor(3) as pool:
        first = pool.submit(server.web.cached, key, work)
        assert computing.wait(WAIT)
        others = [pool.submit(server.web.cached, key, work) for _ in range(2)]
        time.sleep(0.3)
        go_on.set()
        answers = [f.result(timeout=WAIT) for f in [first, *others]]
    assert answers == [300, 300, 300] and len(calls) == 1


def test_answers_made_of_shared_parts_compute_each_part_once(server):
    """Two projects' overviews computed at once share the figures of the
    tables both read: an answer computed outside any read (`reads=False`)
    asks its parts of the cache, which waits for a part being computed."""
    computing, go_on = threading.Event(), threading.Event()
    calls = []
    part = _held(calls, computing, go_on)

    def whole(name):
        return name, server.web.cached(("test-readers", "part"), part)

    with ThreadPoolExecutor(2) as pool:
        first = pool.submit(
            server.web.cached, ("test-readers", "a"), whole, "a", reads=False
        )
        assert computing.wait(WAIT)
        second = pool.submit(
            server.web.cached, ("test-readers", "b"), whole, "b", reads=False
        )
        time.sleep(0.3)
        go_on.set()
        answers = [first.result(timeout=WAIT), second.result(timeout=WAIT)]
    assert answers == [("a", 300), ("b", 300)] and len(calls) == 1


ROUNDS = 2
ASKED = [  # count requests of project cardio, each asked by several threads
    ("/api/overview", {}),
    ("/api/search", {"q": "diabète", "limit": 0}),
    ("/api/search", {"q": "fièvre OR toux", "limit": 0, "exclude": "none"}),
    ("/api/vocabulary", {"q": "insuffisance"}),
]


def test_parallel_reads_with_a_write_in_the_middle(fresh_server):
    """Eight clients ask counts and the cohort list at once while one saves a
    search as a cohort: every answer is right, the same question gets the same
    answer, a list asked after the save shows the cohort, and the audit chain
    still verifies with an entry for every call."""
    admin = fresh_server.client("ada")
    before = admin.get("/api/admin/audit/verify").json()["entries"]
    clients = [fresh_server.client("rita") for _ in range(8)]
    answers: dict[tuple, list] = {}
    lists = []  # (asked after the save was answered, cohort names)
    saved = threading.Event()
    errors = []

    def client(i: int):
        c = clients[i]
        for round_ in range(ROUNDS):
            for path, query in ASKED[i % 2 :] + ASKED[: i % 2]:
                r = c.get(path, params={"project": "cardio", **query})
                if r.status_code != 200:
                    errors.append((path, r.status_code, r.text[:200]))
                    continue
                answers.setdefault((path, str(query)), []).append(r.json())
            after = saved.is_set()
            r = c.get("/api/cohorts", params={"project": "cardio"})
            if r.status_code != 200:
                errors.append(("/api/cohorts", r.status_code, r.text[:200]))
            else:
                lists.append((after, {row["name"] for row in r.json()}))
            if i == 0 and round_ == 0:  # the write, in the middle of the burst
                r = c.post(
                    "/api/search/cohort",
                    params={"project": "cardio"},
                    json={"q": "diabète", "name": "readers: diabète"},
                )
                if r.status_code != 200:
                    errors.append(("save", r.status_code, r.text[:200]))
                saved.set()

    _in_threads(*[lambda i=i: client(i) for i in range(len(clients))])
    assert errors == []
    assert set(answers) == {(p, str(q)) for p, q in ASKED}
    for key, got in answers.items():
        assert len(got) == ROUNDS * len(clients), key
        assert all(a == got[0] for a in got), key  # one question, one answer
    assert saved.is_set()
    assert all("readers: diabète" in names for after, names in lists if after)
    assert len(lists) == ROUNDS * len(clients)
    verified = admin.get("/api/admin/audit/verify").json()
    assert verified["ok"] is True and verified["first_bad"] is None
    calls = ROUNDS * len(clients) * (len(ASKED) + 1) + 1
    assert verified["entries"] >= before + calls  # each call: one entry at least


def test_a_command_gets_the_file_during_a_burst_of_reads(fresh_server):
    """Reads keep coming while a command opens the served file: the server lets
    it go between reads (none fails, no closed connection), the command runs,
    and the reads go on."""
    path = fresh_server.wh.uri.path
    stop = threading.Event()
    statuses: list[int] = []

    def reader():
        c = fresh_server.client("rita")
        while not stop.is_set():
            r = c.get("/api/search", params={"project": "cardio", "q": "toux", "limit": 0})  # fmt: skip
            statuses.append(r.status_code)
            if r.status_code != 200:
                statuses.append(r.text)

    threads = [threading.Thread(target=reader) for _ in range(4)]
    for t in threads:
        t.start()
    try:
        command = subprocess.run(
            [sys.executable, "-c",
             "import sys; from entrepot.warehouse import Warehouse\n"
             "with Warehouse.open(sys.argv[1]) as wh: print(wh.count('person'))",
             str(path)],
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        time.sleep(0.5)  # reads after the command
    finally:
        stop.set()
        for t in threads:
            t.join(60)
    assert command.returncode == 0, command.stderr[-500:]
    assert command.stdout.strip() == "300"
    assert statuses and set(statuses) == {200}, [s for s in statuses if s != 200][:3]


@pytest.fixture
def one_lock_server(web_file, tmp_path):
    """A server whose reads take turns (`readers=False`: the baseline)."""
    yield from _serve_copy(web_file, tmp_path, readers=False)


def test_one_lock_makes_reads_take_turns(one_lock_server):
    """The baseline the bench compares with: with `readers=False` a read
    waits for the one running."""
    met = threading.Barrier(2, timeout=1)

    def read(wh):
        met.wait()

    with pytest.raises(threading.BrokenBarrierError):
        _in_threads(
            lambda: one_lock_server.web.read(read),
            lambda: one_lock_server.web.read(read),
        )
