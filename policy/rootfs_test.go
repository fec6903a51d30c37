package policy_test

import (
	"context"
	"io/fs"
	"slices"
	"strings"
	"testing"

	"github.com/kilnbuild/kiln/policy"
)

// app adds a runtime image's application: /app/app owned by root, 0755.
func app(m *memFS) *memFS {
	return m.file("/app/app", 0o755, "\x7fELF program")
}

const entry = "runtime:\n  entrypoint: [/app/app]\n"

func TestCheckRootfs(t *testing.T) {
	pem := "-----BEGIN OPENSSH PRIVATE KEY-----\nb3Bl\n-----END OPENSSH PRIVATE KEY-----\n"
	tests := []struct {
		name  string
		yaml  string // after the header
		setup func(m *memFS)
		want  []string
	}{
		{"distroless app passes", entry, func(m *memFS) {}, nil},

		{"busybox shell", entry, func(m *memFS) {
			m.file("/bin/busybox", 0o755, "elf").link("/bin/sh", "busybox")
		}, []string{"rootfs-shell@/bin/busybox", "rootfs-shell@/bin/sh"}},
		{"bash through a merged /usr", entry, func(m *memFS) {
			delete(m.files, "/bin")
			m.link("/bin", "usr/bin").file("/usr/bin/bash", 0o755, "elf")
		}, []string{"rootfs-shell@/usr/bin/bash"}},
		{"a file named sh that is not a program", entry, func(m *memFS) {
			m.file("/app/docs/sh", 0o644, "text").link("/bin/dash", "/nowhere")
		}, nil},

		{"package managers", entry, func(m *memFS) {
			m.file("/usr/bin/apt-get", 0o755, "elf").file("/usr/bin/dpkg", 0o755, "elf")
			m.file("/usr/local/bin/pip3.13", 0o755, "#!/usr/bin/python3")
			m.dir("/var/lib/dpkg/info").dir("/usr/lib/python3/dist-packages/pip")
			m.file("/etc/cron.daily/dpkg", 0o755, "#!/bin/sh")
		}, []string{"rootfs-package-manager@/usr/bin/apt-get",
			"rootfs-package-manager@/usr/bin/dpkg",
			"rootfs-package-manager@/usr/local/bin/pip3.13"}},

		{"setuid and setgid", entry, func(m *memFS) {
			m.file("/usr/bin/su", fs.ModeSetuid|0o755, "elf")
			m.file("/usr/bin/wall", fs.ModeSetgid|0o755, "elf")
			m.dirMode("/srv/shared", fs.ModeSetgid|0o755, 0, 0)
		}, []string{"rootfs-setuid@/usr/bin/su", "rootfs-setuid@/usr/bin/wall"}},

		{"world-writable folder and file", entry, func(m *memFS) {
			m.dirMode("/data", 0o777, 0, 0).file("/app/app.conf", 0o666, "x")
		}, []string{"rootfs-app-writable@/app/app.conf", "rootfs-world-writable@/app/app.conf",
			"rootfs-app-writable@/data", "rootfs-world-writable@/data"}},
		{"the entrypoint in a writable folder",
			"runtime:\n  entrypoint: [/data/app]\n  writable: [/data]\n", func(m *memFS) {
				m.dirMode("/data", 0o755, 65532, 65532)
				m.fileOwned("/data/app", 0o755, 0, 0, []byte("elf"))
			}, []string{"rootfs-app-writable@/data/app"}},
		{"data files in a writable folder pass",
			entry + "  writable: [/data]\n", func(m *memFS) {
				m.dirMode("/data", 0o755, 65532, 65532)
				m.fileOwned("/data/seed.json", 0o644, 0, 0, []byte("{}"))
			}, nil},
		{"sticky scratch folders and a sticky writable folder pass",
			entry + "  writable: [/srv/drop]\n", func(m *memFS) {
				m.dirMode("/srv/drop", fs.ModeSticky|0o777, 0, 0)
				m.dirMode("/dev/shm", fs.ModeSticky|0o777, 0, 0)
			}, nil},
		{"a sticky folder that is not writable", entry, func(m *memFS) {
			m.dirMode("/srv/drop", fs.ModeSticky|0o777, 0, 0)
		}, []string{"rootfs-app-writable@/srv/drop", "rootfs-world-writable@/srv/drop"}},
		{"devices are world-writable by design", entry, func(m *memFS) {
			m.dir("/dev")
			m.files["/dev/null"] = policy.File{Path: "/dev/null",
				Mode: fs.ModeDevice | fs.ModeCharDevice | 0o666}
		}, nil},
		{"a scratch folder without the sticky bit", entry, func(m *memFS) {
			m.dirMode("/var/tmp", 0o777, 0, 0)
		}, []string{"rootfs-app-writable@/var/tmp", "rootfs-world-writable@/var/tmp"}},

		{"files the runtime user owns", entry, func(m *memFS) {
			m.fileOwned("/app/config.json", 0o644, 65532, 65532, []byte("{}"))
			m.fileOwned("/app/readonly.json", 0o444, 65532, 65532, []byte("{}"))
		}, []string{"rootfs-app-writable@/app/config.json"}},
		{"a group the runtime user is in", entry, func(m *memFS) {
			m.file("/etc/group", 0o644, "root:x:0:\nstaff:x:50:nonroot\nnonroot:x:65532:\n")
			m.fileOwned("/app/shared.db", 0o664, 0, 50, []byte("db"))
			m.fileOwned("/app/other.db", 0o664, 0, 51, []byte("db"))
		}, []string{"rootfs-app-writable@/app/shared.db"}},
		{"writable folders and the home folder pass", entry + "  writable: [/app/data]\n",
			func(m *memFS) {
				m.dirMode("/app/data", 0o755, 65532, 65532)
				m.fileOwned("/app/data/cache.db", 0o644, 65532, 65532, []byte("db"))
			}, nil},
		{"a root user may write anything", "runtime:\n  user: 0\n  entrypoint: [/app/app]\n",
			func(m *memFS) {
				m.fileOwned("/app/config.json", 0o644, 0, 0, []byte("{}"))
			}, nil},
		{"a user by name", "runtime:\n  user: nonroot\n  entrypoint: [/app/app]\n",
			func(m *memFS) {
				m.fileOwned("/app/config.json", 0o644, 65532, 65532, []byte("{}"))
			}, []string{"rootfs-app-writable@/app/config.json"}},

		{"missing entrypoint", "runtime:\n  entrypoint: [/app/nope]\n", func(m *memFS) {},
			[]string{"rootfs-entrypoint@/app/nope"}},
		{"entrypoint without execute bit", entry, func(m *memFS) {
			m.file("/app/app", 0o644, "elf")
		}, []string{"rootfs-entrypoint@/app/app"}},
		{"entrypoint only its owner may run", entry, func(m *memFS) {
			m.fileOwned("/app/app", 0o700, 1000, 1000, []byte("elf"))
		}, []string{"rootfs-entrypoint@/app/app"}},
		{"entrypoint is a folder", "runtime:\n  entrypoint: [/app]\n", func(m *memFS) {},
			[]string{"rootfs-entrypoint@/app"}},
		{"script without its interpreter", entry, func(m *memFS) {
			m.file("/app/app", 0o755, "#!/bin/sh\nexec /app/real\n")
		}, []string{"rootfs-entrypoint@/app/app"}},
		{"script with its interpreter", entry, func(m *memFS) {
			m.file("/app/app", 0o755, "#!/usr/bin/python3 -u\nprint(1)\n")
			m.file("/usr/bin/python3.13", 0o755, "elf").link("/usr/bin/python3", "python3.13")
		}, nil},
		{"entrypoint through links", "runtime:\n  entrypoint: [/bin/app]\n", func(m *memFS) {
			delete(m.files, "/bin")
			m.link("/bin", "usr/bin").link("/usr/bin/app", "../../app/app")
		}, nil},
		{"bare name on PATH", "runtime:\n  entrypoint: [app]\n  env: {PATH: /app}\n",
			func(m *memFS) {}, nil},
		{"bare name not on PATH", "runtime:\n  entrypoint: [app]\n", func(m *memFS) {},
			[]string{"rootfs-entrypoint@app"}},
		{"relative to workdir", "runtime:\n  entrypoint: [./app]\n", func(m *memFS) {}, nil},
		{"cmd without entrypoint", "runtime:\n  cmd: [/app/nope, serve]\n", func(m *memFS) {},
			[]string{"rootfs-entrypoint@/app/nope"}},
		{"no program named", "runtime: {}\n", func(m *memFS) {}, nil},
		{"missing health check program",
			entry + "  healthcheck: {exec: [/usr/bin/curl, -f, localhost]}\n",
			func(m *memFS) {}, []string{"rootfs-entrypoint@/usr/bin/curl"}},
		{"shell health check is left to the spec rule",
			entry + "  healthcheck: {exec: [/bin/sh, -c, \"true\"]}\n", func(m *memFS) {}, nil},

		{"secret files", entry, func(m *memFS) {
			m.file("/app/.env", 0o644, "DB=x\n").file("/app/.env.example", 0o644, "DB=\n")
			m.file("/app/.env.production", 0o644, "DB=y\n")
			m.file("/app/.git/config", 0o644, "[core]\n").file("/app/.git/HEAD", 0o644, "ref")
			m.file("/app/tls/server.key", 0o600, pem)
			m.file("/app/tls/server.pem", 0o644, "-----BEGIN CERTIFICATE-----\n")
			m.file("/root/.ssh/id_ed25519", 0o600, pem)
			m.file("/root/.ssh/id_ed25519.pub", 0o644, "ssh-ed25519 AAAA")
			m.file("/app/store.p12", 0o600, "binary")
			m.file("/app/deploy_key", 0o600, pem)            // found by its content
			m.file("/app/README", 0o644, "no key in here\n") // read, and passes
		}, []string{"rootfs-secret-file@/app/.env", "rootfs-secret-file@/app/.env.production",
			"rootfs-secret-file@/app/.git", "rootfs-secret-file@/app/deploy_key",
			"rootfs-secret-file@/app/store.p12",
			"rootfs-secret-file@/app/tls/server.key", "rootfs-secret-file@/root/.ssh/id_ed25519"}},
		{"credential files", entry, func(m *memFS) {
			m.file("/app/.npmrc", 0o644, "//npm.example.test/:_authToken=abc123\n")
			m.file("/home/nonroot/.netrc", 0o600, "machine git.example.test login me "+
				"password hunter2\n")
			m.file("/app/.docker/config.json", 0o600, `{"auths":{"r":{"auth":"bWU6cHc="}}}`)
			m.file("/app/.git-credentials", 0o600, "https://me:pw@git.example.test\n")
		}, []string{"rootfs-secret-file@/app/.docker/config.json",
			"rootfs-secret-file@/app/.git-credentials", "rootfs-secret-file@/app/.npmrc",
			"rootfs-secret-file@/home/nonroot/.netrc"}},
		{"credential files without credentials", entry, func(m *memFS) {
			m.file("/app/.npmrc", 0o644, "//npm.example.test/:_authToken=${NPM_TOKEN}\n"+
				"save-exact=true\n")
			m.file("/app/.netrc", 0o644, "machine git.example.test login me\n")
			m.file("/app/.docker/config.json", 0o644, `{"credsStore":"pass"}`)
			m.file("/app/.env", 0o644, "")
		}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := app(distroless())
			tt.setup(m)
			s := parse(t, header+tt.yaml)
			vs, err := policy.CheckRootfs(context.Background(), m, s)
			if err != nil {
				t.Fatal(err)
			}
			got := ids(vs)
			want := tt.want
			if want == nil {
				want = []string{}
			}
			if !slices.Equal(got, want) {
				var lines []string
				for _, v := range vs {
					lines = append(lines, v.String())
				}
				t.Errorf("got %q\nwant %q\n%s", got, want, strings.Join(lines, "\n"))
			}
		})
	}
}

func TestCheckRootfsMessages(t *testing.T) {
	m := app(distroless())
	m.fileOwned("/app/config.json", 0o644, 65532, 65532, []byte("{}"))
	s := parse(t, header+"runtime:\n  entrypoint: [/app/missing]\n")
	vs, err := policy.CheckRootfs(context.Background(), m, s)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"/app/config.json: error[rootfs-app-writable]: the runtime user can modify the file " +
			"/app/config.json (owner 65532:65532, mode 0644): it is owned by the runtime " +
			"user 65532; have root own it with no write bit for others (runtime.copy " +
			"does), or list it under runtime.writable if the application must write there",
		"/app/missing: error[rootfs-entrypoint]: runtime.entrypoint[0] names /app/missing, " +
			"which is not in the runtime image; copy it in with runtime.copy and name its " +
			"absolute path",
	}
	var got []string
	for _, v := range vs {
		got = append(got, v.String())
	}
	if !slices.Equal(got, want) {
		t.Errorf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if e := vs[1]; e.Key != "runtime.entrypoint[0]" || e.Range.Line != 4 {
		t.Errorf("the entrypoint violation points at %s %+v", e.Key, e.Range)
	}
}

func TestCheckRootfsReadsOnlyCandidates(t *testing.T) {
	m := app(distroless())
	for i := range 200 {
		m.file("/app/static/"+strings.Repeat("x", i%7+1)+string(rune('a'+i%26))+
			".js", 0o644, "code")
	}
	s := parse(t, header+entry)
	if _, err := policy.CheckRootfs(context.Background(), m, s); err != nil {
		t.Fatal(err)
	}
	// /etc/passwd, /etc/group, the entrypoint's first bytes, and the
	// entrypoint again as a small extensionless file that may be a key.
	if n := m.reads.Load(); n != 4 {
		t.Errorf("CheckRootfs read %d files, want 4", n)
	}
}

func TestWalk(t *testing.T) {
	m := newMemFS().dir("/a/b", "/a/c", "/z").file("/a/b/f", 0o644, "x").
		file("/a/c/g", 0o644, "x").link("/l", "/a")
	var got []string
	err := policy.Walk(context.Background(), m, "/", func(f policy.File) error {
		got = append(got, f.Path)
		if f.Path == "/a/c" {
			return fs.SkipDir
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"/a", "/a/b", "/a/b/f", "/a/c", "/l", "/z"}
	if !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}

	// SkipDir on a file skips the rest of its folder; SkipAll ends the walk.
	m.file("/a/b/e", 0o644, "x").file("/a/b/g", 0o644, "x")
	got = nil
	err = policy.Walk(context.Background(), m, "/a", func(f policy.File) error {
		got = append(got, f.Path)
		switch f.Path {
		case "/a/b/e":
			return fs.SkipDir
		case "/a/c/g":
			return fs.SkipAll
		}
		return nil
	})
	want = []string{"/a/b", "/a/b/e", "/a/c", "/a/c/g"}
	if err != nil || !slices.Equal(got, want) {
		t.Errorf("got %q, %v; want %q", got, err, want)
	}
}
