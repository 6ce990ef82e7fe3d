"""Where the service apps plug into the core: each app declares itself once, as a ``ServiceApp``.

An app's ``AppConfig.ready()`` builds its ``ServiceApp`` — navigation, person / employer / dashboard
sections, monthly figures, inbox items, permissions, workflows, deadline clocks, parameters, scope
rules, export sources, attachable records, URLs and demo seeder — and calls ``register``. The core
iterates ``service_apps()`` and names no app: an app missing from ``INSTALLED_APPS`` is simply not
there (``service_apps`` lists only installed apps, so a test that changes ``INSTALLED_APPS`` sees
the change at once).

``register`` checks the declaration and refuses, at start-up, one that names an unknown role or
permission, a workflow step to an unknown state, or a parameter another app already declared.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import ModuleType
from typing import TYPE_CHECKING, Any

from django.apps import apps as django_apps
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Model, QuerySet

from . import permissions
from .permissions import Action, Permission

if TYPE_CHECKING:
    from .approvals import ApprovalKind
    from .assistance import HelpSource
    from .attachments import AttachmentTarget
    from .clocks import ClockSpec
    from .exportjobs import ExportSource
    from .inbox import InboxItem
    from .models import Employer, OrgUnit, Person, User
    from .parameters import ParameterSpec
    from .qualifications import Qualification
    from .referrals import ReferralSource, ReferralTarget
    from .workflow import Workflow

    ScopeRule = Callable[[QuerySet, User], QuerySet]


@dataclass
class Section:
    """One app's part of a shared page (the person page, the employer page, the dashboard)."""

    title: str
    template: str = "servicecenter/section_empty.html"
    context: dict[str, Any] = field(default_factory=dict)
    url: str = ""


@dataclass(frozen=True)
class NavEntry:
    label: str
    url_name: str
    # Shown to users who hold this permission anywhere (the core's ``view`` for case pages).
    permission: str = Action.VIEW


@dataclass(frozen=True)
class Figure:
    """One monthly figure an app reports (DOMAIN §8): the monthly summaries compute, freeze and
    roll these up. ``counts_by`` says which date puts a record in a month (受理/办结/审批/发放);
    ``kind`` says how a district's figure comes from its stations': ``additive`` figures are sums,
    ``distinct`` ones (people helped) are counted again from the records over the whole subtree,
    ``rate`` ones are derived from two other figures (``numerator`` ÷ ``denominator`` × 100)."""

    code: str
    label: str
    counts_by: str = ""
    kind: str = "additive"  # additive | distinct | rate
    unit: str = "件"
    numerator: str = ""
    denominator: str = ""
    note: str = ""
    # A headline figure is charted on the dashboards: by child unit for a supervisor, as a monthly
    # trend and a comparison of districts for the city.
    headline: bool = False

    def __post_init__(self) -> None:
        if self.kind not in ("additive", "distinct", "rate"):
            raise ImproperlyConfigured(f"统计指标“{self.code}”的类型“{self.kind}”无效（additive / distinct / rate）。")
        if self.kind == "rate" and not (self.numerator and self.denominator):
            raise ImproperlyConfigured(f"比率指标“{self.code}”须指明分子和分母。")


@dataclass(frozen=True)
class Breakdown:
    """A figure split by a category of the records (受理件数按问题类别): ``compute_breakdowns`` gives
    ``{code: {category label: value}}``. The values are additive (sums over the subtree); the
    monthly summary freezes them with the figures and prints them as the paper form's rows."""

    code: str
    label: str
    unit: str = "件"
    headline: bool = False  # charted on the city's dashboard (a stacked monthly trend)


MonthlyCompute = Callable[["OrgUnit", datetime.date, datetime.date], Mapping[str, Any]]
BreakdownCompute = Callable[["OrgUnit", datetime.date, datetime.date], Mapping[str, Mapping[str, Any]]]
# The many-units, many-periods form of ``compute_figures`` (``servicecenter.figures.FigureTable``):
# (tree, units, periods) → {(unit pk, period index): {code: value}} in a fixed number of queries.
FigureTableCompute = Callable[[Any, Sequence[Any], Sequence[Any]], Mapping[tuple[int, int], Mapping[str, Any]]]


@dataclass(frozen=True)
class EmployerFlag:
    """A warning about an employer that one app raises and other apps' pages show wherever the
    employer appears (on a job posting, at a referral): "open wage-arrears matters", say. A label
    and a short detail — never personal data; ``app`` (the declaring app's name) is filled in by
    ``employer_flags``."""

    label: str
    detail: str = ""
    app: str = ""


# employer ids → the flags of those that have any; one query (or a few) for the whole list.
EmployerFlagSource = Callable[[list[int]], Mapping[int, Iterable[EmployerFlag]]]


@dataclass(frozen=True)
class DemoRun:
    """What ``seed_demo`` hands each app's seeder: ``count`` records wanted (0: the app's default
    demo size) and a writer for progress lines."""

    count: int = 0
    write: Callable[[str], None] = print


@dataclass(frozen=True)
class ServiceApp:
    label: str  # the Django app label
    name: str  # 信访接待 …
    url_prefix: str = ""  # /<prefix>/ (default: the label)
    urls: ModuleType | None = None
    # Pages for the public, without a login (online self-service): mounted at /public/<prefix>/
    # by the core (``servicecenter/public.py``), every view marked ``login_not_required``.
    public_urls: ModuleType | None = None
    nav: tuple[NavEntry, ...] = ()
    permissions: tuple[Permission, ...] = ()
    parameters: tuple[ParameterSpec, ...] = ()
    workflows: tuple[Workflow, ...] = ()
    clocks: tuple[ClockSpec, ...] = ()
    scope_rules: Mapping[type[Model], ScopeRule] = field(default_factory=dict)
    exports: tuple[ExportSource, ...] = ()
    attachments: tuple[AttachmentTarget, ...] = ()
    approvals: tuple[ApprovalKind, ...] = ()
    person_section: Callable[[Person, User], Section] | None = None
    employer_section: Callable[[Employer, User], Section] | None = None
    dashboard_section: Callable[[User], Section | None] | None = None
    inbox: Callable[[User], Iterable[InboxItem]] | None = None
    figures: tuple[Figure, ...] = ()
    compute_figures: MonthlyCompute | None = None
    # Optional: the same figures for many units and periods at once (roll-ups, statistics,
    # dashboards). Without it the core calls ``compute_figures`` once per unit and period.
    figure_table: FigureTableCompute | None = None
    breakdowns: tuple[Breakdown, ...] = ()
    compute_breakdowns: BreakdownCompute | None = None
    demo: Callable[[DemoRun], str] | None = None
    employer_flags: EmployerFlagSource | None = None
    order: int = 50
    # Records that can be referred to another service (信访事项 → 法律援助), and the services that
    # take referrals: referrals.py. Either side may be missing; nothing names the other app.
    referral_sources: tuple[ReferralSource, ...] = ()
    referral_targets: tuple[ReferralTarget, ...] = ()
    # What this app's records say a person qualifies as (an active hardship file → 困难职工):
    # qualifications.py.
    qualifications: Callable[[Person, datetime.date], Iterable[Qualification]] | None = None
    # The help (money, goods) this app's records say people received in a year: assistance.py.
    help_given: HelpSource | None = None

    @property
    def prefix(self) -> str:
        return self.url_prefix or self.label


_APPS: dict[str, ServiceApp] = {}


def register(app: ServiceApp) -> None:
    """Declare an app (from its ``AppConfig.ready()``). Declaring again replaces the earlier one."""
    _validate(app)
    permissions.declare(app.label, app.permissions)
    for workflow in app.workflows:
        workflow.check_permissions_declared()
    for kind in app.approvals:
        kind.check_declared()
    needs = [s.permission for s in app.referral_sources] + [t.permission for t in app.referral_targets]
    for needed in needs:
        if not permissions.is_declared(needed):
            raise ImproperlyConfigured(f"{app.label} 的转办声明需要的权限“{needed}”未声明。")
    _APPS[app.label] = app


def _validate(app: ServiceApp) -> None:
    for p in app.permissions:
        if not p.code.startswith(app.label + "."):
            raise ImproperlyConfigured(f"{app.label} 的权限“{p.code}”应以“{app.label}.”开头。")
    for spec in app.parameters:
        for other in _APPS.values():
            if other.label != app.label and any(s.key == spec.key for s in other.parameters):
                raise ImproperlyConfigured(f"参数“{spec.key}”已由 {other.label} 声明，{app.label} 不能重复声明。")
    figure_codes = [f.code for f in app.figures]
    if len(set(figure_codes)) != len(figure_codes):
        raise ImproperlyConfigured(f"{app.label} 的统计指标代码有重复。")
    for target in app.referral_targets:
        if not target.code.startswith(app.label + "."):
            raise ImproperlyConfigured(f"{app.label} 的转办去向“{target.code}”应以“{app.label}.”开头。")
    if app.figures and app.compute_figures is None:
        raise ImproperlyConfigured(f"{app.label} 声明了统计指标，但没有给出计算函数（compute_figures）。")
    codes = set(figure_codes)
    for f in app.figures:
        if f.kind == "rate" and not {f.numerator, f.denominator} <= codes - {f.code}:
            raise ImproperlyConfigured(f"{app.label} 的比率指标“{f.code}”的分子或分母不是本应用声明的指标。")
    breakdown_codes = [b.code for b in app.breakdowns]
    if len(set(breakdown_codes)) != len(breakdown_codes):
        raise ImproperlyConfigured(f"{app.label} 的分类统计代码有重复。")
    if app.breakdowns and app.compute_breakdowns is None:
        raise ImproperlyConfigured(f"{app.label} 声明了分类统计，但没有给出计算函数（compute_breakdowns）。")
    if app.figure_table is not None and not app.figures:
        raise ImproperlyConfigured(f"{app.label} 给出了 figure_table，但没有声明统计指标。")


def service_apps() -> list[ServiceApp]:
    """The declared apps that are installed now, in their declared order."""
    return sorted((a for a in _APPS.values() if django_apps.is_installed(a.label)), key=lambda a: (a.order, a.label))


def service_app(label: str) -> ServiceApp | None:
    app = _APPS.get(label)
    return app if app is not None and django_apps.is_installed(label) else None


def app_of(model: type[Model]) -> ServiceApp | None:
    return service_app(model._meta.app_label)


# --- What the core pages ask -------------------------------------------------------------------------


def person_sections(person: Person, user: User) -> list[Section]:
    return [app.person_section(person, user) for app in service_apps() if app.person_section]


def employer_sections(employer: Employer, user: User) -> list[Section]:
    return [app.employer_section(employer, user) for app in service_apps() if app.employer_section]


def dashboard_sections(user: User) -> list[Section]:
    """What each app puts on the dashboard of a user who works on cases (an app may return None:
    nothing for this user)."""
    out = []
    for app in service_apps():
        if app.dashboard_section:
            section = app.dashboard_section(user)
            if section is not None:
                out.append(section)
    return out


def employer_flags(employer_ids: Iterable[int]) -> dict[int, list[EmployerFlag]]:
    """Every installed app's flags for these employers (one call per declaring app), keyed by
    employer id; employers without a flag are absent."""
    ids = sorted({int(pk) for pk in employer_ids if pk is not None})
    out: dict[int, list[EmployerFlag]] = {}
    if not ids:
        return out
    for app in service_apps():
        if app.employer_flags is None:
            continue
        for pk, flags in app.employer_flags(ids).items():
            out.setdefault(pk, []).extend(EmployerFlag(f.label, f.detail, f.app or app.name) for f in flags)
    return out


def scope_rule(model: type[Model]) -> ScopeRule | None:
    app = app_of(model)
    if app is None:
        return None
    return app.scope_rules.get(model)


def parameter_specs() -> list[ParameterSpec]:
    return [spec for app in service_apps() for spec in app.parameters]


def clock_specs() -> list[ClockSpec]:
    return [clock for app in service_apps() for clock in app.clocks]


def export_sources() -> list[ExportSource]:
    return [source for app in service_apps() for source in app.exports]


def attachment_targets() -> list[AttachmentTarget]:
    return [target for app in service_apps() for target in app.attachments]


def workflows() -> list[Workflow]:
    return [workflow for app in service_apps() for workflow in app.workflows]


def approval_kinds() -> list[ApprovalKind]:
    return [kind for app in service_apps() for kind in app.approvals]


def referral_sources() -> list[ReferralSource]:
    return [source for app in service_apps() for source in app.referral_sources]


def referral_targets() -> list[ReferralTarget]:
    return [target for app in service_apps() for target in app.referral_targets]


def qualification_providers() -> list[Callable[[Person, datetime.date], Iterable[Qualification]]]:
    return [app.qualifications for app in service_apps() if app.qualifications is not None]


def help_sources() -> list[HelpSource]:
    return [app.help_given for app in service_apps() if app.help_given is not None]


def figure_apps() -> list[ServiceApp]:
    """The installed apps that report monthly figures, in their declared order."""
    return [app for app in service_apps() if app.figures]
