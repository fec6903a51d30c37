package main

import (
	"fmt"
	"strings"
)

// explainConnect says what to do when the daemon cannot be reached: the
// gRPC error alone names neither BUILDKIT_HOST nor the fix.
func explainConnect(err error, host string) error {
	msg := err.Error()
	if !strings.Contains(msg, "while dialing") && !strings.Contains(msg, "connection refused") {
		return err
	}
	return fmt.Errorf("no BuildKit daemon answers at %s (%w); start one or set BUILDKIT_HOST "+
		"(in the kiln repository: integration/env/up)", host, err)
}
