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
from adapters.duitku.callback_fields import CALLBACK_FIELDS
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
from application.ports import (
    Clock,
    EventPublisher,
    IdempotencyStore,
    ReconciliationQueue,
    ReferenceGenerator,
    UnitOfWorkFactory,
)
from application.reconciliation import AttemptReconciler, ReconcileOutcome
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
from entrypoints.settings import Settings, secret_key_for_run


def _simulator_if_mounted(settings: Settings) -> DuitkuSimulator | None:
    return (
        gateways.mounted_simulator(settings) if gateways.uses_mounted_simulator(settings) else None
    )


class Container(containers.DeclarativeContainer):
    """Builds every adapter from settings and every use case from adapters."""

    settings = providers.Dependency(instance_of=Settings)

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
    uow: providers.Provider[UnitOfWorkFactory] = providers.Singleton(
        SqlAlchemyUnitOfWorkFactory, engine
    )

    simulator: providers.Provider[DuitkuSimulator | None] = providers.Singleton(
        _simulator_if_mounted, settings
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

    # One per process: concurrent requests share a status check instead of repeating it.
    status_checks_in_flight: providers.Provider[SingleFlight[ReconcileOutcome]] = (
        providers.Singleton(SingleFlight)
    )
    reconciler = providers.Factory(
        AttemptReconciler,
        uow=uow,
        gateway=gateway,
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
    idempotent_requests = providers.Factory(
        IdempotentRequests, store=idempotency_store, clock=clock, sealer=replay_sealer
    )
    reconciliation_queue: providers.Provider[ReconciliationQueue] = providers.Singleton(
        SqlAlchemyReconciliationQueue, uow
    )
    run_reconciliation = providers.Factory(
        RunReconciliation,
        queue=reconciliation_queue,
        reconciler=reconciler,
        clock=clock,
        creating_grace=creating_grace,
    )
    # Wakes this process's reconciliation runner when a request schedules a check.
    check_alarm: providers.Provider[LocalWakeups] = providers.Singleton(LocalWakeups)
    scheduled_checks = providers.Factory(
        ScheduledChecks, queue=reconciliation_queue, alarm=check_alarm, clock=clock
    )
    list_payments_needing_review = providers.Factory(
        ListPaymentsNeedingReview, queue=reconciliation_queue
    )

    add_menu_item = providers.Factory(AddMenuItem, uow=uow)
    update_menu_item = providers.Factory(UpdateMenuItem, uow=uow)
    list_menu_items = providers.Factory(ListMenuItems, uow=uow)
    place_order = providers.Factory(
        PlaceOrder, uow=uow, clock=clock, references=references, events=events
    )
    cancel_order = providers.Factory(CancelOrder, uow=uow, clock=clock, events=events)
    get_order = providers.Factory(GetOrder, uow=uow)
    list_orders = providers.Factory(ListOrders, uow=uow)
    get_payment = providers.Factory(GetPayment, uow=uow)
    start_qris_payment = providers.Factory(
        StartQrisPayment,
        uow=uow,
        gateway=gateway,
        clock=clock,
        references=references,
        events=events,
        reconciler=reconciler,
        creating_grace=creating_grace,
    )
    handle_payment_notification = providers.Factory(
        HandlePaymentNotification,
        uow=uow,
        gateway=gateway,
        reconciler=reconciler,
        clock=clock,
        scheduled_checks=scheduled_checks,
        personal_fields=PERSONAL_DATA_FIELDS,
        known_fields=CALLBACK_FIELDS,
    )
    pay_cash = providers.Factory(
        PayCash,
        uow=uow,
        clock=clock,
        references=references,
        events=events,
        gateway=gateway,
        reconciler=reconciler,
    )
    resolve_payment_review = providers.Factory(
        ResolvePaymentReview, uow=uow, clock=clock, events=events
    )
    list_refunds = providers.Factory(ListRefunds, uow=uow)
    resolve_refund = providers.Factory(ResolveRefund, uow=uow, clock=clock, events=events)
    list_notifications = providers.Factory(ListNotifications, uow=uow)
    reprocess_notification = providers.Factory(
        ReprocessNotification, uow=uow, handler=handle_payment_notification
    )
    review_notification = providers.Factory(ReviewNotification, uow=uow, clock=clock)
    remove_expired_personal_data = providers.Factory(
        RemoveExpiredPersonalData,
        uow=uow,
        clock=clock,
        personal_fields=PERSONAL_DATA_FIELDS,
        retention=providers.Callable(
            lambda days: timedelta(days=days), settings.provided.notification_retention_days
        ),
    )
    delete_expired_rejected_notifications = providers.Factory(
        DeleteExpiredRejected,
        uow=uow,
        clock=clock,
        retention=providers.Callable(
            lambda days: timedelta(days=days),
            settings.provided.notification_rejected_retention_days,
        ),
    )


def build_container(settings: Settings) -> Container:
    container = Container()
    container.settings.override(providers.Object(settings))
    return container
