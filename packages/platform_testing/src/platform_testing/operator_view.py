"""What an operator sees of a location in the Dagster UI, read from its definitions.

Every location's tests assert the same view: each asset owned by the location's team, in a
group named for the location, with a description and kinds; the checks and freshness
policies the location declares.
"""

from dataclasses import dataclass

import dagster as dg


@dataclass(frozen=True)
class OperatorView:
    problems: list[str]
    """One line per asset that lacks its owner, its group, a description or kinds."""
    checks: set[str]
    """``asset:check`` of every declared asset check."""
    freshness: set[str]
    """The assets that carry a freshness policy."""


def operator_view(definitions: dg.Definitions, location: str) -> OperatorView:
    graph = definitions.resolve_asset_graph()
    problems = []
    freshness = set()
    for key in sorted(graph.get_all_asset_keys(), key=lambda k: k.to_user_string()):
        node, name = graph.get(key), key.to_user_string()
        if f"team:{location}" not in node.owners:
            problems.append(f"{name}: owners {node.owners}, not team:{location}")
        if not (node.group_name or "").startswith(f"{location}_"):
            problems.append(f"{name}: group {node.group_name!r} is not named {location}_...")
        if not (node.description or "").strip():
            problems.append(f"{name}: no description")
        if not node.kinds:
            problems.append(f"{name}: no kinds")
        if node.freshness_policy_or_from_metadata is not None:
            freshness.add(name)
    checks = {
        f"{check.asset_key.to_user_string()}:{check.name}" for check in graph.asset_check_keys
    }
    return OperatorView(problems, checks, freshness)
