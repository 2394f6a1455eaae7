# faultline — see README.md. Every target works on a fresh machine with Go.

GO       ?= go
BIN      := bin/faultline
QS       := examples/quickstart
SHOP     := examples/shop
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -X main.version=$(VERSION)
FUZZTIME ?= 20s

.PHONY: all build examples run shop observed prometheus chromium report-check test bench bench-memory judgebench fuzz lint clean

all: build

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/faultline

# The quickstart's two services, built where quickstart.hcl expects them,
# and the container shop's three, each into its image's build context
# (faultline builds the images from there; nothing is pulled).
examples:
	CGO_ENABLED=0 $(GO) build -trimpath -o $(QS)/bin/prices ./$(QS)/prices
	CGO_ENABLED=0 $(GO) build -trimpath -o $(QS)/bin/shop ./$(QS)/shop
	for s in store cache frontend; do CGO_ENABLED=0 $(GO) build -trimpath -o $(SHOP)/$$s/$$s ./$(SHOP)/$$s || exit 1; done

# The container shop (needs a Docker engine; see examples/shop/README.md).
shop: build examples
	@$(BIN) run --out runs $(SHOP)/shop.hcl; code=$$?; \
	if [ $$code -eq 1 ]; then echo "faultline exited 1: a hypothesis was refuted, as the shop intends"; exit 0; fi; \
	exit $$code

# The quickstart: builds everything and runs the embedded default. No
# Docker needed. Exit code 1 is expected: one hypothesis is refuted on
# purpose, and the make target reports that as success.
run: build examples
	@$(BIN) run --out runs $(QS)/quickstart.hcl; code=$$?; \
	if [ $$code -eq 1 ]; then echo "faultline exited 1: a hypothesis was refuted, as the quickstart intends"; exit 0; fi; \
	exit $$code

# Prometheus, for the observed example and the tests that need a real
# server: installed from the distribution when it is not on PATH. A
# policy-rc.d that forbids service starts is in place during the install,
# so the package does not start its own Prometheus.
prometheus:
	@command -v prometheus >/dev/null 2>&1 && exit 0; \
	command -v apt-get >/dev/null 2>&1 || { echo "prometheus is not on PATH and there is no apt-get to install it with: install Prometheus 2.x and put it on PATH" >&2; exit 1; }; \
	if [ "$$(id -u)" -eq 0 ]; then SUDO=; elif command -v sudo >/dev/null 2>&1; then SUDO=sudo; \
	else echo "prometheus is not on PATH, and installing it needs root or sudo: run apt-get install prometheus as root" >&2; exit 1; fi; \
	policy=/usr/sbin/policy-rc.d; own=; \
	trap 'if [ -n "$$own" ]; then $$SUDO rm -f $$policy; fi' EXIT; trap 'exit 130' INT TERM; \
	if [ ! -e $$policy ]; then own=1; printf '#!/bin/sh\nexit 101\n' | $$SUDO tee $$policy >/dev/null && $$SUDO chmod 755 $$policy || exit 1; fi; \
	install="$$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends prometheus"; \
	$$install || { $$SUDO apt-get update && $$install; }

# Chromium, for the test that loads report.html in a real browser and for
# report-check: Debian's chromium, installed when it is not on PATH.
chromium:
	@command -v chromium >/dev/null 2>&1 && exit 0; \
	command -v apt-get >/dev/null 2>&1 || { echo "chromium is not on PATH and there is no apt-get to install it with: install Chromium and put it on PATH as chromium" >&2; exit 1; }; \
	if [ "$$(id -u)" -eq 0 ]; then SUDO=; elif command -v sudo >/dev/null 2>&1; then SUDO=sudo; \
	else echo "chromium is not on PATH, and installing it needs root or sudo: run apt-get install chromium as root" >&2; exit 1; fi; \
	install="$$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium"; \
	$$install || { $$SUDO apt-get update && $$install; }

# The HTML report of a real run, to look at: runs the quickstart into
# runs/report-check-<time>, renders its report.html again with
# `faultline report` (which prints the time it took), and takes a
# screenshot of the page with headless Chromium into the run directory.
report-check: build examples chromium
	@dir=runs/report-check-$$(date +%Y%m%d-%H%M%S); \
	$(BIN) run --run-dir $$dir $(QS)/quickstart.hcl; code=$$?; \
	if [ $$code -ne 0 ] && [ $$code -ne 1 ]; then exit $$code; fi; \
	$(BIN) report $$dir || exit $$?; \
	abs=$$(cd $$dir && pwd); profile=$$(mktemp -d "$${TMPDIR:-/tmp}/faultline-chromium.XXXXXX") || exit 4; \
	trap 'rm -rf "$$profile"' EXIT; \
	chromium --headless=new --disable-gpu --no-sandbox --hide-scrollbars --user-data-dir=$$profile \
		--window-size=1100,8000 --screenshot=$$abs/report.png file://$$abs/report.html >$$profile/log 2>&1 \
		|| { cat $$profile/log >&2; echo "chromium could not take the screenshot" >&2; exit 4; }; \
	echo "report.html: $$(wc -c <$$abs/report.html) bytes"; \
	echo "screenshot: $$abs/report.png"

# The shop's services as local processes, scraped by a real Prometheus
# and judged on its signals and alerts (see examples/observed/README.md).
# Prometheus runs on $(PROM_ADDR) with a throwaway storage directory and
# is stopped whatever happens. Exit code 1 is expected: four hypotheses
# are refuted on purpose.
OBS       := examples/observed
PROM_ADDR := 127.0.0.1:19090
observed: build examples prometheus
	@ready() { \
		if command -v curl >/dev/null 2>&1; then curl -fsS -m 1 -o /dev/null http://$(PROM_ADDR)/-/ready 2>/dev/null; \
		elif command -v wget >/dev/null 2>&1; then wget -q -T 1 -O /dev/null http://$(PROM_ADDR)/-/ready 2>/dev/null; \
		else grep -q 'Server is ready to receive web requests' "$$dir/prometheus.log" 2>/dev/null; fi; }; \
	dir=; if ready; then echo "a Prometheus already serves on $(PROM_ADDR); stop it, since this example starts its own there" >&2; exit 4; fi; \
	dir=$$(mktemp -d "$${TMPDIR:-/tmp}/faultline-prometheus.XXXXXX") || exit 4; \
	prometheus --config.file=$(OBS)/prometheus.yml --web.listen-address=$(PROM_ADDR) \
		--storage.tsdb.path=$$dir/data >$$dir/prometheus.log 2>&1 & prom=$$!; \
	trap 'kill $$prom 2>/dev/null; wait $$prom 2>/dev/null; rm -rf "$$dir"' EXIT; \
	stop=; trap 'stop=1' INT TERM; \
	i=0; until ready; do \
		i=$$((i+1)); \
		if [ -n "$$stop" ]; then exit 130; fi; \
		if ! kill -0 $$prom 2>/dev/null || [ $$i -ge 100 ]; then \
			echo "prometheus did not become ready on $(PROM_ADDR) within 20s; its log:" >&2; cat "$$dir/prometheus.log" >&2; exit 4; fi; \
		sleep 0.2; done; \
	echo "prometheus ready on $(PROM_ADDR) (storage $$dir/data)"; \
	$(BIN) run --out runs $(OBS)/observed.hcl; code=$$?; \
	if [ $$code -eq 1 ]; then echo "faultline exited 1: hypotheses were refuted, as the observed example intends"; code=0; fi; \
	exit $$code

test: build examples prometheus chromium
	$(GO) vet ./...
	$(GO) test -race -count=1 -p 1 -timeout 20m ./...

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

# Time and peak memory of `faultline analyze` on a 50M-event CSV file
# (2.6 GB, generated once into BENCH_DIR by cmd/eventgen; route /r0 is
# five times slower from 1h30m on).
BENCH_DIR ?= /tmp/faultline-bench
bench-memory: build
	@mkdir -p $(BENCH_DIR)
	@test -s $(BENCH_DIR)/events-50M.csv || $(GO) run ./cmd/eventgen -n 50000000 -duration 2h -o $(BENCH_DIR)/events-50M.csv
	@/usr/bin/time -v $(BIN) analyze $(BENCH_DIR)/events-50M.csv --baseline-end 1h --cohort route,method 2>&1 | \
		grep -E '^(STEADY|EXCURSION|INCONCLUSIVE)|^excursion|Maximum resident|Elapsed \(wall'

# The judge benchmark: faultline's judge and reference judges on seeded
# synthetic streams with known truth (table in docs/judge.md).
judgebench:
	$(GO) run ./cmd/judgebench -format markdown

fuzz:
	$(GO) test -run '^$$' -fuzz FuzzParse -fuzztime $(FUZZTIME) ./experiments
	$(GO) test -run '^$$' -fuzz FuzzReadEvents -fuzztime $(FUZZTIME) ./observe
	$(GO) test -run '^$$' -fuzz FuzzEventReader -fuzztime $(FUZZTIME) ./observe
	$(GO) test -run '^$$' -fuzz FuzzRead -fuzztime $(FUZZTIME) ./runner/journal

lint:
	@out=$$(gofmt -l .); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	@if command -v staticcheck >/dev/null 2>&1; then staticcheck ./...; else echo "staticcheck not installed; skipped"; fi

clean:
	rm -rf bin $(QS)/bin runs $(SHOP)/store/store $(SHOP)/cache/cache $(SHOP)/frontend/frontend
