package policy

import (
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strings"
)

// maxSecretRead bounds how much of a candidate file rootfs-secret-file
// reads: a private key or a credential line sits near the start.
const maxSecretRead = 64 << 10

// credentialFile is a configuration file that may hold credentials.
type credentialFile struct {
	// what names the file in messages.
	what string
	// creds matches the content that is a credential; nil means the file
	// is one whenever it is not empty.
	creds *regexp.Regexp
}

// credentialFiles are the files rootfs-secret-file reads, by name. A value
// that refers to an environment variable (${NPM_TOKEN}) is no credential.
var credentialFiles = map[string]credentialFile{
	".npmrc": {"an npm configuration with a token or password", regexp.MustCompile(
		`(?m)^\s*(//\S*:)?(_authToken|_auth|_password|password)\s*=\s*[^\s$]`)},
	".netrc": {"a .netrc with a password", regexp.MustCompile(`(^|\s)password\s+[^\s$]`)},
	"_netrc": {"a _netrc with a password", regexp.MustCompile(`(^|\s)password\s+[^\s$]`)},
	".pypirc": {"a .pypirc with a password", regexp.MustCompile(
		`(?m)^\s*password\s*[=:]\s*[^\s$]`)},
	".git-credentials": {"a Git credential store", nil},
}

// dockerConfigAuth matches a registry login stored in a Docker config.
var dockerConfigAuth = regexp.MustCompile(`"auth"\s*:\s*"[^"]+"`)

// keyNames are the file names of SSH private keys.
var keyNames = []string{"id_dsa", "id_ecdsa", "id_ecdsa_sk", "id_ed25519", "id_ed25519_sk",
	"id_rsa"}

// keyExts are the extensions of files that often hold a private key.
var keyExts = []string{".key", ".p8", ".pem"}

// keyStoreExts are the extensions of PKCS#12 key stores.
var keyStoreExts = []string{".p12", ".pfx"}

// envTemplates end the names of .env files that are examples, not secrets.
var envTemplates = []string{"defaults", "dist", "example", "sample", "template"}

// secretFile applies rootfs-secret-file to f, reading it when its name
// makes it a candidate. It returns fs.SkipDir for a .git folder, which is
// reported once.
func (c *rootfsCheck) secretFile(f File) error {
	name := path.Base(f.Path)
	if name == ".git" {
		c.add(RootfsSecretFile, f.Path, fmt.Sprintf("the runtime image has the Git "+
			"repository data %s, with the whole history of the source; copy only build "+
			"outputs and add .git to .dockerignore", f.Path))
		if f.Mode.IsDir() {
			return fs.SkipDir
		}
		return nil
	}
	if !f.Mode.IsRegular() || f.Size == 0 {
		return nil
	}
	what, err := c.secretIn(f, name)
	if err != nil || what == "" {
		return err
	}
	c.add(RootfsSecretFile, f.Path, fmt.Sprintf("%s is %s, and anyone who can pull the "+
		"image can read it; keep it out of the runtime image (.dockerignore, "+
		"runtime.copy) and pass credentials with --secret and build.secrets", f.Path, what))
	return nil
}

// secretIn says what secret the regular file f holds, or "".
func (c *rootfsCheck) secretIn(f File, name string) (string, error) {
	ext := path.Ext(name)
	switch {
	case isEnvFile(name):
		return "an environment file (" + name + ")", nil
	case slices.Contains(keyStoreExts, ext):
		return "a PKCS#12 key store, which holds private keys", nil
	}
	var match func(data []byte) string
	if cf, ok := credentialFiles[name]; ok {
		match = func(data []byte) string {
			if cf.creds == nil || cf.creds.Match(data) {
				return cf.what
			}
			return ""
		}
	} else if name == "config.json" && path.Base(path.Dir(f.Path)) == ".docker" {
		match = func(data []byte) string {
			if dockerConfigAuth.Match(data) {
				return "a Docker configuration with a registry login"
			}
			return ""
		}
	} else if slices.Contains(keyNames, name) || slices.Contains(keyExts, ext) ||
		appFile(f) {
		match = func(data []byte) string {
			if privateKeyPEM.Match(data) {
				return "a private key"
			}
			return ""
		}
	} else {
		return "", nil
	}
	data, err := c.t.fsys.ReadFile(c.t.ctx, f.Path, maxSecretRead)
	if err != nil {
		return "", fmt.Errorf("reading %s: %w", f.Path, err)
	}
	return match(data), nil
}

// maxAppFile is the size up to which an extensionless file outside the
// system folders is read for a private key, such as a deploy_key: keys are
// small, and so are the few such files of a minimal image. Files with an
// extension (.js, .html, ...) are judged by their name only.
const maxAppFile = 16 << 10

// systemDirs hold the base image's own files, which kiln does not read.
var systemDirs = []string{"/usr/", "/lib", "/etc/ssl/", "/var/lib/dpkg/", "/etc/ca-certificates"}

// appFile reports whether f is a small extensionless file outside the
// system folders, read for a private key by content.
func appFile(f File) bool {
	if f.Size > maxAppFile || path.Ext(f.Path) != "" || path.Dir(f.Path) == "/etc" {
		return false // /etc itself holds the base's passwd, hostname, os-release...
	}
	for _, d := range systemDirs {
		if strings.HasPrefix(f.Path, d) {
			return false
		}
	}
	return true
}

// isEnvFile reports whether name is a dotenv file such as .env or
// .env.production, and not an example such as .env.example.
func isEnvFile(name string) bool {
	if name == ".env" {
		return true
	}
	rest, ok := strings.CutPrefix(name, ".env.")
	return ok && !slices.Contains(envTemplates, rest)
}
