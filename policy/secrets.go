package policy

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/kilnbuild/kiln/spec"
)

// credentialWords are the words of a variable name that say it holds a
// credential.
var credentialWords = []string{
	"APIKEY", "CREDENTIAL", "CREDENTIALS", "PASS", "PASSPHRASE", "PASSWD", "PASSWORD",
	"PRIVATEKEY", "PWD", "SECRET", "TOKEN",
}

// credentialPairs are two adjacent words of a name that say the same.
var credentialPairs = [][2]string{{"API", "KEY"}, {"ACCESS", "KEY"}, {"PRIVATE", "KEY"}}

// referenceWords end names that hold where a credential is, or something
// about it, rather than the credential: DB_PASSWORD_FILE, TOKEN_URL.
var referenceWords = []string{
	"DIR", "ENABLED", "ENDPOINT", "EXPIRY", "FILE", "HEADER", "HOST", "LENGTH", "MODE",
	"NAME", "PATH", "TTL", "TYPE", "URI", "URL",
}

// nameWords splits a variable name into upper-case words.
var nameWords = regexp.MustCompile(`[A-Z0-9]+`)

// credentialName returns the word of name that marks it as a credential,
// or "" when the name looks harmless.
func credentialName(name string) string {
	if name == "PWD" || name == "OLDPWD" {
		return "" // the shell's working folder
	}
	words := nameWords.FindAllString(strings.ToUpper(name), -1)
	if len(words) == 0 || slices.Contains(referenceWords, words[len(words)-1]) {
		return ""
	}
	for i, w := range words {
		if slices.Contains(credentialWords, w) {
			return w
		}
		for _, p := range credentialPairs {
			if i+1 < len(words) && w == p[0] && words[i+1] == p[1] {
				return p[0] + "_" + p[1]
			}
		}
	}
	return ""
}

// secretValue is a pattern of text that is a credential whatever the name
// of the variable that holds it.
type secretValue struct {
	what string
	re   *regexp.Regexp
}

// privateKeyPEM matches the header of a PEM-encoded private key of any
// kind (RSA, EC, OPENSSH, PKCS#8, encrypted).
var privateKeyPEM = regexp.MustCompile(`-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----`)

// secretValues are the credential formats that secret-in-env and
// rootfs-secret-file recognise.
var secretValues = []secretValue{
	{"a PEM private key", privateKeyPEM},
	{"an AWS access key id", regexp.MustCompile(`\b(AKIA|ASIA)[0-9A-Z]{16}\b`)},
	{"a GitHub token", regexp.MustCompile(`\b(gh[oprsu]_[A-Za-z0-9]{36,}|github_pat_\w{22,})`)},
	{"a GitLab token", regexp.MustCompile(`\bglpat-[A-Za-z0-9_-]{20,}`)},
	{"a Slack token", regexp.MustCompile(`\bxox[abprs]-[A-Za-z0-9-]{10,}`)},
	{"an npm token", regexp.MustCompile(`\bnpm_[A-Za-z0-9]{36}\b`)},
	{"a Stripe secret key", regexp.MustCompile(`\b[rs]k_live_[A-Za-z0-9]{16,}`)},
	{"a Google API key", regexp.MustCompile(`\bAIza[0-9A-Za-z_-]{35}`)},
	{"a JSON web token", regexp.MustCompile(
		`\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}`)},
	{"a URL with a password", regexp.MustCompile(
		`[A-Za-z][A-Za-z0-9+.-]*://[^/\s:@]+:[^/\s@$]+@`)},
}

// secretIn returns what kind of credential text holds, or "".
func secretIn(text string) string {
	for _, sv := range secretValues {
		if sv.re.MatchString(text) {
			return sv.what
		}
	}
	return ""
}

// placeholder reports whether an env value carries nothing secret even
// when the name says credential: empty, a flag, or a path to a file.
func placeholder(v string) bool {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "", "true", "false", "yes", "no", "on", "off", "0", "1":
		return true
	}
	return strings.HasPrefix(v, "/")
}

// checkSecretsInEnv applies secret-in-env to args, build.env and
// runtime.env.
func checkSecretsInEnv(s *spec.Spec) []Violation {
	var vs []Violation
	for _, kv := range s.Args.Sorted() {
		key := entryPath("args", kv.Key)
		where := "build arg " + kv.Key
		fix := buildSecretFix(kv.Key)
		if w := credentialName(kv.Key); w != "" {
			// A declared arg is a way to pass a value with --build-arg, so
			// the name alone is enough, whatever its default.
			vs = append(vs, specViolation(s, SecretInEnv, key, fmt.Sprintf(
				"%s looks like a credential (its name has %s); build args are kept in "+
					"the build history and provenance; %s", where, w, fix)))
		} else if what := secretIn(kv.Value); what != "" {
			vs = append(vs, specViolation(s, SecretInEnv, key, fmt.Sprintf(
				"the default of %s holds %s; %s", where, what, fix)))
		}
	}
	vs = append(vs, envSecrets(s, "build.env", s.Build.Env,
		"build.env is kept in the build graph and provenance", buildSecretFix)...)
	vs = append(vs, envSecrets(s, "runtime.env", s.Runtime.Env,
		"runtime.env is stored in the image config", func(string) string {
			return "give it to the container at run time from the orchestrator's " +
				"secrets, as a mounted file or an environment variable"
		})...)
	return vs
}

// envSecrets applies secret-in-env to one env mapping at key.
func envSecrets(s *spec.Spec, key string, env spec.Vars, stored string,
	fix func(name string) string) []Violation {
	var vs []Violation
	for _, kv := range env.Sorted() {
		at := entryPath(key, kv.Key)
		if what := secretIn(kv.Value); what != "" {
			vs = append(vs, specViolation(s, SecretInEnv, at, fmt.Sprintf(
				"%s holds %s; %s; %s", at, what, stored, fix(kv.Key))))
			continue
		}
		if w := credentialName(kv.Key); w != "" && !placeholder(kv.Value) {
			vs = append(vs, specViolation(s, SecretInEnv, at, fmt.Sprintf(
				"%s looks like a credential (its name has %s); %s; %s",
				at, w, stored, fix(kv.Key))))
		}
	}
	return vs
}

// buildSecretFix says how to pass a build credential named name instead.
func buildSecretFix(name string) string {
	id := strings.ToLower(strings.ReplaceAll(name, "_", "-"))
	return fmt.Sprintf("pass it with --secret id=%s,src=FILE and mount it with "+
		"build.secrets: [{id: %s}], which reaches no layer", id, id)
}

// simpleKey matches mapping keys that the spec writes without quotes in a
// key path.
var simpleKey = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]*$`)

// entryPath returns the spec key path of the user-named key inside the
// mapping at parent, in the form spec.Spec.Pos reads.
func entryPath(parent, key string) string {
	if simpleKey.MatchString(key) {
		return parent + "." + key
	}
	return fmt.Sprintf("%s[%q]", parent, key)
}
