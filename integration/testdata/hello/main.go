// Command hello prints the user it runs as, so tests can see the image's user.
package main

import (
	"fmt"
	"os"
)

func main() {
	_, err := os.Stat("/etc/ssl/certs/ca-certificates.crt")
	fmt.Printf("hello from kiln: uid=%d gid=%d ca=%t\n", os.Getuid(), os.Getgid(), err == nil)
}
