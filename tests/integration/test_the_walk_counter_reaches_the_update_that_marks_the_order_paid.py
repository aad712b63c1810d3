"""`make walk` keeps measuring what it says: one paying callback, through the real app, up to
the UPDATE that marks the order paid, on kasir's side only. No number is asserted: the count is
what docs/architecture.md reports, not a rule."""

from pathlib import Path

from kasir_bench.walk import report, walk


async def test_the_walk_counter_reaches_the_update_that_marks_the_order_paid(
    tmp_path: Path,
) -> None:
    result = await walk(tmp_path / "walk.db")

    assert result.reached_update
    assert result.statement.startswith("UPDATE orders SET status=")
    layers = result.by_layer()
    assert "entrypoints/http/controllers/gateway_notifications.py" in layers["entrypoints"]
    assert "application/reconciliation.py" in layers["application"]
    assert "adapters/sqlalchemy/repositories.py" in layers["adapters"]
    assert "domain/settlement.py" in layers["domain"]
    everything = [name for names in layers.values() for name in names]
    assert len(everything) == result.count
    assert not [name for name in everything if "duitku_simulator" in name]
    assert report(result).startswith(f"{result.count} files under src/")
