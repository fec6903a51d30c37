package main

import (
	"os"
	"path/filepath"
)

// defaultBuildkitHost is the daemon address used when BUILDKIT_HOST is
// unset and no local test environment is found.
const defaultBuildkitHost = "unix:///run/buildkit/buildkitd.sock"

// envSocket is where integration/env/up puts buildkitd's socket, relative
// to the repository root.
var envSocket = filepath.Join("_out", "env", "run", "buildkitd.sock")

// buildkitHost returns the daemon address: BUILDKIT_HOST when set, else the
// socket of the local test environment in dir or one of its parents, else
// the standard system socket.
func buildkitHost(getenv func(string) string, dir string) string {
	if h := getenv("BUILDKIT_HOST"); h != "" {
		return h
	}
	for d := dir; d != ""; {
		sock := filepath.Join(d, envSocket)
		if fi, err := os.Stat(sock); err == nil && fi.Mode()&os.ModeSocket != 0 {
			return "unix://" + sock
		}
		parent := filepath.Dir(d)
		if parent == d {
			break
		}
		d = parent
	}
	return defaultBuildkitHost
}
