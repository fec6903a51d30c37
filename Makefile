# kiln: a BuildKit frontend that builds hardened images from kiln.yaml.
#   make demo   build examples into a hardened image and show what was built
#   make test   vet, unit tests, and integration tests on a real buildkitd
SHELL := /bin/bash
GO ?= go
ENV := integration/env
UNIT_PKGS = $$($(GO) list ./... | grep -v '/integration\(/\|$$\)')

.PHONY: all tools up down frontend test vet unit integration demo

all: test

# tools builds the pinned buildkitd, buildctl and docker-buildx, and installs
# the Debian packages the environment needs when they are missing.
tools:
	@$(ENV)/tools.sh

# up starts the registry, buildkitd and the buildx builder, and seeds the
# base images; down stops them.
up:
	@$(ENV)/up
down:
	@$(ENV)/down

# frontend builds kiln's frontend image from the Dockerfile and pushes it to
# the local registry as ghcr.io/kilnbuild/kiln:1 (the registry mirrors
# ghcr.io), so that the "# syntax=" line of a spec works with docker buildx.
frontend:
	@$(ENV)/with-env bash -c '"$$KILN_ENV_DIR/bin/buildctl" --addr "$$BUILDKIT_HOST" \
	  build --frontend dockerfile.v0 --local context=. --local dockerfile=. \
	  --output "type=image,name=$$KILN_REGISTRY/kilnbuild/kiln:1,push=true" && \
	  echo "pushed $$KILN_REGISTRY/kilnbuild/kiln:1 (ghcr.io/kilnbuild/kiln:1 in specs)"'

vet:
	$(GO) vet ./...
	cd scanner && $(GO) vet ./...
	@out=$$(gofmt -l $$(git ls-files '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt needed: $$out"; exit 1; fi
	@long=$$(git ls-files '*.go' | xargs awk '{ l = $$0; gsub(/\t/, "    ", l); \
	  if (length(l) >= 100) print FILENAME ":" FNR ": " length(l) " columns" }'); \
	  if [ -n "$$long" ]; then echo "lines of 100 columns or more:"; echo "$$long"; exit 1; fi

# unit and integration expect the environment (make up, or make test).
unit:
	$(GO) test -count=1 $(UNIT_PKGS)
	cd scanner && $(GO) test -count=1 ./...

integration:
	$(GO) test -count=1 -v -timeout 40m ./integration/...

# test brings the environment up for the run (and stops it again if it
# was not running before), then runs every test against it.
test: vet
	@$(ENV)/with-env $(MAKE) --no-print-directory unit integration

demo:
	@$(ENV)/with-env bash examples/demo.sh
