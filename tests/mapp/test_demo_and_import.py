"""The demo month of hits (seeded through the import path) and `polytrack mapp import FILE`."""

import json
from datetime import datetime, timedelta

import pytest

from polytrack import cli
from polytrack.kernel.dates import zone
from polytrack.mapp import demo as mapp_demo
from polytrack.mapp.client import MappClient
from tests.mapp.helpers import NOW_MS, PATH, SHOP, p, stored


def test_the_demo_month_answers_the_first_analysis_with_real_numbers(http, services):
    with services.transaction() as db:
        mapp_demo.seed(services, db)
    count = stored(services, "SELECT count(*) FROM mapp_hits")[0][0]
    assert 15_000 < count < 40_000
    with services.transaction() as db:  # seeding again adds nothing
        mapp_demo.seed(services, db)
    assert stored(services, "SELECT count(*) FROM mapp_hits")[0][0] == count

    creds = mapp_demo.credentials("http://testserver")["mapp"]
    client = MappClient(PATH, http=http)
    client.login(creds["customerId"], creds["login"], creds["pass"])
    days = client.analysis(analysisObjects=[{"title": "Days"}], metrics=[{"title": "Visits"}, {"title": "Orders"}])
    assert len(days["analysisData"]) == 32  # 31 days and the total
    visits = [int(row[1]) for row in days["analysisData"][:-1]]
    assert all(visits[:-1]) and sum(visits) > 4000
    assert int(days["analysisData"][-1][2]) > 20
    pages = client.analysis(analysisObjects=[{"title": "Pages"}], metrics=[{"title": "Page Impressions"}], rowLimit=3, hideFooters=1)
    assert pages["analysisData"][0][0] == "home" and pages["totalRowCount"] > 10
    campaigns = client.analysis(analysisObjects=[{"title": "Campaigns"}], hideFooters=1)
    assert {row[0] for row in campaigns["analysisData"]} >= {"newsletter.weekly", "google.ads.shoes"}
    # its imported categories are objects too: products' lines, campaigns' channels, customers' groups
    for title, values in (("Product line", {"Footwear", "Apparel"}), ("Channel", {"E-Mail", "Paid search"}),
                          ("Customer group", {"Gold", "Silver", "Bronze"}), ("Pricing", {"Full price", "Sale"}),
                          ("Return status", {"Kept", "Returned"})):
        rows = client.analysis(analysisObjects=[{"title": title}], metrics=[{"title": "Visits"}, {"title": "Orders"}],
                               hideFooters=1)["analysisData"]
        assert {row[0] for row in rows} >= values | {""}, (title, rows)
    # the pricing is time-dependent: a sale only in the last two weeks
    by_day = client.analysis(analysisObjects=[{"title": "Days"}, {"title": "Pricing"}], hideFooters=1)["analysisData"]
    sale_days = {datetime.strptime(row[0], "%d.%m.%Y").date() for row in by_day if row[1] == "Sale"}
    sale_start = services.clock.now().astimezone(zone("Europe/Berlin")).date() - timedelta(days=mapp_demo.SALE_DAYS)
    assert sale_days and min(sale_days) >= sale_start
    assert any(row[1] == "Full price" and datetime.strptime(row[0], "%d.%m.%Y").date() < sale_start for row in by_day)

    # the pixel URL of the credentials records into the demo shop
    before = stored(services, "SELECT count(*) FROM mapp_hits")[0][0]
    assert http.get(creds["pixel_url"].replace("http://testserver", "") + f"?p={p('from the readme', NOW_MS)}").status_code == 200
    assert stored(services, "SELECT count(*) FROM mapp_hits")[0][0] == before + 1


def test_the_demo_is_the_same_for_the_same_day():
    from datetime import timezone
    from polytrack.mapp import demo_hits

    now = datetime(2024, 6, 12, 12, tzinfo=timezone.utc)
    first = list(demo_hits.hit_log(now, zone("Europe/Berlin")))
    assert first == list(demo_hits.hit_log(now, zone("Europe/Berlin")))
    assert max(int(line.split("\t")[0]) for line in first) <= now.timestamp() * 1000


def test_import_a_hit_log(world, services, database_url, tmp_path, capsys):
    log = tmp_path / "hits.log"
    t = NOW_MS - 3_600_000
    log.write_text("\n".join([
        "# a comment, then an empty line", "",
        f"{t}\tp={p('home', t)}&eid=imp",
        f"2024-06-12T11:01:00Z\t/{SHOP}/wt?p={p('list', t + 60_000)}&eid=imp\tcurl/8.5",
        f"{(t + 120_000) // 1000} p={p('item', t + 120_000)}&eid=imp",
        "yesterday\tp=600,x",
        f"{t}\t/424242/wt?p=600,x",
        f"{t}\tno-p=here",
    ]) + "\n", encoding="utf-8")
    assert cli.main(["mapp", "import", str(log), "--track-id", SHOP, "--quiet", "--db", database_url]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["lines"] == 8 and report["stored"] == 3
    assert report["rejected"] == {"unreadable timestamp": 1, "unknown track id": 1, "no p parameter": 1}
    rows = stored(services, "SELECT page, time_ms, bot, visit_id IS NOT NULL FROM mapp_hits ORDER BY time_ms")
    assert rows == [("home", t, False, True), ("list", t + 60_000, True, False), ("item", t + 120_000, False, True)]
    assert len(stored(services, "SELECT id FROM mapp_visits")) == 1


def test_import_of_a_missing_file_says_so(services, database_url, capsys):
    assert cli.main(["mapp", "import", "/no/such/file.log", "--db", database_url]) == 2
    assert "no such file" in capsys.readouterr().err


@pytest.mark.usefixtures("world")
def test_import_shows_a_progress_bar(services, database_url, tmp_path, capsys):
    log = tmp_path / "hits.log"
    log.write_text(f"{NOW_MS}\tp=600,home&eid=bar\n")
    assert cli.main(["mapp", "import", str(log), "--track-id", SHOP, "--db", database_url]) == 0
    assert "importing hits.log" in capsys.readouterr().out
