"""When recurring invoices are due: rules, instants across DST, skips, pauses, rule versions, simulation.

Pure and clock-free (every "now" is an argument). Indices number a schedule's cycles from 0, the first
occurrence on or after its start; an index is the cycle's stable identity (history, skips, "issued up
to"), and `Period.key` is its unique key for UNIQUE(schedule, period_key).

Time (DESIGN.md "Time is explicit"; reference/reliability.md T5/T6): dates are local calendar dates
in the schedule's zone and an invoice is due at the issue time of day there, stored as an aware UTC
instant. Tijuana still moves its clocks (2026-03-08 02:00 -> 03:00, 2026-11-01 02:00 -> 01:00), so a
wall time can be missing or doubled; we map each local date to exactly one instant so a schedule
never runs twice or not at all: a missing time moves to the first instant after the gap, a doubled
one takes its first occurrence (fold=0).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from operator import attrgetter
from typing import Generic, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from timbra.domain.periods import Frequency, Period, ScheduleError, anchored_date, first_step_on_or_after

DEFAULT_TIMEZONE = "America/Mexico_City"
DEFAULT_ISSUE_TIME = time(6, 0)
_ONE_DAY = timedelta(days=1)
_TICK = timedelta(microseconds=1)  # datetimes' resolution: "at or after t" == "after t - tick"


@cache
def zone(name: str) -> ZoneInfo:
    """The ZoneInfo for an IANA name, built once per process (the simulation calls this per schedule)."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ScheduleError("invalid_timezone", f"Zona horaria desconocida: {name!r}.") from exc


def local_instant(day: date, at: time, tz: ZoneInfo) -> datetime:
    """The UTC instant when the wall clock in `tz` reads `day` `at`, exactly one per date.

    Overlap (fall back): fold=0, the first time the clock shows it. Gap (spring forward): the first
    instant after the gap, i.e. the transition itself (02:30 on a 02:00 -> 03:00 night gives 03:00).
    """
    wall = datetime.combine(day, at)
    instant = wall.replace(tzinfo=tz).astimezone(UTC)
    if instant.astimezone(tz).replace(tzinfo=None) == wall:
        return instant
    # In a gap PEP 495 maps fold=0 with the offset before the transition (an instant after it) and
    # fold=1 with the offset after (an instant before it); the transition lies between the two, on a
    # whole second (tzdata), so bisect POSIX seconds for the first one with the new offset.
    after_offset = wall.replace(tzinfo=tz, fold=1).utcoffset()
    low, high = int(wall.replace(tzinfo=tz, fold=1).timestamp()), int(instant.timestamp())
    while high - low > 1:
        middle = (low + high) // 2
        if datetime.fromtimestamp(middle, tz).utcoffset() == after_offset:
            high = middle
        else:
            low = middle
    return datetime.fromtimestamp(high, UTC)


def _require_aware(instant: datetime, what: str) -> None:
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ScheduleError("naive_datetime", f"{what} debe incluir zona horaria.")


@dataclass(frozen=True, slots=True)
class ScheduleRule:
    """One version of a schedule's calendar.

    `anchor` fixes the phase (day of month / weekday) and every date is computed from it. The first
    occurrence is the first anchored date on or after `start` (default: the anchor). It ends after
    `cycles` cycles counted from that first occurrence, after the last occurrence on or before `end`
    (inclusive), whichever comes first, or never. Cycles are calendar cycles: a skipped or paused cycle
    still counts, so a 12-cycle contract ends on the same date whatever happens in between.
    """

    frequency: Frequency
    anchor: date
    start: date | None = None
    end: date | None = None
    cycles: int | None = None
    issue_time: time = DEFAULT_ISSUE_TIME
    timezone: str = DEFAULT_TIMEZONE
    tz: ZoneInfo = field(init=False, repr=False, compare=False)
    _offset: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.cycles is not None and self.cycles < 1:
            raise ScheduleError("invalid_cycles", "El número de ciclos debe ser al menos 1.")
        if self.issue_time.tzinfo is not None:
            raise ScheduleError("invalid_issue_time", "La hora de emisión es hora local, sin zona horaria.")
        first_day = self.start or self.anchor
        if self.end is not None and self.end < first_day:
            raise ScheduleError("invalid_end", "La fecha de término es anterior al inicio.")
        object.__setattr__(self, "tz", zone(self.timezone))
        object.__setattr__(self, "_offset", first_step_on_or_after(self.anchor, self.frequency, first_day))

    def occurrence(self, n: int) -> date:
        """The n-th cycle's local date (n=0 first), from the anchor: Jan 31 -> Feb 28/29 -> Mar 31."""
        return anchored_date(self.anchor, self.frequency, self._offset + n)

    def period(self, n: int) -> Period:
        """The days cycle n covers: its date up to the day before the next nominal cycle."""
        return Period(self.occurrence(n), self.occurrence(n + 1) - _ONE_DAY, self.frequency)

    def due_at(self, n: int) -> datetime:
        """The aware UTC instant cycle n is due (see `local_instant` for DST)."""
        return local_instant(self.occurrence(n), self.issue_time, self.tz)

    def index_on_or_after(self, day: date) -> int:
        """The first index whose date is on or after `day` (negative when `day` precedes the start)."""
        return first_step_on_or_after(self.anchor, self.frequency, day) - self._offset

    def first_index_due_after(self, instant: datetime) -> int:
        """The first index (possibly negative) due strictly after `instant`."""
        # Two days of slack: a due instant's local date can trail its occurrence date by a DST gap
        # and an instant's wall clock can repeat by an overlap; both are shorter than a day.
        n = self.index_on_or_after(instant.astimezone(self.tz).date() - 2 * _ONE_DAY)
        while self.due_at(n) <= instant:
            n += 1
        return n

    def ended_at(self, n: int) -> bool:
        """True when cycle n falls past this rule's end (cycles or end date)."""
        if self.cycles is not None and n >= self.cycles:
            return True
        return self.end is not None and self.occurrence(n) > self.end


@dataclass(frozen=True, slots=True)
class RuleVersion:
    """`rule` governs cycles from index `effective_from` on ("change from the next cycle on")."""

    effective_from: int
    rule: ScheduleRule


@dataclass(frozen=True, slots=True)
class Pause:
    """No cycle due in [paused_at, resumed_at) is issued; `resumed_at` None means still paused."""

    paused_at: datetime
    resumed_at: datetime | None = None

    def covers(self, instant: datetime) -> bool:
        return self.paused_at <= instant and (self.resumed_at is None or instant < self.resumed_at)


@dataclass(frozen=True, slots=True)
class Occurrence:
    """Cycle `index`: its local date, the period it bills, and when it is due (aware, UTC)."""

    index: int
    local_date: date
    period: Period
    due_at: datetime


@dataclass(frozen=True, slots=True)
class Schedule:
    """A schedule's whole calendar: rule versions, skipped cycles and pauses. Immutable; the
    modification functions below return a new one for the service to store with its history.

    Across versions dates keep increasing: a new version's first cycle is its first date on or after
    the day the old rule's next cycle would have started (periods never overlap) and due after the
    previous cycle, and the first ended index (per the governing version's end) ends the schedule.
    """

    versions: tuple[RuleVersion, ...]
    skipped: frozenset[int] = frozenset()
    pauses: tuple[Pause, ...] = ()
    _bases: tuple[int, ...] = field(init=False, repr=False, compare=False)
    _stop: int | None = field(init=False, repr=False, compare=False)

    @classmethod
    def of(cls, rule: ScheduleRule) -> Schedule:
        """A schedule with a single rule, nothing skipped or paused."""
        return cls((RuleVersion(0, rule),))

    def __post_init__(self) -> None:
        _validate(self)
        bases = [0]
        for previous, version in zip(self.versions, self.versions[1:], strict=False):
            bases.append(_next_base(previous, bases[-1], version))
        object.__setattr__(self, "_bases", tuple(bases))
        object.__setattr__(self, "_stop", _first_ended_index(self))

    @property
    def stop(self) -> int | None:
        """The first index past the schedule's end (cycles or end date), None if it never ends."""
        return self._stop

    def _locate(self, n: int) -> tuple[ScheduleRule, int]:
        if n < 0:
            raise ScheduleError("invalid_index", "El ciclo debe ser 0 o mayor.")
        i = len(self.versions) - 1
        while self.versions[i].effective_from > n:
            i -= 1
        version = self.versions[i]
        return version.rule, self._bases[i] + n - version.effective_from

    def rule_for(self, n: int) -> ScheduleRule:
        """The rule that governs cycle n."""
        return self._locate(n)[0]

    def occurrence(self, n: int) -> date:
        """Cycle n's local date, computed from its version's anchor (no earlier cycle needed)."""
        rule, local = self._locate(n)
        return rule.occurrence(local)

    def due_at(self, n: int) -> datetime:
        """When cycle n is due (aware UTC)."""
        rule, local = self._locate(n)
        return rule.due_at(local)

    def at(self, n: int) -> Occurrence:
        """Cycle n in full, whether or not it is issued (see `is_issued`)."""
        rule, local = self._locate(n)
        day = rule.occurrence(local)
        period = Period(day, rule.occurrence(local + 1) - _ONE_DAY, rule.frequency)
        return Occurrence(n, day, period, local_instant(day, rule.issue_time, rule.tz))

    def is_issued(self, occurrence: Occurrence) -> bool:
        """Whether the schedule issues this cycle: before its end, not skipped, not paused."""
        if self._stop is not None and occurrence.index >= self._stop:
            return False
        if occurrence.index in self.skipped:
            return False
        return not any(p.covers(occurrence.due_at) for p in self.pauses)

    def first_index_due_after(self, instant: datetime) -> int:
        """The first index (issued or not) due strictly after `instant`."""
        _require_aware(instant, "La fecha")
        last = len(self.versions) - 1
        for i, version in enumerate(self.versions):
            local = version.rule.first_index_due_after(instant)
            n = max(version.effective_from, version.effective_from + local - self._bases[i])
            if i == last or n < self.versions[i + 1].effective_from:
                return n
        raise AssertionError("unreachable: the last version always answers")

    def next_due(self, after: datetime) -> Occurrence | None:
        """The next issued cycle due strictly after `after`, or None when none will ever be."""
        n = self.first_index_due_after(after)
        while self._stop is None or n < self._stop:
            occurrence = self.at(n)
            pause = next((p for p in self.pauses if p.covers(occurrence.due_at)), None)
            if pause is None:
                if n not in self.skipped:
                    return occurrence
                n += 1
            elif pause.resumed_at is None:
                return None  # paused until someone resumes it
            else:
                n = self.first_index_due_after(pause.resumed_at - _TICK)
        return None

    def due_between(self, after: datetime, until: datetime) -> list[Occurrence]:
        """Issued cycles due in (after, until]: consecutive windows neither lose nor repeat a cycle."""
        _require_aware(until, "La fecha final")
        return list(self._issued_from(self.first_index_due_after(after), until))

    def missed(self, as_of: datetime, last_issued_index: int | None) -> list[Occurrence]:
        """Issued cycles after `last_issued_index` (None: nothing issued yet) due at or before `as_of`,
        each once, oldest first: the catch-up after downtime."""
        _require_aware(as_of, "La fecha")
        return list(self._issued_from(0 if last_issued_index is None else last_issued_index + 1, as_of))

    def _issued_from(self, n: int, until: datetime) -> Iterator[Occurrence]:
        while self._stop is None or n < self._stop:
            occurrence = self.at(n)
            if occurrence.due_at > until:
                return
            if self.is_issued(occurrence):
                yield occurrence
            n += 1


def _validate(schedule: Schedule) -> None:
    starts = [v.effective_from for v in schedule.versions]
    if not starts or starts[0] != 0 or any(b <= a for a, b in zip(starts, starts[1:], strict=False)):
        raise ScheduleError("invalid_versions", "Las versiones deben empezar en el ciclo 0 y avanzar.")
    if any(n < 0 for n in schedule.skipped):
        raise ScheduleError("invalid_index", "El ciclo debe ser 0 o mayor.")
    for i, pause in enumerate(schedule.pauses):
        _require_aware(pause.paused_at, "La pausa")
        if pause.resumed_at is not None:
            _require_aware(pause.resumed_at, "La reanudación")
            if pause.resumed_at < pause.paused_at:
                raise ScheduleError("invalid_pause", "La reanudación es anterior a la pausa.")
        later = schedule.pauses[i + 1 :]
        if later and (pause.resumed_at is None or later[0].paused_at < pause.resumed_at):
            raise ScheduleError("invalid_pause", "Las pausas no pueden encimarse.")


def _next_base(previous: RuleVersion, previous_base: int, version: RuleVersion) -> int:
    """The local index, in `version.rule`, of the schedule's cycle `version.effective_from`."""
    old_local = previous_base + version.effective_from - previous.effective_from
    nominal_next = previous.rule.occurrence(old_local)
    last_due = previous.rule.due_at(old_local - 1)
    rule = version.rule
    # Starting on/after the old rule's next date keeps periods disjoint and month keys unique: a
    # month-based cycle's next date is in a later month, so no later cycle can share its "YYYY-MM".
    local = max(0, rule.index_on_or_after(nominal_next))
    # A zone change (say UTC-11 to UTC+14) could still put the next instant before the last one.
    while rule.due_at(local) <= last_due:
        local += 1
    return local


def _first_ended_index(schedule: Schedule) -> int | None:
    for i, version in enumerate(schedule.versions):
        rule, begin = version.rule, version.effective_from
        candidates = []
        if rule.cycles is not None:
            candidates.append(max(begin, rule.cycles))
        if rule.end is not None:
            past_end = rule.index_on_or_after(rule.end + _ONE_DAY) - schedule._bases[i] + begin
            candidates.append(max(begin, past_end))
        stop = min(candidates, default=None)
        is_last = i == len(schedule.versions) - 1
        if stop is not None and (is_last or stop < schedule.versions[i + 1].effective_from):
            return stop
    return None


# --- Modifications (pure: each returns a new Schedule; the service stores it and the history row) ---


def skip(schedule: Schedule, index: int) -> Schedule:
    """Do not issue cycle `index`; the cycles after it keep their dates."""
    return replace(schedule, skipped=schedule.skipped | {index})


def skip_next(schedule: Schedule, as_of: datetime) -> Schedule:
    """Skip the next cycle that would be issued after `as_of`."""
    upcoming = schedule.next_due(as_of)
    if upcoming is None:
        raise ScheduleError("nothing_to_skip", "No hay un próximo ciclo que omitir.")
    return skip(schedule, upcoming.index)


def pause(schedule: Schedule, at: datetime) -> Schedule:
    """Stop issuing from `at` until resumed."""
    if schedule.pauses and schedule.pauses[-1].resumed_at is None:
        raise ScheduleError("already_paused", "La programación ya está en pausa.")
    return replace(schedule, pauses=(*schedule.pauses, Pause(at)))


def resume(schedule: Schedule, at: datetime) -> Schedule:
    """Issue again from `at`: the next cycle is the first due at or after `at`, anchor unchanged."""
    if not schedule.pauses or schedule.pauses[-1].resumed_at is not None:
        raise ScheduleError("not_paused", "La programación no está en pausa.")
    return replace(schedule, pauses=(*schedule.pauses[:-1], replace(schedule.pauses[-1], resumed_at=at)))


def change_from(schedule: Schedule, index: int, rule: ScheduleRule) -> Schedule:
    """Let `rule` govern cycles from `index` on; a later pending change at or after `index` is replaced.

    Skips keep their indices. To keep the dates and change only the end, pass the same anchor and
    frequency (e.g. `replace(old_rule, cycles=24)` to renew a 12-cycle contract).
    """
    kept = tuple(v for v in schedule.versions if v.effective_from < index)
    return replace(schedule, versions=(*kept, RuleVersion(index, rule)))


def change_from_next(schedule: Schedule, as_of: datetime, rule: ScheduleRule) -> Schedule:
    """`change_from` the first cycle due after `as_of` (issued or skipped alike)."""
    return change_from(schedule, schedule.first_index_due_after(as_of), rule)


# --- Simulation: what many schedules would issue, without issuing anything ---

K = TypeVar("K")


@dataclass(frozen=True, slots=True)
class Run(Generic[K]):
    """One invoice a simulation says would be issued."""

    schedule_id: K
    index: int
    period: Period
    due_at: datetime


def simulate(
    schedules: Mapping[K, Schedule | ScheduleRule], until: datetime, *, after: datetime | None = None
) -> list[Run[K]]:
    """Every cycle the schedules would issue due in (after, until] (`after` None: from their first
    cycle), ordered by due instant, ties in the mapping's order."""
    _require_aware(until, "La fecha final")
    runs: list[Run[K]] = []
    for schedule_id, value in schedules.items():
        schedule = Schedule.of(value) if isinstance(value, ScheduleRule) else value
        first = 0 if after is None else schedule.first_index_due_after(after)
        runs.extend(
            Run(schedule_id, o.index, o.period, o.due_at) for o in schedule._issued_from(first, until)
        )
    runs.sort(key=attrgetter("due_at"))
    return runs
