"""Writes to suppliers, contracts, SLA policies and provisions, each recorded in its history.

The rules that keep routing unambiguous and SLA history honest live here: provisions of one
service never overlap in the same area, and an SLA policy changes only by a new version that
takes effect later.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models, transaction
from django.db.models import Max, Q
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from interchange.catalogue.models import Area, Service
from interchange.core.audit import record_change, snapshot
from interchange.core.models import BusinessCalendar
from interchange.core.priorities import Priority
from interchange.suppliers.models import (
    Contract,
    ServiceProvision,
    SlaPolicy,
    SlaPolicyVersion,
    SlaTarget,
    Supplier,
)
from interchange.suppliers.selectors import local_date

if TYPE_CHECKING:
    from interchange.accounts.models import User

M = TypeVar("M", bound=models.Model)

SUPPLIER_FIELDS = frozenset({"code", "name", "public_name", "company_number", "tower", "active"})
CONTRACT_FIELDS = frozenset(
    {
        "reference",
        "title",
        "start_date",
        "end_date",
        "notice_period_days",
        "break_dates",
        "annual_value",
        "status",
    }
)


class TargetSpec(NamedTuple):
    """One priority's targets in a new SLA policy version."""

    priority: Priority
    response: timedelta
    resolution: timedelta
    calendar: BusinessCalendar


def _day(value: date) -> str:
    return formats.date_format(value, "j F Y")


def _moment(value: datetime) -> str:
    return formats.date_format(timezone.localtime(value), "j F Y, H:i")


def _create(model: type[M], *, actor: User | None, at: datetime | None, **fields: Any) -> M:
    instance = model(**fields)
    instance.full_clean()
    instance.save()
    record_change(instance, actor=actor, before=None, after=snapshot(instance), at=at)
    return instance


def _update(
    instance: M,
    data: Mapping[str, Any],
    allowed: frozenset[str],
    *,
    actor: User | None,
    at: datetime | None,
) -> M:
    unknown = set(data) - allowed
    if unknown:
        raise TypeError(f"{type(instance).__name__} cannot change {', '.join(sorted(unknown))}")
    locked = type(instance)._default_manager.select_for_update().get(pk=instance.pk)
    before = snapshot(locked)
    for name, value in data.items():
        setattr(locked, name, value)
    locked.full_clean()
    locked.save()
    record_change(locked, actor=actor, before=before, after=snapshot(locked), at=at)
    return locked


@transaction.atomic
def supplier_create(
    *,
    actor: User | None,
    code: str,
    name: str,
    public_name: str,
    tower: str,
    company_number: str = "",
    active: bool = True,
    at: datetime | None = None,
) -> Supplier:
    """A new supplier, recorded in its history."""
    return _create(
        Supplier,
        actor=actor,
        at=at,
        code=code,
        name=name,
        public_name=public_name,
        tower=tower,
        company_number=company_number,
        active=active,
    )


@transaction.atomic
def supplier_update(
    *, actor: User | None, supplier: Supplier, data: Mapping[str, Any], at: datetime | None = None
) -> Supplier:
    """Change a supplier's fields named in `data`; returns the saved supplier."""
    return _update(supplier, data, SUPPLIER_FIELDS, actor=actor, at=at)


@transaction.atomic
def contract_create(
    *,
    actor: User | None,
    supplier: Supplier,
    reference: str,
    title: str,
    start_date: date,
    end_date: date,
    annual_value: Decimal,
    status: str,
    notice_period_days: int = 90,
    break_dates: Sequence[date | str] = (),
    at: datetime | None = None,
) -> Contract:
    """A new contract with `supplier`, recorded in its history."""
    return _create(
        Contract,
        actor=actor,
        at=at,
        supplier=supplier,
        reference=reference,
        title=title,
        start_date=start_date,
        end_date=end_date,
        annual_value=annual_value,
        status=status,
        notice_period_days=notice_period_days,
        break_dates=[d.isoformat() if isinstance(d, date) else d for d in break_dates],
    )


@transaction.atomic
def contract_update(
    *, actor: User | None, contract: Contract, data: Mapping[str, Any], at: datetime | None = None
) -> Contract:
    """Change a contract's fields named in `data`; returns the saved contract."""
    if "break_dates" in data:
        data = {
            **data,
            "break_dates": [
                d.isoformat() if isinstance(d, date) else d for d in data["break_dates"]
            ],
        }
    return _update(contract, data, CONTRACT_FIELDS, actor=actor, at=at)


@transaction.atomic
def sla_policy_create(
    *, actor: User | None, contract: Contract, name: str, at: datetime | None = None
) -> SlaPolicy:
    """A new, still empty SLA policy of `contract`; its targets come in versions."""
    return _create(SlaPolicy, actor=actor, at=at, contract=contract, name=name)


def validate_policy_version(
    *,
    policy: SlaPolicy,
    effective_from: datetime,
    targets: Iterable[tuple[int, timedelta, timedelta, BusinessCalendar]],
    at: datetime,
) -> list[TargetSpec]:
    """The targets as TargetSpecs in priority order, or a ValidationError listing every problem.

    A version takes effect at or after `at` and after the latest version, so no ticket that
    started under an earlier version has its clocks rewritten; it has one target per priority.
    """
    errors: dict[str, list[ValidationError]] = {}
    if timezone.is_naive(effective_from):
        errors["effective_from"] = [
            ValidationError(_("Give the time the version takes effect with its time zone."))
        ]
    else:
        latest = policy.versions.order_by("-effective_from").first()
        if effective_from < at:
            errors.setdefault("effective_from", []).append(
                ValidationError(
                    _(
                        "A new version cannot take effect in the past, where tickets have "
                        "already started under the version then in force. Choose %(now)s or "
                        "later."
                    ),
                    code="in_the_past",
                    params={"now": _moment(at)},
                )
            )
        if latest is not None and effective_from <= latest.effective_from:
            errors.setdefault("effective_from", []).append(
                ValidationError(
                    _(
                        "It must take effect after version %(number)s, which is in force from "
                        "%(from)s."
                    ),
                    code="not_after_latest",
                    params={"number": latest.number, "from": _moment(latest.effective_from)},
                )
            )
    specs: dict[int, TargetSpec] = {}
    problems: list[ValidationError] = []
    for priority, response, resolution, calendar in targets:
        if priority not in Priority.values:
            problems.append(
                ValidationError(_("%(priority)s is not a priority."), params={"priority": priority})
            )
            continue
        code = Priority(priority).code
        if priority in specs:
            problems.append(
                ValidationError(_("%(priority)s has two targets."), params={"priority": code})
            )
            continue
        if response <= timedelta(0) or resolution <= timedelta(0):
            problems.append(
                ValidationError(
                    _("%(priority)s's targets must be longer than zero."),
                    params={"priority": code},
                )
            )
        elif resolution < response:
            problems.append(
                ValidationError(
                    _(
                        "%(priority)s's resolution target cannot be shorter than its response "
                        "target."
                    ),
                    params={"priority": code},
                )
            )
        if calendar is None:
            problems.append(
                ValidationError(_("Choose a calendar for %(priority)s."), params={"priority": code})
            )
        specs[priority] = TargetSpec(Priority(priority), response, resolution, calendar)
    missing = [p.code for p in Priority if p not in specs]
    if missing:
        problems.append(
            ValidationError(
                _("Every priority needs a target; missing: %(missing)s."),
                code="missing_priority",
                params={"missing": ", ".join(missing)},
            )
        )
    if problems:
        errors["targets"] = problems
    if errors:
        raise ValidationError(errors)
    return [specs[p] for p in sorted(specs)]


@transaction.atomic
def policy_version_create(
    *,
    actor: User | None,
    policy: SlaPolicy,
    effective_from: datetime,
    targets: Iterable[tuple[int, timedelta, timedelta, BusinessCalendar]],
    notes: str = "",
    at: datetime | None = None,
) -> SlaPolicyVersion:
    """The policy's next version (number = last + 1) with a target per priority.

    Versions are never edited: a change is a new version effective from a later moment.
    """
    at = at or timezone.now()
    # Serialises versions of one policy, so two commissioners cannot both make "the next".
    policy = SlaPolicy.objects.select_for_update().get(pk=policy.pk)
    specs = validate_policy_version(
        policy=policy, effective_from=effective_from, targets=targets, at=at
    )
    last = policy.versions.aggregate(last=Max("number"))["last"] or 0
    version = SlaPolicyVersion.objects.create(
        policy=policy, number=last + 1, effective_from=effective_from, notes=notes
    )
    SlaTarget.objects.bulk_create(
        SlaTarget(
            version=version,
            priority=spec.priority,
            response=spec.response,
            resolution=spec.resolution,
            calendar=spec.calendar,
        )
        for spec in specs
    )
    after = snapshot(version) | {
        "targets": [
            {
                "priority": spec.priority.code,
                "response": spec.response.total_seconds(),
                "resolution": spec.resolution.total_seconds(),
                "calendar_id": spec.calendar.pk,
            }
            for spec in specs
        ]
    }
    record_change(version, actor=actor, before=None, after=after, at=at)
    return version


def _describe(provision: ServiceProvision) -> str:
    params = {
        "supplier": provision.contract.supplier.name,
        "contract": provision.contract.reference,
        "start": _day(provision.valid_from),
    }
    if provision.valid_to is None:
        return _("%(supplier)s’s provision under %(contract)s from %(start)s, with no end") % params
    return _("%(supplier)s’s provision under %(contract)s from %(start)s until %(end)s") % (
        params | {"end": _day(provision.valid_to)}
    )


def validate_provision(
    *,
    contract: Contract,
    service: Service,
    areas: Iterable[Area],
    sla_policy: SlaPolicy,
    valid_from: date,
    valid_to: date | None,
    provision: ServiceProvision | None = None,
) -> None:
    """Raise a ValidationError unless the provision fits its contract and overlaps no other.

    For one service, provisions that overlap in time must cover disjoint areas, and one for
    every area (no areas) overlaps no other at all. `provision` is the one being changed, if
    any. Dates out of order are left to the model's own check.
    """
    errors: dict[str, list[ValidationError]] = {}
    if sla_policy.contract_id != contract.pk:
        errors["sla_policy"] = [
            ValidationError(
                _(
                    "The SLA policy “%(policy)s” belongs to another contract; choose one of "
                    "%(contract)s’s."
                ),
                code="policy_of_another_contract",
                params={"policy": sla_policy.name, "contract": contract.reference},
            )
        ]
    if not contract.start_date <= valid_from <= contract.end_date:
        errors["valid_from"] = [
            ValidationError(
                _("The provision must start while its contract runs, from %(start)s to %(end)s."),
                code="outside_contract",
                params={"start": _day(contract.start_date), "end": _day(contract.end_date)},
            )
        ]
    if valid_to is None or valid_to > valid_from:
        conflicts = _overlaps(
            service=service,
            area_ids={area.pk for area in areas},
            valid_from=valid_from,
            valid_to=valid_to,
            provision=provision,
        )
        if conflicts:
            errors[NON_FIELD_ERRORS] = conflicts
    if errors:
        raise ValidationError(errors)


def _overlaps(
    *,
    service: Service,
    area_ids: set[int],
    valid_from: date,
    valid_to: date | None,
    provision: ServiceProvision | None,
) -> list[ValidationError]:
    """One error for each other provision of `service` that overlaps in both time and area."""
    others = (
        ServiceProvision.objects.filter(service=service)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=valid_from))
        .select_related("contract__supplier")
        .prefetch_related("areas")
        .order_by("valid_from", "pk")
    )
    if valid_to is not None:
        others = others.filter(valid_from__lt=valid_to)
    if provision is not None and provision.pk is not None:
        others = others.exclude(pk=provision.pk)
    conflicts = []
    for other in others:
        other_areas = list(other.areas.all())
        params = {"other": _describe(other)}
        if not area_ids:
            message = _(
                "A provision for every area cannot overlap another, and this overlaps %(other)s."
            )
        elif not other_areas:
            message = _("This overlaps %(other)s, which covers every area.")
        else:
            shared = [area.name for area in other_areas if area.pk in area_ids]
            if not shared:
                continue
            message = _("This overlaps %(other)s in %(areas)s.")
            params["areas"] = ", ".join(shared)
        conflicts.append(ValidationError(message, code="overlap", params=params))
    return conflicts


def _lock_services(pks: Iterable[int]) -> None:
    # Provisions of one service are checked against each other, so writers take turns.
    list(Service.objects.select_for_update().filter(pk__in=set(pks)).order_by("pk").values("pk"))


def _provision_save(
    *,
    actor: User | None,
    contract: Contract,
    service: Service,
    areas: Iterable[Area],
    sla_policy: SlaPolicy,
    valid_from: date,
    valid_to: date | None,
    provision: ServiceProvision | None,
    at: datetime,
    reason: str = "",
) -> ServiceProvision:
    areas = list(areas)
    if provision is not None:
        _lock_services([service.pk, provision.service_id])
        current = ServiceProvision.objects.select_for_update().get(pk=provision.pk)
        before: dict[str, Any] | None = snapshot(current)
    else:
        _lock_services([service.pk])
        current, before = ServiceProvision(), None
    current.contract, current.service, current.sla_policy = contract, service, sla_policy
    current.valid_from, current.valid_to = valid_from, valid_to
    errors: dict[str, Any] = {}
    for check in (
        current.full_clean,
        lambda: validate_provision(
            contract=contract,
            service=service,
            areas=areas,
            sla_policy=sla_policy,
            valid_from=valid_from,
            valid_to=valid_to,
            provision=current,
        ),
    ):
        try:
            check()
        except ValidationError as exc:
            errors = exc.update_error_dict(errors)
    if any(errors.values()):
        raise ValidationError({k: v for k, v in errors.items() if v})
    current.save()
    current.areas.set(areas)
    record_change(
        current, actor=actor, before=before, after=snapshot(current), at=at, reason=reason
    )
    return current


@transaction.atomic
def provision_save(
    *,
    actor: User | None,
    contract: Contract,
    service: Service,
    areas: Iterable[Area],
    sla_policy: SlaPolicy,
    valid_from: date,
    valid_to: date | None,
    provision: ServiceProvision | None = None,
    at: datetime | None = None,
) -> ServiceProvision:
    """Create a provision, or change `provision`, after validate_provision; no areas means every
    area. Raises ValidationError and saves nothing when a rule is broken."""
    return _provision_save(
        actor=actor,
        contract=contract,
        service=service,
        areas=areas,
        sla_policy=sla_policy,
        valid_from=valid_from,
        valid_to=valid_to,
        provision=provision,
        at=at or timezone.now(),
    )


@transaction.atomic
def transition_service(
    *,
    actor: User | None,
    service: Service,
    from_contract: Contract,
    to_contract: Contract,
    on: date,
    sla_policy: SlaPolicy,
    until: date | None = None,
    at: datetime | None = None,
) -> list[ServiceProvision]:
    """Hand `service` from one contract to another on `on`: the old provisions in force that day
    end at `on`, and the new contract provides the same areas from `on` (until `until`).

    All or nothing; returns the new provisions.
    """
    at = at or timezone.now()
    _lock_services([service.pk])
    if to_contract.pk == from_contract.pk:
        raise ValidationError(
            {"to_contract": _("Choose another contract to hand the service over to.")}
        )
    if on < local_date(at):
        raise ValidationError(
            {
                "on": ValidationError(
                    _("A transition cannot be in the past; choose %(today)s or later."),
                    params={"today": _day(local_date(at))},
                )
            }
        )
    ending = list(
        ServiceProvision.objects.select_for_update()
        .filter(service=service, contract=from_contract, valid_from__lte=on)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=on))
        .select_related("contract__supplier")
        .order_by("valid_from", "pk")
    )
    if not ending:
        raise ValidationError(
            {
                "from_contract": ValidationError(
                    _("%(contract)s does not provide %(service)s on %(on)s."),
                    params={
                        "contract": from_contract.reference,
                        "service": service.name,
                        "on": _day(on),
                    },
                )
            }
        )
    starting = [p for p in ending if p.valid_from == on]
    if starting:
        raise ValidationError(
            {
                "on": ValidationError(
                    _("%(provision)s starts on the transition date; change it instead."),
                    params={"provision": _describe(starting[0])},
                )
            }
        )
    reason = _("Transition of %(service)s from %(from)s to %(to)s on %(on)s") % {
        "service": service.name,
        "from": from_contract.reference,
        "to": to_contract.reference,
        "on": on.isoformat(),
    }
    areas_by_provision = {p.pk: list(p.areas.all()) for p in ending}
    for old in ending:
        before = snapshot(old)
        old.valid_to = on
        old.save(update_fields=["valid_to"])
        record_change(old, actor=actor, before=before, after=snapshot(old), at=at, reason=reason)
    return [
        _provision_save(
            actor=actor,
            contract=to_contract,
            service=service,
            areas=areas_by_provision[old.pk],
            sla_policy=sla_policy,
            valid_from=on,
            valid_to=until,
            provision=None,
            at=at,
            reason=reason,
        )
        for old in ending
    ]
