package policy

import (
	"debug/elf"
	"strconv"
	"strings"
)

// machine is the ELF header an architecture's programs carry.
type machine struct {
	m     elf.Machine
	class elf.Class
	// order is "LittleEndian" or "BigEndian"; empty when the machine has
	// one byte order only.
	order string
}

// machines maps GOARCH names, which BuildKit platforms use, to machines.
var machines = map[string]machine{
	"386":      {elf.EM_386, elf.ELFCLASS32, ""},
	"amd64":    {elf.EM_X86_64, elf.ELFCLASS64, ""},
	"arm":      {elf.EM_ARM, elf.ELFCLASS32, ""},
	"arm64":    {elf.EM_AARCH64, elf.ELFCLASS64, ""},
	"loong64":  {elf.EM_LOONGARCH, elf.ELFCLASS64, ""},
	"mips64le": {elf.EM_MIPS, elf.ELFCLASS64, "LittleEndian"},
	"ppc64":    {elf.EM_PPC64, elf.ELFCLASS64, "BigEndian"},
	"ppc64le":  {elf.EM_PPC64, elf.ELFCLASS64, "LittleEndian"},
	"riscv64":  {elf.EM_RISCV, elf.ELFCLASS64, ""},
	"s390x":    {elf.EM_S390, elf.ELFCLASS64, ""},
}

// matches reports whether info describes a program for m.
func (m machine) matches(info elfInfo) bool {
	return info.machine == m.m && info.class == m.class &&
		(m.order == "" || info.order == m.order)
}

// arch names the architecture of info for messages, as GOARCH when known.
func (info elfInfo) arch() string {
	for _, name := range []string{"386", "amd64", "arm", "arm64", "loong64", "mips64le",
		"ppc64", "ppc64le", "riscv64", "s390x"} {
		if machines[name].matches(info) {
			return name
		}
	}
	return strings.TrimPrefix(info.machine.String(), "EM_")
}

// normalizeArch turns a platform such as linux/arm64/v8 or an architecture
// such as arm64 into the architecture name.
func normalizeArch(arch string) string {
	parts := strings.Split(arch, "/")
	if len(parts) > 1 && !isArch(parts[0]) {
		parts = parts[1:] // an OS first
	}
	switch a := parts[0]; a {
	case "x86_64", "x86-64":
		return "amd64"
	case "aarch64":
		return "arm64"
	default:
		return a
	}
}

// isArch reports whether s is an architecture name kiln knows.
func isArch(s string) bool {
	_, ok := machines[s]
	return ok || s == "x86_64" || s == "aarch64"
}

// isVersion reports whether v is a dotted version such as 2.34 or 2.2.5.
func isVersion(v string) bool {
	for _, p := range strings.Split(v, ".") {
		if _, err := strconv.Atoi(p); err != nil {
			return false
		}
	}
	return v != ""
}

// compareVersions compares dotted versions numerically: 2.9 < 2.34.
func compareVersions(a, b string) int {
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := range max(len(as), len(bs)) {
		var x, y int
		if i < len(as) {
			x, _ = strconv.Atoi(as[i])
		}
		if i < len(bs) {
			y, _ = strconv.Atoi(bs[i])
		}
		if x != y {
			if x < y {
				return -1
			}
			return 1
		}
	}
	return 0
}
