# Ream's build, run and test entry points. See README.md.
GO      ?= go
BIN     := bin
LAMBDAS := api ingest worker deadletter sweeper

.PHONY: all build ream run test test-integration bench analysers train-sentiment train-opinion train-ner train-keyphrases train-coding eval-coding gen-coding-lexicon eval-topics chaos synth diff deploy destroy cdk-bootstrap fmt vet clean

all: ream

## Reproducible builds: the bytes of bin/ream and of each bootstrap depend on the sources and the Go
## version alone. -trimpath drops the build's directory, -buildvcs=false the commit, its time and
## whether the tree had changes (else every commit, even a README's, changed every bootstrap and so
## the CDK asset hashes: make deploy replaced all five functions), CGO_ENABLED=0 the C toolchain and
## C library (a cgo ream needed the building machine's glibc, 2.34 or later, to run).
GOBUILD := CGO_ENABLED=0 $(GO) build -trimpath -buildvcs=false

## ream: the user's binary (local stack + client commands), static
ream:
	$(GOBUILD) -o $(BIN)/ream ./cmd/ream

## run: build, start the local stack, run the bundled sample job end to end, keep serving
run: ream
	scripts/run-local.sh

## build: cross-compile every Lambda to dist/<name>/bootstrap (linux/arm64, static)
build:
	@for f in $(LAMBDAS); do \
	  echo "building dist/$$f/bootstrap"; \
	  GOOS=linux GOARCH=arm64 $(GOBUILD) -tags lambda.norpc -ldflags "-s -w" -o dist/$$f/bootstrap ./functions/$$f || exit 1; \
	done

## test: unit, port conformance (local adapters) and end-to-end tests on the local stack
test: vet
	@# -timeout: the hang guard of each package's test binary; go test's 10 min default was reached by
	@# infra/local (and nearly by shared/analysis/language, 575 s) on a loaded 2-core machine.
	$(GO) test -count=1 -timeout 30m ./...
	@# go test ./... hides a passing package's output: repeat the evaluations' data warnings here.
	@$(GO) test -run '^TestEvaluationData$$' -v ./shared/analysis/ ./shared/analysis/coding/ 2>&1 | grep '^WARNING' || true

## test-integration: AWS adapters, Lambda bootstraps and the pipeline on MinIO, DynamoDB Local, fauxqs
test-integration:
	scripts/integration.sh

## bench: end-to-end and raw analyser throughput, printed
bench: ream
	scripts/bench.sh

## analysers: each analyser's quality on its labelled data, then its speed on one core
ANALYSERS := ./shared/analysis/language/ ./shared/analysis/sentiment/ ./shared/analysis/pii/ ./shared/analysis/keyphrases/ ./shared/analysis/entities/
analysers:
	REAM_GETTEXT=1 $(GO) test -count=1 -v -run 'TestLanguageGettext|TestLanguageAccuracyDEP11|TestLanguageShortText|TestLanguageIMDBShortEnglish|TestSentimentIMDB|TestSentimentLabelled|TestSentimentShort|TestEntitiesCoNLLHeldOut|TestEntitiesOutsideFailures|TestPIIOutsideFailures|TestSentimentOutsideFailures|TestLanguageOutsideFailures|TestEntitiesEvaluation|TestEntitiesUnseen|TestKeyPhrasesHeldOut|TestKeyPhrasesOutsideFailures|TestKeyPhrasesCanonicalPhrase|TestKeyPhrasesEvaluation|TestKeyPhrasesUnseen|TestPIIEvaluation|TestPIIUnseen|TestPIINameCoNLLHeldOut' $(ANALYSERS) | grep -vE '^(=== RUN|=== PAUSE|=== CONT)'
	$(GO) test -count=1 -run '^$$' -bench 'BenchmarkLanguage$$|BenchmarkLanguageShort|BenchmarkSentiment$$|BenchmarkEntities|BenchmarkKeyPhrases|BenchmarkPII$$' -benchmem -cpu 1 $(ANALYSERS)

## train-sentiment: retrain the shipped sentiment weights from the IMDB train split (deterministic)
IMDB ?= $(shell $(GO) env GOMODCACHE)/github.com/cdipaolo/sentiment@v0.0.0-20200617002423-c697f64e7f10/datasets
train-sentiment:
	$(GO) mod download github.com/cdipaolo/sentiment@v0.0.0-20200617002423-c697f64e7f10 || true
	$(GO) run ./shared/analysis/sentiment/internal/trainsentiment -data $(IMDB) -out shared/analysis/sentiment/models/sentiment.bin

## train-opinion: retrain the SENTIMENT opinion model (opinion text vs news, abstracts and app descriptions) from the IMDB train split and ../shared/data's train parts (deterministic; held-out parts left out)
train-opinion:
	$(GO) mod download github.com/cdipaolo/sentiment@v0.0.0-20200617002423-c697f64e7f10 || true
	$(GO) run ./shared/analysis/sentiment/internal/trainopinion -imdb $(IMDB) -data $(SHARED_DATA) -out shared/analysis/sentiment/models/opinion.bin

## train-ner: retrain the shipped ENTITIES sequence model from the CoNLL-2003 train file's train and dev parts (deterministic; the held-out part is left out)
train-ner:
	$(GO) run ./shared/analysis/entities/internal/trainner -data $(SHARED_DATA)/ner-conll03-train.tsv -lexicon shared/analysis/entities/lexicon -out shared/analysis/entities/models/ner.bin.gz

## train-keyphrases: retrain the shipped KEY_PHRASES ranker from the train part of the KDD/WWW abstracts (deterministic; dev reported, held-out left out)
train-keyphrases:
	REAM_DATA_DIR=$(abspath $(SHARED_DATA)) REAM_TRAIN_KP=1 $(GO) test -count=1 -v -run '^TestTrainKeyPhrases$$' ./shared/analysis/keyphrases/

## train-coding: retrain the shipped SOC 2010 coding model from the training file (deterministic; the test split is left out)
SHARED_DATA ?= ../shared/data
train-coding:
	$(GO) run ./shared/analysis/coding/internal/traincoding -data $(SHARED_DATA)/occupations-soc2010-train.tsv -out shared/analysis/coding/models/soc2010.bin

## gen-coding-lexicon: regenerate the coding features' WordNet noun lexicon from Debian's wordnet-base (apt-get install wordnet-base); a change needs make train-coding
gen-coding-lexicon:
	$(GO) run ./shared/analysis/coding/internal/genlexicon -wordnet /usr/share/wordnet -out shared/analysis/coding/lexicon/wordnet-nouns.gz

## eval-coding: the shipped coding model on the held-out test split: top-1/top-3, coverage and accuracy at the thresholds, records/s per core, size
eval-coding:
	$(GO) run ./shared/analysis/coding/internal/evalcoding -data $(SHARED_DATA)/occupations-soc2010-train.tsv

## eval-topics: topic-model NMI and purity on the DEP-11 categories at K=10 (reporting half), time per stage, peak memory
eval-topics:
	$(GO) run ./shared/analysis/topics/internal/evaltopics -seeds 1,2,3,4,5,6,7,8,9,10 $(EVAL_TOPICS_ARGS)

## chaos: random SIGKILL/SIGTERM of the real ream serve; prints rounds, kills and lost/doubled/stuck/wrong counts (ROUNDS=200)
ROUNDS ?= 20
chaos:
	ROUNDS=$(ROUNDS) scripts/chaos.sh

## The app's context, from make variables (all optional):
##   STAGE=prod                      stack Ream-prod (default dev)
##   CODING_CLIENTS=a,b              the coding API's OAuth2 app clients (default: one, "coding")
##   CODING_CLIENT_TENANTS=a=T,b=U   the tenant each client acts as (default: its client id)
##   REMOVAL_POLICY=destroy          throwaway stage: data stores deleted with the stack (default retain)
##   JOB_TOPIC_PREFIX=ream-          the SNS topics jobs may name as NotificationChannel (default ream-<stage>_: ream-dev_, ream-prod_)
##   JOB_TOPIC_PER_TENANT=true       a job may name only its own tenant's such topics (default false)
##   LANGUAGES=en,fr,de              LANGUAGE's candidate languages (default the analyser's 33)
##   WORKER_MAX_CONCURRENCY=1000     concurrent worker invocations (default 10, 2..1000)
##   INGEST_MAX_CONCURRENCY=2        concurrent ingest invocations (default 20, 2..1000)
##   ACCOUNT_CONCURRENCY=10          the account's Lambda "Concurrent executions" quota: the synth fails unless
##                                   worker + ingest + deadletter (2) maxima leave 2 of it (default: not checked)
##   WORKER_BATCH_SIZE=1             shard messages per worker invocation, run one after another (default 10, 1..10)
##   RETENTION_DAYS=7                how long finished jobs and the bucket's inputs, outputs and work objects are kept (default 30)
##   LOG_LEVEL=info                  the functions' REAM_LOG_LEVEL (default warn; info logs each job's steps)
##   CORS_ALLOWED_ORIGINS=https://app.example.com,http://localhost:5173
##                                   web pages that may call the API and the presigned URLs from a browser (default *)
##   PERMISSIONS_BOUNDARY=arn:aws:iam::111122223333:policy/Boundary
##                                   managed policy (ARN, or name in the account) every IAM role carries as its boundary
##   ROLE_PATH=/app/ream/            IAM path of every role (default /)
##   SUBNET_IDS=subnet-0a…,subnet-0b… SECURITY_GROUP_IDS=sg-0c…
##                                   every function in these private subnets with these security groups (both or neither)
##   TAGS=CostCenter=1234,Owner=x    tags on every taggable resource, beside ream:app and ream:stage
## Give the same CODING_CLIENTS (and CODING_CLIENT_TENANTS) on every deploy of a stage: a deploy
## without them replaces the clients with the default one (new ids and secrets).
CDK       := infra/node_modules/.bin/cdk
CDK_FLAGS := $(strip --no-notices $(if $(STAGE),-c stage=$(STAGE)) \
	$(if $(CODING_CLIENTS),-c 'codingClients=$(CODING_CLIENTS)') \
	$(if $(CODING_CLIENT_TENANTS),-c 'codingClientTenants=$(CODING_CLIENT_TENANTS)') \
	$(if $(REMOVAL_POLICY),-c removalPolicy=$(REMOVAL_POLICY)) \
	$(if $(JOB_TOPIC_PREFIX),-c jobTopicPrefix=$(JOB_TOPIC_PREFIX)) \
	$(if $(JOB_TOPIC_PER_TENANT),-c jobTopicPerTenant=$(JOB_TOPIC_PER_TENANT)) \
	$(if $(LANGUAGES),-c 'languages=$(LANGUAGES)') \
	$(if $(WORKER_MAX_CONCURRENCY),-c workerMaxConcurrency=$(WORKER_MAX_CONCURRENCY)) \
	$(if $(INGEST_MAX_CONCURRENCY),-c ingestMaxConcurrency=$(INGEST_MAX_CONCURRENCY)) \
	$(if $(ACCOUNT_CONCURRENCY),-c accountConcurrency=$(ACCOUNT_CONCURRENCY)) \
	$(if $(WORKER_BATCH_SIZE),-c workerBatchSize=$(WORKER_BATCH_SIZE)) \
	$(if $(RETENTION_DAYS),-c retentionDays=$(RETENTION_DAYS)) \
	$(if $(LOG_LEVEL),-c logLevel=$(LOG_LEVEL)) \
	$(if $(CORS_ALLOWED_ORIGINS),-c 'corsAllowedOrigins=$(CORS_ALLOWED_ORIGINS)') \
	$(if $(PERMISSIONS_BOUNDARY),-c 'permissionsBoundary=$(PERMISSIONS_BOUNDARY)') \
	$(if $(ROLE_PATH),-c 'rolePath=$(ROLE_PATH)') \
	$(if $(SUBNET_IDS),-c 'subnetIds=$(SUBNET_IDS)') \
	$(if $(SECURITY_GROUP_IDS),-c 'securityGroupIds=$(SECURITY_GROUP_IDS)') \
	$(if $(TAGS),-c 'tags=$(TAGS)'))
CDK_ENV   := CDK_DISABLE_VERSION_CHECK=1

$(CDK): infra/package.json infra/package-lock.json
	npm ci --prefix infra --no-audit --no-fund
	@touch $@

## synth: build the Lambdas and synthesize Ream-$(STAGE) into cdk.out (offline once the CLI is installed; cdk-nag errors fail it)
synth: build $(CDK)
	$(CDK_ENV) $(CDK) synth $(CDK_FLAGS) -q

## diff: compare with the deployed stack (needs AWS credentials)
diff: build $(CDK)
	$(CDK_ENV) $(CDK) diff $(CDK_FLAGS)

## deploy: deploy Ream-$(STAGE) (default dev); outputs in cdk.out/outputs.json
deploy: build $(CDK)
	$(CDK_ENV) $(CDK) deploy $(CDK_FLAGS) --outputs-file cdk.out/outputs.json

## cdk-bootstrap: once per account and region (the CLI runs the app, so the Lambdas are built first)
cdk-bootstrap: build $(CDK)
	$(CDK_ENV) $(CDK) bootstrap $(CDK_FLAGS)

## destroy: delete the stack (data stores are retained; see README; the CLI runs the app, so the Lambdas are built first)
destroy: build $(CDK)
	$(CDK_ENV) $(CDK) destroy $(CDK_FLAGS)

## The Go files fmt and vet format and check: every one in the tree but the npm packages', found by
## find, not git ls-files: in a tree that is not a git checkout git can read (a source archive, a
## clone owned by another user) git listed nothing, and gofmt given no file read standard input, so
## make test hung at a terminal and, elsewhere, checked nothing. -exec … + never runs gofmt without one.
GOFILES_FIND := find . -name '*.go' -not -path '*/node_modules/*' -not -path './.git/*'

fmt:
	$(GOFILES_FIND) -exec gofmt -w {} +

vet:
	@unformatted=$$($(GOFILES_FIND) -exec gofmt -l {} +) || { echo "gofmt failed (see above)"; exit 1; }; \
	  test -z "$$unformatted" || { echo "$$unformatted"; echo "gofmt needed"; exit 1; }
	$(GO) vet ./...

clean:
	rm -rf $(BIN) dist cdk.out .ream-data
