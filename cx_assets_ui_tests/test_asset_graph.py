"""The asset graph renders: every asset group of the code location on the global lineage, and
the conversations flow with what depends on it when a user filters the graph to it.

What to look for comes from the webserver's GraphQL (groups, dependencies), so renaming a group
or adding an asset does not break the test; a graph that draws nothing does.
"""

from __future__ import annotations

import datetime as dt

from playwright.sync_api import Page

from cx_assets_ui_tests.browser import (
    Shots,
    expand_all_groups,
    filter_graph,
    graph_card,
    graph_node,
    open_lineage,
)
from cx_assets_ui_tests.dev_server import DevServer

EXPORT = "genesys_conversation_export"
CONVERSATIONS = "genesys_conversations"


def test_global_lineage_draws_every_asset_group(page: Page, dev: DevServer, shots: Shots) -> None:
    groups = sorted(
        {node["groupName"] for node in dev.graphql("{ assetNodes { groupName } }")["assetNodes"]}
    )
    assert len(groups) > 1, groups

    open_lineage(page, dev.url)
    for group in groups:
        graph_node(page, group).first.wait_for()
    shots.take(page, "global-lineage")

    assert [g for g in groups if not graph_node(page, g).first.is_visible()] == []
    assert page.get_by_text("Error", exact=True).count() == 0


def test_filtered_graph_draws_the_conversations_flow_and_its_dependents(
    page: Page, dev: DevServer, shots: Shots
) -> None:
    (node,) = dev.graphql(
        """query Deps($key: AssetKeyInput!) {
          assetNodes(assetKeys: [$key]) { dependedByKeys { path } }
        }""",
        {"key": {"path": [CONVERSATIONS]}},
    )["assetNodes"]
    # A node shows the last part of its key (`data_action_rules/route-vip` reads `route-vip`).
    dependents = sorted(key["path"][-1] for key in node["dependedByKeys"])

    open_lineage(page, dev.url)
    filter_graph(page, f"key:{EXPORT}+ or key:{CONVERSATIONS}+")
    expand_all_groups(page)
    for name in (EXPORT, CONVERSATIONS, *dependents):
        graph_node(page, name).wait_for()
    shots.take(page, "conversations-flow")

    # Each node carries its checks row and one partition per day since CX_START_DATE.
    days = (dt.datetime.now(dt.UTC).date() - dev.start_date).days
    for name in (EXPORT, CONVERSATIONS):
        card = graph_card(page, name)
        assert card.count() == 1, f"{name}: {card.count()} nodes"
        assert card.get_by_text(f"{days} partitions", exact=True).is_visible(), card.inner_text()
