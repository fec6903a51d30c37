package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// debian fetches Debian packages and bootstraps root file systems with
// mmdebstrap, keeping downloads and results under cache.
type debian struct {
	mirror   string // URI of the main archive
	security string // URI of the security archive, or ""
	cache    string
	once     sync.Once
	ready    error
}

// sources returns the apt source lines of the suite, its updates and, when
// a security archive is known, its security updates.
func (d *debian) sources() []string {
	s := []string{
		"deb " + d.mirror + " " + debianSuite + " main",
		"deb " + d.mirror + " " + debianSuite + "-updates main",
	}
	if d.security != "" {
		s = append(s, "deb "+d.security+" "+debianSuite+"-security main")
	}
	return s
}

// check verifies, once, that the tools are installed and the mirror answers.
func (d *debian) check(ctx context.Context) error {
	d.once.Do(func() { d.ready = d.doCheck(ctx) })
	return d.ready
}

func (d *debian) doCheck(ctx context.Context) error {
	for _, t := range []struct{ bin, pkg string }{
		{"mmdebstrap", "mmdebstrap"}, {"dpkg-deb", "dpkg"}, {"apt-get", "apt"},
	} {
		if _, err := exec.LookPath(t.bin); err != nil {
			return fmt.Errorf("%s not found: install it with 'apt-get install %s'", t.bin, t.pkg)
		}
	}
	if strings.ContainsAny(d.cache, " \t\n'\"") {
		return fmt.Errorf("cache folder %q must not contain spaces or quotes", d.cache)
	}
	if d.mirror == "" {
		return fmt.Errorf("no Debian mirror: none found in the host's apt sources;" +
			" set KILN_DEBIAN_MIRROR to the archive URI")
	}
	u := strings.TrimSuffix(d.mirror, "/") + "/dists/" + debianSuite + "/InRelease"
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodHead, u, nil)
	if err != nil {
		return fmt.Errorf("bad Debian mirror URI %q: %v", d.mirror, err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("the Debian mirror %s is unreachable: %v", d.mirror, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("the Debian mirror %s has no %s suite: %s for %s",
			d.mirror, debianSuite, resp.Status, u)
	}
	return nil
}

// mode is the mmdebstrap mode: root when we are root, unshare otherwise.
func mode() string {
	if os.Geteuid() == 0 {
		return "--mode=root"
	}
	return "--mode=unshare"
}

// mmdebstrap runs mmdebstrap with args, logging to cache/logs/name.log.
func (d *debian) mmdebstrap(ctx context.Context, name string, args []string) error {
	logs := filepath.Join(d.cache, "logs")
	if err := os.MkdirAll(logs, 0o755); err != nil {
		return err
	}
	logPath := filepath.Join(logs, name+".log")
	f, err := os.Create(logPath)
	if err != nil {
		return err
	}
	defer f.Close()
	cmd := exec.CommandContext(ctx, "mmdebstrap", append([]string{mode()}, args...)...)
	cmd.Env = append(os.Environ(), "SOURCE_DATE_EPOCH="+strconv.FormatInt(epoch.Unix(), 10))
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("mmdebstrap failed (%v); last lines of %s:\n%s", err, logPath,
			tail(logPath, 15))
	}
	return nil
}

// tail returns the last n lines of a file.
func tail(p string, n int) string {
	b, _ := os.ReadFile(p)
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// shellQuote quotes s for sh.
func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// debFiles returns the .deb files of pkgs for the architecture of p, by
// package name, downloading them (with their dependencies, which are not
// used) when the cache lacks any. Nothing is installed and no maintainer
// script runs: mmdebstrap's extract variant only unpacks.
func (d *debian) debFiles(ctx context.Context, p platform, pkgs []string) (map[string]string,
	error) {
	dir := filepath.Join(d.cache, "debs", debianSuite+"-"+p.Arch+"-"+hashKey(pkgs))
	if m, ok := findDebs(dir, pkgs); ok {
		return m, nil
	}
	if err := d.check(ctx); err != nil {
		return nil, err
	}
	logf("downloading %d Debian %s packages for %s", len(pkgs), debianSuite, p.Arch)
	out, target := dir+".new", dir+".target"
	for _, p := range []string{out, target} {
		if err := os.RemoveAll(p); err != nil {
			return nil, err
		}
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return nil, err
	}
	defer os.RemoveAll(target)
	args := []string{"--variant=extract", "--architectures=" + p.Arch,
		"--include=" + strings.Join(pkgs, ","),
		"--extract-hook=cp \"$1\"/var/cache/apt/archives/*.deb " + shellQuote(out) + "/",
		debianSuite, target}
	args = append(args, d.sources()...)
	if err := d.mmdebstrap(ctx, "debs-"+p.Arch, args); err != nil {
		return nil, err
	}
	if err := os.RemoveAll(dir); err != nil {
		return nil, err
	}
	if err := os.Rename(out, dir); err != nil {
		return nil, err
	}
	m, ok := findDebs(dir, pkgs)
	if !ok {
		return nil, fmt.Errorf("mmdebstrap did not download all of %v into %s", pkgs, dir)
	}
	return m, nil
}

// findDebs maps each of pkgs to its .deb in dir; ok is false when one is
// missing.
func findDebs(dir string, pkgs []string) (map[string]string, bool) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, false
	}
	all := map[string]string{}
	for _, e := range ents {
		n := e.Name()
		if i := strings.IndexByte(n, '_'); i > 0 && strings.HasSuffix(n, ".deb") {
			all[n[:i]] = filepath.Join(dir, n)
		}
	}
	m := map[string]string{}
	for _, p := range pkgs {
		if all[p] == "" {
			return nil, false
		}
		m[p] = all[p]
	}
	return m, true
}

// bootstrap makes (once) a Debian minbase root file system for p with pkgs
// installed, with maintainer scripts run, and returns its directory. The
// downloaded packages are kept in the cache for the next bootstrap.
func (d *debian) bootstrap(ctx context.Context, name string, p platform,
	pkgs []string) (string, error) {
	kind := name + "-" + p.Arch
	hash := hashKey(pkgs, d.sources())
	dir := filepath.Join(d.cache, "rootfs", kind+"-"+hash)
	if fi, err := os.Stat(dir); err == nil && fi.IsDir() {
		return dir, nil
	}
	if err := d.check(ctx); err != nil {
		return "", err
	}
	debs := filepath.Join(d.cache, "debs", debianSuite+"-"+p.Arch+"-bootstrap")
	for _, p := range []string{debs, filepath.Dir(dir)} {
		if err := os.MkdirAll(p, 0o755); err != nil {
			return "", err
		}
	}
	logf("bootstrapping Debian %s %s for %s (a minute or two on the first run)",
		debianSuite, p.Arch, name)
	tmp := dir + ".new"
	if err := os.RemoveAll(tmp); err != nil {
		return "", err
	}
	args := []string{"--variant=minbase", "--architectures=" + p.Arch,
		"--include=" + strings.Join(pkgs, ","),
		"--skip=essential/unlink",
		`--setup-hook=mkdir -p "$1"/var/cache/apt/archives/`,
		"--setup-hook=sync-in " + debs + " /var/cache/apt/archives/",
		"--customize-hook=sync-out /var/cache/apt/archives " + debs,
		debianSuite, tmp}
	args = append(args, d.sources()...)
	if err := d.mmdebstrap(ctx, name+"-"+p.Arch, args); err != nil {
		os.RemoveAll(tmp)
		return "", err
	}
	if err := os.Rename(tmp, dir); err != nil {
		return "", err
	}
	pruneSiblings(filepath.Dir(dir), kind, kind+"-"+hash)
	return dir, nil
}

// debPkg is a Debian package read from its .deb file.
type debPkg struct {
	Name    string
	Version string
	Arch    string
	Control []byte // the control paragraph
	Files   *tree  // the data, as dpkg-deb --fsys-tarfile gives it
}

// readDeb reads the control paragraph and the files of a .deb.
func readDeb(p string) (*debPkg, error) {
	ctrl, err := exec.Command("dpkg-deb", "--field", p).Output()
	if err != nil {
		return nil, fmt.Errorf("dpkg-deb --field %s: %v", p, err)
	}
	pkg := &debPkg{Control: ctrl, Files: newTree()}
	sc := bufio.NewScanner(bytes.NewReader(ctrl))
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		switch k {
		case "Package":
			pkg.Name = strings.TrimSpace(v)
		case "Version":
			pkg.Version = strings.TrimSpace(v)
		case "Architecture":
			pkg.Arch = strings.TrimSpace(v)
		}
	}
	cmd := exec.Command("dpkg-deb", "--fsys-tarfile", p)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	if err := pkg.Files.addTar(out, nil); err != nil {
		cmd.Process.Kill()
		cmd.Wait()
		return nil, fmt.Errorf("reading %s: %v", p, err)
	}
	if err := cmd.Wait(); err != nil {
		return nil, fmt.Errorf("dpkg-deb --fsys-tarfile %s: %v: %s", p, err, stderr.String())
	}
	return pkg, nil
}

// aptMirrors reads the apt sources below root (normally "/") and returns
// the URI of the first Debian archive that is not a security archive and
// the URI of the first security archive.
func aptMirrors(root string) (mirror, security string) {
	files := []string{filepath.Join(root, "etc/apt/sources.list")}
	for _, pat := range []string{"*.list", "*.sources"} {
		m, _ := filepath.Glob(filepath.Join(root, "etc/apt/sources.list.d", pat))
		sort.Strings(m)
		files = append(files, m...)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		var srcs [][2]string // uri, suite
		if strings.HasSuffix(f, ".sources") {
			srcs = parseDeb822(string(b))
		} else {
			srcs = parseOneLine(string(b))
		}
		for _, s := range srcs {
			sec := strings.HasSuffix(s[1], "-security") || strings.HasSuffix(s[1], "/updates")
			if sec && security == "" {
				security = s[0]
			}
			if !sec && mirror == "" {
				mirror = s[0]
			}
		}
	}
	return mirror, security
}

// parseOneLine parses "deb [options] URI suite components" lines.
func parseOneLine(s string) [][2]string {
	var out [][2]string
	for _, line := range strings.Split(s, "\n") {
		line, _, _ = strings.Cut(line, "#")
		if i := strings.Index(line, "["); i >= 0 {
			if j := strings.Index(line[i:], "]"); j >= 0 {
				line = line[:i] + line[i+j+1:]
			}
		}
		f := strings.Fields(line)
		if len(f) >= 3 && f[0] == "deb" {
			out = append(out, [2]string{f[1], f[2]})
		}
	}
	return out
}

// parseDeb822 parses the stanzas of a .sources file.
func parseDeb822(s string) [][2]string {
	var out [][2]string
	for _, stanza := range strings.Split(strings.ReplaceAll(s, "\r", ""), "\n\n") {
		fields := map[string]string{}
		for _, line := range strings.Split(stanza, "\n") {
			if strings.HasPrefix(line, "#") {
				continue
			}
			if k, v, ok := strings.Cut(line, ":"); ok && !strings.HasPrefix(k, " ") {
				fields[strings.ToLower(strings.TrimSpace(k))] = strings.TrimSpace(v)
			}
		}
		if !slices.Contains(strings.Fields(fields["types"]), "deb") ||
			strings.EqualFold(fields["enabled"], "no") {
			continue
		}
		uris, suites := strings.Fields(fields["uris"]), strings.Fields(fields["suites"])
		for _, u := range uris {
			for _, su := range suites {
				out = append(out, [2]string{u, su})
			}
		}
	}
	return out
}
