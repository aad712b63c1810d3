"""The composition root: the one place that knows every concrete class.

Providers stay synchronous; async start-up and shutdown (engine dispose, HTTP client close)
live in the Litestar lifespan. Tests override providers (`container.gateway.override(...)`)
on a fresh container per test.
"""

from datetime import timedelta

import httpx
from dependency_injector import containers, providers
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.crypto.aead import AesGcmSealer
from adapters.duitku.config import DuitkuConfig
from adapters.duitku.personal_data import PERSONAL_DATA_FIELDS
from adapters.observability.event_log import LoggingEventPublisher
from adapters.observability.metrics import CountingEventPublisher, InstrumentedGateway
from adapters.sqlalchemy.engine import create_engine_for
from adapters.sqlalchemy.idempotency import SqlAlchemyIdempotencyStore
from adapters.sqlalchemy.reconciliation_queue import SqlAlchemyReconciliationQueue
from adapters.sqlalchemy.unit_of_work import SqlAlchemyUnitOfWorkFactory
from adapters.system import SecureReferenceGenerator, SystemClock
from adapters.wakeups import LocalWakeups
from application.coalescing import SingleFlight
from application.gateway import PaymentGateway
from application.gateways import Gateways
from application.ports import (
    Clock,
    EventPublisher,
    IdempotencyStore,
    ReconciliationQueue,
    ReferenceGenerator,
    UnitOfWorkFactory,
)
from application.reconciliation import AttemptOutcome, AttemptReconciler
from application.reconciliation_schedule import creating_grace
from application.scheduled_checks import ScheduledChecks
from application.sealing import Sealer
from application.use_cases.cancel_order import CancelOrder
from application.use_cases.get_order import GetOrder, ListOrders
from application.use_cases.get_payment import GetPayment
from application.use_cases.handle_payment_notification import HandlePaymentNotification
from application.use_cases.idempotent_requests import IdempotentRequests
from application.use_cases.manage_menu import AddMenuItem, ListMenuItems, UpdateMenuItem
from application.use_cases.notification_inbox import (
    DeleteExpiredRejected,
    ListNotifications,
    RemoveExpiredPersonalData,
    ReprocessNotification,
    ReviewNotification,
)
from application.use_cases.pay_cash import PayCash
from application.use_cases.place_order import PlaceOrder
from application.use_cases.refunds import ListRefunds, ResolveRefund
from application.use_cases.resolve_payment_review import ResolvePaymentReview
from application.use_cases.run_reconciliation import ListPaymentsNeedingReview, RunReconciliation
from application.use_cases.start_qris_payment import StartQrisPayment
from entrypoints import gateways
from entrypoints.duitku_simulator import DuitkuSimulator
from entrypoints.http.auth import StaffAuthenticator
from entrypoints.http.client_address import ClientAddressResolver, SourceAllowlist, networks
from entrypoints.http.creation_limit import CreationLimits
from entrypoints.http.urls import PublicUrls
from entrypoints.http.window_limiter import WindowLimiter
from entrypoints.settings import Settings, secret_key_for_run

# The public endpoints that create something, limited per client address.
RATE_LIMITED_PATHS = frozenset({"/api/v1/orders", "/api/v1/payments/qris"})


def _callback_allowlist(settings: Settings) -> SourceAllowlist:
    allowed = settings.callback_allowlist()
    return SourceAllowlist(None if allowed is None else networks(allowed))


def _simulator_if_mounted(settings: Settings, clock: Clock) -> DuitkuSimulator | None:
    # The mounted simulator tells time by the service's clock: one time for both sides.
    return (
        gateways.mounted_simulator(settings, clock)
        if gateways.uses_mounted_simulator(settings)
        else None
    )


class Container(containers.DeclarativeContainer):
    """Builds every adapter from settings and every use case from adapters."""

    settings: providers.Provider[Settings] = providers.Dependency(instance_of=Settings)

    clock: providers.Provider[Clock] = providers.Singleton(SystemClock)
    references: providers.Provider[ReferenceGenerator] = providers.Singleton(
        SecureReferenceGenerator
    )
    events: providers.Provider[EventPublisher] = providers.Singleton(
        CountingEventPublisher, providers.Singleton(LoggingEventPublisher)
    )

    engine: providers.Provider[AsyncEngine] = providers.Singleton(
        create_engine_for, settings.provided.database_url
    )
    # A committed unit of work hands its aggregates' new events to `events` (logs, metrics).
    uow: providers.Provider[UnitOfWorkFactory] = providers.Singleton(
        SqlAlchemyUnitOfWorkFactory, engine, events=events
    )

    simulator: providers.Provider[DuitkuSimulator | None] = providers.Singleton(
        _simulator_if_mounted, settings, clock
    )
    duitku_config: providers.Provider[DuitkuConfig] = providers.Singleton(
        gateways.duitku_config, settings
    )
    http_client: providers.Provider[httpx.AsyncClient] = providers.Singleton(
        gateways.duitku_http_client, settings, duitku_config, simulator
    )
    gateway: providers.Provider[PaymentGateway] = providers.Singleton(
        InstrumentedGateway,
        providers.Singleton(gateways.payment_gateway, settings, duitku_config, http_client),
    )
    # Every configured gateway by the name its attempts record; the default issues new ones.
    # A Factory over the gateway Singleton, so a test that overrides `gateway` is heard.
    payment_gateways: providers.Provider[Gateways] = providers.Factory(Gateways.only, gateway)

    # One per process: concurrent requests share a status check instead of repeating it.
    status_checks_in_flight: providers.Provider[SingleFlight[AttemptOutcome]] = providers.Singleton(
        SingleFlight
    )
    reconciler: providers.Provider[AttemptReconciler] = providers.Factory(
        AttemptReconciler,
        uow=uow,
        gateways=payment_gateways,
        clock=clock,
        events=events,
        in_flight=status_checks_in_flight,
    )

    # One grace for the QRIS start and the job, longer than the create call can take.
    creating_grace = providers.Callable(
        creating_grace, providers.MethodCaller(duitku_config.provided.create_call_timeout)
    )

    # Idempotency keys and the reconciliation job's queue live in the same database.
    idempotency_store: providers.Provider[IdempotencyStore] = providers.Singleton(
        SqlAlchemyIdempotencyStore, uow
    )
    # One per process, from the one secret every process shares (KASIR_SECRET_KEY).
    replay_sealer: providers.Provider[Sealer] = providers.Singleton(
        AesGcmSealer,
        providers.Singleton(secret_key_for_run, settings),
        purpose=b"idempotent-replays",
    )
    idempotent_requests: providers.Provider[IdempotentRequests] = providers.Factory(
        IdempotentRequests, store=idempotency_store, clock=clock, sealer=replay_sealer
    )
    reconciliation_queue: providers.Provider[ReconciliationQueue] = providers.Singleton(
        SqlAlchemyReconciliationQueue, uow
    )
    run_reconciliation: providers.Provider[RunReconciliation] = providers.Factory(
        RunReconciliation,
        queue=reconciliation_queue,
        reconciler=reconciler,
        clock=clock,
        creating_grace=creating_grace,
    )
    # Wakes this process's reconciliation runner when a request schedules a check.
    check_alarm: providers.Provider[LocalWakeups] = providers.Singleton(LocalWakeups)
    scheduled_checks: providers.Provider[ScheduledChecks] = providers.Factory(
        ScheduledChecks, queue=reconciliation_queue, alarm=check_alarm, clock=clock
    )
    list_payments_needing_review: providers.Provider[ListPaymentsNeedingReview] = providers.Factory(
        ListPaymentsNeedingReview, queue=reconciliation_queue
    )

    add_menu_item: providers.Provider[AddMenuItem] = providers.Factory(AddMenuItem, uow=uow)
    update_menu_item: providers.Provider[UpdateMenuItem] = providers.Factory(
        UpdateMenuItem, uow=uow
    )
    list_menu_items: providers.Provider[ListMenuItems] = providers.Factory(ListMenuItems, uow=uow)
    place_order: providers.Provider[PlaceOrder] = providers.Factory(
        PlaceOrder, uow=uow, clock=clock, references=references
    )
    cancel_order: providers.Provider[CancelOrder] = providers.Factory(
        CancelOrder, uow=uow, clock=clock
    )
    get_order: providers.Provider[GetOrder] = providers.Factory(GetOrder, uow=uow)
    list_orders: providers.Provider[ListOrders] = providers.Factory(ListOrders, uow=uow)
    get_payment: providers.Provider[GetPayment] = providers.Factory(GetPayment, uow=uow)
    start_qris_payment: providers.Provider[StartQrisPayment] = providers.Factory(
        StartQrisPayment,
        uow=uow,
        gateways=payment_gateways,
        clock=clock,
        references=references,
        reconciler=reconciler,
        creating_grace=creating_grace,
    )
    handle_payment_notification: providers.Provider[HandlePaymentNotification] = providers.Factory(
        HandlePaymentNotification,
        uow=uow,
        gateways=payment_gateways,
        reconciler=reconciler,
        clock=clock,
        scheduled_checks=scheduled_checks,
    )
    pay_cash: providers.Provider[PayCash] = providers.Factory(
        PayCash,
        uow=uow,
        clock=clock,
        references=references,
        gateways=payment_gateways,
        reconciler=reconciler,
    )
    resolve_payment_review: providers.Provider[ResolvePaymentReview] = providers.Factory(
        ResolvePaymentReview, uow=uow, clock=clock
    )
    list_refunds: providers.Provider[ListRefunds] = providers.Factory(ListRefunds, uow=uow)
    resolve_refund: providers.Provider[ResolveRefund] = providers.Factory(
        ResolveRefund, uow=uow, clock=clock
    )
    list_notifications: providers.Provider[ListNotifications] = providers.Factory(
        ListNotifications, uow=uow
    )
    reprocess_notification: providers.Provider[ReprocessNotification] = providers.Factory(
        ReprocessNotification, uow=uow, handler=handle_payment_notification
    )
    review_notification: providers.Provider[ReviewNotification] = providers.Factory(
        ReviewNotification, uow=uow, clock=clock
    )
    remove_expired_personal_data: providers.Provider[RemoveExpiredPersonalData] = providers.Factory(
        RemoveExpiredPersonalData,
        uow=uow,
        clock=clock,
        personal_fields=PERSONAL_DATA_FIELDS,
        retention=providers.Callable(
            lambda days: timedelta(days=days), settings.provided.notification_retention_days
        ),
    )
    delete_expired_rejected_notifications: providers.Provider[DeleteExpiredRejected] = (
        providers.Factory(
            DeleteExpiredRejected,
            uow=uow,
            clock=clock,
            retention=providers.Callable(
                lambda days: timedelta(days=days),
                settings.provided.notification_rejected_retention_days,
            ),
        )
    )

    # The HTTP edge: who is calling, from where, and how often (one of each per process).
    staff_authenticator: providers.Provider[StaffAuthenticator] = providers.Singleton(
        StaffAuthenticator, settings.provided.kasir_staff_tokens
    )
    client_address: providers.Provider[ClientAddressResolver] = providers.Singleton(
        ClientAddressResolver, providers.Callable(networks, settings.provided.trusted_proxies)
    )
    callback_allowlist: providers.Provider[SourceAllowlist] = providers.Singleton(
        _callback_allowlist, settings
    )
    callback_failures: providers.Provider[WindowLimiter] = providers.Singleton(
        WindowLimiter, settings.provided.rate_limit_rejected_callbacks_per_minute
    )
    creation_limits: providers.Provider[CreationLimits] = providers.Singleton(
        CreationLimits,
        RATE_LIMITED_PATHS,
        settings.provided.rate_limit_create_per_minute,
        client_address,
    )
    public_urls: providers.Provider[PublicUrls] = providers.Singleton(
        PublicUrls, settings.provided.base_url
    )


def build_container(settings: Settings) -> Container:
    container = Container()
    container.settings.override(providers.Object(settings))
    return container
