# The kiln frontend image: a static binary on scratch, run as non-root.
# Build it with: docker buildx build -t ghcr.io/kilnbuild/kiln:1 .
FROM golang:1.26-trixie AS build
WORKDIR /src
ENV CGO_ENABLED=0 GOFLAGS=-trimpath
COPY go.mod go.sum ./
# The whole module cache is mounted in both steps (Go trusts an extracted
# module only next to its checksum under cache/download). The ids are this
# image's own: these steps run as root, and kiln's shared Go caches belong
# to uid 65532 (docs/caches.md).
RUN --mount=type=cache,id=kiln-frontend-go-mod,sharing=shared,target=/go/pkg/mod \
    go mod download
COPY . .
RUN --mount=type=cache,id=kiln-frontend-go-mod,sharing=shared,target=/go/pkg/mod \
    --mount=type=cache,id=kiln-frontend-go-build,sharing=shared,target=/root/.cache/go-build \
    go build -ldflags="-s -w" -o /out/kiln-frontend ./cmd/kiln-frontend

FROM scratch
COPY --from=build /out/kiln-frontend /bin/kiln-frontend
USER 65532:65532
LABEL moby.buildkit.frontend.network.none="true" \
      moby.buildkit.frontend.caps="moby.buildkit.frontend.inputs,moby.buildkit.frontend.subrequests,moby.buildkit.frontend.contexts" \
      org.opencontainers.image.title="kiln" \
      org.opencontainers.image.description="BuildKit frontend for hardened images from kiln.yaml"
ENTRYPOINT ["/bin/kiln-frontend"]
