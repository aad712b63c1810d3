"""`make bench --servers uvicorn,granian` runs the database suites again on granian, each right
after its uvicorn run (`kasir serve`, whose figures the goals judge); other suites run once."""

import pytest

from kasir_bench.cli import parser, with_servers


def test_each_database_suite_is_followed_by_its_run_on_every_other_server() -> None:
    suites = ["server", "sqlite", "pg", "pg2", "scale-pg"]

    assert with_servers(suites, ["uvicorn", "granian"]) == [
        "server",
        "sqlite",
        "sqlite@granian",
        "pg",
        "pg@granian",
        "pg2",
        "pg2@granian",
        "scale-pg",
    ]


@pytest.mark.parametrize("servers", [["uvicorn"], []])
def test_without_another_server_the_suites_are_run_once(servers: list[str]) -> None:
    assert with_servers(["sqlite", "pg"], servers) == ["sqlite", "pg"]


def test_uvicorn_alone_is_the_default() -> None:
    assert parser().parse_args([]).servers == "uvicorn"
