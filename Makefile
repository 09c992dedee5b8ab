# notify: build, test and run the gateway's functions.
#   make run     serve every route locally on :8010 with embedded defaults
#   make test    vet, then every test (what CI runs)
#   make bench   the benchmarks
#   make build   the function binaries for AWS Lambda and Aliyun FC 3

GO        ?= go
FUNCTIONS := sms
BUILD_FLAGS := -trimpath -tags lambda.norpc -ldflags "-s -w -buildid="

.PHONY: all build run test vet bench fmt clean

all: vet test

build: $(foreach f,$(FUNCTIONS),dist/aws/$(f)/bootstrap dist/aliyun/$(f)/bootstrap)

# AWS Lambda: provided.al2023 on arm64. Aliyun FC 3: go1 runtime, x86_64.
dist/aws/%/bootstrap: FORCE
	CGO_ENABLED=0 GOOS=linux GOARCH=arm64 $(GO) build $(BUILD_FLAGS) -o $@ ./functions/$*
dist/aliyun/%/bootstrap: FORCE
	CGO_ENABLED=0 GOOS=linux GOARCH=amd64 $(GO) build $(BUILD_FLAGS) -o $@ ./functions/$*

run:
	$(GO) run ./cmd/notify

vet:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed: $$unformatted"; exit 1; fi
	$(GO) vet ./...

test: vet
	$(GO) test -race -count=1 ./...

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

fmt:
	gofmt -w $$(git ls-files '*.go')

clean:
	rm -rf dist

FORCE:
