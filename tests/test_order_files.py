"""The order book from the plant's systems (issue 15, part 2): CSV and Excel files, an ERP
export's own headers through a column map, every problem by row and column, and a round trip
through r2r export."""

from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from tests.conftest import SCENARIOS, SMALL_PLANT
from twin.cli import app
from twin.scenario import ScenarioError, load_scenario

runner = CliRunner()

ERP = """SO number;Material;Qty;UoM;Delivery date;Prio
SO-1;si_ni;4500;M;12/12/2026;2
SO-2;si_ni;2;ROLL;15/12/2026;1
SO-3;si_ni;900;M2;20/12/2026;1
"""


def plant_with(tmp_path: Path, orders: Any) -> Path:
    document: dict[str, Any] = copy.deepcopy(SMALL_PLANT)
    document["start"] = "2026-12-07T06:00"
    document["orders"] = orders
    path = tmp_path / "plant.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return path


ERP_MAP = {
    "file": "orders.csv",
    "delimiter": ";",
    "columns": {
        "id": "SO number",
        "product": "Material",
        "quantity": "Qty",
        "unit": "UoM",
        "due": "Delivery date",
        "weight": "Prio",
    },
    "units": {"M": "length_m", "M2": "area_m2", "ROLL": "rolls"},
    "date_format": "%d/%m/%Y",
}


def test_an_erp_export_reads_through_its_column_map(tmp_path: Path) -> None:
    (tmp_path / "orders.csv").write_text(ERP)
    scenario = load_scenario(plant_with(tmp_path, ERP_MAP))
    assert [o.id for o in scenario.orders] == ["SO-1", "SO-2", "SO-3"]
    first, second, third = scenario.orders
    assert first.length_m == 4500 and first.weight == 2
    assert second.rolls == 2 and scenario.order_length_m(second) == 2 * 1000  # 1000 m rolls
    assert third.area_m2 == 900 and scenario.order_length_m(third) == 900  # a 1 m web
    assert first.due == dt.date(2026, 12, 12)
    # due at midnight starting the 12th: 4 days 18 hours after the 06:00 start
    assert scenario.minutes(first.due) == (4 * 24 + 18) * 60


def test_every_bad_row_is_named_by_its_row_and_column(tmp_path: Path) -> None:
    rows = ERP.splitlines()
    rows[2] = "SO-2;si_nix;2;ROLL;15/12/2026;1"  # row 3: an unknown product
    rows[3] = "SO-3;si_ni;900;M2;31/02/2027;1"  # row 4: no such date
    rows.append("SO-4;si_ni;-5;M;20/12/2026;1")  # row 5: a negative length
    rows.append("SO-5;si_ni;10;KG;20/12/2026;1")  # row 6: a unit the book does not know
    (tmp_path / "orders.csv").write_text("\n".join(rows) + "\n")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(plant_with(tmp_path, ERP_MAP))
    shown = [str(p) for p in caught.value.problems]
    assert (
        "orders.csv row 4, column Delivery date: '31/02/2027' is not a date in the form %d/%m/%Y"
        in shown
    )
    assert (
        "orders.csv row 6, column UoM: 'KG' is not a unit of the book (known: M, M2, ROLL)" in shown
    )
    # the date and unit problems come first (the rows cannot become orders); fixed, the rest
    rows[3] = "SO-3;si_ni;900;M2;28/02/2027;1"
    rows[-1] = "SO-5;si_ni;10;M;20/12/2026;1"
    (tmp_path / "orders.csv").write_text("\n".join(rows) + "\n")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(plant_with(tmp_path, ERP_MAP))
    shown = [str(p) for p in caught.value.problems]
    assert (
        "orders.csv row 3, column Material: unknown product 'si_nix' (did you mean 'si_ni'?)"
        in shown
    )
    assert any(s.startswith("orders.csv row 5, column Qty: must be > 0") for s in shown), shown


def test_a_missing_file_or_column_says_so(tmp_path: Path) -> None:
    with pytest.raises(
        ScenarioError, match=r"orders\.file: cannot read the order book: no such file"
    ):
        load_scenario(plant_with(tmp_path, {"file": "nowhere.csv"}))
    (tmp_path / "orders.csv").write_text("id,product,due\nA,si_ni,2026-12-12\n")
    with pytest.raises(ScenarioError, match="has no quantity column"):
        load_scenario(plant_with(tmp_path, {"file": "orders.csv"}))


def test_an_excel_book_reads_like_a_csv_one(tmp_path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["id", "product", "length_m", "release", "due"])
    sheet.append(["X1", "si_ni", 3000, None, dt.datetime(2026, 12, 10, 14, 0)])
    book.save(tmp_path / "orders.xlsx")
    scenario = load_scenario(plant_with(tmp_path, {"file": "orders.xlsx"}))
    [order] = scenario.orders
    assert order.length_m == 3000 and order.due == dt.datetime(2026, 12, 10, 14, 0)


def test_an_exported_order_book_reads_back_as_it_was(tmp_path: Path) -> None:
    store = tmp_path / "s.sqlite"
    baseline = SCENARIOS / "baseline.yaml"
    ran = runner.invoke(
        app,
        ["simulate", str(baseline), "--days", "1", "--replications", "1", "--store", str(store)],
    )
    assert ran.exit_code == 0, ran.output
    book = tmp_path / "orders.csv"
    exported = runner.invoke(
        app,
        ["export", "1", "--format", "csv", "--table", "order_book", "--out", str(book),
         "--store", str(store)],
    )  # fmt: skip
    assert exported.exit_code == 0, exported.output
    document = yaml.safe_load(baseline.read_text())
    document["orders"] = {"file": "orders.csv"}
    copied = tmp_path / "baseline.yaml"
    copied.write_text(yaml.safe_dump(document, sort_keys=False))
    again, original = load_scenario(copied), load_scenario(baseline)
    assert len(again.orders) == len(original.orders) == 44
    for a, b in zip(again.orders, original.orders, strict=True):
        assert (a.id, a.product, a.weight, a.line) == (b.id, b.product, b.weight, b.line)
        assert again.order_length_m(a) == original.order_length_m(b)
        assert again.minutes(a.release) == original.minutes(b.release)
        assert again.minutes(a.due) == original.minutes(b.due)


def test_r2r_orders_check(tmp_path: Path) -> None:
    (tmp_path / "orders.csv").write_text(ERP)
    plant = plant_with(tmp_path, ERP_MAP)
    good = runner.invoke(
        app, ["orders", "check", str(tmp_path / "orders.csv"), "--scenario", str(plant)]
    )
    assert good.exit_code == 0, good.output
    assert (
        "3 order(s), 8 roll(s)"
    )  # 4500 m in five 1000 m rolls, 2 rolls, 900 m in one in good.output
    bad = tmp_path / "bad.csv"
    bad.write_text(ERP.replace("12/12/2026", "31/02/2027"))
    result = runner.invoke(app, ["orders", "check", str(bad), "--scenario", str(plant)])
    assert result.exit_code == 2
    assert "bad.csv row 2, column Delivery date" in result.output
