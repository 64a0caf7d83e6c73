"""Build the CP-SAT model of a core problem: one small method per rule.

The order of :meth:`CoreModel.build` is the order of the rules: presence, tasks and their
modes, resource requirements, lags, holds (segregation with setup), batches, resource capacity
with calendars, then the named objective terms.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict

from ortools.sat.python import cp_model

from suitesched.core.problem import (
    BatchFamily,
    CoreProblem,
    Requirement,
    Resource,
    Span,
    Task,
)
from suitesched.solver.variables import BatchVars, ChoiceVars, HoldVars, RunVars, TaskVars

Expr = cp_model.LinearExprT


class CoreModel:
    """The CP-SAT model of one :class:`CoreProblem`, with its variables kept for read-back."""

    def __init__(self, problem: CoreProblem) -> None:
        self.problem = problem
        self.model = cp_model.CpModel()
        self.resources: dict[str, Resource] = {r.id: r for r in problem.resources}
        self.usage: dict[str, list[tuple[cp_model.IntervalVar, Expr]]] = defaultdict(list)
        self.present: dict[str, cp_model.IntVar] = {}
        self.tasks: dict[str, TaskVars] = {}
        self.task_data: dict[str, Task] = {t.id: t for t in problem.tasks}
        self.end_bounds: dict[str, tuple[int, int]] = {}
        self.holds: dict[str, HoldVars] = {}
        self.shared_choice: dict[tuple[str, str], cp_model.IntVar] = {}
        self.batches: dict[str, BatchVars] = {}
        self.terms: dict[str, list[tuple[int, Expr]]] = defaultdict(list)
        # Auxiliary variables, kept so that a warm start can hint every variable.
        self.late: dict[str, cp_model.IntVar] = {}
        self.flow: dict[str, cp_model.IntVar] = {}
        self.deviation: dict[str, tuple[cp_model.IntVar, cp_model.IntVar | None]] = {}
        self.hold_sizes: dict[tuple[str, str], tuple[cp_model.IntVar, int]] = {}
        self.makespan: cp_model.IntVar | None = None
        self.constant_terms: dict[str, int] = defaultdict(int)
        self.fixed_intervals: dict[Span, cp_model.IntervalVar] = {}
        self.tie_scale = 1
        """The objective's multiplier under :attr:`CoreProblem.left_justified`."""
        self.objective: Expr = 0
        """The minimised expression (cost times :attr:`tie_scale` plus the tie-break)."""

    # ------------------------------------------------------------------ wiring
    def build(self) -> CoreModel:
        self._groups()
        for task in self.problem.tasks:
            self._task(task)
        self._lags()
        self._holds()
        for family in self.problem.batches:
            self._batch_family(family)
        self._resource_capacity()
        self._objective()
        return self

    # ------------------------------------------------------------------ presence
    def _groups(self) -> None:
        """A group (order) is scheduled whole or not at all; mandatory groups always are."""
        for group in self.problem.groups:
            if group.optional:
                self.present[group.id] = self.model.new_bool_var(f"present[{group.id}]")
            else:
                self.present[group.id] = self.model.new_constant(1)

    # ------------------------------------------------------------------ tasks
    def _start_domain(self, task: Task, shortest: int) -> cp_model.Domain:
        horizon = self.problem.horizon
        lo = max(0, task.earliest_start)
        hi = horizon - shortest
        if task.latest_start is not None:
            hi = min(hi, task.latest_start)
        if task.latest_end is not None:
            hi = min(hi, task.latest_end - shortest)
        if task.fixed_start is not None:
            return cp_model.Domain(task.fixed_start, task.fixed_start)
        domain = cp_model.Domain(lo, hi) if lo <= hi else cp_model.Domain.from_values([])
        if task.allowed_starts is not None:
            allowed = cp_model.Domain.from_intervals(
                [[s, e - 1] for s, e in task.allowed_starts if e - 1 >= s]
            )
            domain = domain.intersection_with(allowed)
        return domain

    def _task(self, task: Task) -> None:
        """Start, end and mode of a task; exactly one mode is used when its group is."""
        m = self.model
        present = self.present[task.group]
        durations = [mode.duration for mode in task.modes]
        domain = self._start_domain(task, min(durations))
        if domain.is_empty():
            # Cannot happen inside the horizon: the group cannot be scheduled.
            m.add(present == 0)
            domain = cp_model.Domain(0, 0)
        start = m.new_int_var_from_domain(domain, f"start[{task.id}]")
        lo, hi = domain.min(), domain.max()
        end = m.new_int_var(lo + min(durations), hi + max(durations), f"end[{task.id}]")
        self.end_bounds[task.id] = (lo + min(durations), hi + max(durations))
        if len(task.modes) == 1:
            m.add(end == start + durations[0])
            modes = [present]
            intervals = [m.new_optional_fixed_size_interval_var(
                start, durations[0], present, f"iv[{task.id}]")]
        else:
            modes = [m.new_bool_var(f"mode[{task.id},{k}]") for k in range(len(durations))]
            m.add(sum(modes) == present)
            m.add(end == start + sum(d * lit for d, lit in zip(durations, modes, strict=True)))
            m.add(end == start + min(durations)).only_enforce_if(present.negated())
            intervals = [
                m.new_optional_fixed_size_interval_var(start, d, lit, f"iv[{task.id},{k}]")
                for k, (d, lit) in enumerate(zip(durations, modes, strict=True))
            ]
            if task.fixed_mode is not None:
                for k, lit in enumerate(modes):
                    if k != task.fixed_mode:
                        m.add(lit == 0)
        if task.latest_end is not None:
            m.add(end <= task.latest_end).only_enforce_if(present)
        tv = TaskVars(start, end, present, modes, intervals)
        for k, mode in enumerate(task.modes):
            fixed = task.fixed_choice if task.fixed_choice is not None and (
                task.fixed_mode in (None, k)) else None
            tv.choices.append([
                self._requirement(
                    f"{task.id},{k},{r}", start, req.duration or mode.duration, modes[k], req,
                    intervals[k] if req.duration is None else None,
                    dict(fixed[r]) if fixed is not None and r < len(fixed) else None,
                )
                for r, req in enumerate(mode.requirements)
            ])
        self.tasks[task.id] = tv

    def _requirement(
        self,
        owner: str,
        start: cp_model.IntVar,
        size: int,
        active: cp_model.IntVar,
        req: Requirement,
        base_interval: cp_model.IntervalVar | None,
        fixed: dict[str, int] | None,
    ) -> list[ChoiceVars]:
        """``req.amount`` units from the candidates for ``size`` ticks from ``start``.

        Each candidate gets an optional interval (present when it contributes) so that every
        resource sees exactly what it serves; an expiring qualification bounds the end.
        """
        m = self.model
        choices: list[ChoiceVars] = []
        single = len(req.candidates) == 1 and req.amount == 1
        for cand in req.candidates:
            resource = self.resources[cand.resource]
            most = min(req.amount, resource.capacity)
            if single and base_interval is not None:
                used, units, interval = active, active, base_interval
            else:
                used = m.new_bool_var(f"use[{owner},{cand.resource}]")
                if most == 1:
                    units: cp_model.IntVar | int = used
                else:
                    units = m.new_int_var(0, most, f"units[{owner},{cand.resource}]")
                    m.add(units >= used)
                    m.add(units <= most * used)
                m.add_implication(used, active)
                interval = m.new_optional_fixed_size_interval_var(
                    start, size, used, f"iv[{owner},{cand.resource}]")
            if cand.latest_end is not None:
                m.add(start + size <= cand.latest_end).only_enforce_if(used)
            if fixed is not None:
                m.add(units == fixed.get(cand.resource, 0))
            self.usage[cand.resource].append((interval, units))
            choices.append(ChoiceVars(cand.resource, units, used, interval))
        m.add(sum(c.units for c in choices) == req.amount * active)
        return choices

    # ------------------------------------------------------------------ lags
    def _lags(self) -> None:
        """Time lags: successor start against predecessor start or end, min and max."""
        m = self.model
        for lag in self.problem.lags:
            pred, succ = self.tasks[lag.pred], self.tasks[lag.succ]
            ref = pred.start if lag.from_ == "start" else pred.end
            lits = list({id(x): x for x in (pred.present, succ.present)}.values())
            m.add(succ.start >= ref + lag.min).only_enforce_if(lits)
            if lag.max is not None:
                m.add(succ.start <= ref + lag.max).only_enforce_if(lits)

    # ------------------------------------------------------------------ holds
    def _hold_choice(self, key: str | None, hold_id: str, resource: str) -> cp_model.IntVar:
        if key is None:
            return self.model.new_bool_var(f"hold[{hold_id},{resource}]")
        if (key, resource) not in self.shared_choice:
            self.shared_choice[(key, resource)] = self.model.new_bool_var(
                f"choice[{key},{resource}]")
        return self.shared_choice[(key, resource)]

    def _holds(self) -> None:
        """A unary resource held from a first task's start to a last task's end, plus setup.

        Holds sharing a choice key use the same resource (one suite for the whole order).
        """
        m = self.model
        constrained_keys: set[str] = set()
        for hold in self.problem.holds:
            first, last = self.tasks[hold.first], self.tasks[hold.last]
            present = self.present[hold.group]
            hv = HoldVars(m.new_int_var(0, self.problem.horizon, f"hold_size[{hold.id}]"))
            for resource_id in hold.candidates:
                resource = self.resources[resource_id]
                used = self._hold_choice(hold.choice_key, hold.id, resource_id)
                size = m.new_int_var(0, self.problem.horizon + resource.setup,
                                     f"hold_size[{hold.id},{resource_id}]")
                interval = m.new_optional_interval_var(
                    first.start, size, last.end + resource.setup, used,
                    f"hold_iv[{hold.id},{resource_id}]")
                hv.candidates[resource_id] = (used, interval)
                self.hold_sizes[(hold.id, resource_id)] = (size, resource.setup)
                self.usage[resource_id].append((interval, 1))
                if hold.fixed_resource is not None:
                    m.add(used == int(resource_id == hold.fixed_resource))
            lits = [used for used, _ in hv.candidates.values()]
            if hold.choice_key is None or hold.choice_key not in constrained_keys:
                m.add(sum(lits) == present)
                if hold.choice_key is not None:
                    constrained_keys.add(hold.choice_key)
            self.holds[hold.id] = hv

    # ------------------------------------------------------------------ batches
    def _slot_domains(self, family: BatchFamily) -> list[cp_model.Domain]:
        horizon = self.problem.horizon
        base = cp_model.Domain(0, max(0, horizon - family.duration))
        if family.allowed_starts is not None:
            base = base.intersection_with(cp_model.Domain.from_intervals(
                [[s, e - 1] for s, e in family.allowed_starts if e - 1 >= s]))
        if family.slot_spans is None:
            count = family.max_runs or len(family.members)
            return [base] * count
        out = []
        for s, e in family.slot_spans:
            domain = base.intersection_with(cp_model.Domain(s, e - 1))
            if not domain.is_empty():
                out += [domain] * family.slots_per_span
        return out

    def _member_reach(self, member, max_start: int) -> tuple[int, int]:
        if member.release is not None:
            lo = hi = member.release
        elif member.after is not None:
            lo, hi = self.end_bounds[member.after]
        else:
            lo, hi = 0, max_start
        top = hi + member.max_age if member.max_age is not None else max_start
        return lo, min(top, max_start)

    def _batch_family(self, family: BatchFamily) -> None:
        """Batched runs: each sample joins exactly one run of its family when its order is
        scheduled; a run starts after its samples are taken, within their maximum age, holds
        at most ``capacity`` samples, and its successors wait for its end."""
        m = self.model
        bv = BatchVars(runs=[])
        for fixed in family.fixed_runs:
            run = RunVars(fixed.id, m.new_constant(1), m.new_constant(fixed.start), fixed=True,
                          fixed_members=fixed.members, closed=fixed.closed)
            if family.requirement is not None and fixed.choice:
                # Without a recorded choice the run's people are booked outside the problem.
                run.choices = self._requirement(
                    f"run[{fixed.id}]", run.start, family.requirement.duration or 0, run.active,
                    family.requirement, None, dict(fixed.choice))
            bv.runs.append(run)
        for k, domain in enumerate(self._slot_domains(family)):
            run = RunVars(f"{family.id}#{k}", m.new_bool_var(f"run_active[{family.id},{k}]"),
                          m.new_int_var_from_domain(domain, f"run_start[{family.id},{k}]"))
            if family.requirement is not None:
                run.choices = self._requirement(
                    f"run[{family.id},{k}]", run.start, family.requirement.duration or 0,
                    run.active, family.requirement, None, None)
            bv.runs.append(run)
        self._assign_members(family, bv)
        self.batches[family.id] = bv

    def _assign_members(self, family: BatchFamily, bv: BatchVars) -> None:
        m = self.model
        max_start = max(0, self.problem.horizon - family.duration)
        members_of: dict[int, list[cp_model.IntVar]] = defaultdict(list)
        # Each run's start bounds, read once: reading a domain back from the proto is slow.
        bounds = [self._domain_of(run.start) for run in bv.runs]
        for member in family.members:
            present = self.present[member.group]
            lo, hi = self._member_reach(member, max_start)
            options: dict[int, cp_model.IntVar] = {}
            for r, run in enumerate(bv.runs):
                if run.fixed and member.id in run.fixed_members:
                    options[r] = present
                    continue
                if member.fixed_run is not None or (run.fixed and run.closed):
                    continue
                if bounds[r][1] < lo or bounds[r][0] > hi:
                    continue
                options[r] = m.new_bool_var(f"assign[{member.id},{run.id}]")
            if not options:
                m.add(present == 0)
            elif not all(lit is present for lit in options.values()):
                m.add(sum(options.values()) == present)
            for r, lit in options.items():
                run = bv.runs[r]
                members_of[r].append(lit)
                if not (run.fixed and member.id in run.fixed_members):
                    if not run.fixed:
                        m.add_implication(lit, run.active)
                    if member.release is not None:
                        m.add(run.start >= member.release).only_enforce_if(lit)
                    elif member.after is not None:
                        after_end = self.tasks[member.after].end
                        m.add(run.start >= after_end).only_enforce_if(lit)
                        if member.max_age is not None:
                            m.add(run.start <= after_end + member.max_age).only_enforce_if(lit)
                if member.before is not None:
                    m.add(self.tasks[member.before].start >= run.start + family.duration
                          ).only_enforce_if(lit)
            bv.assign[member.id] = options
        # One sample of an order per run: a retest (or a second sample of the same assay)
        # is another run, as the chain of identity and SPEC §4.1.7 read.
        by_group: dict[tuple[int, str], list[cp_model.IntVar]] = defaultdict(list)
        for member in family.members:
            for r, lit in bv.assign[member.id].items():
                by_group[(r, member.group)].append(lit)
        for lits in by_group.values():
            if len(lits) > 1:
                m.add(sum(lits) <= 1)
        member_ids = {mem.id for mem in family.members}
        previous = -1  # the index of the last free run seen
        for r, run in enumerate(bv.runs):
            if run.fixed:
                if not run.closed:
                    outside = sum(1 for x in run.fixed_members if x not in member_ids)
                    m.add(sum(members_of.get(r, [])) <= family.capacity - outside)
                continue
            lits = members_of.get(r, [])
            if not lits:
                m.add(run.active == 0)
                continue
            m.add(sum(lits) <= family.capacity * run.active)
            m.add(sum(lits) >= 1).only_enforce_if(run.active)
            if previous >= 0 and bounds[previous] == bounds[r]:  # the same span's slots
                m.add_implication(run.active, bv.runs[previous].active)
                m.add(bv.runs[previous].start <= run.start).only_enforce_if(run.active)
            previous = r

    def _fixed_interval(self, start: int, end: int) -> cp_model.IntervalVar:
        """One constant interval per span, shared by every resource that is off (or booked)
        then: people on one shift pattern share their off-shift spans."""
        key = (start, end)
        if key not in self.fixed_intervals:
            self.fixed_intervals[key] = self.model.new_fixed_size_interval_var(
                start, end - start, f"fixed[{start},{end}]")
        return self.fixed_intervals[key]

    def _domain_of(self, var: cp_model.IntVar) -> tuple[int, int]:
        domain = list(var.proto.domain)  # the native repeated field has no negative indexing
        return domain[0], domain[-1]

    # ------------------------------------------------------------------ capacity
    def _resource_capacity(self) -> None:
        """Each resource: at most ``capacity`` units in use at once, none while unavailable."""
        m = self.model
        horizon = self.problem.horizon
        for resource in self.problem.resources:
            uses = self.usage.get(resource.id, [])
            if not uses:
                continue
            if resource.capacity == 1 and resource.booked:
                resource = dataclasses.replace(resource, unavailable=tuple(
                    resource.unavailable) + tuple((s, e) for s, e, _ in resource.booked),
                    booked=())
            intervals = [iv for iv, _ in uses]
            demands: list[Expr] = [d for _, d in uses]
            off = _clip(resource.unavailable, horizon + 1)
            if resource.capacity == 1:
                off = _merged(off)
            for s, e in off:
                intervals.append(self._fixed_interval(s, e))
                demands.append(resource.capacity)
            for (s, e), units in _summed(resource.booked, horizon + 1).items():
                intervals.append(self._fixed_interval(s, e))
                demands.append(units)
            if resource.capacity == 1:
                m.add_no_overlap(intervals)
            else:
                m.add_cumulative(intervals, demands, resource.capacity)

    # ------------------------------------------------------------------ objective
    def _objective(self) -> None:
        """Named soft goals (SPEC §4.3): unscheduled, tardiness, change, flow, makespan."""
        m = self.model
        horizon = self.problem.horizon
        for group in self.problem.groups:
            present = self.present[group.id]
            if group.optional and group.unscheduled_cost:
                self.constant_terms["unscheduled"] += group.unscheduled_cost
                self.terms["unscheduled"].append((-group.unscheduled_cost, present))
            if group.end_task is None:
                continue
            end = self.tasks[group.end_task].end
            if group.due is not None and group.tardiness_cost:
                late = m.new_int_var(0, horizon, f"tardiness[{group.id}]")
                m.add(late >= end - group.due).only_enforce_if(present)
                self.late[group.id] = late
                self.terms["tardiness"].append((group.tardiness_cost, late))
            if group.flow_origin is not None and group.flow_cost:
                flow = m.new_int_var(0, horizon, f"flow[{group.id}]")
                m.add(flow >= end - group.flow_origin).only_enforce_if(present)
                self.flow[group.id] = flow
                self.terms["flow"].append((group.flow_cost, flow))
        if self.problem.makespan_cost:
            makespan = m.new_int_var(0, horizon, "makespan")
            for tv in self.tasks.values():
                m.add(makespan >= tv.end).only_enforce_if(tv.present)
            self.terms["makespan"].append((self.problem.makespan_cost, makespan))
            self.makespan = makespan
        self._change_terms()
        total = sum(c * v for items in self.terms.values() for c, v in items)
        total += sum(self.constant_terms.values())
        if self.problem.left_justified:
            tie_break, self.tie_scale = self._tie_break()
            total = self.tie_scale * total + tie_break
        self.objective = total
        m.minimize(total)

    def _tie_break(self) -> tuple[Expr, int]:
        """Fewer new runs first (a sample that joins an open run leaves QC capacity for the
        orders after it), then the sum of task starts; and the scale that puts the objective
        above both."""
        starts = [(tv.start, self._domain_of(tv.start)) for tv in self.tasks.values()]
        start_range = sum(hi - lo for _, (lo, hi) in starts)
        new_runs = [run.active for bv in self.batches.values() for run in bv.runs
                    if not run.fixed]
        most_new_runs = sum(len(f.members) for f in self.problem.batches)
        run_weight = start_range + 1
        expr = sum(start - lo for start, (lo, _) in starts) + run_weight * sum(new_runs)
        return expr, start_range + run_weight * most_new_runs + 1

    def _change_terms(self) -> None:
        """Stability against a previous plan: moved starts and changed resources."""
        m = self.model
        p = self.problem
        if not (p.change_cost or p.move_cost_per_tick):
            return
        for task in p.tasks:
            tv = self.tasks[task.id]
            if task.reference_start is not None and task.fixed_start is None:
                dev = m.new_int_var(0, p.horizon, f"dev[{task.id}]")
                m.add(dev >= tv.start - task.reference_start).only_enforce_if(tv.present)
                m.add(dev >= task.reference_start - tv.start).only_enforce_if(tv.present)
                moved = None
                if p.change_cost:
                    moved = m.new_bool_var(f"moved[{task.id}]")
                    m.add(dev <= p.horizon * moved)
                    self.terms["change"].append((p.change_cost, moved))
                self.deviation[task.id] = (dev, moved)
                if p.move_cost_per_tick:
                    self.terms["change"].append((p.move_cost_per_tick, dev))
            if task.reference_choice is not None and task.fixed_choice is None and p.change_cost:
                for r, ref in enumerate(task.reference_choice):
                    if r >= len(tv.choices[0]):
                        continue
                    by_resource = {c.resource: c for c in tv.choices[0][r]}
                    for resource_id, _units in ref:
                        if resource_id in by_resource:
                            # Penalise each previously used resource that is dropped.
                            self.constant_terms["change"] += p.change_cost
                            self.terms["change"].append(
                                (-p.change_cost, by_resource[resource_id].used))
        for hold in p.holds:
            if hold.reference_resource and hold.fixed_resource is None and p.change_cost:
                cand = self.holds[hold.id].candidates.get(hold.reference_resource)
                if cand is not None:
                    self.constant_terms["change"] += p.change_cost
                    self.terms["change"].append((-p.change_cost, cand[0]))


def _merged(spans: list[Span]) -> list[Span]:
    """Overlapping or touching spans as one (a unary resource's calendar and bookings)."""
    out: list[Span] = []
    for s, e in sorted(spans):
        if out and s <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], e))
        else:
            out.append((s, e))
    return out


def _summed(booked: tuple[tuple[int, int, int], ...], limit: int) -> dict[Span, int]:
    """Bookings of the same span as one demand (several samples in one QC run's hands-on)."""
    out: dict[Span, int] = defaultdict(int)
    for s, e, units in booked:
        s, e = max(s, 0), min(e, limit)
        if e > s:
            out[(s, e)] += units
    return out


def _clip(spans: tuple[Span, ...], limit: int) -> list[Span]:
    out = []
    for s, e in spans:
        s, e = max(s, 0), min(e, limit)
        if e > s:
            out.append((s, e))
    return out
