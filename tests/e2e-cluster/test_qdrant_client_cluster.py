"""End-to-end test: the official qdrant-client (REST mode) against a 3-node
Quiver cluster, `quiver serve --node-id --peers` processes that
scripts/e2e-qdrant-client.sh starts; it sets QUIVER_CLUSTER_URLS (the nodes'
URLs, comma-separated) and QUIVER_API_KEY.

Each step goes to another node than the one before: writes reach the leader
(a follower forwards them), reads with consistency=majority are the
leader's, local reads are polled until the node has applied the write."""

import json
import os
import time
import urllib.request

import pytest
from qdrant_client import QdrantClient, models

URLS = os.environ["QUIVER_CLUSTER_URLS"].split(",")
KEY = os.environ["QUIVER_API_KEY"]
MAJORITY = models.ReadConsistencyType.MAJORITY

# Points 1-3 near the first axis, 4-5 near the second, 6 on the third.
ROWS = [[1.0, 0.0, 0.0, 0.0], [0.9, 0.1, 0.0, 0.0], [0.8, 0.3, 0.1, 0.0], [0.0, 1.0, 0.0, 0.0], [0.1, 0.9, 0.1, 0.0], [0.0, 0.0, 1.0, 0.0]]
VECTORS = {i + 1: v for i, v in enumerate(ROWS)}


@pytest.fixture(scope="module")
def nodes():
    cs = [QdrantClient(url=u, api_key=KEY, prefer_grpc=False, check_compatibility=False, timeout=30) for u in URLS]
    yield cs
    for c in cs:
        c.close()


def eventually(fn, timeout=10.0):
    """Polls fn until it returns a true value; a follower applies a write
    a little after the leader acknowledged it."""
    deadline = time.monotonic() + timeout
    while True:
        got = fn()
        if got or time.monotonic() > deadline:
            return got
        time.sleep(0.02)


def get(url, path):
    req = urllib.request.Request(url + path, headers={"api-key": KEY})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.load(resp)["result"]


def test_cluster_status():
    leaders = {get(u, "/cluster")["raft_info"]["leader"] for u in URLS}
    assert len(leaders) == 1 and None not in leaders, leaders
    st = get(URLS[0], "/cluster")
    assert st["status"] == "enabled"
    assert len(st["peers"]) == 3


@pytest.fixture(scope="module")
def films(nodes):
    a, b, c = nodes
    name = "films"
    if a.collection_exists(name):
        a.delete_collection(name)
    assert a.create_collection(name, vectors_config=models.VectorParams(size=4, distance=models.Distance.COSINE))
    res = b.upsert(
        name,
        points=[models.PointStruct(id=i, vector=v, payload={"n": i, "kind": "a" if i < 4 else "b"}) for i, v in VECTORS.items()],
        wait=True,
    )
    assert res.status == models.UpdateStatus.COMPLETED
    return name


def test_search_through_another_node(nodes, films):
    _, _, c = nodes
    # Through the leader, at once.
    res = c.query_points(films, query=[1.0, 0.0, 0.0, 0.0], limit=3, consistency=MAJORITY)
    assert [p.id for p in res.points] == [1, 2, 3]
    # Locally, once node c has applied the upsert.
    assert eventually(lambda: c.count(films, exact=True).count == len(VECTORS))
    res = c.query_points(films, query=[0.0, 1.0, 0.0, 0.0], limit=2, with_payload=True)
    assert [p.id for p in res.points] == [4, 5]
    assert res.points[0].payload == {"n": 4, "kind": "b"}
    flt = models.Filter(must=[models.FieldCondition(key="kind", match=models.MatchValue(value="a"))])
    res = c.query_points(films, query=[0.0, 1.0, 0.0, 0.0], query_filter=flt, limit=1)
    assert [p.id for p in res.points] == [3]


def test_recommend_through_another_node(nodes, films):
    a, _, _ = nodes
    res = a.query_points(
        films,
        query=models.RecommendQuery(recommend=models.RecommendInput(positive=[1], negative=[4])),
        limit=2,
        consistency=MAJORITY,
    )
    assert [p.id for p in res.points] == [2, 3]


def test_writes_through_every_node(nodes, films):
    for i, n in enumerate(nodes):
        n.set_payload(films, payload={"via": i}, points=[i + 1], wait=True)
    _, b, _ = nodes
    got = b.retrieve(films, ids=[1, 2, 3], consistency=MAJORITY)
    assert {p.id: p.payload["via"] for p in got} == {1: 0, 2: 1, 3: 2}


def test_aliases_across_nodes(nodes, films):
    a, b, c = nodes
    assert b.update_collection_aliases(
        change_aliases_operations=[
            models.CreateAliasOperation(create_alias=models.CreateAlias(collection_name=films, alias_name="movies")),
            models.CreateAliasOperation(create_alias=models.CreateAlias(collection_name=films, alias_name="tmp")),
            models.RenameAliasOperation(rename_alias=models.RenameAlias(old_alias_name="tmp", new_alias_name="cinema")),
        ]
    )
    want = {("cinema", films), ("movies", films)}
    for n in nodes:
        assert eventually(lambda: {(x.alias_name, x.collection_name) for x in n.get_aliases().aliases} == want)
    res = c.query_points("movies", query=[1.0, 0.0, 0.0, 0.0], limit=1)
    assert [p.id for p in res.points] == [1]
    # A write through an alias, from a third node.
    a.upsert("cinema", points=[models.PointStruct(id=7, vector=[0.0, 0.0, 0.0, 1.0])], wait=True)
    assert eventually(lambda: c.count("movies", exact=True).count == len(VECTORS) + 1)
    # All or none: the bad second action keeps the first from applying.
    with pytest.raises(Exception):
        a.update_collection_aliases(
            change_aliases_operations=[
                models.DeleteAliasOperation(delete_alias=models.DeleteAlias(alias_name="movies")),
                models.DeleteAliasOperation(delete_alias=models.DeleteAlias(alias_name="nope")),
            ]
        )
    assert {(x.alias_name, x.collection_name) for x in b.get_aliases().aliases} == want
