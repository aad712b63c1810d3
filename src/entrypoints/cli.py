"""The `kasir` command line: serve, migrate, the standalone simulator and its controls."""

import argparse
import asyncio
import getpass
import json
import os
import sys
from collections.abc import Sequence
from typing import Any

import httpx
import uvicorn

from adapters.sqlalchemy.engine import create_engine_for
from adapters.sqlalchemy.migrate import upgrade_database
from adapters.sqlalchemy.unit_of_work import SqlAlchemyUnitOfWorkFactory
from application.callers import Role, System
from application.errors import ApplicationError
from domain.errors import DomainError
from entrypoints import gateways, midtrans_gateway
from entrypoints.background import process_runner_id, run_pass
from entrypoints.container import SIMULATOR_RECEIVER_PATH, build_container
from entrypoints.demo_data import DEMO_ADMIN, demo_admin_password, seed_demo_menu
from entrypoints.duitku_simulator import (
    DEFAULT_MOUNT_PATH,
    DEV_API_KEY,
    DEV_MERCHANT_CODE,
    SimulatorConfig,
    create_simulator_app,
)
from entrypoints.logging_setup import configure_logging, logging_config
from entrypoints.midtrans_simulator import DEFAULT_MOUNT_PATH as MIDTRANS_MOUNT_PATH
from entrypoints.midtrans_simulator import (
    DEV_SERVER_KEY,
    MidtransSimulatorConfig,
    create_midtrans_simulator_app,
)
from entrypoints.resources import close_resources
from entrypoints.server_limits import uvicorn_limits
from entrypoints.settings import (
    Settings,
    SettingsError,
    load_settings,
    with_local_staff_token,
    with_run_secret_key,
)
from entrypoints.webhook_receiver import listener_app


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        code: int = args.run(args)
    except SettingsError as error:
        print(f"kasir: {error}", file=sys.stderr)
        return 2
    return code


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kasir", description=__doc__)
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help="migrate the database, then run the HTTP service")
    serve.add_argument("--host", default=None, help="default: HOST setting (127.0.0.1)")
    serve.add_argument("--port", type=int, default=None, help="default: PORT setting (8000)")
    serve.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
    serve.set_defaults(run=_serve)

    migrate = commands.add_parser("migrate", help="apply database migrations to DATABASE_URL")
    migrate.set_defaults(run=_migrate)

    reconcile = commands.add_parser(
        "reconcile", help="one reconciliation pass (prints a JSON summary)"
    )
    reconcile.set_defaults(run=_reconcile)

    listen = commands.add_parser(
        "listen", help="receive kasir's webhook feed and print every verified delivery"
    )
    listen.add_argument("--host", default="127.0.0.1")
    listen.add_argument("--port", type=int, default=8200)
    listen.add_argument(
        "--secret",
        default=None,
        help="the subscription's whsec_ secret (default: the WEBHOOK_SECRET setting)",
    )
    listen.set_defaults(run=_listen)
    staff = commands.add_parser("staff", help="staff accounts")
    staff_actions = staff.add_subparsers(required=True, metavar="ACTION")
    add = staff_actions.add_parser(
        "add", help="add a staff account (the first admin of a fresh install)"
    )
    add.add_argument("name", help="the account's name (unique, compared ignoring case)")
    add.add_argument("--role", choices=[r.value for r in Role], required=True)
    add.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from standard input (one line) instead of prompting twice",
    )
    add.set_defaults(run=_staff_add)

    simulator = commands.add_parser(
        "simulator", help="a gateway's simulator (Duitku or Midtrans), standalone or driven"
    )
    simulator.add_argument("--host", default="127.0.0.1")
    simulator.add_argument("--port", type=int, default=8100)
    simulator.add_argument("--gateway", choices=("duitku", "midtrans"), default="duitku")
    simulator.set_defaults(run=_simulator)
    actions = simulator.add_subparsers(metavar="ACTION")
    for action in ("pay", "fail", "expire"):
        control = actions.add_parser(action, help=f"{action} a simulated transaction")
        control.add_argument("order_uid", help="the attempt's order_uid to act on")
        control.add_argument(
            "--url",
            default=None,
            help="simulator root (default: the one mounted in the service at PUBLIC_BASE_URL)",
        )
        control.set_defaults(run=_simulator_control, action=action)
    return parser


def _serve(args: argparse.Namespace) -> int:
    loaded = load_settings()
    settings, local_token = with_local_staff_token(with_run_secret_key(loaded))
    configure_logging(settings.log_level)
    if loaded.kasir_secret_key is None and settings.kasir_secret_key is not None:
        # Worker processes read the settings again: one secret for every worker of this run.
        os.environ["KASIR_SECRET_KEY"] = settings.kasir_secret_key.get_secret_value()
    if local_token is not None:
        # Worker processes read the settings again: hand them the same token.
        os.environ["KASIR_STAFF_TOKENS"] = (
            f"{local_token.name}:{local_token.token.get_secret_value()}"
        )
    host = args.host or settings.host
    port = args.port or settings.port
    if "public_base_url" not in settings.model_fields_set:
        # Unset, the public address is where this server listens (callbacks, QR links).
        os.environ["PUBLIC_BASE_URL"] = f"http://{host}:{port}"
        settings = settings.model_copy(update={"public_base_url": os.environ["PUBLIC_BASE_URL"]})
    demo_password = asyncio.run(_prepare_database(settings))
    _print_banner(
        settings, local_token.token.get_secret_value() if local_token else None, demo_password
    )
    uvicorn.run(
        "entrypoints.http.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=args.workers,
        log_config=logging_config(settings.log_level),  # applied again in each worker
        proxy_headers=False,
        server_header=False,
        **uvicorn_limits(settings),
    )
    return 0


async def _prepare_database(settings: Settings) -> str | None:
    """Migrations run once here, before any worker starts, never inside a request. In
    simulated modes, the demo menu and the demo admin's password for this run."""
    await upgrade_database(settings.database_url)
    if not settings.simulated:
        return None
    engine = create_engine_for(settings.database_url)
    try:
        await seed_demo_menu(SqlAlchemyUnitOfWorkFactory(engine))
    finally:
        await engine.dispose()
    container = build_container(settings)
    try:
        return await demo_admin_password(container.add_staff(), container.change_staff())
    finally:
        await close_resources(container)


def _listen(args: argparse.Namespace) -> int:
    """Print every verified delivery of the feed (register http://HOST:PORT/ with its secret)."""
    secret = args.secret or os.environ.get("WEBHOOK_SECRET", "").strip()
    if not secret.startswith("whsec_"):
        print("kasir: listen needs --secret whsec_... (or WEBHOOK_SECRET)", file=sys.stderr)
        return 2
    print(f"listening for kasir webhooks on http://{args.host}:{args.port}/", flush=True)
    uvicorn.run(
        listener_app(secret),
        host=args.host,
        port=args.port,
        log_level="warning",
        server_header=False,
    )
    return 0


def _print_banner(
    settings: Settings, local_token: str | None, demo_password: str | None = None
) -> None:
    lines = [f"kasir on {settings.base_url}  (database: {_safe_url(settings.database_url)})"]
    if settings.simulated:
        lines.append(
            f"PAYMENTS ARE SIMULATED (DUITKU_ENV={settings.duitku_env}): no real money moves."
        )
        if settings.duitku_env == "simulator" and not settings.duitku_base_url:
            lines.append(f"Duitku simulator mounted at {settings.base_url}{DEFAULT_MOUNT_PATH}")
        if not settings.webhook_url and gateways.uses_mounted_simulator(settings):
            lines.append(
                f"Webhook feed: every event is delivered, signed, to the receiver at "
                f"{settings.base_url}{SIMULATOR_RECEIVER_PATH} (logged as kasir.webhooks.receiver)"
            )
        if midtrans_gateway.uses_mounted_midtrans_simulator(settings):
            lines.append(f"Midtrans simulator mounted at {settings.base_url}{MIDTRANS_MOUNT_PATH}")
    else:
        lines.append(f"Duitku {settings.duitku_env}: REAL payments.")
        if settings.midtrans_environment is not None:
            lines.append(f"Midtrans {settings.midtrans_environment}: REAL payments.")
    lines.append(f"New QRIS attempts go to {settings.qris_gateway}.")
    if local_token:
        lines.append(f"Local staff token (this run only): {local_token}")
    if demo_password:
        lines.append(
            f"Local admin login (this run only): name {DEMO_ADMIN}, password {demo_password}"
        )
        lines.append(
            f"  curl -X POST {settings.base_url}/api/v1/auth/login -H 'Content-Type: "
            f'application/json\' -d \'{{"name": "{DEMO_ADMIN}", "password": '
            f'"{demo_password}"}}\''
        )
    lines.append(f"API docs: {settings.base_url}/schema")
    width = max(len(line) for line in lines)
    print("=" * width, *lines, "=" * width, sep="\n", flush=True)


def _safe_url(url: str) -> str:
    """The database URL without its password."""
    from sqlalchemy.engine import make_url  # noqa: PLC0415 - only needed for the banner

    return make_url(url).render_as_string(hide_password=True)


def _reconcile(_: argparse.Namespace) -> int:
    """What the service's background job does in one pass, run once from the command line."""
    settings = load_settings()
    configure_logging(settings.log_level)
    in_process = (
        settings.duitku_env == "fake"
        or gateways.uses_mounted_simulator(settings)
        or settings.midtrans_environment == "fake"
        or midtrans_gateway.uses_mounted_midtrans_simulator(settings)
    )
    if in_process:
        # The fake gateways and the mounted simulators keep their transactions inside the
        # serving process: asked from here, they would report every attempt unknown.
        print(
            "kasir: reconcile needs every configured gateway outside this process: sandbox or "
            "production, or simulator with DUITKU_BASE_URL / MIDTRANS_BASE_URL (the "
            "standalone simulators)",
            file=sys.stderr,
        )
        return 2
    summary = asyncio.run(_reconcile_once(settings))
    print(json.dumps(summary, indent=2, sort_keys=True))
    return 0


async def _reconcile_once(settings: Settings) -> dict[str, Any]:
    container = build_container(settings)
    try:
        return await run_pass(container, owner=process_runner_id(), housekeeping=True)
    finally:
        await close_resources(container)


def _staff_add(args: argparse.Namespace) -> int:
    """Add an account from the command line (migrating the database first, so a fresh install
    gets its first admin before the service ever ran). The password is never an argument:
    it would stay in the shell's history and the process list."""
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = getpass.getpass(f"Password for {args.name}: ")
        if getpass.getpass("The same password again: ") != password:
            print("kasir: the two passwords differ; nothing was added", file=sys.stderr)
            return 1
    settings = load_settings()
    try:
        account = asyncio.run(_add_account(settings, args.name, Role(args.role), password))
    except (ApplicationError, DomainError) as error:
        print(f"kasir: {error.message}; nothing was added", file=sys.stderr)
        return 1
    print(f"added {account} ({args.role})")
    return 0


async def _add_account(settings: Settings, name: str, role: Role, password: str) -> str:
    await upgrade_database(settings.database_url)
    container = build_container(settings)
    try:
        account = await container.add_staff().execute(
            caller=System("cli"), name=name, role=role, password=password
        )
    finally:
        await close_resources(container)
    return f"{account.name} as {account.staff_id}"


def _migrate(_: argparse.Namespace) -> int:
    settings = load_settings()
    asyncio.run(upgrade_database(settings.database_url))
    print(f"database at {_safe_url(settings.database_url)} is up to date")
    return 0


def _simulator(args: argparse.Namespace) -> int:
    settings = load_settings()
    configure_logging(settings.log_level)
    if args.gateway == "midtrans":
        return _midtrans_simulator(args, settings)
    config = SimulatorConfig(
        merchant_code=settings.duitku_merchant_code or DEV_MERCHANT_CODE,
        api_key=(
            settings.duitku_api_key.get_secret_value() if settings.duitku_api_key else DEV_API_KEY
        ),
        public_base_url=f"http://{args.host}:{args.port}",
        **gateways.simulator_signatures(settings),
    )
    print(f"Duitku simulator on http://{args.host}:{args.port} (merchant {config.merchant_code})")
    uvicorn.run(create_simulator_app(config), host=args.host, port=args.port, log_config=None)
    return 0


def _midtrans_simulator(args: argparse.Namespace, settings: Settings) -> int:
    """The Midtrans simulator on its own port; kasir reaches it with MIDTRANS_ENV=simulator
    and MIDTRANS_BASE_URL=http://HOST:PORT."""
    key = settings.midtrans_server_key
    config = MidtransSimulatorConfig(
        server_key=key.get_secret_value() if key else DEV_SERVER_KEY,
        public_base_url=f"http://{args.host}:{args.port}",
        default_notification_url=f"{settings.base_url}{midtrans_gateway.WEBHOOK_PATH}",
    )
    print(f"Midtrans simulator on http://{args.host}:{args.port}")
    app = create_midtrans_simulator_app(config)
    uvicorn.run(app, host=args.host, port=args.port, log_config=None)
    return 0


def _simulator_control(args: argparse.Namespace) -> int:
    mount = MIDTRANS_MOUNT_PATH if args.gateway == "midtrans" else DEFAULT_MOUNT_PATH
    root = args.url or f"{load_settings().base_url}{mount}"
    url = f"{root.rstrip('/')}/control/transactions/{args.order_uid}/{args.action}"
    response = httpx.post(url, timeout=30)
    print(json.dumps(response.json(), indent=2))
    return 0 if response.is_success else 1


if __name__ == "__main__":
    raise SystemExit(main())
