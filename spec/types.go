package spec

// Spec is a kiln.yaml file, version 1: what to build and how the runtime
// image must look. Keys starting with "x-" are ignored in every mapping of
// spec keys, so they can hold YAML anchors and notes.
type Spec struct {
	// Name of the application, used in image labels and cache ids. Required.
	// Lowercase letters, digits and hyphens, at most 63 characters, starting
	// and ending with a letter or digit.
	Name string `json:"name"`

	// Language selects the preset that supplies the toolchain image, the
	// dependency step, the cache directories and the runtime base. Required.
	// One of go, node, python, rust, java or static (prebuilt files copied
	// from the build context).
	Language Language `json:"language"`

	// Toolchain is the version of the language toolchain, such as "1.26" for
	// Go or "22" for Node.js. Optional; the preset picks one when omitted.
	// Write it quoted: unquoted 1.20 is the number 1.2. Not used by static.
	Toolchain string `json:"toolchain,omitempty"`

	// Source is the application folder, relative to the root of the build
	// context. Default ".".
	Source string `json:"source,omitempty" jsonschema:"default=."`

	// Args declares the build arguments the spec accepts, each with its
	// default value. Only declared arguments and the standard platform
	// arguments (TARGETOS, TARGETARCH, ...) may be passed with --build-arg or
	// referenced as ${NAME}.
	Args Vars `json:"args,omitempty"`

	// Build configures the build step, which runs in the toolchain image
	// without network access. Optional; the preset supplies defaults. Not
	// allowed for language static.
	Build Build `json:"build,omitzero"`

	// Runtime describes the runtime image.
	Runtime Runtime `json:"runtime,omitzero"`

	// Policy chooses how hardening rules are enforced and lists the written
	// exceptions.
	Policy Policy `json:"policy,omitzero"`

	// file is the name given to Parse.
	file string
	// pos holds the range of every value in the file, by key path.
	pos map[string]Range
	// keys holds the range of every mapping key in the file, by key path.
	keys map[string]Range
	// inner holds, for single-line string scalars, the column where the
	// text starts (after an opening quote), by key path.
	inner map[string]int
	// expanded is set by Expand: ${NAME} references are resolved and any
	// remaining dollar sign is literal text.
	expanded bool
}

// Language names a language preset.
type Language string

// The language presets.
const (
	Go     Language = "go"     // Go modules, built with the go command
	Node   Language = "node"   // Node.js packages, installed with npm
	Python Language = "python" // Python applications
	Rust   Language = "rust"   // Rust crates, built with cargo
	Java   Language = "java"   // Java applications on a Temurin JDK
	Static Language = "static" // prebuilt files copied from the build context
)

// Languages returns every known Language.
func Languages() []Language {
	return []Language{Go, Node, Python, Rust, Java, Static}
}

// Build configures the build step.
type Build struct {
	// Packages are Debian packages installed as root in the toolchain stage
	// before the dependency step, such as libsqlite3-dev. A version may be
	// pinned as name=version.
	Packages []string `json:"packages,omitempty"`

	// Env sets environment variables for the dependency and build steps.
	Env Vars `json:"env,omitempty"`

	// Run lists the shell commands of the build step, run in order in the
	// source folder without network access. They must write the files the
	// runtime image needs under output. Build arguments are set as
	// environment variables, so the shell expands $NAME in these commands;
	// kiln does not. Optional; the preset supplies a default.
	Run []string `json:"run,omitempty"`

	// Secrets are mounted as files while the build commands run; they never
	// reach an image layer. Pass them with --secret id=...,src=....
	Secrets []Secret `json:"secrets,omitempty"`

	// Output is the absolute folder that the build commands write their
	// results to; runtime.copy entries copy from it. Default "/out".
	Output string `json:"output,omitempty" jsonschema:"default=/out"`
}

// Secret is a build secret mounted as a file during the build step.
type Secret struct {
	// ID is the secret's id, as in --secret id=ID. Required.
	ID string `json:"id"`

	// Target is the absolute path where the secret file is mounted.
	// Default "/run/secrets/ID".
	Target string `json:"target,omitempty"`

	// Required makes the build fail when the secret is not provided.
	// Default false.
	Required bool `json:"required,omitempty"`
}

// Runtime describes the runtime image.
type Runtime struct {
	// Base is the runtime base image: a distroless flavour short name
	// (static, base or cc) or a full image reference such as
	// gcr.io/distroless/static-debian13. Optional; the preset picks one.
	Base string `json:"base,omitempty"`

	// User is the user the application runs as: a number such as 65532 or
	// a "uid:gid" string. A lone number N means "N:N". Default
	// "65532:65532".
	User User `json:"user,omitempty" jsonschema:"default=65532:65532"`

	// Entrypoint is the program and its first arguments, in exec form.
	// Optional; the preset may supply one.
	Entrypoint []string `json:"entrypoint,omitempty"`

	// Cmd lists the default arguments passed after the entrypoint, in exec
	// form.
	Cmd []string `json:"cmd,omitempty"`

	// Workdir is the absolute working directory of the application.
	// Default "/app".
	Workdir string `json:"workdir,omitempty" jsonschema:"default=/app"`

	// Env sets environment variables in the runtime image.
	Env Vars `json:"env,omitempty"`

	// Ports lists the ports the application listens on, as a number such as
	// 8080 or a string such as "8080/tcp" or "53/udp".
	Ports []Port `json:"ports,omitempty"`

	// Copy lists the files copied into the runtime image. For language
	// static they come from the source folder; otherwise from build.output.
	// Optional; the preset may supply defaults.
	Copy []Copy `json:"copy,omitempty"`

	// Writable lists the absolute paths the runtime user may write to;
	// everything else it cannot modify.
	Writable []string `json:"writable,omitempty"`

	// Healthcheck is the container health check, in exec form only:
	// distroless images have no shell.
	Healthcheck *Healthcheck `json:"healthcheck,omitempty"`

	// StopSignal is the signal that stops the application, such as SIGTERM
	// or SIGINT.
	StopSignal string `json:"stop_signal,omitempty"`

	// Labels are added to the image configuration.
	Labels Vars `json:"labels,omitempty"`
}

// Copy is a file or folder copied into the runtime image.
type Copy struct {
	// From is the path to copy. Required. For language static it is
	// relative to the source folder; otherwise it is an absolute path under
	// build.output, such as /out/hello.
	From string `json:"from"`

	// To is the absolute destination path in the runtime image. Required.
	To string `json:"to"`

	// Mode sets the permission bits, as a quoted octal string such as
	// "0755". Optional; files keep their mode and are owned by root, so the
	// runtime user cannot modify them.
	Mode FileMode `json:"mode,omitempty"`
}

// Healthcheck is a container health check in exec form.
type Healthcheck struct {
	// Exec is the command and its arguments, in exec form, such as
	// [/app/hello, -healthcheck]. Required.
	Exec []string `json:"exec"`

	// Interval is the time between checks, such as 30s. Default 30s.
	Interval Duration `json:"interval,omitempty" jsonschema:"default=30s"`

	// Timeout is how long one check may run, such as 5s. Default 30s.
	Timeout Duration `json:"timeout,omitempty" jsonschema:"default=30s"`

	// StartPeriod is the time the application gets to start before failed
	// checks count. Default 0s.
	StartPeriod Duration `json:"start_period,omitempty"`

	// Retries is the number of consecutive failures that make the
	// container unhealthy. Default 3.
	Retries int `json:"retries,omitempty" jsonschema:"default=3"`
}

// Policy chooses how hardening rules are enforced.
type Policy struct {
	// Mode is enforce (a violated rule fails the build) or warn (it is
	// reported and the build goes on). Default enforce.
	Mode PolicyMode `json:"mode,omitempty" jsonschema:"default=enforce"`

	// Allow lists the rules this spec is exempt from, each with the reason.
	Allow []Allow `json:"allow,omitempty"`
}

// PolicyMode says what a violated hardening rule does.
type PolicyMode string

// The policy modes.
const (
	Enforce PolicyMode = "enforce" // a violated rule fails the build
	Warn    PolicyMode = "warn"    // a violated rule is reported and the build goes on
)

// Allow exempts the spec from one hardening rule.
type Allow struct {
	// Rule is the id of the rule, such as runtime-user-root. Required.
	Rule string `json:"rule"`

	// Reason says why the exception is needed; it is shown whenever the
	// rule would have fired. Required.
	Reason string `json:"reason"`
}
