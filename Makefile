# notify: build, test and run the gateway's functions.
#   make run     serve every route locally on :8010 with embedded defaults
#   make test    vet, then every test (what CI runs)
#   make bench   the benchmarks
#   make build   the function binaries for AWS Lambda and Aliyun FC 3
#   make package those binaries zipped, ready to upload

GO        ?= go
FUNCTIONS := sms tts mail callback
# The cloud builds leave out what a function never uses there: the RPC mode
# of aws-lambda-go (lambda.norpc), the embedded SQLite store (nosqlite: an
# instance's disk is neither shared nor kept, so records go to PostgreSQL),
# and HTTP/2 in net/http (nethttpomithttp2: every peer speaks HTTP/1.1).
# That keeps each zip well under its 10 MB and the start near a
# hello-world's (BenchmarkColdStart).
BUILD_FLAGS := -trimpath -tags lambda.norpc,nosqlite,nethttpomithttp2 -ldflags "-s -w -buildid="
# EMBEDDED_STORE=1 keeps the embedded store, for sam local invoke and s local
# invoke, which then run on the local defaults with no database to reach
# (README, "Local invoke"). It adds 4.3 MB to each binary: deploy without it
# (any other value, 0 included, leaves it out).
comma := ,
ifeq ($(EMBEDDED_STORE),1)
BUILD_FLAGS := $(subst nosqlite$(comma),,$(BUILD_FLAGS))
endif

.PHONY: all build package run test vet bench fmt clean

all: vet test

build: $(foreach f,$(FUNCTIONS),dist/aws/$(f)/bootstrap dist/aliyun/$(f)/bootstrap)

# CONFIG_DIR, when it exists, ships beside every bootstrap as config/: for
# NOTIFY_GROUPS=@config/groups.json and NOTIFY_TEMPLATES=@config/templates.json,
# past the 4 KB of environment a function has (README, "Configuration in a
# file").
CONFIG_DIR ?= config
ship-config = if [ -d "$(CONFIG_DIR)" ]; then rm -rf "$(1)/config" && cp -R "$(CONFIG_DIR)" "$(1)/config"; fi

# AWS Lambda: provided.al2023 on arm64. Aliyun FC 3: go1 runtime, x86_64.
dist/aws/%/bootstrap: FORCE
	CGO_ENABLED=0 GOOS=linux GOARCH=arm64 $(GO) build $(BUILD_FLAGS) -o $@ ./functions/$*
	@$(call ship-config,$(@D))
dist/aliyun/%/bootstrap: FORCE
	CGO_ENABLED=0 GOOS=linux GOARCH=amd64 $(GO) build $(BUILD_FLAGS) -o $@ ./functions/$*
	@$(call ship-config,$(@D))

package: build
	@for d in $(foreach f,$(FUNCTIONS),dist/aws/$(f) dist/aliyun/$(f)); do \
		rm -f $$d.zip; (cd $$d && zip -q -9 -X -r ../$$(basename $$d).zip bootstrap $$([ -d config ] && echo config)) || exit 1; \
		echo "$$d.zip: $$(wc -c < $$d.zip) bytes"; \
	done

# sam build (BuildMethod: makefile) runs build-<LogicalId> with ARTIFACTS_DIR.
build-SmsFunction build-TtsFunction build-MailFunction build-CallbackFunction: build-%Function:
	CGO_ENABLED=0 GOOS=linux GOARCH=arm64 $(GO) build $(BUILD_FLAGS) \
		-o $(ARTIFACTS_DIR)/bootstrap ./functions/$(shell echo $* | tr A-Z a-z)
	@$(call ship-config,$(ARTIFACTS_DIR))

run:
	$(GO) run ./cmd/notify

vet:
	@unformatted=$$(gofmt -l .); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed: $$unformatted"; exit 1; fi
	$(GO) vet ./...

# The race detector also turns on the compiler's unsafe.Pointer checks
# (checkptr) in every package. They are left off in modernc.org's packages,
# the SQLite engine translated from C, whose every pointer step they check:
# a quarter of the CPU time of the SQLite tests, spent checking that
# library's pointer arithmetic rather than our code. The race detector
# still watches those packages' memory.
RACE_FLAGS := -race -gcflags=modernc.org/...=-d=checkptr=0

test: vet
	$(GO) test $(RACE_FLAGS) -count=1 ./...

# One package at a time (-p 1): go test otherwise runs as many packages'
# benchmarks at once as there are CPUs, and each then measures the others'
# load (a cold start that took 13.4 ms alone took 15.2 ms beside them).
bench:
	$(GO) test -p 1 -run '^$$' -bench . -benchmem ./...

fmt:
	gofmt -w .

clean:
	rm -rf dist

FORCE:
