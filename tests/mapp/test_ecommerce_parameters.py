"""E-commerce parameters (importData ecommerce_parameters, keyed by order id) as analysis
objects: an order hit takes the values its order id (`oi`) has, read again from the hit's
text, from the pre-aggregates and the raw hits alike.

Multi-value parameters (uploaded with a `Productname`) are keyed by order id and product: an
order hit is in the row of each of its products' values, like product categories.

The log (2024-06-12, Europe/Berlin):
  a  11:00 home; 11:05 checkout, order o-1 (19.99)
  b  11:10 checkout, order o-2 (5.00); 11:12 checkout again, order o-3 (7.50, no upload)
  c  11:20 checkout, an order without an order id (st=conf)
"""

import pytest

from polytrack.mapp.client import MappClient
from tests.mapp.helpers import NOW_MS, PATH, SHOP, hit, stored
from tests.mapp.test_categories import rows

pytestmark = pytest.mark.usefixtures("services", "world")

T = NOW_MS - 3 * 3_600_000  # 11:00 Berlin
MIN = 60_000
PARAMETERS = [["Order ID", "Parameter (Text) - Payment method", "Parameter (Text) - Shipping"],
              ["o-1", "invoice", "express"], ["o-2", "card", ""], ["o-9", "card", "standard"]]


@pytest.fixture
def client(http):
    hit(http, "home", eid="a", at_ms=T)
    hit(http, "checkout", eid="a", at_ms=T + 5 * MIN, oi="o-1", ov="19.99", ba="shirt", st="conf")
    hit(http, "checkout", eid="b", at_ms=T + 10 * MIN, oi="o-2", ov="5.00", st="conf")
    hit(http, "checkout", eid="b", at_ms=T + 12 * MIN, oi="o-3", ov="7.50", st="conf")
    hit(http, "checkout", eid="c", at_ms=T + 20 * MIN, st="conf", co="3.00")
    client = MappClient(PATH, http=http)
    client.login(SHOP, "alice", "alice-pass", language="en")
    assert client.import_data("ecommerce_parameters", PARAMETERS) == []
    return client


def test_an_order_hit_takes_its_order_ids_values(client, services):
    assert rows(client, ["Payment method"], ("Orders", "Order Value", "Page Impressions")) == [
        ["", "2", "10.50", "3"], ["card", "1", "5.00", "1"], ["invoice", "1", "19.99", "1"]]
    assert rows(client, ["Shipping"], ("Orders",)) == [["", "3"], ["express", "1"]]
    assert rows(client, ["Pages"], ("Orders",), [("Payment method", "=", "*")]) == [["checkout", "2"]]
    assert rows(client, ["Payment method", "Shipping"], ("Orders",)) == [
        ["", "", "2"], ["card", "", "1"], ["invoice", "express", "1"]]
    assert stored(services, "SELECT order_id FROM mapp_hit_orders ORDER BY order_id") == [("o-1",), ("o-2",), ("o-3",)]


def test_they_are_listed_and_a_new_upload_moves_them(client):
    objects = client.objects_and_metrics()["analysisObjects"]
    assert objects.count("Payment method") == 1 and "Shipping" in objects
    client.import_data("ecommerce_parameters", [["Order ID", "Parameter (Text) - Payment method"], ["o-3", "paypal"]])
    assert rows(client, ["Payment method"], ("Orders",)) == [["", "1"], ["card", "1"], ["invoice", "1"], ["paypal", "1"]]


def test_a_late_order_hit_is_filed_too(client, http):
    rows(client, ["Payment method"], ("Orders",))
    hit(http, "checkout", eid="d", at_ms=T + 40 * MIN, oi="o-9", ov="1.00", st="conf")
    assert rows(client, ["Payment method"], ("Orders",)) == [["", "2"], ["card", "2"], ["invoice", "1"]]


def test_multi_value_parameters_by_order_and_product(client, http):
    hit(http, "checkout", eid="d", at_ms=T + 40 * MIN, oi="o-4", ba="shirt;socks;hat", ov="30.00", st="conf")
    client.import_data("ecommerce_parameters", [["Order ID", "Productname", "Parameter (Text) - Size"],
                                                ["o-4", "shirt", "M"], ["o-4", "socks", "L"], ["o-4", "hat", "M"],
                                                ["o-1", "shirt", "S"]])
    objects = client.objects_and_metrics()["analysisObjects"]
    assert "Size" in objects and "Productname" not in objects  # the product is part of the key
    # o-4 is in M once and in L; orders without products or without an order id are in ""
    assert rows(client, ["Size"], ("Orders", "Order Value")) == [
        ["", "3", "15.50"], ["L", "1", "30.00"], ["M", "1", "30.00"], ["S", "1", "19.99"]]
    assert rows(client, ["Pages"], ("Orders",), [("Size", "=", "m")]) == [["checkout", "1"]]
    assert rows(client, ["Pages"], ("Orders",), [("Size", "!=", "m")]) == [["checkout", "4"], ["home", "0"]]
    assert rows(client, ["Payment method", "Size"], ("Orders",)) == [
        ["", "", "2"], ["", "L", "1"], ["", "M", "1"], ["card", "", "1"], ["invoice", "S", "1"]]
    exported = client.export_data("ecommerce_parameters")
    assert exported[0] == ["Order ID", "Productname", "Parameter (Text) - Payment method", "Parameter (Text) - Shipping",
                           "Parameter (Text) - Size"]
    assert ["o-1", "", "invoice", "express", ""] in exported and ["o-4", "socks", "", "", "L"] in exported
    client.import_data("ecommerce_parameters", exported)  # imports again unchanged
    assert client.export_data("ecommerce_parameters") == exported
