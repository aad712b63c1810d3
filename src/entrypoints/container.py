"""The composition root: the one place that knows every concrete class.

Providers stay synchronous; async start-up and shutdown (engine dispose, HTTP client close)
live in the Litestar lifespan. Everything is built once per process: the adapters as
Singletons, and the use cases, the reconciler and the gateways by name as `Wiring` (a request
builds no object graph). Tests override providers on a fresh container per test, through
`tests/support/overrides.py`, which forgets the built wiring so that the next request hears
the override.
"""

import base64
from datetime import timedelta
from typing import TypeVar

import httpx
from dependency_injector import containers, providers
from litestar.channels import ChannelsBackend, ChannelsPlugin
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.crypto.aead import AesGcmSealer, derive_key
from adapters.crypto.passwords import Argon2PasswordHasher
from adapters.duitku.config import DuitkuConfig
from adapters.duitku.personal_data import PERSONAL_DATA_FIELDS
from adapters.midtrans.config import MidtransConfig
from adapters.observability.event_log import LoggingEventPublisher
from adapters.observability.metrics import CountingEventPublisher, InstrumentedGateway
from adapters.sqlalchemy.engine import create_engine_for
from adapters.sqlalchemy.idempotency import SqlAlchemyIdempotencyStore
from adapters.sqlalchemy.receipt_prints import SqlAlchemyReceiptPrints
from adapters.sqlalchemy.reconciliation_queue import SqlAlchemyReconciliationQueue
from adapters.sqlalchemy.reports import SqlAlchemyReportQueries
from adapters.sqlalchemy.unit_of_work import SqlAlchemyUnitOfWorkFactory
from adapters.sqlalchemy.webhooks import SqlAlchemyWebhookStore
from adapters.system import SecureReferenceGenerator, SecureSecrets, SystemClock
from adapters.wakeups import LocalWakeups, WakingEventPublisher
from adapters.webhooks.sender import HttpWebhookSender, SystemResolver
from adapters.webhooks.sender import http_client as webhook_client
from application.coalescing import SingleFlight
from application.destinations import DestinationPolicy, Resolver, parse_networks
from application.gateway import PaymentGateway
from application.gateways import DUITKU, Gateways
from application.live_status import GetLiveStatus
from application.order_passes import PAYMENT_LINK, STREAM_TOKEN, OrderPasses
from application.outbox import ALL_EVENT_TYPES
from application.ports import (
    Clock,
    EventPublisher,
    IdempotencyStore,
    PasswordHasher,
    ReceiptPrints,
    ReconciliationQueue,
    ReferenceGenerator,
    ReportQueries,
    UnitOfWorkFactory,
)
from application.receipts import Restaurant
from application.reconciliation import AttemptOutcome, AttemptReconciler
from application.reconciliation_schedule import creating_grace
from application.scheduled_checks import ScheduledChecks
from application.sealing import Sealer
from application.use_cases.audit_log import ReadAuditLog
from application.use_cases.cancel_order import CancelOrder
from application.use_cases.dispatch_webhooks import DispatchWebhooks, WebhookSender
from application.use_cases.get_order import GetOrder, ListOrders
from application.use_cases.get_payment import GetPayment
from application.use_cases.handle_payment_notification import HandlePaymentNotification
from application.use_cases.idempotent_requests import IdempotentRequests
from application.use_cases.manage_menu import AddMenuItem, ListMenuItems, UpdateMenuItem
from application.use_cases.manage_staff import AddStaff, ChangeStaff, ListStaff
from application.use_cases.notification_inbox import (
    DeleteExpiredRejected,
    ListNotifications,
    RemoveExpiredPersonalData,
    ReprocessNotification,
    ReviewNotification,
)
from application.use_cases.pay_cash import PayCash
from application.use_cases.place_order import PlaceOrder
from application.use_cases.receipts import GetReceipt
from application.use_cases.refund_requests import (
    ApproveRefund,
    ListRefundRequests,
    RejectRefund,
    RequestRefund,
)
from application.use_cases.refunds import ListRefunds, ResolveRefund
from application.use_cases.reports import GetDayReport
from application.use_cases.resolve_payment_review import ResolvePaymentReview
from application.use_cases.run_reconciliation import ListPaymentsNeedingReview, RunReconciliation
from application.use_cases.shifts import (
    CloseShift,
    CurrentShift,
    GetShiftReport,
    OpenShift,
    RecordCashMovement,
)
from application.use_cases.sign_in import IdentifySession, LogIn, LogOut
from application.use_cases.start_qris_payment import StartQrisPayment
from application.use_cases.webhook_feed import (
    CreateSubscription,
    ListDeliveries,
    ListSubscriptions,
    ReplayDeliveries,
    SetSubscriptionStatus,
    SubscriptionFactory,
)
from application.webhooks import WebhookStore
from domain.login_throttle import ThrottlePolicy
from entrypoints import gateways, midtrans_gateway
from entrypoints.duitku_simulator import DuitkuSimulator
from entrypoints.http.auth import StaffAuthenticator
from entrypoints.http.client_address import (
    ClientAddressResolver,
    SourceAllowlist,
    WindowLimiter,
    networks,
)
from entrypoints.http.creation_limit import CreationLimits
from entrypoints.http.live_status.channels import backend_name, channels_backend, channels_plugin
from entrypoints.http.live_status.slots import StreamSlots
from entrypoints.http.live_status.stream import StreamTiming
from entrypoints.http.live_status.wakeups import OrderChangeBroadcaster, OrderWakeups
from entrypoints.http.urls import PaymentPageLinks, PublicUrls
from entrypoints.midtrans_simulator import MidtransSimulator
from entrypoints.settings import Settings, secret_key_for_run

T = TypeVar("T")


class Wiring(providers.Singleton[T]):
    """Built once per process, on first use, like a Singleton: an object that only holds
    other providers' objects and keeps no state of its own between calls (a use case, the
    reconciler, the gateways by name), so every request can share it.

    Kept apart from the other Singletons so that `forget_wiring` can drop exactly these:
    rebuilding them changes nothing but which providers they were built from.
    """


def forget_wiring(container: "Container") -> None:
    """Drop every built `Wiring` object: the next use builds it again from the providers as
    they are now (a test overrode the gateway or the clock). Adapters (the engine, HTTP
    clients, the status checks in flight) are kept."""
    for provider in container.traverse(types=[Wiring]):
        provider.reset()


# The public endpoints that create something, limited per client address.
RATE_LIMITED_PATHS = frozenset({"/api/v1/orders", "/api/v1/payments/qris"})
# Where simulator mode mounts its webhook receiver (entrypoints/webhook_receiver.py).
SIMULATOR_RECEIVER_PATH = "/simulator/webhooks"


def _destination_policy(settings: Settings) -> DestinationPolicy:
    return DestinationPolicy(
        allowed_networks=parse_networks(settings.webhook_allowed_private_networks),
        anywhere=settings.simulated,
    )


def receiver_secret(run_secret: str) -> str:
    """The secret of simulator mode's mounted receiver, the same in every worker of a run
    (derived from KASIR_SECRET_KEY, or the run's generated one)."""
    return (
        "whsec_" + base64.b64encode(derive_key(run_secret, b"webhook-simulator-receiver")).decode()
    )


def setting_subscriber(settings: Settings, run_secret: str) -> tuple[str, str] | None:
    """(url, secret) of the fixed subscriber: WEBHOOK_URL, else in simulator mode with the
    mounted simulator the mounted receiver, else none."""
    if settings.webhook_url and settings.webhook_secret is not None:
        return settings.webhook_url, settings.webhook_secret.get_secret_value()
    if gateways.uses_mounted_simulator(settings):
        return settings.base_url + SIMULATOR_RECEIVER_PATH, receiver_secret(run_secret)
    return None


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


def _configured_gateways(
    settings: Settings, duitku: PaymentGateway, midtrans: PaymentGateway | None
) -> Gateways:
    """Every configured gateway by the name its attempts record; QRIS_GATEWAY issues new
    attempts and comes first, so with QRIS_GATEWAY_FALLBACK the other one follows it."""
    by_name: dict[str, PaymentGateway] = {DUITKU: duitku}
    if midtrans is not None:
        by_name[midtrans_gateway.MIDTRANS] = midtrans
    if settings.qris_gateway == midtrans_gateway.MIDTRANS:
        by_name = {midtrans_gateway.MIDTRANS: by_name.pop(midtrans_gateway.MIDTRANS), **by_name}
    return Gateways(by_name, default=settings.qris_gateway, fallback=settings.qris_gateway_fallback)


def _longest_create_call(duitku: DuitkuConfig, midtrans: MidtransConfig | None) -> timedelta:
    """The longest any configured gateway's create call can take: the creating grace outlasts
    it whichever gateway issued the attempt."""
    calls = [duitku.create_call_timeout()]
    if midtrans is not None:
        calls.append(midtrans.create_call_timeout())
    return max(calls)


def _throttle_policy(settings: Settings) -> ThrottlePolicy:
    return ThrottlePolicy(
        lock_after=settings.login_lock_after_failures,
        lockout=timedelta(minutes=settings.login_lockout_minutes),
    )


class Container(containers.DeclarativeContainer):
    """Builds every adapter from settings and every use case from adapters."""

    settings: providers.Provider[Settings] = providers.Dependency(instance_of=Settings)

    clock: providers.Provider[Clock] = providers.Singleton(SystemClock)
    references: providers.Provider[ReferenceGenerator] = providers.Singleton(
        SecureReferenceGenerator
    )
    # Wakes the live status streams of every process (entrypoints/http/live_status).
    wakeup_backend: providers.Provider[ChannelsBackend] = providers.Singleton(
        channels_backend, settings
    )
    channels: providers.Provider[ChannelsPlugin] = providers.Singleton(
        channels_plugin, wakeup_backend
    )
    order_wakeups: providers.Provider[OrderWakeups] = providers.Singleton(
        OrderWakeups, channels, through=providers.Callable(backend_name, wakeup_backend)
    )
    # Woken when this process commits an event: the webhook dispatcher has work.
    webhook_wakeups: providers.Provider[LocalWakeups] = providers.Singleton(LocalWakeups)
    events: providers.Provider[EventPublisher] = providers.Singleton(
        OrderChangeBroadcaster,
        providers.Singleton(
            WakingEventPublisher,
            providers.Singleton(CountingEventPublisher, providers.Singleton(LoggingEventPublisher)),
            webhook_wakeups,
        ),
        order_wakeups,
    )

    engine: providers.Provider[AsyncEngine] = providers.Singleton(
        create_engine_for, settings.provided.database_url
    )
    # A committed unit of work hands its aggregates' new events to `events` (logs, metrics).
    # Before committing, it writes them to the outbox, stamped by `clock`.
    uow: providers.Provider[UnitOfWorkFactory] = providers.Singleton(
        SqlAlchemyUnitOfWorkFactory, engine, events=events, clock=clock
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
    midtrans_simulator: providers.Provider[MidtransSimulator | None] = providers.Singleton(
        midtrans_gateway.mounted_midtrans_simulator, settings, clock
    )
    midtrans_config: providers.Provider[MidtransConfig | None] = providers.Singleton(
        midtrans_gateway.midtrans_config, settings
    )
    midtrans_http_client: providers.Provider[httpx.AsyncClient | None] = providers.Singleton(
        midtrans_gateway.midtrans_http_client, midtrans_config, midtrans_simulator
    )
    # None when MIDTRANS_ENV is unset; instrumented like Duitku's otherwise.
    midtrans: providers.Provider[PaymentGateway | None] = providers.Singleton(
        lambda inner: None if inner is None else InstrumentedGateway(inner),
        providers.Singleton(
            midtrans_gateway.midtrans_gateway, settings, midtrans_config, midtrans_http_client
        ),
    )
    # Every configured gateway by the name its attempts record; QRIS_GATEWAY issues new ones.
    payment_gateways: providers.Provider[Gateways] = Wiring(
        _configured_gateways, settings, gateway, midtrans
    )

    # One per process: concurrent requests share a status check instead of repeating it.
    status_checks_in_flight: providers.Provider[SingleFlight[AttemptOutcome]] = providers.Singleton(
        SingleFlight
    )
    reconciler: providers.Provider[AttemptReconciler] = Wiring(
        AttemptReconciler,
        uow=uow,
        gateways=payment_gateways,
        clock=clock,
        events=events,
        in_flight=status_checks_in_flight,
    )

    # One grace for the QRIS start and the job, longer than the create call can take.
    creating_grace = providers.Callable(
        creating_grace,
        providers.Callable(_longest_create_call, duitku_config, midtrans_config),
    )

    # Idempotency keys and the reconciliation job's queue live in the same database.
    idempotency_store: providers.Provider[IdempotencyStore] = providers.Singleton(
        SqlAlchemyIdempotencyStore, uow
    )
    # One per process, from the one secret every process shares (KASIR_SECRET_KEY); each
    # purpose gets its own key derived from it.
    run_secret: providers.Provider[str] = providers.Singleton(secret_key_for_run, settings)
    replay_sealer: providers.Provider[Sealer] = providers.Singleton(
        AesGcmSealer, run_secret, purpose=b"idempotent-replays"
    )
    # Passes bound to one order, each under a key of its own purpose (application.order_passes):
    # the payment page's signed link and the live status stream's token.
    payment_links: providers.Provider[OrderPasses] = providers.Singleton(
        OrderPasses,
        kind=PAYMENT_LINK,
        sealer=providers.Singleton(AesGcmSealer, run_secret, purpose=b"payment-page-links"),
        clock=clock,
        lifetime=providers.Callable(
            lambda hours: timedelta(hours=hours), settings.provided.payment_link_hours
        ),
    )
    stream_tokens: providers.Provider[OrderPasses] = providers.Singleton(
        OrderPasses,
        kind=STREAM_TOKEN,
        sealer=providers.Singleton(AesGcmSealer, run_secret, purpose=b"order-stream-tokens"),
        clock=clock,
        lifetime=providers.Callable(
            lambda seconds: timedelta(seconds=seconds), settings.provided.stream_token_seconds
        ),
    )
    idempotent_requests: providers.Provider[IdempotentRequests] = Wiring(
        IdempotentRequests, store=idempotency_store, clock=clock, sealer=replay_sealer
    )
    reconciliation_queue: providers.Provider[ReconciliationQueue] = providers.Singleton(
        SqlAlchemyReconciliationQueue, uow
    )
    run_reconciliation: providers.Provider[RunReconciliation] = Wiring(
        RunReconciliation,
        queue=reconciliation_queue,
        reconciler=reconciler,
        clock=clock,
        creating_grace=creating_grace,
    )
    # Wakes this process's reconciliation runner when a request schedules a check.
    check_alarm: providers.Provider[LocalWakeups] = providers.Singleton(LocalWakeups)
    scheduled_checks: providers.Provider[ScheduledChecks] = Wiring(
        ScheduledChecks, queue=reconciliation_queue, alarm=check_alarm, clock=clock
    )
    list_payments_needing_review: providers.Provider[ListPaymentsNeedingReview] = Wiring(
        ListPaymentsNeedingReview, queue=reconciliation_queue
    )

    add_menu_item: providers.Provider[AddMenuItem] = Wiring(AddMenuItem, uow=uow, clock=clock)
    update_menu_item: providers.Provider[UpdateMenuItem] = Wiring(
        UpdateMenuItem, uow=uow, clock=clock
    )

    # Staff accounts and sign-in. One hasher per process: it bounds the Argon2 work at once.
    password_hasher: providers.Provider[PasswordHasher] = providers.Singleton(Argon2PasswordHasher)
    log_in: providers.Provider[LogIn] = Wiring(
        LogIn,
        uow=uow,
        hasher=password_hasher,
        clock=clock,
        secrets=providers.Singleton(SecureSecrets),
        policy=providers.Singleton(_throttle_policy, settings),
        session_lifetime=providers.Callable(
            lambda hours: timedelta(hours=hours), settings.provided.staff_session_hours
        ),
    )
    log_out: providers.Provider[LogOut] = Wiring(LogOut, uow=uow, clock=clock)
    identify_session: providers.Provider[IdentifySession] = Wiring(
        IdentifySession, uow=uow, clock=clock
    )
    list_staff: providers.Provider[ListStaff] = Wiring(ListStaff, uow=uow)
    add_staff: providers.Provider[AddStaff] = Wiring(
        AddStaff, uow=uow, hasher=password_hasher, clock=clock
    )
    change_staff: providers.Provider[ChangeStaff] = Wiring(
        ChangeStaff, uow=uow, hasher=password_hasher, clock=clock
    )
    read_audit_log: providers.Provider[ReadAuditLog] = Wiring(ReadAuditLog, uow=uow)
    list_menu_items: providers.Provider[ListMenuItems] = Wiring(ListMenuItems, uow=uow)
    place_order: providers.Provider[PlaceOrder] = Wiring(
        PlaceOrder, uow=uow, clock=clock, references=references
    )
    cancel_order: providers.Provider[CancelOrder] = Wiring(
        CancelOrder, uow=uow, clock=clock, gateways=payment_gateways
    )
    get_order: providers.Provider[GetOrder] = Wiring(GetOrder, uow=uow)
    # The restaurant's name, address and zone (receipts, the day report, date filters).
    restaurant: providers.Provider[Restaurant] = providers.Singleton(
        lambda settings: settings.restaurant, settings
    )
    list_orders: providers.Provider[ListOrders] = Wiring(
        ListOrders, uow=uow, zone=restaurant.provided.zone
    )
    report_queries: providers.Provider[ReportQueries] = providers.Singleton(
        SqlAlchemyReportQueries, uow
    )
    get_day_report: providers.Provider[GetDayReport] = Wiring(
        GetDayReport, queries=report_queries, restaurant=restaurant, clock=clock
    )
    receipt_prints: providers.Provider[ReceiptPrints] = providers.Singleton(
        SqlAlchemyReceiptPrints, uow
    )
    get_receipt: providers.Provider[GetReceipt] = Wiring(
        GetReceipt, uow=uow, prints=receipt_prints, clock=clock, restaurant=restaurant
    )
    get_payment: providers.Provider[GetPayment] = Wiring(GetPayment, uow=uow)
    get_live_status: providers.Provider[GetLiveStatus] = Wiring(GetLiveStatus, uow=uow, clock=clock)
    start_qris_payment: providers.Provider[StartQrisPayment] = Wiring(
        StartQrisPayment,
        uow=uow,
        gateways=payment_gateways,
        clock=clock,
        references=references,
        reconciler=reconciler,
        creating_grace=creating_grace,
    )
    handle_payment_notification: providers.Provider[HandlePaymentNotification] = Wiring(
        HandlePaymentNotification,
        uow=uow,
        gateways=payment_gateways,
        reconciler=reconciler,
        clock=clock,
        scheduled_checks=scheduled_checks,
    )
    pay_cash: providers.Provider[PayCash] = Wiring(
        PayCash,
        uow=uow,
        clock=clock,
        references=references,
        gateways=payment_gateways,
        reconciler=reconciler,
    )
    resolve_payment_review: providers.Provider[ResolvePaymentReview] = Wiring(
        ResolvePaymentReview, uow=uow, clock=clock
    )
    list_refunds: providers.Provider[ListRefunds] = Wiring(ListRefunds, uow=uow)
    resolve_refund: providers.Provider[ResolveRefund] = Wiring(ResolveRefund, uow=uow, clock=clock)
    open_shift: providers.Provider[OpenShift] = Wiring(OpenShift, uow=uow, clock=clock)
    current_shift: providers.Provider[CurrentShift] = Wiring(CurrentShift, uow=uow)
    get_shift_report: providers.Provider[GetShiftReport] = Wiring(GetShiftReport, uow=uow)
    record_cash_movement: providers.Provider[RecordCashMovement] = Wiring(
        RecordCashMovement, uow=uow, clock=clock
    )
    close_shift: providers.Provider[CloseShift] = Wiring(CloseShift, uow=uow, clock=clock)
    request_refund: providers.Provider[RequestRefund] = Wiring(
        RequestRefund,
        uow=uow,
        clock=clock,
        approval_threshold=settings.provided.refund_approval_threshold,
    )
    approve_refund: providers.Provider[ApproveRefund] = Wiring(ApproveRefund, uow=uow, clock=clock)
    reject_refund: providers.Provider[RejectRefund] = Wiring(RejectRefund, uow=uow, clock=clock)
    list_refund_requests: providers.Provider[ListRefundRequests] = Wiring(
        ListRefundRequests, uow=uow
    )
    list_notifications: providers.Provider[ListNotifications] = Wiring(ListNotifications, uow=uow)
    reprocess_notification: providers.Provider[ReprocessNotification] = Wiring(
        ReprocessNotification, uow=uow, handler=handle_payment_notification
    )
    review_notification: providers.Provider[ReviewNotification] = Wiring(
        ReviewNotification, uow=uow, clock=clock
    )
    remove_expired_personal_data: providers.Provider[RemoveExpiredPersonalData] = Wiring(
        RemoveExpiredPersonalData,
        uow=uow,
        clock=clock,
        personal_fields=PERSONAL_DATA_FIELDS,
        retention=providers.Callable(
            lambda days: timedelta(days=days), settings.provided.notification_retention_days
        ),
    )
    delete_expired_rejected_notifications: providers.Provider[DeleteExpiredRejected] = Wiring(
        DeleteExpiredRejected,
        uow=uow,
        clock=clock,
        retention=providers.Callable(
            lambda days: timedelta(days=days),
            settings.provided.notification_rejected_retention_days,
        ),
    )

    # The signed webhook feed (docs/events.md): subscriptions' secrets sealed under a key of
    # their own, destinations checked at registration and at every delivery.
    webhook_sealer: providers.Provider[Sealer] = providers.Singleton(
        AesGcmSealer, run_secret, purpose=b"webhook-secrets"
    )
    webhook_store: providers.Provider[WebhookStore] = providers.Singleton(
        SqlAlchemyWebhookStore, uow
    )
    destination_policy: providers.Provider[DestinationPolicy] = providers.Singleton(
        _destination_policy, settings
    )
    resolver: providers.Provider[Resolver] = providers.Singleton(SystemResolver)
    # One client for every subscriber of this process; each is bounded by its own batch.
    webhook_http_client: providers.Provider[httpx.AsyncClient] = providers.Singleton(
        webhook_client, settings.provided.webhook_timeout_seconds
    )
    webhook_sender: providers.Provider[WebhookSender] = providers.Singleton(
        HttpWebhookSender, webhook_http_client, policy=destination_policy, resolver=resolver
    )
    subscription_factory: providers.Provider[SubscriptionFactory] = providers.Singleton(
        SubscriptionFactory, sealer=webhook_sealer, clock=clock
    )
    dispatch_webhooks: providers.Provider[DispatchWebhooks] = Wiring(
        DispatchWebhooks,
        store=webhook_store,
        sender=webhook_sender,
        sealer=webhook_sealer,
        clock=clock,
        batch=settings.provided.webhook_concurrency_per_subscriber,
    )
    create_subscription: providers.Provider[CreateSubscription] = Wiring(
        CreateSubscription,
        store=webhook_store,
        factory=subscription_factory,
        policy=destination_policy,
        resolver=resolver,
        clock=clock,
    )
    list_subscriptions: providers.Provider[ListSubscriptions] = Wiring(
        ListSubscriptions, store=webhook_store
    )
    set_subscription_status: providers.Provider[SetSubscriptionStatus] = Wiring(
        SetSubscriptionStatus, store=webhook_store, clock=clock
    )
    list_deliveries: providers.Provider[ListDeliveries] = Wiring(
        ListDeliveries, store=webhook_store
    )
    replay_deliveries: providers.Provider[ReplayDeliveries] = Wiring(
        ReplayDeliveries, store=webhook_store, clock=clock
    )

    # The HTTP edge: who is calling, from where, and how often (one of each per process).
    staff_authenticator: providers.Provider[StaffAuthenticator] = providers.Singleton(
        StaffAuthenticator, settings.provided.kasir_staff_tokens, identify_session
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
    payment_page_links: providers.Provider[PaymentPageLinks] = providers.Singleton(
        PaymentPageLinks, payment_links, public_urls
    )
    stream_slots: providers.Provider[StreamSlots] = providers.Singleton(
        StreamSlots,
        per_process=settings.provided.stream_max_per_process,
        per_order=settings.provided.stream_max_per_order,
    )
    stream_timing: providers.Provider[StreamTiming] = providers.Singleton(
        StreamTiming,
        heartbeat_seconds=settings.provided.stream_heartbeat_seconds,
        idle_seconds=settings.provided.stream_idle_seconds,
    )


async def ensure_setting_subscription(container: Container) -> None:
    """Bring the fixed subscriber (WEBHOOK_URL, or simulator mode's receiver) in step with
    the settings: created once, its URL, types and secret updated at every start."""
    settings = container.settings()
    subscriber = setting_subscriber(settings, container.run_secret())
    if subscriber is None:
        return
    url, secret = subscriber
    factory = container.subscription_factory()
    types = settings.webhook_event_types or ALL_EVENT_TYPES
    new, _ = factory.make(url, types, created_by="setting", secret=secret, from_setting=True)
    await container.webhook_store().upsert_setting_subscription(
        new, seal=lambda subscription_id: factory.seal(subscription_id, secret)
    )


def build_container(settings: Settings) -> Container:
    container = Container()
    container.settings.override(providers.Object(settings))
    return container
