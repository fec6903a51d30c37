package policy

// Rule ids, for callers that refer to one rule.
const (
	ArtifactLibcTooNew    = "artifact-libc-too-new"
	ArtifactNeedsLibc     = "artifact-needs-libc"
	ArtifactWrongArch     = "artifact-wrong-arch"
	BaseLatestTag         = "base-latest-tag"
	BaseNotMinimal        = "base-not-minimal"
	BaseUnpinned          = "base-unpinned"
	BuildNetwork          = "build-network"
	HealthcheckShellForm  = "healthcheck-shell-form"
	PrivilegedPort        = "privileged-port"
	RootfsAppWritable     = "rootfs-app-writable"
	RootfsEntrypoint      = "rootfs-entrypoint"
	RootfsPackageManager  = "rootfs-package-manager"
	RootfsSecretFile      = "rootfs-secret-file"
	RootfsSetuid          = "rootfs-setuid"
	RootfsShell           = "rootfs-shell"
	RootfsWorldWritable   = "rootfs-world-writable"
	RuntimeUserNotNumeric = "runtime-user-not-numeric"
	RuntimeUserRoot       = "runtime-user-root"
	SecretInEnv           = "secret-in-env"
)

// catalogue is every rule, sorted by id. The pages in docs/rules repeat
// the title, why and fix word for word; a test keeps them in step.
var catalogue = []Rule{
	{
		ID:    ArtifactLibcTooNew,
		Title: "An executable needs a newer C library or a library the base lacks",
		Why: "A program linked against a newer glibc than the runtime base has, or " +
			"against a shared library the base does not ship, fails at start with " +
			"\"version GLIBC_2.xx not found\" or \"cannot open shared object file\".",
		Fix: "Build on the same Debian release as the runtime base, link the program " +
			"statically, or choose a runtime base that has the library.",
		Severity: SeverityError, Scope: ScopeArtifact,
	},
	{
		ID:    ArtifactNeedsLibc,
		Title: "A dynamically linked executable on a base without a C library",
		Why: "A program with an ELF interpreter or needed shared libraries cannot " +
			"start on a base such as distroless static, which has no C library: the " +
			"kernel reports \"no such file or directory\" for a file that exists.",
		Fix: "Link the program statically (for Go, set CGO_ENABLED=0 in build.env), " +
			"or set runtime.base to base or cc, which have glibc.",
		Severity: SeverityError, Scope: ScopeArtifact,
	},
	{
		ID:    ArtifactWrongArch,
		Title: "An executable is built for another CPU architecture",
		Why: "A program built for one architecture fails with \"exec format error\" " +
			"on another; in a multi-platform build this usually means the build " +
			"ignored TARGETARCH.",
		Fix: "Build for the target platform: pass GOARCH=$TARGETARCH (or the " +
			"toolchain's equivalent) in build.run, or copy the binary for " +
			"${TARGETARCH} in runtime.copy.",
		Severity: SeverityError, Scope: ScopeArtifact,
	},
	{
		ID:    BaseLatestTag,
		Title: "The runtime base uses the latest tag",
		Why: "latest names whatever was pushed last, so two builds of the same spec " +
			"can ship different operating system files, and nobody can tell from " +
			"the spec which one a running image has.",
		Fix: "Name a version tag and pin the digest, as in " +
			"gcr.io/distroless/static-debian13:nonroot@sha256:..., or use a short " +
			"name (static, base, cc), which kiln resolves and records.",
		Severity: SeverityError, Scope: ScopeSpec,
	},
	{
		ID:    BaseNotMinimal,
		Title: "The runtime base is not a known minimal image",
		Why: "A general-purpose base carries a shell, a package manager and hundreds " +
			"of packages an attacker can use and a scanner will flag; a minimal base " +
			"has only what a program needs to run.",
		Fix: "Use a short name (static, base or cc), another gcr.io/distroless image, " +
			"cgr.dev/chainguard/static or scratch; when the application really needs " +
			"this base, allow the rule with the reason.",
		Severity: SeverityError, Scope: ScopeSpec,
	},
	{
		ID:    BaseUnpinned,
		Title: "A base image is not pinned by digest",
		Why: "A tag can be moved to another image at any time, so the same spec can " +
			"build different images tomorrow; a digest names exactly one image.",
		Fix: "Run 'kiln lock' beside kiln.yaml and commit kiln.lock, which records " +
			"the digest of every base image, or append @sha256:<digest> to the " +
			"reference in the spec.",
		Severity: SeverityError, Scope: ScopeSpec,
	},
	{
		ID:    BuildNetwork,
		Title: "The build step asks for network access",
		Why: "kiln downloads dependencies in the dependency step, from the manifests " +
			"only, and runs the build step offline, so a build cannot fetch code " +
			"that no lock file and no cache key records.",
		Fix: "Move downloads to the dependency step (declare them in the language's " +
			"manifest and lock file), and stop asking for network in the build step.",
		Severity: SeverityError, Scope: ScopeSpec,
	},
	{
		ID:    HealthcheckShellForm,
		Title: "The health check runs a shell",
		Why: "A minimal runtime image has no shell, so a health check that starts sh " +
			"or bash fails every time and the container is marked unhealthy.",
		Fix: "Run the program directly, as in exec: [/app/hello, -healthcheck]; " +
			"give the application a health check flag or endpoint if it has none.",
		Severity: SeverityError, Scope: ScopeSpec,
	},
	{
		ID:    PrivilegedPort,
		Title: "A port below 1024 with a non-root user",
		Why: "On many hosts a non-root process cannot bind a port below 1024 " +
			"without CAP_NET_BIND_SERVICE, so the application fails at start.",
		Fix: "Listen on a port from 1024 up, such as 8080, and map it to the " +
			"public port in the orchestrator.",
		Severity: SeverityWarning, Scope: ScopeSpec,
	},
	{
		ID:    RootfsAppWritable,
		Title: "The runtime user can modify a file outside runtime.writable",
		Why: "If the application can rewrite its own program, libraries or " +
			"configuration, an attacker who gets code execution can make the " +
			"change survive a restart of the process.",
		Fix: "Keep application files owned by root and not writable by others; " +
			"list the folders the application must write under runtime.writable.",
		Severity: SeverityError, Scope: ScopeRootfs,
	},
	{
		ID:    RootfsEntrypoint,
		Title: "The program the image runs is missing or not executable",
		Why: "An entrypoint that does not exist in the runtime image, cannot be " +
			"executed by the runtime user or needs an interpreter the image lacks " +
			"builds fine and fails only when the container starts.",
		Fix: "Copy the program into the runtime image with runtime.copy, give it an " +
			"execute bit for the runtime user (mode \"0755\"), and point " +
			"runtime.entrypoint at its absolute path.",
		Severity: SeverityError, Scope: ScopeRootfs,
	},
	{
		ID:    RootfsPackageManager,
		Title: "The runtime image has a package manager",
		Why: "A package manager lets an intruder install tools into a running " +
			"container, and its database makes scanners report packages the " +
			"application never uses.",
		Fix: "Use a distroless runtime base; install system packages in the build " +
			"with build.packages and copy only the files the program needs.",
		Severity: SeverityError, Scope: ScopeRootfs,
	},
	{
		ID:    RootfsSecretFile,
		Title: "The runtime image contains a secret or a repository",
		Why: "Anyone who can pull the image can read every file in it: private keys, " +
			".env files, registry credentials in .npmrc or .netrc, and a .git " +
			"folder with the whole history.",
		Fix: "Copy only build outputs into the runtime image, exclude such files in " +
			".dockerignore, and pass credentials with --secret and build.secrets.",
		Severity: SeverityError, Scope: ScopeRootfs,
	},
	{
		ID:    RootfsSetuid,
		Title: "The runtime image has a setuid or setgid file",
		Why: "A setuid or setgid program runs with its owner's or group's rights, " +
			"which a non-root user can abuse to gain them.",
		Fix: "Remove the setuid and setgid bits (copy the file with mode \"0755\"), " +
			"or leave the file out of the runtime image.",
		Severity: SeverityError, Scope: ScopeRootfs,
	},
	{
		ID:    RootfsShell,
		Title: "The runtime image has a shell",
		Why: "A shell is the first thing an intruder reaches for; an image without " +
			"one stops most exploit chains that try to run commands.",
		Fix: "Use a distroless runtime base (static, base or cc), and do not copy a " +
			"shell or busybox into the image.",
		Severity: SeverityError, Scope: ScopeRootfs,
	},
	{
		ID:    RootfsWorldWritable,
		Title: "A file or folder is writable by every user",
		Why: "Any process in the container, whatever its user, can change a " +
			"world-writable file or plant files in a world-writable folder.",
		Fix: "Remove the write bit for others (mode \"0755\" or \"0644\"); give the " +
			"runtime user its own folder through runtime.writable.",
		Severity: SeverityError, Scope: ScopeRootfs,
	},
	{
		ID:    RuntimeUserNotNumeric,
		Title: "The runtime user is a name, not a number",
		Why: "Kubernetes runAsNonRoot can only verify a numeric user, and kiln sets " +
			"file owners by number, so a user name makes both guess.",
		Fix:      "Write runtime.user as a number or \"uid:gid\", such as 65532:65532.",
		Severity: SeverityError, Scope: ScopeSpec,
	},
	{
		ID:    RuntimeUserRoot,
		Title: "The application runs as root",
		Why: "A process running as root in a container is root on the host's kernel: " +
			"an escape or a mounted volume gives an attacker full control.",
		Fix: "Run as a non-root numeric user, such as 65532:65532 (the default), and " +
			"list the folders it must write under runtime.writable.",
		Severity: SeverityError, Scope: ScopeSpec,
	},
	{
		ID:    SecretInEnv,
		Title: "A credential is passed in env or args",
		Why: "Environment variables and build arguments are stored in the image " +
			"configuration, the build history and provenance, where anyone who " +
			"can pull the image can read them.",
		Fix: "Mount build credentials as files with build.secrets (--secret " +
			"id=...,src=...), and give the application its runtime credentials " +
			"from the orchestrator's secrets.",
		Severity: SeverityError, Scope: ScopeSpec,
	},
}
