package spec_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/kilnbuild/kiln/spec"
)

// head is a valid start for specs that test one problem further down.
const head = "name: app\nlanguage: go\n"

// badSpecs are specs with exactly one problem each, unless count says
// otherwise.
var badSpecs = []struct {
	name      string
	yaml      string
	line, col int
	key       string
	msg       string // substring of Error()
	count     int    // number of problems; 0 means 1
}{
	// Unknown keys, with the key the author most likely meant.
	{"unknown top-level key", head + "runtme: {}\n",
		3, 1, "runtme", `unknown key; did you mean "runtime"?`, 0},
	{"unknown nested key", head + "runtime:\n  entrypont: [/app/x]\n",
		4, 3, "runtime.entrypont",
		`runtime.entrypont: unknown key; did you mean "entrypoint"?`, 0},
	{"key in the wrong section", head + "entrypoint: [/app/x]\n",
		3, 1, "entrypoint", "entrypoint belongs under runtime: move it there", 0},
	{"no network key", head + "build:\n  network: none\n",
		4, 3, "build.network", "always runs without network", 0},
	{"unknown key far from any", head + "runtime:\n  zzzzzzzz: 1\n",
		4, 3, "runtime.zzzzzzzz", "known keys here: base, user", 0},
	{"duplicate key", head + "name: other\n",
		3, 1, "name", "duplicate key; it is already set on line 1", 0},
	{"duplicate env name", head + "runtime:\n  env:\n    A: \"1\"\n    A: \"2\"\n",
		6, 5, "runtime.env.A", "duplicate key", 0},

	// Required keys and names.
	{"missing name", "language: go\n", 1, 1, "name", "name: required key is missing", 0},
	{"empty name", "name: \"\"\nlanguage: go\n", 1, 7, "name", "name: must not be empty", 0},
	{"bad name characters", "name: My_App\nlanguage: go\n",
		1, 7, "name", `"My_App" is not a valid name; use lowercase`, 0},
	{"name too long", "name: " + strings.Repeat("a", 64) + "\nlanguage: go\n",
		1, 7, "name", "is not a valid name", 0},
	{"missing language", "name: app\n", 1, 1, "language", "required key is missing", 0},
	{"unknown language", "name: app\nlanguage: pyhton\n",
		2, 11, "language", `unknown language "pyhton"; did you mean "python"?`, 0},
	{"language alias", "name: app\nlanguage: golang\n",
		2, 11, "language", `did you mean "go"?`, 0},

	// The file as a whole.
	{"empty file", "", 1, 1, "", "kiln.yaml is empty; start with", 0},
	{"only comments", "# syntax=ghcr.io/kilnbuild/kiln:1\n\n# nothing yet\n",
		1, 1, "", "kiln.yaml is empty", 0},
	{"a Dockerfile", "# syntax=docker/dockerfile:1\nFROM golang:1.26 AS build\nRUN go build\n",
		2, 1, "", `this is a Dockerfile ("FROM golang:1.26"), but kiln reads a kiln.yaml`, 0},
	{"tab indentation", "name: app\nruntime:\n\tuser: 1\n",
		3, 1, "", "a tab is used for indentation; YAML indents with spaces only", 0},
	{"tab after spaces", head + "runtime:\n  \tuser: 1\n",
		4, 3, "", "a tab is used for indentation", 0},
	{"tab indenting a block scalar", head + "build:\n  run:\n    - |\n\tgo build\n",
		6, 1, "", "a tab is used for indentation", 0},
	{"YAML syntax error", head + "runtime:\n  cmd: [a, b\n",
		4, 8, "", "YAML syntax error: sequence end token ']' not found", 0},
	{"unclosed quote", "name: \"app\nlanguage: go\n",
		1, 7, "", "YAML syntax error", 0},
	{"top level is a list", "- name: app\n",
		1, 1, "", "the top level is a list, not a mapping", 0},
	{"two documents", head + "---\nname: other\n",
		4, 1, "", "more than one YAML document", 0},
	{"undefined alias", head + "toolchain: *version\n",
		3, 12, "toolchain", "alias *version names no anchor", 0},
	{"merge key", head + "x-base: &base {user: \"1:1\"}\nruntime:\n  <<: *base\n",
		5, 3, "runtime", "merge keys (<<) are not supported", 0},
	{"custom tag", head + "toolchain: !version 1\n",
		3, 12, "toolchain", "YAML tag !version is not supported", 0},

	// Wrong types.
	{"mapping expected", head + "runtime: [a]\n",
		3, 10, "runtime", "expected a mapping, got a list; write keys such as: base, user", 0},
	{"list expected", head + "build:\n  run: go build ./...\n",
		4, 8, "build.run",
		"expected a list, got a string; write it as a list: [go build ./...]", 0},
	{"string expected", head + "runtime:\n  base: {name: static}\n",
		4, 9, "runtime.base", "expected a string, got a mapping", 0},
	{"env as a list", head + "runtime:\n  env: [A=1]\n",
		4, 8, "runtime.env", "write a mapping, not a list", 0},
	{"boolean expected", head + "build:\n  secrets: [{id: netrc, required: yes}]\n",
		4, 35, "build.secrets[0].required", "expected true or false", 0},
	{"number expected", head + "runtime:\n  healthcheck: {exec: [/x], retries: \"3\"}\n",
		4, 38, "runtime.healthcheck.retries", "remove the quotes: 3", 0},
	{"duration without unit", head + "runtime:\n  healthcheck: {exec: [/x], interval: 30}\n",
		4, 39, "runtime.healthcheck.interval",
		`a duration needs a unit; write it with a unit, such as "30s"`, 0},
	{"bad duration", head + "runtime:\n  healthcheck: {exec: [/x], timeout: soon}\n",
		4, 38, "runtime.healthcheck.timeout", "expected a duration", 0},
	{"user as a list", head + "runtime:\n  user: [65532]\n",
		4, 9, "runtime.user", "expected a user, got a list", 0},

	// YAML traps.
	{"toolchain as a number", head + "toolchain: 1.20\n",
		3, 12, "toolchain",
		`1.20 is read as the number 1.2, not as the text 1.20; quote it: "1.20"`, 0},
	{"toolchain as an integer", "name: app\nlanguage: node\ntoolchain: 22\n",
		3, 12, "toolchain", `22 is read as a number, not as text; quote it: "22"`, 0},
	{"decimal file mode", head + "runtime:\n  copy:\n" +
		"    - {from: /out/x, to: /app/x, mode: 755}\n",
		5, 40, "runtime.copy[0].mode",
		`755 is the decimal number 755, not an octal file mode; ` +
			`write the mode as a quoted octal string: "0755"`, 0},
	{"unquoted octal file mode", head + "runtime:\n  copy:\n" +
		"    - {from: /out/x, to: /app/x, mode: 0644}\n",
		5, 40, "runtime.copy[0].mode", `quote`, 0},
	{"misspelt reference", "name: app\nlanguage: go\nargs: {VERSION: \"1\"}\n" +
		"runtime:\n  env: {V: \"${VERSON}\"}\n", 5, 13, "runtime.env.V",
		"${VERSON} is not a declared build arg; did you mean ${VERSION}? Otherwise declare", 0},
	{"port as a scalar", head + "runtime:\n  ports: 8080\n", 4, 10, "runtime.ports",
		"expected a list, got the number 8080; write it as a list: [8080]", 0},
	{"uppercase protocol", head + "runtime:\n  ports: [\"8080/TCP\"]\n", 4, 11,
		"runtime.ports[0]", `the protocol in "8080/TCP" is not lowercase; write it in ` +
			`lowercase: "8080/tcp"`, 0},
	{"copy from a relative output path", head +
		"runtime:\n  copy: [{from: out/hello, to: /app/hello}]\n", 4, 17,
		"runtime.copy[0].from", `use an absolute path, such as "/out/hello"`, 0},
	{"writable listed twice", head + "runtime:\n  writable: [/data, /data/]\n", 4, 21,
		"runtime.writable[1]", "/data is listed twice; remove one", 0},
	{"huge retries", head +
		"runtime:\n  healthcheck: {exec: [/x], retries: 99999999999999999999999}\n",
		4, 38, "runtime.healthcheck.retries", "99999999999999999999999 is too large a number", 0},
	{"retries with a leading zero", head +
		"runtime:\n  healthcheck: {exec: [/x], retries: 09}\n", 4, 38,
		"runtime.healthcheck.retries", "write it without leading zeros: 9", 0},
	{"quoted retries", head + "runtime:\n  healthcheck: {exec: [/x], retries: \"3\"}\n",
		4, 38, "runtime.healthcheck.retries", "got a string; remove the quotes: 3", 0},
	{"hex file mode", head + "runtime:\n  copy:\n" +
		"    - {from: /out/x, to: /app/x, mode: 0x1ff}\n",
		5, 40, "runtime.copy[0].mode",
		`write it as a quoted octal string such as "0755" or "0644"`, 0},
	{"negative file mode", head + "runtime:\n  copy:\n" +
		"    - {from: /out/x, to: /app/x, mode: -1}\n",
		5, 40, "runtime.copy[0].mode",
		`-1 is the decimal number -1, not an octal file mode; write it as a quoted ` +
			`octal string such as "0755" or "0644"`, 0},
	{"file mode 0000", head + "runtime:\n  copy:\n" +
		"    - {from: /out/x, to: /app/x, mode: \"0000\"}\n",
		5, 40, "runtime.copy[0].mode", "mode 0000 gives no one access", 0},
	{"yes as a string", head + "runtime:\n  env: {VERBOSE: yes}\n",
		4, 18, "runtime.env.VERBOSE",
		`yes is a boolean in YAML 1.1, which many tools still read; quote it: "yes"`, 0},
	{"off as a string", head + "runtime:\n  cmd: [--color, off]\n",
		4, 18, "runtime.cmd[1]", `quote it: "off"`, 0},
	{"true as a string", head + "runtime:\n  labels: {com.example.public: true}\n",
		4, 32, `runtime.labels["com.example.public"]`,
		`true is read as the boolean true, not as text; quote it: "true"`, 0},
	{"port out of range", head + "runtime:\n  ports: [8080, 70000]\n",
		4, 17, "runtime.ports[1]", "port 70000 is out of range; use a port from 1 to 65535", 0},
	{"port zero", head + "runtime:\n  ports: [0]\n",
		4, 11, "runtime.ports[0]", "port 0 is out of range", 0},
	{"port beyond any integer", head + "runtime:\n  ports: [99999999999999999999]\n",
		4, 11, "runtime.ports[0]", "port 99999999999999999999 is out of range", 0},
	{"port as a word", head + "runtime:\n  ports: [http]\n",
		4, 11, "runtime.ports[0]", "expected a port", 0},
	{"port protocol", head + "runtime:\n  ports: [\"53/icmp\"]\n",
		4, 11, "runtime.ports[0]", `unknown protocol "icmp"`, 0},
	{"port twice", head + "runtime:\n  ports: [8080, \"8080/tcp\"]\n",
		4, 17, "runtime.ports[1]", "port 8080/tcp is listed twice", 0},

	// Paths.
	{"relative workdir", head + "runtime:\n  workdir: app\n",
		4, 12, "runtime.workdir",
		`"app" is a relative path; use an absolute path, such as "/app"`, 0},
	{"relative copy destination", head + "runtime:\n  copy: [{from: /out/x, to: app/x}]\n",
		4, 29, "runtime.copy[0].to", `"app/x" is a relative path`, 0},
	{"relative writable path", head + "runtime:\n  writable: [/tmp, var/cache]\n",
		4, 20, "runtime.writable[1]", `"var/cache" is a relative path`, 0},
	{"writable root", head + "runtime:\n  writable: [/]\n",
		4, 14, "runtime.writable[0]", "the path is the root folder /", 0},
	{"dot-dot in a path", head + "runtime:\n  workdir: /app/../etc\n",
		4, 12, "runtime.workdir", `write the path without .., such as "/etc"`, 0},
	{"copy from outside the output", head + "runtime:\n  copy: [{from: /etc/passwd, to: /x}]\n",
		4, 17, "runtime.copy[0].from", `"/etc/passwd" is outside build.output (/out)`, 0},
	{"copy from relative", head + "runtime:\n  copy: [{from: hello, to: /app/hello}]\n",
		4, 17, "runtime.copy[0].from", `use an absolute path, such as "/out/hello"`, 0},
	{"copy without from", head + "runtime:\n  copy: [{to: /app/hello}]\n",
		4, 10, "runtime.copy[0].from", "required key is missing", 0},
	{"static copy from absolute", "name: app\nlanguage: static\nruntime:\n" +
		"  copy: [{from: /bin/x, to: /x}]\n",
		4, 17, "runtime.copy[0].from", "must be a path in the source folder", 0},
	{"source outside the context", head + "source: ../other\n",
		3, 9, "source", `"../other" leaves the build context`, 0},
	{"relative secret target", head + "build:\n  secrets: [{id: netrc, target: root/.netrc}]\n",
		4, 33, "build.secrets[0].target", "is a relative path", 0},

	// Commands and the runtime image.
	{"healthcheck as a string", head + "runtime:\n  healthcheck: curl -f http://localhost/\n",
		4, 16, "runtime.healthcheck",
		"no shell; write the exec form: {exec: [curl, -f, http://localhost/]}", 0},
	{"healthcheck exec as a string", head + "runtime:\n  healthcheck:\n    exec: /app/x -check\n",
		5, 11, "runtime.healthcheck.exec", "write the exec form, a list: [/app/x, -check]", 0},
	{"healthcheck without exec", head + "runtime:\n  healthcheck: {interval: 10s}\n",
		4, 16, "runtime.healthcheck.exec", "required key is missing", 0},
	{"entrypoint as a string", head + "runtime:\n  entrypoint: /app/x serve\n",
		4, 15, "runtime.entrypoint", "write the exec form, a list: [/app/x, serve]", 0},
	{"empty build command", head + "build:\n  run: [\"go build\", \"\"]\n",
		4, 21, "build.run[1]", "the command is empty", 0},
	{"bad env name", head + "runtime:\n  env: {1ST: x}\n",
		4, 9, `runtime.env["1ST"]`, `"1ST" is not a valid environment variable name`, 0},
	{"bad env name in build", head + "build:\n  env: {GO-FLAGS: x}\n",
		4, 9, `build.env.GO-FLAGS`, "not a valid environment variable name", 0},
	{"bad label key", head + "runtime:\n  labels: {\"a b\": x}\n",
		4, 12, `runtime.labels["a b"]`, "not a valid label key", 0},
	{"unknown base", head + "runtime:\n  base: statc\n",
		4, 9, "runtime.base", `"statc" is not a known base; did you mean "static"?`, 0},
	{"bad image reference", head + "runtime:\n  base: GCR.io/Distroless/Static\n",
		4, 9, "runtime.base", "is not a valid image reference", 0},
	{"bad user", head + "runtime:\n  user: \"1000:\"\n",
		4, 9, "runtime.user", `"1000:" is not a user`, 0},
	{"bad stop signal", head + "runtime:\n  stop_signal: SIGSTOPPLEASE\n",
		4, 16, "runtime.stop_signal", "is not a signal", 0},
	{"bad package", head + "build:\n  packages: [\"libssl dev\"]\n",
		4, 14, "build.packages[0]", "is not a Debian package name", 0},
	{"secret twice", head + "build:\n  secrets: [{id: a}, {id: a}]\n",
		4, 27, "build.secrets[1].id", `secret "a" is listed twice`, 0},
	{"static has no build", "name: app\nlanguage: static\nbuild:\n  run: [make]\n",
		4, 3, "build", "language static has no build step", 0},
	{"static has no toolchain", "name: app\nlanguage: static\ntoolchain: \"1\"\n",
		3, 12, "toolchain", "language static uses no toolchain", 0},
	{"bad toolchain", head + "toolchain: \"1.26 beta\"\n",
		3, 12, "toolchain", `"1.26 beta" is not a version`, 0},

	// Build args.
	{"undeclared reference", head + "runtime:\n  env: {VERSION: \"v${VERSION}\"}\n",
		4, 20, "runtime.env.VERSION",
		"${VERSION} is not a declared build arg; declare it under args", 0},
	{"bare undeclared reference", head + "runtime:\n  workdir: /srv/$APP\n",
		4, 17, "runtime.workdir", "$APP is not a declared build arg", 0},
	{"lone dollar", head + "runtime:\n  cmd: [\"cost: 5$\"]\n",
		4, 17, "runtime.cmd[0]", "a lone $ is not a variable reference; write $$", 0},
	{"shell default", head + "args: {V: \"1\"}\nruntime:\n  cmd: [\"${V:-2}\"]\n",
		5, 10, "runtime.cmd[0]", "${V:-2} is not a plain variable reference", 0},
	{"unclosed reference", head + "args: {V: \"1\"}\nruntime:\n  cmd: [\"${V\"]\n",
		5, 10, "runtime.cmd[0]", "${ is not closed", 0},
	{"standard arg declared", head + "args:\n  TARGETARCH: amd64\n",
		4, 3, "args.TARGETARCH", "TARGETARCH is set by BuildKit from the platform", 0},
	{"bad arg name", head + "args:\n  app-version: \"1\"\n",
		4, 3, "args.app-version", "is not a valid build arg name", 0},

	// Policy.
	{"empty reason", head + "policy:\n  allow:\n    - {rule: runtime-user-root, reason: \"\"}\n",
		5, 41, "policy.allow[0].reason", "every exception needs a written reason", 0},
	{"missing reason", head + "policy:\n  allow:\n    - rule: runtime-user-root\n",
		5, 7, "policy.allow[0].reason", "every exception needs a written reason", 0},
	{"unknown policy mode", head + "policy:\n  mode: enforced\n",
		4, 9, "policy.mode", `unknown policy mode "enforced"; did you mean "enforce"?`, 0},
	{"policy mode far off", head + "policy:\n  mode: strict\n",
		4, 9, "policy.mode", "use one of: enforce, warn", 0},
	{"bad rule id", head + "policy:\n  allow: [{rule: Root_User, reason: legacy}]\n",
		4, 18, "policy.allow[0].rule", `"Root_User" is not a rule id`, 0},
}

func TestParseRejects(t *testing.T) {
	if len(badSpecs) < 25 {
		t.Fatalf("only %d bad specs; the contract asks for at least 25", len(badSpecs))
	}
	for _, tc := range badSpecs {
		t.Run(tc.name, func(t *testing.T) {
			_, err := spec.Parse("kiln.yaml", []byte(tc.yaml))
			var errs spec.Errors
			if !errors.As(err, &errs) {
				t.Fatalf("Parse error = %v (%T), want spec.Errors", err, err)
			}
			if want := max(tc.count, 1); len(errs) != want {
				t.Errorf("got %d problems, want %d:\n%v", len(errs), want, err)
			}
			e := errs[0]
			prefix := fmt.Sprintf("kiln.yaml:%d:%d: ", tc.line, tc.col)
			if e.Line != tc.line || e.Column != tc.col || e.Key != tc.key {
				t.Errorf("got %d:%d key %q, want %d:%d key %q\n%v",
					e.Line, e.Column, e.Key, tc.line, tc.col, tc.key, e)
			}
			got := e.Error()
			if !strings.HasPrefix(got, prefix) || !strings.Contains(got, tc.msg) {
				t.Errorf("got  %s\nwant %s...%s", got, prefix, tc.msg)
			}
			if e.EndLine < e.Line || e.EndLine == e.Line && e.EndColumn < e.Column {
				t.Errorf("end %d:%d is before start %d:%d",
					e.EndLine, e.EndColumn, e.Line, e.Column)
			}
		})
	}
}

// TestTabsInsideBlockScalars accepts tabs that are text of a block scalar,
// after its indentation, such as a heredoc body in build.run.
func TestTabsInsideBlockScalars(t *testing.T) {
	src := "name: app\nlanguage: go\nbuild:\n  run:\n    - |\n      cat > /out/x <<EOF\n" +
		"      \tindented\n      EOF\n    - >\n      go build\n      \t-o /out/app .\n"
	s, err := spec.Parse("kiln.yaml", []byte(src))
	if err != nil {
		t.Fatalf("tabs inside block scalars were rejected: %v", err)
	}
	if got := s.Build.Run[0]; got != "cat > /out/x <<EOF\n\tindented\nEOF\n" {
		t.Errorf("build.run[0] = %q", got)
	}
	// A block that ends the file, with the tab on a middle line.
	last := "name: app\nlanguage: go\nbuild:\n  run:\n    - |\n      a\n      \tb\n      c\n"
	if _, err := spec.Parse("kiln.yaml", []byte(last)); err != nil {
		t.Errorf("a tab inside a block at the end of the file was rejected: %v", err)
	}
}
