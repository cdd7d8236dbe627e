"""The tree's runbook site: a function of the service folders present, nothing else."""

from __future__ import annotations

from sre.generate.site import mkdocs_config, service_folders, site_index

ORDERS = {
    "orders-etl/index.md": "# Orders ETL runbooks\n\n| [OrdersStale](alerts/OrdersStale.md) |\n"
    "| [OrdersRunsFailing](alerts/OrdersRunsFailing.md) | [Stale](runbook.md#stale) |\n",
    "orders-etl/runbook.md": "# Orders ETL Operational Runbook\n",
    "orders-etl/alerts/OrdersStale.md": "# OrdersStale\n",
    "orders-etl/alerts/OrdersRunsFailing.md": "# OrdersRunsFailing\n",
    "orders-etl/procedures/replay.md": "# Replay a day\n",  # not linked from the home
}
API = {
    "checkout-api/index.md": "# Checkout API runbooks\n\n[Fast](alerts/LatencyBurnFast.md)\n",
    "checkout-api/runbook.md": "# Checkout API Operational Runbook\n",
    "checkout-api/alerts/LatencyBurnFast.md": "# LatencyBurnFast\n",
}


def test_each_service_is_a_nav_section_in_the_order_of_its_home_page() -> None:
    nav = mkdocs_config({**ORDERS, **API}, "https://runbooks.example.org/")["nav"]
    assert nav[0] == {"Home": "index.md"}
    assert [next(iter(n)) for n in nav[1:]] == ["Checkout API", "Orders ETL"]
    orders = nav[2]["Orders ETL"]
    assert orders[:2] == [
        {"Overview": "orders-etl/index.md"},
        {"Single-file runbook": "orders-etl/runbook.md"},
    ]
    assert orders[2] == {
        "Alerts": [
            {"OrdersStale": "orders-etl/alerts/OrdersStale.md"},
            {"OrdersRunsFailing": "orders-etl/alerts/OrdersRunsFailing.md"},
        ]
    }
    # A page the home does not link is in the nav too, titled by its heading.
    assert orders[3] == {"Procedures": [{"Replay a day": "orders-etl/procedures/replay.md"}]}


def test_the_site_does_not_depend_on_which_service_comes_first() -> None:
    one = {**ORDERS, **API}
    other = {**API, **ORDERS}
    assert mkdocs_config(one, "https://x.example/") == mkdocs_config(other, "https://x.example/")
    assert site_index(one) == site_index(other)


def test_one_service_names_the_site_several_make_it_runbooks() -> None:
    assert mkdocs_config(ORDERS, "https://x.example/")["site_name"] == "Orders ETL runbooks"
    assert mkdocs_config({**ORDERS, **API}, "https://x.example/")["site_name"] == "Runbooks"


def test_the_home_lists_every_service_with_its_alert_count() -> None:
    home = site_index({**ORDERS, **API})
    assert "| [Checkout API](checkout-api/index.md) | `checkout-api` | 1 |" in home
    assert "| [Orders ETL](orders-etl/index.md) | `orders-etl` | 2 |" in home
    assert service_folders({"x/alerts/A.md": "", "index.md": ""}) == []  # no home, no service
