"""LangChain's QdrantVectorStore (PyPI langchain-qdrant, unchanged) against a
running `quiver serve`: dense, sparse and hybrid retrieval, metadata, filters,
deletes and from_texts creating its collection. scripts/e2e-frameworks.sh
starts the server and sets QUIVER_URL and QUIVER_API_KEY."""

import os
import uuid

import hashembed
import pytest
from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings
from langchain_qdrant import QdrantVectorStore, RetrievalMode, SparseEmbeddings, SparseVector
from qdrant_client import QdrantClient, models

URL = os.environ["QUIVER_URL"]
KEY = os.environ["QUIVER_API_KEY"]
CLIENT = dict(url=URL, api_key=KEY, prefer_grpc=False, check_compatibility=False, timeout=30)


class HashEmbeddings(Embeddings):
    def embed_documents(self, texts):
        return [hashembed.dense(t) for t in texts]

    def embed_query(self, text):
        return hashembed.dense(text)


class HashSparseEmbeddings(SparseEmbeddings):
    def embed_documents(self, texts):
        return [self.embed_query(t) for t in texts]

    def embed_query(self, text):
        idx, vals = hashembed.sparse(text)
        return SparseVector(indices=idx, values=vals)


TEXTS = [
    "The cat sat on the warm windowsill all afternoon",
    "Dogs love long walks in the park",
    "Stock markets rallied after the interest rate cut",
    "The central bank raised interest rates again",
    "Volcanic eruptions shape new islands in the ocean",
    "Tectonic plates drift slowly beneath the continents",
]
METAS = [
    {"topic": "pets", "year": 2020},
    {"topic": "pets", "year": 2021},
    {"topic": "finance", "year": 2022},
    {"topic": "finance", "year": 2023},
    {"topic": "geology", "year": 2019},
    {"topic": "geology", "year": 2018},
]
IDS = [f"00000000-0000-4000-8000-00000000000{i}" for i in range(len(TEXTS))]


def topic(value):
    return models.Filter(must=[models.FieldCondition(key="metadata.topic", match=models.MatchValue(value=value))])


def dense_rank(query, keep=range(len(TEXTS))):
    q = hashembed.dense(query)
    return sorted(keep, key=lambda i: -hashembed.cosine(q, hashembed.dense(TEXTS[i])))


@pytest.fixture(scope="module")
def qc():
    c = QdrantClient(**CLIENT)
    yield c
    c.close()


def make_store(name, mode, qc):
    if qc.collection_exists(name):
        qc.delete_collection(name)
    return QdrantVectorStore.from_texts(
        TEXTS,
        HashEmbeddings() if mode != RetrievalMode.SPARSE else None,
        metadatas=METAS,
        ids=IDS,
        collection_name=name,
        retrieval_mode=mode,
        sparse_embedding=HashSparseEmbeddings() if mode != RetrievalMode.DENSE else None,
        **CLIENT,
    )


@pytest.fixture(scope="module")
def dense_store(qc):
    return make_store("lc_dense", RetrievalMode.DENSE, qc)


@pytest.fixture(scope="module")
def sparse_store(qc):
    return make_store("lc_sparse", RetrievalMode.SPARSE, qc)


@pytest.fixture(scope="module")
def hybrid_store(qc):
    return make_store("lc_hybrid", RetrievalMode.HYBRID, qc)


def test_from_texts_creates_the_collection(qc, dense_store, sparse_store, hybrid_store):
    info = qc.get_collection("lc_dense")
    assert info.points_count == len(TEXTS)
    # {"": params}, Qdrant's default vector by name, is the unnamed vector.
    assert info.config.params.vectors.size == hashembed.DIM
    assert info.config.params.vectors.distance == models.Distance.COSINE
    info = qc.get_collection("lc_sparse")
    assert info.points_count == len(TEXTS)
    assert "langchain-sparse" in info.config.params.sparse_vectors
    info = qc.get_collection("lc_hybrid")
    assert "" in info.config.params.vectors and "langchain-sparse" in info.config.params.sparse_vectors
    # Reopening the existing collection runs LangChain's config validation.
    again = QdrantVectorStore.from_existing_collection(
        collection_name="lc_hybrid",
        embedding=HashEmbeddings(),
        sparse_embedding=HashSparseEmbeddings(),
        retrieval_mode=RetrievalMode.HYBRID,
        **CLIENT,
    )
    assert again.similarity_search("volcanic islands", k=1)[0].page_content == TEXTS[4]


def test_dense_top1_and_scores(dense_store):
    for query, want in [("a cat on the windowsill", 0), ("walks with dogs", 1), ("tectonic continents", 5)]:
        assert dense_rank(query)[0] == want, "the fixture's embedding must rank it first"
        docs = dense_store.similarity_search(query, k=3)
        assert docs[0].page_content == TEXTS[want]
        assert docs[0].metadata["topic"] == METAS[want]["topic"]
        assert docs[0].metadata["_id"] == IDS[want]
    res = dense_store.similarity_search_with_score("interest rates", k=len(TEXTS))
    assert [TEXTS.index(d.page_content) for d, _ in res] == dense_rank("interest rates")
    q = hashembed.dense("interest rates")
    for d, score in res:
        assert score == pytest.approx(hashembed.cosine(q, hashembed.dense(d.page_content)), abs=1e-5)
    assert all(a[1] >= b[1] for a, b in zip(res, res[1:]))


def test_dense_filter(dense_store):
    query = "a cat on the windowsill"
    docs = dense_store.similarity_search(query, k=6, filter=topic("finance"))
    assert [TEXTS.index(d.page_content) for d in docs] == dense_rank(query, [2, 3])
    res = dense_store.similarity_search_with_score(
        query, k=6, filter=models.Filter(must=[models.FieldCondition(key="metadata.year", range=models.Range(lt=2020))])
    )
    assert sorted(d.metadata["year"] for d, _ in res) == [2018, 2019]
    not_pets = models.Filter(must_not=[models.FieldCondition(key="metadata.topic", match=models.MatchValue(value="pets"))])
    docs = dense_store.similarity_search(query, k=6, filter=not_pets)
    assert len(docs) == 4 and all(d.metadata["topic"] != "pets" for d in docs)


def test_dense_mmr(dense_store):
    # fetch_k candidates come back with their vectors; LangChain reranks them.
    docs = dense_store.max_marginal_relevance_search("interest rate banks", k=2, fetch_k=6, lambda_mult=0.5)
    assert len(docs) == 2
    assert docs[0].page_content == TEXTS[dense_rank("interest rate banks")[0]]


def test_add_get_delete(dense_store):
    added = dense_store.add_documents(
        [
            Document(page_content="Kittens chase the windowsill cat", metadata={"topic": "pets", "year": 2024}),
            Document(page_content="Bond yields follow interest rates", metadata={"topic": "finance", "year": 2024}),
        ],
        ids=["a1b2c3d4-0000-4000-8000-000000000001", "a1b2c3d4-0000-4000-8000-000000000002"],
    )
    assert added == ["a1b2c3d4-0000-4000-8000-000000000001", "a1b2c3d4-0000-4000-8000-000000000002"]
    more = dense_store.add_texts(["Parrots repeat words they hear"], metadatas=[{"topic": "pets", "year": 2025}])
    assert len(more) == 1
    got = dense_store.get_by_ids([added[1], more[0]])
    assert sorted(d.page_content for d in got) == ["Bond yields follow interest rates", "Parrots repeat words they hear"]
    docs = dense_store.similarity_search("parrots repeat words", k=1, filter=topic("pets"))
    # add_texts makes uuid4().hex ids; the server answers them in canonical form.
    assert uuid.UUID(docs[0].metadata["_id"]) == uuid.UUID(more[0]) and docs[0].metadata["year"] == 2025

    assert dense_store.delete(ids=added + more) is True
    assert dense_store.get_by_ids(added + more) == []
    found = dense_store.similarity_search("kittens parrots bond yields", k=10)
    assert len(found) == len(TEXTS)
    assert not {uuid.UUID(d.metadata["_id"]) for d in found} & {uuid.UUID(i) for i in added + more}


def test_sparse_search(sparse_store):
    docs = sparse_store.similarity_search("interest rate cut", k=6)
    # Sparse scores are shared-word dot products: 3 words with doc 2, 1 with doc 3.
    assert [d.page_content for d in docs[:2]] == [TEXTS[2], TEXTS[3]]
    assert len(docs) == 2, "only documents sharing a word match a sparse query"
    res = sparse_store.similarity_search_with_score("the interest", k=6, filter=topic("pets"))
    assert [(d.page_content, s) for d, s in res] == [(TEXTS[0], 2.0), (TEXTS[1], 1.0)], "only 'the' is shared with the pets"
    sparse_store.delete(ids=[IDS[2]])
    docs = sparse_store.similarity_search("interest rate cut", k=6)
    assert [d.page_content for d in docs] == [TEXTS[3]]


def test_hybrid_fuses_dense_and_sparse(qc, hybrid_store):
    query = "rates of the central bank"
    k = 4
    dense = qc.query_points("lc_hybrid", query=hashembed.dense(query), using="", limit=k).points
    idx, vals = hashembed.sparse(query)
    sparse = qc.query_points(
        "lc_hybrid", query=models.SparseVector(indices=idx, values=vals), using="langchain-sparse", limit=k
    ).points
    # RRF with Qdrant's default k = 2: a point's score is the sum of 1/(rank + 2), rank from 0.
    fused = {}
    for lst in (dense, sparse):
        for rank, p in enumerate(lst):
            fused[p.id] = fused.get(p.id, 0.0) + 1.0 / (rank + 2)
    want = sorted(fused, key=lambda i: (-fused[i], i))[:k]
    assert set(p.id for p in dense) != set(p.id for p in sparse), "the two lists differ, so fusion shows"

    res = hybrid_store.similarity_search_with_score(query, k=k)
    assert [d.metadata["_id"] for d, _ in res] == want
    for d, score in res:
        assert score == pytest.approx(fused[d.metadata["_id"]], abs=1e-5)
    assert res[0][0].page_content == TEXTS[3]

    only_geology = hybrid_store.similarity_search(query, k=k, filter=topic("geology"))
    assert {d.page_content for d in only_geology} <= {TEXTS[4], TEXTS[5]}
    assert len(only_geology) >= 1
