package main

import (
	"crypto/sha256"
	"encoding/hex"
	"time"
)

// seedRevision names the version of the assembly code. Bump it whenever a
// change here alters image content that the recipe values below do not
// show, so that seeded registries are refreshed.
const seedRevision = "kiln-seed/1"

// recipeAnnotation is the index annotation that records the recipe an
// image was built from; a tag whose index carries the current value is
// skipped.
const recipeAnnotation = "dev.kiln.seed.recipe"

// debianSuite is the Debian release every look-alike is built from.
const debianSuite = "trixie"

// epoch is the fixed time of every layer entry and image config.
var epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// platform is one target architecture of the look-alikes.
type platform struct {
	Arch    string // Debian and OCI architecture name
	Variant string // OCI variant
	Lib64   bool   // whether the ABI has /lib64 (the amd64 dynamic loader)
}

var (
	amd64 = platform{Arch: "amd64", Lib64: true}
	arm64 = platform{Arch: "arm64", Variant: "v8"}
)

// distroless describes one distroless flavour.
type distroless struct {
	Name      string     // short name: static, base, cc
	Packages  []string   // Debian packages whose files make up the image
	Platforms []platform // platforms of the image index
}

// repo is the repository name of the flavour in the registry.
func (d distroless) repo() string { return "distroless/" + d.Name + "-debian13" }

var staticPackages = []string{"base-files", "netbase", "tzdata", "ca-certificates"}

// basePackages adds glibc and OpenSSL with the libraries libssl3t64 needs.
var basePackages = append(append([]string{}, staticPackages...),
	"libc6", "libssl3t64", "libzstd1", "zlib1g", "openssl-provider-legacy")

// ccPackages adds the GCC runtime libraries.
var ccPackages = append(append([]string{}, basePackages...),
	"gcc-14-base", "libgcc-s1", "libstdc++6", "libgomp1")

// distrolessFlavours are the seeded distroless look-alikes.
var distrolessFlavours = []distroless{
	{Name: "static", Packages: staticPackages, Platforms: []platform{amd64, arm64}},
	{Name: "base", Packages: basePackages, Platforms: []platform{amd64, arm64}},
	{Name: "cc", Packages: ccPackages, Platforms: []platform{amd64, arm64}},
}

// distrolessTags maps each tag to the user its config runs as.
var distrolessTags = []struct{ Tag, User, WorkingDir string }{
	{Tag: "nonroot", User: "65532:65532", WorkingDir: "/home/nonroot"},
	{Tag: "latest", User: "", WorkingDir: ""},
}

// distrolessEnv is the config environment of every distroless look-alike.
var distrolessEnv = []string{
	"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
	"SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt",
}

const passwdContent = `root:x:0:0:root:/root:/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin
nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin
`

const groupContent = `root:x:0:
tty:x:5:
staff:x:50:
nobody:x:65534:
nonroot:x:65532:
`

const nsswitchContent = `# /etc/nsswitch.conf
passwd:         files
group:          files
shadow:         files
gshadow:        files

hosts:          files dns
networks:       files

protocols:      db files
services:       db files
ethers:         db files
rpc:            db files

netgroup:       nis
`

// golangImage describes the Go toolchain look-alike.
type golangImage struct {
	Repo      string
	Tags      []string
	GoVersion string
	Platform  platform
	Packages  []string // --include of the minbase bootstrap
	Env       []string
	Cmd       []string
	WorkDir   string
}

// golang is the seeded golang look-alike.
var golang = golangImage{
	Repo:      "library/golang",
	Tags:      []string{"1.26-trixie", "1.26.8-trixie"},
	GoVersion: "1.26.8",
	Platform:  amd64,
	Packages: []string{"ca-certificates", "curl", "git", "gcc", "g++", "libc6-dev",
		"make", "pkg-config", "netbase", "openssh-client", "procps", "wget", "xz-utils"},
	Env: []string{
		"PATH=/go/bin:/usr/local/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:" +
			"/usr/bin:/sbin:/bin",
		"GOLANG_VERSION=1.26.8",
		"GOTOOLCHAIN=local",
		"GOPATH=/go",
	},
	Cmd:     []string{"bash"},
	WorkDir: "/go",
}

// toolchainModule is the Go module that holds the GOROOT for p.
func (g golangImage) toolchainModule(p platform) string {
	return "golang.org/toolchain@v0.0.1-go" + g.GoVersion + ".linux-" + p.Arch
}

// recipeHash is the value of recipeAnnotation for a recipe: a hash of the
// assembly revision, the suite and the given recipe values.
func recipeHash(parts ...any) string {
	return hashKey(append([]any{seedRevision, debianSuite, epoch}, parts...)...)
}

// sha256Hex returns the hex SHA-256 of b.
func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}
