// Package kilntest gives integration tests the running test environment
// (buildkitd, the local registry and the buildx builder started by
// integration/env/up) and helpers to build, export and inspect images.
//
// Under CI (the CI variable set) a missing environment fails the test;
// elsewhere it skips it with the command that starts the environment.
package kilntest

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/moby/buildkit/client"
)

// Env is a running test environment.
type Env struct {
	// BuildkitHost is the address of buildkitd, e.g. unix:///…/buildkitd.sock.
	BuildkitHost string
	// Registry is the host:port of the local plain-HTTP registry that
	// mirrors docker.io, gcr.io and ghcr.io for buildkitd.
	Registry string
	// DockerConfig is the DOCKER_CONFIG folder holding the buildx plugin
	// and the remote builder.
	DockerConfig string
	// Builder is the buildx builder name bound to buildkitd.
	Builder string
	// Root is the repository root.
	Root string
}

// Root returns the repository root, found from this source file.
func Root() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// Setup returns the environment, read from the process environment or from
// the env file that integration/env/up writes. It checks that buildkitd
// answers. Without an environment the test fails under CI and skips elsewhere.
func Setup(t testing.TB) *Env {
	t.Helper()
	root := Root()
	vars := map[string]string{}
	envDir := os.Getenv("KILN_ENV_DIR")
	if envDir == "" {
		envDir = filepath.Join(root, "_out", "env")
	}
	readEnvFile(filepath.Join(envDir, "env"), vars)
	for _, k := range []string{"BUILDKIT_HOST", "KILN_REGISTRY", "DOCKER_CONFIG",
		"BUILDX_BUILDER"} {
		if v := os.Getenv(k); v != "" {
			vars[k] = v
		}
	}
	e := &Env{
		BuildkitHost: vars["BUILDKIT_HOST"],
		Registry:     vars["KILN_REGISTRY"],
		DockerConfig: vars["DOCKER_CONFIG"],
		Builder:      vars["BUILDX_BUILDER"],
		Root:         root,
	}
	if e.BuildkitHost == "" || e.Registry == "" {
		missing(t, "no test environment (BUILDKIT_HOST and KILN_REGISTRY are unset)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := client.New(ctx, e.BuildkitHost)
	if err == nil {
		_, err = c.ListWorkers(ctx)
		c.Close()
	}
	if err != nil {
		missing(t, "buildkitd at "+e.BuildkitHost+" does not answer: "+err.Error())
	}
	return e
}

func missing(t testing.TB, why string) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatalf("%s; CI must run the integration tests: start integration/env/up", why)
	}
	t.Skipf("%s; run 'integration/env/up' (or 'make test') to start it", why)
}

// readEnvFile reads `export K=V` lines into vars; a missing file is no error.
func readEnvFile(path string, vars map[string]string) {
	f, err := os.Open(path)
	if err != nil {
		return
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimPrefix(strings.TrimSpace(sc.Text()), "export ")
		if k, v, ok := strings.Cut(line, "="); ok {
			vars[k] = v
		}
	}
}

// Client connects to buildkitd; the connection closes when the test ends.
func (e *Env) Client(t testing.TB) *client.Client {
	t.Helper()
	c, err := client.New(context.Background(), e.BuildkitHost)
	if err != nil {
		t.Fatalf("connecting to buildkitd: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// Command returns a command with the environment's variables set, so that
// `docker buildx` and `buildctl` reach the test daemon.
func (e *Env) Command(ctx context.Context, name string, args ...string) *exec.Cmd {
	if name == "buildctl" {
		name = filepath.Join(e.binDir(), "buildctl")
	}
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(os.Environ(),
		"BUILDKIT_HOST="+e.BuildkitHost,
		"DOCKER_CONFIG="+e.DockerConfig,
		"BUILDX_BUILDER="+e.Builder,
		"KILN_REGISTRY="+e.Registry,
	)
	return cmd
}

func (e *Env) binDir() string {
	if d := os.Getenv("KILN_ENV_DIR"); d != "" {
		return filepath.Join(d, "bin")
	}
	return filepath.Join(e.Root, "_out", "env", "bin")
}
