"""What `energrid city` prints: one line per neighborhood, then the city's totals."""

from __future__ import annotations

from energrid import output as out
from energrid.city.city_state import CityState, NeighborhoodSummary, Reach

_REACH_TEXT = {
    Reach.ONLINE: "online",
    Reach.OFFLINE: "OFFLINE (its server's last will; last values shown)",
    Reach.UNREACHABLE: "UNREACHABLE (its broker's bridge is down; last values shown)",
    Reach.UNKNOWN: "status unknown",
}


def neighborhood_line(summary: NeighborhoodSummary) -> str:
    """`Neighborhood <n>: ...`: reach, houses online, and the totals in A and W; a neighborhood
    that is not online shows its last known values as such."""
    head = f"Neighborhood {summary.neighborhood}: {_REACH_TEXT[summary.reach]}"
    totals = summary.totals
    if totals is None:
        why = f"invalid state topic ({summary.problem})" if summary.problem else "no totals yet"
        return f"{head}; {why}"
    known = "" if summary.reach is Reach.ONLINE else "last known: "
    return (
        f"{head}; {known}{summary.houses_online} of {totals.houses} houses online, "
        f"{totals.devices} devices; consumption {out.amps(totals.consumption_a)} "
        f"({out.watts(totals.consumption_w)}), supply {out.amps(totals.supply_a)} "
        f"({out.watts(totals.supply_w)}), net {out.watts(totals.net_w)}"
    )


def render(city: CityState, where: str) -> str:
    """The city's totals add up the neighborhoods online only, as a neighborhood's totals add
    up its houses online: the others' last values are counted apart, as left out."""
    summaries = [city.summary(n) for n in city.neighborhoods()]
    live = [s for s in summaries if s.reach is Reach.ONLINE]
    lines = [
        f"City broker {where}: {len(summaries)} neighborhoods, {len(live)} online",
        *(neighborhood_line(s) for s in summaries),
    ]
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
            f"net {out.watts(supply_w - consumption_w)}"
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
