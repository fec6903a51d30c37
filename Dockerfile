# The kiln frontend image: a static binary on scratch, run as non-root.
# Build it with: docker buildx build -t ghcr.io/kilnbuild/kiln:1 .
FROM golang:1.26-trixie AS build
WORKDIR /src
ENV CGO_ENABLED=0 GOFLAGS=-trimpath
COPY go.mod go.sum ./
RUN --mount=type=cache,id=kiln-go-mod-download,target=/go/pkg/mod/cache/download \
    go mod download
COPY . .
RUN --mount=type=cache,id=kiln-go-build,target=/root/.cache/go-build \
    go build -ldflags="-s -w" -o /out/kiln-frontend ./cmd/kiln-frontend

FROM scratch
COPY --from=build /out/kiln-frontend /bin/kiln-frontend
USER 65532:65532
LABEL moby.buildkit.frontend.network.none="true" \
      moby.buildkit.frontend.caps="moby.buildkit.frontend.inputs,moby.buildkit.frontend.subrequests,moby.buildkit.frontend.contexts" \
      org.opencontainers.image.title="kiln" \
      org.opencontainers.image.description="BuildKit frontend for hardened images from kiln.yaml"
ENTRYPOINT ["/bin/kiln-frontend"]
