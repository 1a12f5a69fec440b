"""What `energrid city` prints: one line per neighborhood (its alarms' texts under it), then the
city's totals."""

from __future__ import annotations

from energrid.city.city_state import CityState, EnergyToday, NeighborhoodSummary, Reach
from energrid.shell import output as out
from energrid.shell.views_energy import kwh

# A neighborhood's alarms shown under its line, the oldest first; the rest are counted (a city
# of many neighborhoods stays readable; the neighborhood's shell lists them all, showAlarms()).
ALARM_LINES = 3

_REACH_TEXT = {
    Reach.ONLINE: "online",
    Reach.OFFLINE: "OFFLINE (its server's last will; last values shown)",
    Reach.UNREACHABLE: "UNREACHABLE (its broker's bridge is down; last values shown)",
    Reach.UNKNOWN: "status unknown",
}


def energy_text(energy: EnergyToday | str | None) -> str:
    if isinstance(energy, EnergyToday):
        return f"today imported {kwh(energy.imported_wh)}, exported {kwh(energy.exported_wh)}"
    return f"energy {energy}" if energy else "energy today unknown"


def alarms_text(summary: NeighborhoodSummary) -> str:
    if summary.alarms_problem:
        return f"alarms: invalid alarms topic ({summary.alarms_problem})"
    return "alarms unknown" if summary.alarms is None else f"alarms: {len(summary.alarms)}"


def alarm_lines(summary: NeighborhoodSummary) -> list[str]:
    """The active alarms' texts, ALARM_LINES at most, then how many more."""
    alarms = summary.alarms or ()
    lines = [f"    ALARM: {text}" for text in alarms[:ALARM_LINES]]
    if len(alarms) > ALARM_LINES:
        lines.append(
            f"    ... and {len(alarms) - ALARM_LINES} more (showAlarms() in its shell lists them)"
        )
    return lines


def neighborhood_line(summary: NeighborhoodSummary) -> str:
    """`Neighborhood <n>: ...`: reach, houses online, the totals in A and W, today's energy and
    the number of active alarms; a neighborhood that is not online shows its last known values
    as such."""
    head = f"Neighborhood {summary.neighborhood}: {_REACH_TEXT[summary.reach]}"
    totals = summary.totals
    if totals is None:
        why = f"invalid state topic ({summary.problem})" if summary.problem else "no totals yet"
        known_alarms = summary.alarms is not None or summary.alarms_problem
        return f"{head}; {why}" + (f"; {alarms_text(summary)}" if known_alarms else "")
    known = "" if summary.reach is Reach.ONLINE else "last known: "
    return (
        f"{head}; {known}{summary.houses_online} of {totals.houses} houses online, "
        f"{totals.devices} devices; consumption {out.amps(totals.consumption_a)} "
        f"({out.watts(totals.consumption_w)}), supply {out.amps(totals.supply_a)} "
        f"({out.watts(totals.supply_w)}), net {out.watts(totals.net_w)}; "
        f"{energy_text(summary.energy)}; {alarms_text(summary)}"
    )


def city_extras(live: list[NeighborhoodSummary]) -> str:
    """The energy today and the alarms of the neighborhoods online, for the `City:` line."""
    energies = [s.energy for s in live if isinstance(s.energy, EnergyToday)]
    text = energy_text(
        EnergyToday(sum(e.imported_wh for e in energies), sum(e.exported_wh for e in energies))
        if energies
        else None
    )
    without = sum(1 for s in live if s.totals is not None and not isinstance(s.energy, EnergyToday))
    if energies and without:
        text += f" (not counted: {without} neighborhoods online without energy)"
    alarms = sum(len(s.alarms) for s in live if s.alarms)
    return f"{text}; alarms: {alarms}"


def render(city: CityState, where: str) -> str:
    """The city's totals (and its energy today and alarms) add up the neighborhoods online only,
    as a neighborhood's totals add up its houses online: the others' last values are counted
    apart, as left out."""
    summaries = [city.summary(n) for n in city.neighborhoods()]
    live = [s for s in summaries if s.reach is Reach.ONLINE]
    lines = [
        f"City broker {where}: {len(summaries)} neighborhoods, {len(live)} online",
    ]
    for summary in summaries:
        lines += [neighborhood_line(summary), *alarm_lines(summary)]
    with_totals = [s.totals for s in live if s.totals is not None]
    left_out = [s.totals for s in summaries if s not in live and s.totals is not None]
    if with_totals or left_out:
        consumption_a = sum(t.consumption_a for t in with_totals)
        consumption_w = sum(t.consumption_w for t in with_totals)
        supply_a = sum(t.supply_a for t in with_totals)
        supply_w = sum(t.supply_w for t in with_totals)
        line = (
            f"City: {sum(t.houses for t in with_totals)} houses; consumption "
            f"{out.amps(consumption_a)} ({out.watts(consumption_w)}), supply "
            f"{out.amps(supply_a)} ({out.watts(supply_w)}), "
            f"net {out.watts(supply_w - consumption_w)}; {city_extras(live)}"
        )
        if left_out:
            last_a = sum(t.consumption_a for t in left_out)
            last_w = sum(t.consumption_w for t in left_out)
            line += (
                f"; left out: {len(left_out)} neighborhoods not online, last known "
                f"{out.amps(last_a)} ({out.watts(last_w)})"
            )
        lines.append(line)
    return "\n".join(lines)
