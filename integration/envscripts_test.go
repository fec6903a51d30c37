package integration

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kilnbuild/kiln/integration/kilntest"
)

// envScripts runs integration/env/up and down on a second state folder
// that shares the first environment's binaries and seed caches, so that
// faults can be staged without touching the environment other tests use.
type envScripts struct {
	t    *testing.T
	root string
	dir  string
}

func newEnvScripts(t *testing.T, e *kilntest.Env) *envScripts {
	t.Helper()
	main := filepath.Join(e.Root, "_out", "env")
	if d := os.Getenv("KILN_ENV_DIR"); d != "" {
		main = d
	}
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"buildkitd", "buildctl", "docker-buildx",
		".buildkitd.version", ".buildctl.version", ".docker-buildx.version"} {
		if err := os.Symlink(filepath.Join(main, "bin", name),
			filepath.Join(dir, "bin", name)); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(filepath.Join(main, "cache"), filepath.Join(dir, "cache")); err != nil {
		t.Fatal(err)
	}
	s := &envScripts{t: t, root: e.Root, dir: dir}
	t.Cleanup(func() { s.run("down") })
	return s
}

// run runs an env script and returns its combined output.
func (s *envScripts) run(script string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(s.root, "integration", "env", script))
	cmd.Env = append(os.Environ(), "KILN_ENV_DIR="+s.dir)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func (s *envScripts) mustRun(script string) string {
	s.t.Helper()
	out, err := s.run(script)
	if err != nil {
		s.t.Fatalf("%s failed: %v\n%s", script, err, out)
	}
	return out
}

func (s *envScripts) write(name, body string) {
	s.t.Helper()
	p := filepath.Join(s.dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		s.t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		s.t.Fatal(err)
	}
}

func (s *envScripts) pid(name string) int {
	s.t.Helper()
	b, err := os.ReadFile(filepath.Join(s.dir, "run", name+".pid"))
	if err != nil {
		s.t.Fatalf("no pid file for %s: %v", name, err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		s.t.Fatal(err)
	}
	return pid
}

func running(pid int) bool { return syscall.Kill(pid, 0) == nil }

// TestEnvUpRecovers stages the faults integration/env/up must survive: a
// registry port taken by someone else, stale pid files (one naming a dead
// process, one naming a live process that is not ours), and a buildkitd
// that died. down then stops only what up started.
func TestEnvUpRecovers(t *testing.T) {
	e := kilntest.Setup(t)
	s := newEnvScripts(t, e)

	// Someone else listens on the port the state remembers.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	busy := l.Addr().(*net.TCPAddr).Port
	s.write("registry.port", strconv.Itoa(busy)+"\n")
	// A pid file naming a process that is gone, and one naming a live
	// process that is not a registry (this test).
	s.write("run/buildkitd.pid", "999999999\n")
	s.write("run/registry.pid", strconv.Itoa(os.Getpid())+"\n")

	out := s.mustRun("up")
	if strings.Contains(out, "127.0.0.1:"+strconv.Itoa(busy)) {
		t.Errorf("up used the busy port %d:\n%s", busy, out)
	}
	if !strings.Contains(out, "export BUILDKIT_HOST=unix://"+s.dir) {
		t.Errorf("up did not print the environment:\n%s", out)
	}
	bk := s.pid("buildkitd")

	// Again: idempotent, the same daemon keeps running.
	out = s.mustRun("up")
	if !strings.Contains(out, "buildkitd already running") || s.pid("buildkitd") != bk {
		t.Errorf("a second up restarted buildkitd:\n%s", out)
	}

	// buildkitd dies; up starts a new one.
	if err := syscall.Kill(bk, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 50 && running(bk); i++ {
		time.Sleep(100 * time.Millisecond)
	}
	s.mustRun("up")
	if nbk := s.pid("buildkitd"); nbk == bk || !running(nbk) {
		t.Errorf("up did not restart the dead buildkitd (pid %d, before %d)", nbk, bk)
	}

	// down stops what up started, and nothing else: this test still runs.
	reg, nbk := s.pid("registry"), s.pid("buildkitd")
	s.mustRun("down")
	time.Sleep(200 * time.Millisecond)
	if running(reg) || running(nbk) {
		t.Errorf("down left the registry (%v) or buildkitd (%v) running",
			running(reg), running(nbk))
	}
}
