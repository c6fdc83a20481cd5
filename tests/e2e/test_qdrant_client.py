"""End-to-end test: the official qdrant-client (REST mode) against a running
`quiver serve`. scripts/e2e-qdrant-client.sh starts the server and sets
QUIVER_URL, QUIVER_API_KEY and QUIVER_READ_ONLY_API_KEY.

Text documents are sent as models.Document with cloud_inference=True, so the
client passes them to the server, which encodes them with its own model."""

import json
import math
import os
import uuid

import pytest
from pydantic import BaseModel
from qdrant_client import QdrantClient, models
from qdrant_client.http.exceptions import UnexpectedResponse

URL = os.environ["QUIVER_URL"]
KEY = os.environ["QUIVER_API_KEY"]
READ_ONLY_KEY = os.environ["QUIVER_READ_ONLY_API_KEY"]
MODEL = "all-MiniLM-L6-v2"


def client(key=KEY):
    return QdrantClient(
        url=URL, api_key=key, prefer_grpc=False, cloud_inference=True, check_compatibility=False, timeout=60
    )


@pytest.fixture(scope="module")
def qc():
    c = client()
    yield c
    c.close()


def unit(v):
    n = math.sqrt(sum(x * x for x in v))
    return [x / n for x in v]


def cos(a, b):
    return sum(x * y for x, y in zip(unit(a), unit(b)))


# Ten points on a 4-d cosine collection: a known geometry to check ranks.
VECTORS = {
    1: [1.0, 0.0, 0.0, 0.0],
    2: [0.9, 0.1, 0.0, 0.0],
    3: [0.8, 0.3, 0.1, 0.0],
    4: [0.0, 1.0, 0.0, 0.0],
    5: [0.1, 0.9, 0.1, 0.0],
    6: [0.0, 0.0, 1.0, 0.0],
    7: [0.0, 0.1, 0.9, 0.2],
    8: [0.0, 0.0, 0.0, 1.0],
    9: [0.2, 0.0, 0.1, 0.9],
    10: [0.5, 0.5, 0.5, 0.5],
}
GENRE = {i: ("scifi" if i % 2 == 0 else "drama") for i in VECTORS}
UUID_VECTOR = [-1.0, 0.0, 0.0, 0.3]
UUID_ID = str(uuid.UUID("6f1c2a3e-1111-4a2b-9c3d-123456789abc"))


def brute(query, keep=lambda i: True):
    return sorted((i for i in VECTORS if keep(i)), key=lambda i: (-cos(query, VECTORS[i]), i))


@pytest.fixture(scope="module")
def movies(qc):
    name = "movies"
    if qc.collection_exists(name):
        qc.delete_collection(name)
    assert qc.create_collection(name, vectors_config=models.VectorParams(size=4, distance=models.Distance.COSINE))
    # Accepted as Qdrant scripts send it; filters work with or without it.
    qc.create_payload_index(name, field_name="genre", field_schema=models.PayloadSchemaType.KEYWORD, wait=True)
    points = [
        models.PointStruct(id=i, vector=v, payload={"genre": GENRE[i], "year": 1990 + i}) for i, v in VECTORS.items() if i <= 6
    ]
    res = qc.upsert(name, points=points, wait=True)
    assert res.status == models.UpdateStatus.COMPLETED
    # The columnar batch form, with a UUID id.
    rest = [i for i in VECTORS if i > 6]
    qc.upsert(
        name,
        points=models.Batch(
            ids=rest, vectors=[VECTORS[i] for i in rest], payloads=[{"genre": GENRE[i], "year": 1990 + i} for i in rest]
        ),
        wait=True,
    )
    qc.upsert(name, points=[models.PointStruct(id=UUID_ID, vector=UUID_VECTOR, payload={"genre": "horror"})])
    return name


def test_collection_info(qc, movies):
    assert qc.collection_exists(movies)
    assert not qc.collection_exists("no-such-collection")
    info = qc.get_collection(movies)
    assert info.points_count == 11
    assert info.config.params.vectors.size == 4
    assert info.config.params.vectors.distance == models.Distance.COSINE
    names = [c.name for c in qc.get_collections().collections]
    assert movies in names


def test_query_by_vector(qc, movies):
    q = [1.0, 0.2, 0.0, 0.0]
    res = qc.query_points(movies, query=q, limit=4, search_params=models.SearchParams(exact=True), with_payload=True)
    assert [p.id for p in res.points] == brute(q)[:4]
    assert res.points[0].score == pytest.approx(cos(q, VECTORS[res.points[0].id]), abs=1e-5)
    assert res.points[0].score >= res.points[1].score, "higher is better for cosine"
    assert res.points[0].payload["genre"] == GENRE[res.points[0].id]


def test_query_with_filter_offset_threshold(qc, movies):
    q = [0.5, 0.3, 0.1, 0.0]  # no ties among the ranks checked
    scifi = models.Filter(must=[models.FieldCondition(key="genre", match=models.MatchValue(value="scifi"))])
    res = qc.query_points(movies, query=q, query_filter=scifi, limit=3, offset=1)
    assert [p.id for p in res.points] == brute(q, lambda i: GENRE[i] == "scifi")[1:4]
    recent = models.Filter(must=[models.FieldCondition(key="year", range=models.Range(gte=1997))])
    res = qc.query_points(movies, query=q, query_filter=recent, limit=10)
    assert sorted(p.id for p in res.points) == [7, 8, 9, 10]
    thr = cos(q, VECTORS[brute(q)[2]])
    res = qc.query_points(movies, query=q, limit=10, score_threshold=thr - 1e-6)
    assert [p.id for p in res.points] == brute(q)[:3]


def test_query_by_id(qc, movies):
    res = qc.query_points(movies, query=1, limit=3)
    want = [i for i in brute(VECTORS[1]) if i != 1][:3]
    assert [p.id for p in res.points] == want, "the query point itself is left out"
    res = qc.query_points(movies, query=models.NearestQuery(nearest=UUID_ID), limit=1)
    assert res.points[0].id == brute(UUID_VECTOR)[0] == 8


def test_recommend(qc, movies):
    pos, neg = [1, 2], [4]
    for strategy in (models.RecommendStrategy.BEST_SCORE, models.RecommendStrategy.SUM_SCORES, models.RecommendStrategy.AVERAGE_VECTOR):
        res = qc.query_points(
            movies,
            query=models.RecommendQuery(recommend=models.RecommendInput(positive=pos, negative=neg, strategy=strategy)),
            limit=3,
            search_params=models.SearchParams(exact=True),
        )
        got = [p.id for p in res.points]
        assert not set(got) & {1, 2, 4}, "examples are left out"
        assert got[0] == 3, f"{strategy}: the point nearest the positives and far from the negative"
    # best_score as Qdrant documents it.
    res = qc.query_points(
        movies,
        query=models.RecommendQuery(
            recommend=models.RecommendInput(positive=[1], negative=[[0.0, 1.0, 0.0, 0.0]], strategy=models.RecommendStrategy.BEST_SCORE)
        ),
        limit=20,
        with_payload=False,
    )
    def best(i):
        p, n = cos(VECTORS[1], VECTORS[i]), cos([0, 1, 0, 0], VECTORS[i])
        return p if p > n else -(n * n)
    for pt in res.points:
        if pt.id in VECTORS:
            assert pt.score == pytest.approx(best(pt.id), abs=1e-5)


def test_text_documents(qc):
    name = "docs"
    if qc.collection_exists(name):
        qc.delete_collection(name)
    qc.create_collection(name, vectors_config=models.VectorParams(size=384, distance=models.Distance.COSINE))
    texts = {
        1: "The cat sleeps on the warm sofa",
        2: "Interest rates rose again this quarter",
        3: "A simple recipe for tomato soup",
        4: "The football team won the championship",
    }
    qc.upsert(
        name,
        points=[
            models.PointStruct(id=i, vector=models.Document(text=t, model=MODEL), payload={"text": t}) for i, t in texts.items()
        ],
        wait=True,
    )
    for query, want in [("a kitten napping", 1), ("central bank inflation", 2), ("cooking vegetables", 3), ("sports match", 4)]:
        res = qc.query_points(name, query=models.Document(text=query, model=MODEL), limit=1, with_payload=True)
        assert res.points[0].id == want, query
        assert res.points[0].payload["text"] == texts[want]
    res = qc.query_points(
        name,
        query=models.RecommendQuery(
            recommend=models.RecommendInput(positive=[models.Document(text="pets and animals", model=MODEL)], negative=[2])
        ),
        limit=1,
    )
    assert res.points[0].id == 1
    batch = qc.query_batch_points(
        name,
        requests=[
            models.QueryRequest(query=models.Document(text="soup", model=MODEL), limit=1),
            models.QueryRequest(query=models.Document(text="goal scored", model=MODEL), limit=1),
        ],
    )
    assert [r.points[0].id for r in batch] == [3, 4]
    qc.delete_collection(name)
    assert not qc.collection_exists(name)


def test_scroll_count_retrieve(qc, movies):
    seen, offset = [], None
    while True:
        page, offset = qc.scroll(movies, limit=4, offset=offset, with_payload=True)
        seen += [p.id for p in page]
        if offset is None:
            break
    assert seen == list(range(1, 11)) + [UUID_ID], "integers before UUIDs, in id order"
    assert qc.count(movies, exact=True).count == 11
    drama = models.Filter(must=[models.FieldCondition(key="genre", match=models.MatchValue(value="drama"))])
    assert qc.count(movies, count_filter=drama).count == 5
    recs = qc.retrieve(movies, ids=[3, UUID_ID, 999], with_vectors=True)
    assert [r.id for r in recs] == [3, UUID_ID]
    assert recs[0].vector == pytest.approx(VECTORS[3])
    assert recs[0].payload == {"genre": "drama", "year": 1993}


def test_delete(qc, movies):
    qc.delete(movies, points_selector=models.PointIdsList(points=[10, UUID_ID]), wait=True)
    assert qc.count(movies).count == 9
    horror_gone = qc.retrieve(movies, ids=[UUID_ID])
    assert horror_gone == []
    qc.delete(
        movies,
        points_selector=models.FilterSelector(
            filter=models.Filter(must=[models.FieldCondition(key="genre", match=models.MatchValue(value="scifi"))])
        ),
    )
    assert sorted(p.id for p in qc.scroll(movies, limit=100)[0]) == [1, 3, 5, 7, 9]


def test_errors(qc, movies):
    with pytest.raises(UnexpectedResponse) as e:
        qc.query_points(movies, query=[1.0, 2.0], limit=3)
    assert e.value.status_code == 400
    assert "size 2" in str(e.value)
    with pytest.raises(UnexpectedResponse) as e:
        qc.get_collection("no-such-collection")
    assert e.value.status_code == 404
    with pytest.raises(UnexpectedResponse) as e:
        qc.create_collection(movies, vectors_config=models.VectorParams(size=4, distance=models.Distance.DOT))
    assert e.value.status_code == 409


def test_api_keys(movies):
    bad = client("wrong-key")
    with pytest.raises(UnexpectedResponse) as e:
        bad.get_collections()
    assert e.value.status_code == 401
    reader = client(READ_ONLY_KEY)
    assert reader.count(movies).count >= 1
    with pytest.raises(UnexpectedResponse) as e:
        reader.upsert(movies, points=[models.PointStruct(id=50, vector=[1.0, 1.0, 1.0, 1.0])])
    assert e.value.status_code == 403


def test_service_and_helpers(qc):
    info = qc.info()
    assert info.title == "quiver"
    assert qc.delete_collection("never-created") is False
    name = "helpers"
    with pytest.warns(DeprecationWarning):  # still common in scripts: it drops a possibly missing collection
        qc.recreate_collection(name, vectors_config=models.VectorParams(size=3, distance=models.Distance.DOT))
    qc.upload_points(
        name, points=[models.PointStruct(id=i, vector=[i, 1, 0], payload={"i": i}) for i in range(1, 301)], batch_size=64, wait=True
    )
    qc.upload_collection(name, vectors=[[0.0, 0.0, 1.0]] * 4, ids=[1001, 1002, 1003, 1004], payload=[{"k": 1}] * 4, wait=True)
    assert qc.count(name).count == 304
    res = qc.query_points(name, query=[1, 0, 0], limit=2, with_vectors=True, with_payload=models.PayloadSelectorInclude(include=["i"]))
    assert [(p.id, p.score, p.vector, p.payload) for p in res.points] == [(300, 300.0, [300, 1, 0], {"i": 300}), (299, 299.0, [299, 1, 0], {"i": 299})]
    assert qc.delete_collection(name) is True


def test_named_vectors(qc):
    """A text vector filled by the server's model beside a cf vector of item
    factors (Dot); a point may lack a name."""
    name = "named"
    if qc.collection_exists(name):
        qc.delete_collection(name)
    qc.create_collection(
        name,
        vectors_config={
            "text": models.VectorParams(size=384, distance=models.Distance.COSINE),
            "cf": models.VectorParams(size=4, distance=models.Distance.DOT),
        },
    )
    info = qc.get_collection(name)
    assert info.config.params.vectors["text"].size == 384
    assert info.config.params.vectors["cf"].size == 4
    assert info.config.params.vectors["cf"].distance == models.Distance.DOT
    texts = {1: "The cat sleeps on the warm sofa", 2: "Interest rates rose again this quarter", 3: "A simple recipe for tomato soup"}
    qc.upsert(
        name,
        points=[
            models.PointStruct(id=i, vector={"text": models.Document(text=t, model=MODEL), "cf": VECTORS[i]}, payload={"genre": GENRE[i]})
            for i, t in texts.items()
        ]
        + [models.PointStruct(id=4, vector={"cf": VECTORS[4]}, payload={"genre": GENRE[4]})],
        wait=True,
    )
    qc.upsert(
        name,
        points=models.Batch(ids=[5, 6], vectors={"cf": [VECTORS[5], VECTORS[6]]}, payloads=[{"genre": GENRE[5]}, {"genre": GENRE[6]}]),
        wait=True,
    )
    assert qc.count(name).count == 6

    def dot(a, b):
        return sum(x * y for x, y in zip(a, b))

    q = [1.0, 0.2, 0.0, 0.0]
    want = sorted(range(1, 7), key=lambda i: (-dot(q, VECTORS[i]), i))
    res = qc.query_points(name, query=q, using="cf", limit=3)
    assert [p.id for p in res.points] == want[:3]
    assert res.points[0].score == pytest.approx(dot(q, VECTORS[want[0]]), rel=1e-5)

    res = qc.query_points(name, query=models.Document(text="a kitten napping", model=MODEL), using="text", limit=10)
    assert res.points[0].id == 1
    assert sorted(p.id for p in res.points) == [1, 2, 3], "only points with a text vector"

    drama = models.Filter(must=[models.FieldCondition(key="genre", match=models.MatchValue(value="drama"))])
    res = qc.query_points(name, query=q, using="cf", query_filter=drama, limit=10)
    assert [p.id for p in res.points] == [i for i in want if GENRE[i] == "drama"]

    res = qc.query_points(name, query=models.RecommendQuery(recommend=models.RecommendInput(positive=[1])), using="cf", limit=1)
    assert res.points[0].id == max((i for i in range(2, 7)), key=lambda i: (dot(VECTORS[1], VECTORS[i]), -i))

    recs = qc.retrieve(name, ids=[1, 4], with_vectors=["cf"])
    assert [r.id for r in recs] == [1, 4]
    assert set(recs[0].vector) == {"cf"}
    assert recs[0].vector["cf"] == pytest.approx(VECTORS[1])
    assert recs[1].vector["cf"] == pytest.approx(VECTORS[4])
    recs = qc.retrieve(name, ids=[1, 4], with_vectors=True)
    assert set(recs[0].vector) == {"text", "cf"}
    assert len(recs[0].vector["text"]) == 384
    assert set(recs[1].vector) == {"cf"}, "point 4 has no text vector"
    res = qc.query_points(name, query=q, using="cf", limit=1, with_vectors=["cf"])
    assert res.points[0].vector["cf"] == pytest.approx(VECTORS[want[0]])

    with pytest.raises(UnexpectedResponse) as e:
        qc.query_points(name, query=q, using="nope", limit=1)
    assert e.value.status_code == 400
    assert "nope" in str(e.value) and "cf, text" in str(e.value)
    qc.delete_collection(name)


def test_sparse_vectors_and_bm25(qc):
    """Sparse vectors beside a dense one: raw sparse vectors, and BM25 sent as
    models.Document(model="Qdrant/bm25"), which the server tokenizes and
    weighs (idf applied at query time by the collection's modifier)."""
    name = "sparse"
    if qc.collection_exists(name):
        qc.delete_collection(name)
    qc.create_collection(
        name,
        vectors_config={"dense": models.VectorParams(size=4, distance=models.Distance.DOT)},
        sparse_vectors_config={
            "text-sparse": models.SparseVectorParams(modifier=models.Modifier.IDF),
            "raw": models.SparseVectorParams(),
        },
    )
    info = qc.get_collection(name)
    assert info.config.params.sparse_vectors["text-sparse"].modifier == models.Modifier.IDF
    assert set(info.config.params.sparse_vectors) == {"text-sparse", "raw"}
    texts = {
        1: "The quick brown fox jumps over the lazy dog",
        2: "Quick foxes are clever animals",
        3: "Interest rates rose again this quarter",
        4: "A lazy afternoon in the sun",
    }
    qc.upsert(
        name,
        points=[
            models.PointStruct(
                id=i,
                vector={"text-sparse": models.Document(text=t, model="Qdrant/bm25"), "dense": VECTORS[i]},
                payload={"genre": GENRE[i]},
            )
            for i, t in texts.items()
        ]
        + [models.PointStruct(id=5, vector={"raw": models.SparseVector(indices=[7, 3], values=[0.5, 2.0])})],
        wait=True,
    )
    assert qc.count(name).count == 5

    bm25 = models.Document(text="quick fox", model="Qdrant/bm25")
    res = qc.query_points(name, query=bm25, using="text-sparse", limit=10)
    assert [p.id for p in res.points] == [2, 1], "only documents sharing a term; the shorter first"
    assert res.points[0].score > res.points[1].score > 0

    drama = models.Filter(must=[models.FieldCondition(key="genre", match=models.MatchValue(value="drama"))])
    res = qc.query_points(name, query=models.Document(text="lazy", model="Qdrant/bm25"), using="text-sparse", query_filter=drama)
    assert [p.id for p in res.points] == [1]
    res = qc.query_points(name, query=2, using="text-sparse")
    assert [p.id for p in res.points] == [1], "a point id stands for its sparse vector and is left out"
    res = qc.query_points(name, query=bm25, using="text-sparse", limit=1, offset=1)
    assert [p.id for p in res.points] == [1]

    res = qc.query_points(name, query=models.SparseVector(indices=[3, 9], values=[1.0, 1.0]), using="raw", with_vectors=True)
    assert [p.id for p in res.points] == [5]
    assert res.points[0].score == pytest.approx(2.0)
    raw = res.points[0].vector["raw"]
    assert list(raw.indices) == [3, 7] and list(raw.values) == pytest.approx([2.0, 0.5])
    res = qc.query_points(name, query=models.SparseVector(indices=[3], values=[1.0]), using="raw", score_threshold=5.0)
    assert res.points == []

    recs = qc.retrieve(name, ids=[1], with_vectors=["text-sparse"])
    v = recs[0].vector["text-sparse"]
    assert len(v.indices) == len(v.values) == 6, "quick brown fox jump lazi dog"
    recs = qc.retrieve(name, ids=[1], with_vectors=True)
    assert set(recs[0].vector) == {"dense", "text-sparse"}

    # A replace drops the old sparse vector; a delete drops the point.
    qc.upsert(name, points=[models.PointStruct(id=2, vector={"dense": VECTORS[2]})], wait=True)
    qc.delete(name, points_selector=models.PointIdsList(points=[1]), wait=True)
    assert qc.query_points(name, query=bm25, using="text-sparse").points == []

    with pytest.raises(UnexpectedResponse) as e:
        qc.query_points(name, query=models.SparseVector(indices=[1, 1], values=[1.0, 2.0]), using="raw")
    assert e.value.status_code == 400 and "indices[1]" in str(e.value)
    with pytest.raises(UnexpectedResponse) as e:
        qc.upsert(name, points=[models.PointStruct(id=9, vector={"raw": models.SparseVector(indices=[1, 2], values=[1.0])})])
    assert e.value.status_code == 400 and "raw" in str(e.value)
    qc.delete_collection(name)


def rrf(lists, k=2):
    """Reciprocal rank fusion as Qdrant defines it: the sum of 1/(rank + k),
    rank from 0."""
    scores = {}
    for ids in lists:
        for rank, i in enumerate(ids):
            scores[i] = scores.get(i, 0.0) + 1.0 / (rank + k)
    return scores


def test_hybrid_prefetch_fusion_mmr(qc):
    """Hybrid search: a BM25 prefetch on a sparse vector and a dense one by
    the server's model, fused by RRF, re-ranked densely, and diversified by
    MMR on nearest."""
    name = "hybrid"
    if qc.collection_exists(name):
        qc.delete_collection(name)
    qc.create_collection(
        name,
        vectors_config={"dense": models.VectorParams(size=384, distance=models.Distance.COSINE)},
        sparse_vectors_config={"bm25": models.SparseVectorParams(modifier=models.Modifier.IDF)},
    )
    texts = {
        1: "The quick brown fox jumps over the lazy dog",
        2: "Quick foxes are clever animals",
        3: "A red fox hunts in the snowy forest",
        4: "Dogs and cats sleep all afternoon",
        5: "Interest rates rose again this quarter",
        6: "The stock market fell sharply today",
    }
    qc.upsert(
        name,
        points=[
            models.PointStruct(
                id=i,
                vector={"dense": models.Document(text=t, model=MODEL), "bm25": models.Document(text=t, model="Qdrant/bm25")},
                payload={"text": t, "finance": i >= 5},
            )
            for i, t in texts.items()
        ],
        wait=True,
    )
    query = "fox in the woods"
    sparse = models.Prefetch(query=models.Document(text=query, model="Qdrant/bm25"), using="bm25", limit=4)
    dense = models.Prefetch(query=models.Document(text=query, model=MODEL), using="dense", limit=4)
    sparse_ids = [p.id for p in qc.query_points(name, query=sparse.query, using="bm25", limit=4).points]
    dense_hits = qc.query_points(name, query=dense.query, using="dense", limit=6).points
    dense_ids = [p.id for p in dense_hits][:4]
    assert set(sparse_ids) == {1, 2, 3}, "BM25: only the documents sharing a term (fox, foxes stem alike)"

    res = qc.query_points(name, prefetch=[sparse, dense], query=models.FusionQuery(fusion=models.Fusion.RRF), limit=10, with_payload=True)
    want = rrf([sparse_ids, dense_ids])
    assert {p.id: p.score for p in res.points} == pytest.approx(want)
    assert [p.score for p in res.points] == sorted((p.score for p in res.points), reverse=True)
    assert res.points[0].payload["text"] == texts[res.points[0].id]

    res = qc.query_points(name, prefetch=[sparse, dense], query=models.RrfQuery(rrf=models.Rrf(k=60)), limit=3)
    assert len(res.points) == 3
    assert res.points[0].score == pytest.approx(max(rrf([sparse_ids, dense_ids], k=60).values()))

    res = qc.query_points(name, prefetch=[sparse, dense], query=models.FusionQuery(fusion=models.Fusion.DBSF), limit=10)
    assert {p.id for p in res.points} == set(sparse_ids) | set(dense_ids)

    # The outer filter reaches the prefetches.
    finance = models.Filter(must=[models.FieldCondition(key="finance", match=models.MatchValue(value=True))])
    res = qc.query_points(name, prefetch=[sparse, dense], query=models.FusionQuery(fusion=models.Fusion.RRF), query_filter=finance)
    assert {p.id for p in res.points} <= {5, 6}

    # A dense re-rank of the BM25 candidates scores them exactly.
    dense_score = {p.id: p.score for p in dense_hits}
    res = qc.query_points(name, prefetch=sparse, query=dense.query, using="dense", limit=10)
    assert [p.id for p in res.points] == sorted(sparse_ids, key=lambda i: -dense_score[i])
    assert [p.score for p in res.points] == pytest.approx([dense_score[p.id] for p in res.points], abs=1e-5)

    # MMR: no diversity is the nearest order; results keep their query scores.
    nearest = models.Document(text="foxes and dogs", model=MODEL)
    plain = qc.query_points(name, query=nearest, using="dense", limit=6).points
    res = qc.query_points(
        name, query=models.NearestQuery(nearest=nearest, mmr=models.Mmr(diversity=0.0, candidates_limit=6)), using="dense", limit=6
    )
    assert [p.id for p in res.points] == [p.id for p in plain]
    res = qc.query_points(
        name, query=models.NearestQuery(nearest=nearest, mmr=models.Mmr(diversity=0.9, candidates_limit=6)), using="dense", limit=3
    )
    plain_score = {p.id: p.score for p in plain}
    assert res.points[0].id == plain[0].id
    assert [p.score for p in res.points] == pytest.approx([plain_score[p.id] for p in res.points], abs=1e-5)
    assert [p.id for p in res.points] != [p.id for p in plain[:3]], "diversity changes the picks"

    with pytest.raises(UnexpectedResponse) as e:
        qc.query_points(name, prefetch=[sparse, models.Prefetch(query=[1.0, 2.0], using="dense")], query=models.FusionQuery(fusion=models.Fusion.RRF))
    assert e.value.status_code == 400 and "prefetch[1]" in str(e.value)
    qc.delete_collection(name)


def genre_is(g):
    return models.Filter(must=[models.FieldCondition(key="genre", match=models.MatchValue(value=g))])


def payload_of(qc, name, i):
    return qc.retrieve(name, ids=[i], with_payload=True)[0].payload


def test_payload_updates(qc):
    """set, overwrite, delete and clear payload, by ids and by filter, with
    an indexed field that filters must see updated."""
    name = "payloads"
    if qc.collection_exists(name):
        qc.delete_collection(name)
    qc.create_collection(name, vectors_config=models.VectorParams(size=4, distance=models.Distance.COSINE))
    qc.create_payload_index(name, field_name="genre", field_schema=models.PayloadSchemaType.KEYWORD, wait=True)
    qc.upsert(name, points=[models.PointStruct(id=i, vector=VECTORS[i], payload={"genre": GENRE[i], "year": 1990 + i}) for i in range(1, 5)], wait=True)

    res = qc.set_payload(name, payload={"genre": "western", "seen": True}, points=[1, 2], wait=True)
    assert res.status == models.UpdateStatus.COMPLETED
    assert payload_of(qc, name, 1) == {"genre": "western", "seen": True, "year": 1991}
    assert sorted(p.id for p in qc.scroll(name, scroll_filter=genre_is("western"))[0]) == [1, 2]
    assert sorted(p.id for p in qc.scroll(name, scroll_filter=genre_is("drama"))[0]) == [3]
    assert qc.count(name, count_filter=genre_is("scifi")).count == 1

    qc.set_payload(name, payload={"stars": 4}, key="review.best", points=genre_is("western"), wait=True)
    assert payload_of(qc, name, 2)["review"] == {"best": {"stars": 4}}

    qc.overwrite_payload(name, payload={"genre": "noir"}, points=[3], wait=True)
    assert payload_of(qc, name, 3) == {"genre": "noir"}
    assert [p.id for p in qc.scroll(name, scroll_filter=genre_is("noir"))[0]] == [3]

    qc.delete_payload(name, keys=["seen", "review.best.stars"], points=models.FilterSelector(filter=genre_is("western")), wait=True)
    assert payload_of(qc, name, 1) == {"genre": "western", "year": 1991, "review": {"best": {}}}

    qc.clear_payload(name, points_selector=models.PointIdsList(points=[1, 4]), wait=True)
    assert payload_of(qc, name, 1) == {}
    assert payload_of(qc, name, 4) == {}
    assert [p.id for p in qc.scroll(name, scroll_filter=genre_is("western"))[0]] == [2]
    qc.clear_payload(name, points_selector=genre_is("western"), wait=True)
    assert qc.count(name, count_filter=genre_is("western")).count == 0
    rec = qc.retrieve(name, ids=[2], with_vectors=True)[0]
    assert rec.vector == pytest.approx(VECTORS[2]), "payload updates keep the vector"

    with pytest.raises(UnexpectedResponse) as e:
        qc.set_payload(name, payload={"a": 1}, points=[1, 77], wait=True)
    assert e.value.status_code == 404 and "77" in str(e.value)
    with pytest.raises(UnexpectedResponse) as e:
        qc.set_payload(name, payload={"a": 1}, key="a..b", points=[1], wait=True)
    assert e.value.status_code == 400 and "key" in str(e.value)
    assert payload_of(qc, name, 1) == {}
    qc.delete_collection(name)


def test_vector_updates_and_batch(qc):
    """update_vectors and delete_vectors on named vectors (a text one
    filled by the model), then an ordered batch of every operation."""
    name = "vecupdates"
    if qc.collection_exists(name):
        qc.delete_collection(name)
    qc.create_collection(
        name,
        vectors_config={
            "text": models.VectorParams(size=384, distance=models.Distance.COSINE),
            "cf": models.VectorParams(size=4, distance=models.Distance.DOT),
        },
    )
    qc.upsert(
        name,
        points=[
            models.PointStruct(id=1, vector={"text": models.Document(text="The cat sleeps on the warm sofa", model=MODEL), "cf": VECTORS[1]}, payload={"genre": "drama"}),
            models.PointStruct(id=2, vector={"cf": VECTORS[4]}, payload={"genre": "scifi"}),
        ],
        wait=True,
    )
    res = qc.update_vectors(
        name,
        points=[models.PointVectors(id=2, vector={"text": models.Document(text="A simple recipe for tomato soup", model=MODEL)})],
        wait=True,
    )
    assert res.status == models.UpdateStatus.COMPLETED
    rec = qc.retrieve(name, ids=[2], with_vectors=True, with_payload=True)[0]
    assert set(rec.vector) == {"text", "cf"}
    assert rec.vector["cf"] == pytest.approx(VECTORS[4])
    assert rec.payload == {"genre": "scifi"}
    hits = qc.query_points(name, query=models.Document(text="how to cook soup", model=MODEL), using="text", limit=2).points
    assert [p.id for p in hits] == [2, 1]

    qc.delete_vectors(name, vectors=["text"], points=[1], wait=True)
    hits = qc.query_points(name, query=models.Document(text="a cat on a sofa", model=MODEL), using="text", limit=10).points
    assert [p.id for p in hits] == [2], "point 1 no longer matches on text"
    assert set(qc.retrieve(name, ids=[1], with_vectors=True)[0].vector) == {"cf"}
    with pytest.raises(UnexpectedResponse) as e:
        qc.update_vectors(name, points=[models.PointVectors(id=1, vector={"nope": [1.0, 0.0, 0.0, 0.0]})], wait=True)
    assert e.value.status_code == 400 and "nope" in str(e.value)

    results = qc.batch_update_points(
        name,
        update_operations=[
            models.UpsertOperation(upsert=models.PointsList(points=[models.PointStruct(id=3, vector={"cf": VECTORS[3]}, payload={"genre": "drama", "n": 3})])),
            models.SetPayloadOperation(set_payload=models.SetPayload(payload={"tag": "x"}, points=[1, 3])),
            models.OverwritePayloadOperation(overwrite_payload=models.SetPayload(payload={"genre": "noir"}, points=[2])),
            models.DeletePayloadOperation(delete_payload=models.DeletePayload(keys=["n"], points=[3])),
            models.UpdateVectorsOperation(update_vectors=models.UpdateVectors(points=[models.PointVectors(id=3, vector={"cf": VECTORS[8]})])),
            models.DeleteVectorsOperation(delete_vectors=models.DeleteVectors(points=[2], vector=["cf"])),
            models.ClearPayloadOperation(clear_payload=models.PointIdsList(points=[1])),
            models.DeleteOperation(delete=models.FilterSelector(filter=genre_is("noir"))),
        ],
        wait=True,
    )
    assert len(results) == 8 and all(r.status == models.UpdateStatus.COMPLETED for r in results)
    assert sorted(p.id for p in qc.scroll(name)[0]) == [1, 3]
    assert payload_of(qc, name, 1) == {}
    assert payload_of(qc, name, 3) == {"genre": "drama", "tag": "x"}
    hits = qc.query_points(name, query=VECTORS[8], using="cf", limit=1).points
    assert hits[0].id == 3

    # A bad operation anywhere in a batch writes nothing.
    with pytest.raises(UnexpectedResponse) as e:
        qc.batch_update_points(
            name,
            update_operations=[
                models.UpsertOperation(upsert=models.PointsList(points=[models.PointStruct(id=9, vector={"cf": VECTORS[9]})])),
                models.DeleteVectorsOperation(delete_vectors=models.DeleteVectors(points=[9], vector=["nope"])),
            ],
        )
    assert e.value.status_code == 400 and "operations[1]" in str(e.value)
    assert qc.count(name).count == 2
    qc.delete_collection(name)

# Groups, discovery, order_by and facets on a 2-d Dot collection: point i
# at (1, i/10), so the query [0, 1] ranks points by i, largest first.
SHOP_N = 12


@pytest.fixture(scope="module")
def shop(qc):
    name, lookup = "shop", "shop-owners"
    for n in (name, lookup):
        if qc.collection_exists(n):
            qc.delete_collection(n)
        qc.create_collection(n, vectors_config=models.VectorParams(size=2, distance=models.Distance.DOT))
    points = [
        models.PointStruct(
            id=i,
            vector=[1.0, i / 10],
            payload={"shop": f"s{i % 3}", "price": i, "tags": ["all"] + (["even"] if i % 2 == 0 else []), "owner": i % 2},
        )
        for i in range(SHOP_N)
    ]
    qc.upsert(name, points=points, wait=True)
    for key, schema in (("shop", models.PayloadSchemaType.KEYWORD), ("tags", models.PayloadSchemaType.KEYWORD), ("price", models.PayloadSchemaType.INTEGER)):
        qc.create_payload_index(name, field_name=key, field_schema=schema, wait=True)
    qc.upsert(
        lookup,
        points=[
            models.PointStruct(id=0, vector=[1.0, 0.0], payload={"name": "even owner"}),
            models.PointStruct(id=1, vector=[0.0, 1.0], payload={"name": "odd owner"}),
        ],
        wait=True,
    )
    return name, lookup


def brute_groups(key_of, limit, size):
    groups = {}
    for i in sorted(range(SHOP_N), reverse=True):
        for g in key_of(i):
            groups.setdefault(g, [])
            if len(groups[g]) < size:
                groups[g].append(i)
    return list(groups.items())[:limit]


def test_query_points_groups(qc, shop):
    name, lookup = shop
    res = qc.query_points_groups(name, group_by="shop", query=[0.0, 1.0], limit=2, group_size=3, with_payload=True)
    got = [(g.id, [h.id for h in g.hits]) for g in res.groups]
    assert got == brute_groups(lambda i: [f"s{i % 3}"], 2, 3)
    assert res.groups[0].hits[0].payload["shop"] == res.groups[0].id
    # A point whose value is an array joins each group; lookup by name.
    res = qc.query_points_groups(
        name, group_by="tags", query=[0.0, 1.0], limit=5, group_size=2,
        with_lookup=models.WithLookup(collection=lookup, with_payload=True),
    )
    assert [(g.id, [h.id for h in g.hits]) for g in res.groups] == brute_groups(
        lambda i: ["all"] + (["even"] if i % 2 == 0 else []), 5, 2
    )
    assert all(g.lookup is None for g in res.groups), "strings that are not UUIDs name no point"


def legacy_groups(qc, route, name, body):
    """POST /points/{route}/groups through the client's REST layer."""
    return qc.http.client.request(
        type_=models.InlineResponse20024,
        method="POST",
        url="/collections/{collection_name}/points/" + route + "/groups",
        path_params={"collection_name": name},
        headers={"Content-Type": "application/json"},
        content=json.dumps(body),
    ).result


def test_search_groups_with_lookup(qc, shop):
    # qdrant-client 1.20 has no search_groups method; its REST client
    # sends the legacy route.
    name, lookup = shop
    res = legacy_groups(qc, "search", name, {"vector": [0.0, 1.0], "group_by": "owner", "group_size": 2, "limit": 3, "with_lookup": lookup})
    assert [(g.id, [h.id for h in g.hits]) for g in res.groups] == brute_groups(lambda i: [i % 2], 3, 2)
    assert [g.lookup.payload["name"] for g in res.groups] == ["odd owner", "even owner"]
    with pytest.raises(UnexpectedResponse) as e:
        qc.query_points_groups(name, group_by="shop", query=[0.0, 1.0], group_size=0)
    assert e.value.status_code in (400, 422)


def test_recommend_groups(qc, shop):
    # The legacy recommend route, grouped, through the client's REST layer.
    # Positive 9 and negative 0 search towards 2(1, 0.9) - (1, 0) = (1, 1.8):
    # the order by i of the query [0, 1], without the two examples.
    name, lookup = shop
    res = legacy_groups(qc, "recommend", name, {"positive": [9], "negative": [0], "group_by": "owner", "group_size": 2, "limit": 2, "with_lookup": lookup})
    want = {}
    for i in sorted(set(range(SHOP_N)) - {9, 0}, reverse=True):
        if len(want.setdefault(i % 2, [])) < 2:
            want[i % 2].append(i)
    assert [(g.id, [h.id for h in g.hits]) for g in res.groups] == list(want.items())
    assert [g.lookup.payload["name"] for g in res.groups] == [("even owner", "odd owner")[g.id] for g in res.groups]


def test_scroll_order_by(qc, shop):
    name, _ = shop
    page, nxt = qc.scroll(name, order_by=models.OrderBy(key="price", direction=models.Direction.DESC, start_from=7), limit=3)
    assert [p.id for p in page] == [7, 6, 5]
    assert [p.order_value for p in page] == [7, 6, 5]
    assert nxt is None
    page, _ = qc.scroll(name, order_by="price", limit=2)
    assert [p.id for p in page] == [0, 1]
    res = qc.query_points(name, query=models.OrderByQuery(order_by=models.OrderBy(key="price", direction=models.Direction.DESC)), limit=2)
    assert [p.id for p in res.points] == [SHOP_N - 1, SHOP_N - 2]
    with pytest.raises(UnexpectedResponse) as e:
        qc.scroll(name, order_by="shop")
    assert e.value.status_code == 400
    assert "order_by.key" in str(e.value)


def test_discover_and_context(qc, shop):
    name, _ = shop
    # Nearer point 0, (1, 0), than (0, 1) means i < 10: those rank +1, and
    # the target [0, 1] orders them largest first (0, an example, is left
    # out).
    pair = models.ContextPair(positive=0, negative=[0.0, 1.0])
    res = qc.query_points(name, query=models.DiscoverQuery(discover=models.DiscoverInput(target=[0.0, 1.0], context=[pair])), limit=3)
    assert [p.id for p in res.points] == [9, 8, 7]
    assert res.points[0].score > 1
    res = qc.query_points(name, query=models.ContextQuery(context=[pair]), limit=3)
    assert all(1 <= p.id <= 9 and p.score == pytest.approx(0.0) for p in res.points), "inside the zone, loss 0"

    class ScoredPoints(BaseModel):
        result: list[models.ScoredPoint]

    # The legacy discover route (no client method in qdrant-client 1.20).
    res = qc.http.client.request(
        type_=ScoredPoints,
        method="POST",
        url="/collections/{collection_name}/points/discover",
        path_params={"collection_name": name},
        headers={"Content-Type": "application/json"},
        content=json.dumps({"target": 9, "context": [{"positive": [1.0, 0.0], "negative": [0.0, 1.0]}], "limit": 2}),
    ).result
    assert [p.id for p in res] == [8, 7]


def test_facet(qc, shop):
    name, _ = shop
    res = qc.facet(name, key="shop")
    assert [(h.value, h.count) for h in res.hits] == [("s0", 4), ("s1", 4), ("s2", 4)]
    cheap = models.Filter(must=[models.FieldCondition(key="price", range=models.Range(lt=5))])
    res = qc.facet(name, key="tags", facet_filter=cheap, limit=1, exact=True)
    assert [(h.value, h.count) for h in res.hits] == [("all", 5)]
    res = qc.facet(name, key="price", limit=2)
    assert [(h.value, h.count) for h in res.hits] == [(0, 1), (1, 1)]
    with pytest.raises(UnexpectedResponse) as e:
        qc.facet(name, key="owner")
    assert e.value.status_code == 400
    assert "owner" in str(e.value)


def test_aliases(qc):
    for name in ("books_v1", "books_v2"):
        if qc.collection_exists(name):
            qc.delete_collection(name)
        qc.create_collection(name, vectors_config=models.VectorParams(size=2, distance=models.Distance.DOT))
    qc.upsert("books_v1", points=[models.PointStruct(id=1, vector=[1.0, 0.0])], wait=True)
    qc.upsert("books_v2", points=[models.PointStruct(id=2, vector=[0.0, 1.0]), models.PointStruct(id=3, vector=[1.0, 1.0])], wait=True)

    assert qc.update_collection_aliases(
        change_aliases_operations=[
            models.CreateAliasOperation(create_alias=models.CreateAlias(collection_name="books_v1", alias_name="books")),
            models.CreateAliasOperation(create_alias=models.CreateAlias(collection_name="books_v2", alias_name="tmp")),
            models.RenameAliasOperation(rename_alias=models.RenameAlias(old_alias_name="tmp", new_alias_name="next")),
        ]
    )
    got = {(a.alias_name, a.collection_name) for a in qc.get_aliases().aliases}
    assert {("books", "books_v1"), ("next", "books_v2")} <= got
    assert [a.alias_name for a in qc.get_collection_aliases("books_v2").aliases] == ["next"]

    # Queries, writes and info go through the alias.
    assert [p.id for p in qc.query_points("books", query=[1.0, 0.0], limit=5).points] == [1]
    qc.upsert("books", points=[models.PointStruct(id=9, vector=[0.5, 0.5])], wait=True)
    assert qc.count("books_v1").count == 2
    assert qc.get_collection("books").points_count == 2

    # Switch the alias in one request.
    qc.update_collection_aliases(
        change_aliases_operations=[
            models.DeleteAliasOperation(delete_alias=models.DeleteAlias(alias_name="books")),
            models.CreateAliasOperation(create_alias=models.CreateAlias(collection_name="books_v2", alias_name="books")),
        ]
    )
    assert qc.count("books").count == 2
    assert {p.id for p in qc.query_points("books", query=[0.0, 1.0], limit=5).points} == {2, 3}

    with pytest.raises(UnexpectedResponse) as e:
        qc.update_collection_aliases(
            change_aliases_operations=[
                models.CreateAliasOperation(create_alias=models.CreateAlias(collection_name="books_v1", alias_name="books_v2"))
            ]
        )
    assert e.value.status_code == 409
    qc.delete_collection("books_v2")
    assert not {a.alias_name for a in qc.get_aliases().aliases} & {"books", "next"}, "dropping a collection drops its aliases"
    qc.delete_collection("books_v1")


def test_update_collection(qc):
    name = "tuned"
    if qc.collection_exists(name):
        qc.delete_collection(name)
    qc.create_collection(name, vectors_config=models.VectorParams(size=2, distance=models.Distance.COSINE))
    assert qc.update_collection(
        name,
        hnsw_config=models.HnswConfigDiff(ef_construct=150),
        optimizers_config=models.OptimizersConfigDiff(indexing_threshold=20000),
    )
    info = qc.get_collection(name)
    assert info.config.hnsw_config.ef_construct == 150
    assert info.config.hnsw_config.m == 16
    with pytest.raises(UnexpectedResponse) as e:
        qc.update_collection(name, hnsw_config=models.HnswConfigDiff(m=64))
    assert e.value.status_code == 400 and "hnsw_config.m" in str(e.value)
    with pytest.raises(UnexpectedResponse) as e:
        qc.update_collection(name, collection_params=models.CollectionParamsDiff(replication_factor=3))
    assert e.value.status_code == 400 and "replication_factor" in str(e.value)
    qc.delete_collection(name)


def test_snapshots(qc):
    import hashlib
    import urllib.request

    name = "snapped"
    if qc.collection_exists(name):
        qc.delete_collection(name)
    qc.create_collection(name, vectors_config=models.VectorParams(size=2, distance=models.Distance.DOT))
    qc.upsert(name, points=[models.PointStruct(id=i, vector=[float(i), 1.0], payload={"i": i}) for i in range(1, 6)], wait=True)

    snap = qc.create_snapshot(name, wait=True)
    assert snap.name.endswith(".snapshot") and snap.size > 0
    assert snap.name in [s.name for s in qc.list_snapshots(name)]

    req = urllib.request.Request(f"{URL}/collections/{name}/snapshots/{snap.name}", headers={"api-key": KEY})
    with urllib.request.urlopen(req, timeout=60) as resp:
        data = resp.read()
    assert len(data) == snap.size and hashlib.sha256(data).hexdigest() == snap.checksum

    # Recover over the collection from the server's file.
    qc.upsert(name, points=[models.PointStruct(id=99, vector=[1.0, 1.0])], wait=True)
    assert qc.count(name).count == 6
    location = "file://" + os.path.join(os.environ["QUIVER_E2E_SNAPSHOT_DIR"], name, snap.name)
    assert qc.recover_snapshot(name, location=location, checksum=snap.checksum, wait=True)
    assert qc.count(name).count == 5
    with pytest.raises(UnexpectedResponse) as e:
        qc.recover_snapshot(name, location="http://169.254.169.254/latest/meta-data", wait=True)
    assert e.value.status_code == 400 and "upload" in str(e.value)

    # Upload the downloaded file into a new collection, as qdrant-client's
    # REST API sends it.
    copy = "snapped_copy"
    if qc.collection_exists(copy):
        qc.delete_collection(copy)
    import io

    res = qc.http.snapshots_api.recover_from_uploaded_snapshot(
        collection_name=copy, wait=True, priority=models.SnapshotPriority.SNAPSHOT, snapshot=io.BytesIO(data)
    )
    assert res.result is True
    assert qc.count(copy).count == 5
    assert qc.retrieve(copy, ids=[3], with_payload=True)[0].payload == {"i": 3}

    assert qc.delete_snapshot(name, snap.name, wait=True)
    assert snap.name not in [s.name for s in qc.list_snapshots(name)]

    full = qc.create_full_snapshot(wait=True)
    assert full.name in [s.name for s in qc.list_full_snapshots()]
    assert qc.delete_full_snapshot(full.name, wait=True)
    qc.delete_collection(name)
    qc.delete_collection(copy)


def test_cluster(qc, movies):
    status = qc.cluster_status()
    assert status.status == "disabled"
    info = qc.collection_cluster_info(movies)
    assert info.shard_count == 1
    assert info.local_shards[0].points_count == qc.count(movies).count
    assert info.remote_shards == []


def test_scalar_quantization(qc):
    """A collection created with Qdrant's scalar int8 config searches on
    codes with re-scoring (the exact ranking and scores), honours the
    per-query knobs, can be quantized after creation and have it removed."""
    import random

    name = "quantized"
    if qc.collection_exists(name):
        qc.delete_collection(name)
    rng = random.Random(11)
    vecs = {i: [rng.gauss(0, 1) for _ in range(16)] for i in range(1, 501)}
    scalar = models.ScalarQuantization(
        scalar=models.ScalarQuantizationConfig(type=models.ScalarType.INT8, quantile=0.99, always_ram=True)
    )
    qc.create_collection(
        name, vectors_config=models.VectorParams(size=16, distance=models.Distance.COSINE), quantization_config=scalar
    )
    qc.upsert(name, points=[models.PointStruct(id=i, vector=v) for i, v in vecs.items()], wait=True)
    info = qc.get_collection(name)
    assert info.config.quantization_config.scalar.type == models.ScalarType.INT8
    assert info.config.quantization_config.scalar.quantile == pytest.approx(0.99)

    q = vecs[7]
    want = sorted(vecs, key=lambda i: -cos(q, vecs[i]))[:5]
    params = models.SearchParams(
        hnsw_ef=128, quantization=models.QuantizationSearchParams(ignore=False, rescore=True, oversampling=2.0)
    )
    res = qc.query_points(name, query=q, limit=5, search_params=params)
    assert [p.id for p in res.points] == want
    assert res.points[1].score == pytest.approx(cos(q, vecs[want[1]]), abs=1e-5), "re-scored with the float vectors"
    raw = qc.query_points(
        name, query=q, limit=5, search_params=models.SearchParams(hnsw_ef=128, quantization=models.QuantizationSearchParams(rescore=False))
    )
    assert raw.points[1].score == pytest.approx(cos(q, vecs[raw.points[1].id]), abs=0.05), "code estimates"
    ignored = qc.query_points(
        name, query=q, limit=5, search_params=models.SearchParams(hnsw_ef=128, quantization=models.QuantizationSearchParams(ignore=True))
    )
    assert [p.id for p in ignored.points] == want
    rec = qc.query_points(
        name,
        query=models.RecommendQuery(recommend=models.RecommendInput(positive=[1, 2])),
        limit=3,
        search_params=models.SearchParams(quantization=models.QuantizationSearchParams(oversampling=1.5)),
    )
    assert len(rec.points) == 3
    with pytest.raises(UnexpectedResponse) as err:
        qc.query_points(
            name, query=q, search_params=models.SearchParams(quantization=models.QuantizationSearchParams(oversampling=100.0))
        )
    assert err.value.status_code == 400 and "params.quantization.oversampling" in str(err.value)

    qc.update_collection(name, quantization_config=models.Disabled.DISABLED)
    assert qc.get_collection(name).config.quantization_config is None
    qc.update_collection(name, quantization_config=scalar)
    assert qc.get_collection(name).config.quantization_config.scalar.quantile == pytest.approx(0.99)
    res = qc.query_points(name, query=q, limit=5, search_params=params)
    assert [p.id for p in res.points] == want

    with pytest.raises(UnexpectedResponse) as err:
        qc.create_collection(
            "binary-q",
            vectors_config=models.VectorParams(size=4, distance=models.Distance.DOT),
            quantization_config=models.BinaryQuantization(binary=models.BinaryQuantizationConfig(always_ram=True)),
        )
    assert err.value.status_code == 400 and "quantization_config.binary: not supported" in str(err.value)
    assert not qc.collection_exists("binary-q")
    qc.delete_collection(name)
