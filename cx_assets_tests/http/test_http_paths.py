"""`path_segment`: an id from the outside world becomes exactly one URL path segment, so a `/`,
`?`, `#` or `..` in it can never point a request at another resource."""

from __future__ import annotations

from cx_assets.genesys.conversations.endpoints import export_path
from cx_assets.http.paths import path_segment


def test_separators_and_query_characters_are_quoted() -> None:
    assert path_segment("a/b?c#d") == "a%2Fb%3Fc%23d"
    assert path_segment("../admin") == "..%2Fadmin"


def test_plain_ids_pass_unchanged_into_the_path() -> None:
    assert path_segment("3f2a-9c_1.x~") == "3f2a-9c_1.x~"
    assert export_path("../files") == "/api/v2/dataexports/..%2Ffiles"
