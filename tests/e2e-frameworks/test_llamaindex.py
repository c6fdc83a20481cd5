"""LlamaIndex's QdrantVectorStore (PyPI llama-index-vector-stores-qdrant,
unchanged) against a running `quiver serve`: nodes with embeddings, queries
with and without metadata filters, deletes by ref_doc_id, and hybrid and
sparse queries with sparse functions of our own (no fastembed).
scripts/e2e-frameworks.sh starts the server and sets QUIVER_URL and
QUIVER_API_KEY."""

import os

import hashembed
import pytest
from llama_index.core import StorageContext, VectorStoreIndex
from llama_index.core.embeddings import BaseEmbedding
from llama_index.core.schema import NodeRelationship, RelatedNodeInfo, TextNode
from llama_index.core.vector_stores import (
    FilterOperator,
    MetadataFilter,
    MetadataFilters,
    VectorStoreQuery,
)
from llama_index.core.vector_stores.types import VectorStoreQueryMode
from llama_index.vector_stores.qdrant import QdrantVectorStore
from qdrant_client import QdrantClient

URL = os.environ["QUIVER_URL"]
KEY = os.environ["QUIVER_API_KEY"]


class HashEmbedding(BaseEmbedding):
    def _get_query_embedding(self, query):
        return hashembed.dense(query)

    async def _aget_query_embedding(self, query):
        return hashembed.dense(query)

    def _get_text_embedding(self, text):
        return hashembed.dense(text)


def sparse_fn(texts):
    pairs = [hashembed.sparse(t) for t in texts]
    return [p[0] for p in pairs], [p[1] for p in pairs]


# (text, metadata, ref_doc_id): two source documents per topic.
CORPUS = [
    ("The cat sat on the warm windowsill all afternoon", {"topic": "pets", "year": 2020}, "doc-pets"),
    ("Dogs love long walks in the park", {"topic": "pets", "year": 2021}, "doc-pets"),
    ("Stock markets rallied after the interest rate cut", {"topic": "finance", "year": 2022}, "doc-rates"),
    ("The central bank raised interest rates again", {"topic": "finance", "year": 2023}, "doc-rates"),
    ("Volcanic eruptions shape new islands in the ocean", {"topic": "geology", "year": 2019}, "doc-geo"),
    ("Tectonic plates drift slowly beneath the continents", {"topic": "geology", "year": 2018}, "doc-geo"),
]
NODE_IDS = [f"11111111-0000-4000-8000-00000000000{i}" for i in range(len(CORPUS))]


def nodes():
    out = []
    for nid, (text, meta, ref) in zip(NODE_IDS, CORPUS):
        n = TextNode(id_=nid, text=text, metadata=dict(meta), embedding=hashembed.dense(text))
        n.relationships[NodeRelationship.SOURCE] = RelatedNodeInfo(node_id=ref)
        out.append(n)
    return out


def texts(result):
    return [n.get_content() for n in result.nodes]


def dense_rank(query, keep=range(len(CORPUS))):
    q = hashembed.dense(query)
    return [CORPUS[i][0] for i in sorted(keep, key=lambda i: -hashembed.cosine(q, hashembed.dense(CORPUS[i][0])))]


@pytest.fixture(scope="module")
def qc():
    c = QdrantClient(url=URL, api_key=KEY, prefer_grpc=False, check_compatibility=False, timeout=30)
    yield c
    c.close()


def store(qc, name, **kw):
    if qc.collection_exists(name):
        qc.delete_collection(name)
    return QdrantVectorStore(collection_name=name, client=qc, **kw)


def test_dense_query_filters_delete(qc):
    vs = store(qc, "li_dense")
    assert vs.add(nodes()) == NODE_IDS
    assert qc.count("li_dense").count == len(CORPUS)

    q = "a cat on the windowsill"
    res = vs.query(VectorStoreQuery(query_embedding=hashembed.dense(q), similarity_top_k=3))
    assert texts(res) == dense_rank(q)[:3]
    assert res.ids[0] == NODE_IDS[0]
    assert res.nodes[0].metadata == CORPUS[0][1]
    assert res.nodes[0].ref_doc_id == "doc-pets"
    want = hashembed.cosine(hashembed.dense(q), hashembed.dense(CORPUS[0][0]))
    assert res.similarities[0] == pytest.approx(want, abs=1e-5)

    finance = MetadataFilters(filters=[MetadataFilter(key="topic", value="finance")])
    res = vs.query(VectorStoreQuery(query_embedding=hashembed.dense(q), similarity_top_k=6, filters=finance))
    assert texts(res) == dense_rank(q, [2, 3])
    old_or_pets = MetadataFilters(
        filters=[
            MetadataFilter(key="year", value=2019, operator=FilterOperator.LTE),
            MetadataFilter(key="topic", value="pets"),
        ],
        condition="or",
    )
    res = vs.query(VectorStoreQuery(query_embedding=hashembed.dense(q), similarity_top_k=6, filters=old_or_pets))
    assert sorted(res.ids) == sorted(NODE_IDS[i] for i in (0, 1, 4, 5))
    not_in = MetadataFilters(filters=[MetadataFilter(key="topic", value=["pets", "geology"], operator=FilterOperator.NIN)])
    res = vs.query(VectorStoreQuery(query_embedding=hashembed.dense(q), similarity_top_k=6, filters=not_in))
    assert sorted(res.ids) == NODE_IDS[2:4]
    res = vs.query(VectorStoreQuery(query_embedding=hashembed.dense(q), similarity_top_k=6, doc_ids=["doc-geo"]))
    assert sorted(res.ids) == NODE_IDS[4:6]

    got = vs.get_nodes(node_ids=NODE_IDS[2:4])
    assert sorted(n.get_content() for n in got) == sorted(CORPUS[i][0] for i in (2, 3))

    vs.delete("doc-pets")
    assert qc.count("li_dense").count == 4
    res = vs.query(VectorStoreQuery(query_embedding=hashembed.dense(q), similarity_top_k=6))
    assert not set(res.ids) & set(NODE_IDS[:2])
    vs.delete_nodes(node_ids=[NODE_IDS[4]])
    assert sorted(p.id for p in qc.scroll("li_dense", limit=10)[0]) == [NODE_IDS[i] for i in (2, 3, 5)]


def test_index_and_retriever(qc):
    vs = store(qc, "li_index")
    index = VectorStoreIndex(
        nodes(), storage_context=StorageContext.from_defaults(vector_store=vs), embed_model=HashEmbedding()
    )
    hits = index.as_retriever(similarity_top_k=2).retrieve("tectonic plates and continents")
    assert hits[0].node.get_content() == CORPUS[5][0]
    assert hits[0].score >= hits[1].score
    retriever = index.as_retriever(
        similarity_top_k=3, filters=MetadataFilters(filters=[MetadataFilter(key="topic", value="pets")])
    )
    assert {h.node.metadata["topic"] for h in retriever.retrieve("tectonic plates")} == {"pets"}
    index.delete_ref_doc("doc-geo")
    hits = index.as_retriever(similarity_top_k=6).retrieve("tectonic plates and continents")
    assert len(hits) == 4 and all(h.node.metadata["topic"] != "geology" for h in hits)


def test_hybrid_and_sparse(qc):
    vs = store(qc, "li_hybrid", enable_hybrid=True, sparse_doc_fn=sparse_fn, sparse_query_fn=sparse_fn)
    vs.add(nodes())
    info = qc.get_collection("li_hybrid")
    assert set(info.config.params.vectors) == {"text-dense"}
    assert set(info.config.params.sparse_vectors) == {"text-sparse-new"}

    q = "interest rate cut"
    res = vs.query(VectorStoreQuery(query_str=q, mode=VectorStoreQueryMode.SPARSE, similarity_top_k=6))
    # Shared words: 3 with node 2, 1 with node 3; no other node shares one.
    assert res.ids == NODE_IDS[2:4]
    assert res.similarities == [3.0, 1.0]

    dense_only = vs.query(VectorStoreQuery(query_embedding=hashembed.dense(q), similarity_top_k=3))
    assert texts(dense_only) == dense_rank(q)[:3]

    res = vs.query(
        VectorStoreQuery(
            query_str=q, query_embedding=hashembed.dense(q), mode=VectorStoreQueryMode.HYBRID, similarity_top_k=3, alpha=0.5
        )
    )
    # LlamaIndex fuses client-side; the result is drawn from both lists, and
    # the node first in both comes first.
    assert res.ids[0] == NODE_IDS[2]
    assert set(res.ids) <= set(dense_only.ids) | set(NODE_IDS[2:4])

    pets = MetadataFilters(filters=[MetadataFilter(key="topic", value="pets")])
    res = vs.query(
        VectorStoreQuery(
            query_str="the park", query_embedding=hashembed.dense("the park"), mode=VectorStoreQueryMode.HYBRID,
            similarity_top_k=3, filters=pets,
        )
    )
    assert set(res.ids) == set(NODE_IDS[:2])
    assert res.ids[0] == NODE_IDS[1]
    vs.delete("doc-rates")
    res = vs.query(VectorStoreQuery(query_str=q, mode=VectorStoreQueryMode.SPARSE, similarity_top_k=6))
    assert res.ids == []
