package kilntest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/moby/buildkit/client"
)

// SecondDaemon starts another buildkitd with its own, empty state and the
// same registry mirrors, for tests that compare two independent builds.
// It is stopped when the test ends.
func (e *Env) SecondDaemon(t testing.TB) *Env {
	t.Helper()
	envDir := filepath.Dir(e.binDir())
	toml := filepath.Join(envDir, "run", "buildkitd.toml")
	if _, err := os.Stat(toml); err != nil {
		t.Fatalf("the environment's buildkitd.toml is missing: %v", err)
	}
	// buildkitd's state must be on a file system that supports overlayfs,
	// and the socket path must stay short: keep both under the env folder.
	dir, err := os.MkdirTemp(filepath.Join(envDir, "run"), "d2-")
	if err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir, "bk.sock")
	cmd := exec.Command(filepath.Join(e.binDir(), "buildkitd"), "--config", toml,
		"--root", filepath.Join(dir, "root"), "--addr", "unix://"+sock)
	logf, err := os.Create(filepath.Join(dir, "buildkitd.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting a second buildkitd: %v", err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		logf.Close()
		os.RemoveAll(dir)
	})

	second := *e
	second.BuildkitHost = "unix://" + sock
	deadline := time.Now().Add(20 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		c, err := client.New(ctx, second.BuildkitHost)
		if err == nil {
			_, err = c.ListWorkers(ctx)
			c.Close()
		}
		cancel()
		if err == nil {
			return &second
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(dir, "buildkitd.log"))
			t.Fatalf("the second buildkitd did not start: %v\n%s", err, log)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
