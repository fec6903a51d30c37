package integration

import (
	"bytes"
	"debug/elf"
)

// elfMachine names the machine of an ELF file, or says why it is not one.
func elfMachine(b []byte) string {
	f, err := elf.NewFile(bytes.NewReader(b))
	if err != nil {
		return "non-ELF file (" + err.Error() + ")"
	}
	switch f.Machine {
	case elf.EM_AARCH64:
		return "aarch64"
	case elf.EM_X86_64:
		return "x86-64"
	}
	return f.Machine.String()
}
