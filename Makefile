# lowdim — two commands: `make run` (the quickstart study) and `make test`.
GO      ?= go
BIN     := bin/lowdim
OUT     ?= out/quickstart
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X main.version=$(VERSION)

.PHONY: all build run test test-go build-pure vet browser bench worker clean

all: build

build:
	CGO_ENABLED=0 $(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) .

## run: the quickstart study on the bundled handwritten digits, local Prism runner, Parquet + report.
run: build
	$(BIN) run experiments/quickstart.yaml --out $(OUT)

## test: every Go test (Prism pipelines, DuckDB reading our tables, the HTML report in headless
## Chromium) and the pure-Go worker build.
test: build-pure vet browser test-go

build-pure:
	CGO_ENABLED=0 $(GO) build -o /dev/null .

vet:
	$(GO) vet ./...

## browser: Debian's chromium for the report's browser test, installed when missing (sudo if not root).
browser:
	@if [ ! -x /usr/bin/chromium ] && [ -z "$$LOWDIM_CHROMIUM" ]; then \
	  SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  echo "installing chromium for the browser test of the HTML report"; \
	  $$SUDO apt-get update && $$SUDO apt-get install -y chromium; \
	fi

# LOWDIM_REQUIRE_BROWSER=1: the browser test fails, not skips, without Chromium.
test-go:
	LOWDIM_REQUIRE_BROWSER=1 $(GO) test -count=1 -timeout 40m ./...

## bench: Go benchmarks and side-by-side comparisons with peers; writes docs/BENCHMARKS.md.
bench:
	bash scripts/bench.sh

## worker: the Dataflow/Flink worker binary (linux/amd64, no cgo).
worker:
	GOOS=linux GOARCH=amd64 CGO_ENABLED=0 $(GO) build -ldflags "$(LDFLAGS)" -o bin/lowdim-worker-linux-amd64 .

clean:
	rm -rf bin out
