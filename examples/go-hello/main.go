// Command go-hello is a small HTTP service that kiln builds into a
// distroless image. GET / answers a greeting that names the uid the server
// runs as, and GET /healthz answers "ok".
//
// The image has no shell and no curl, so the binary probes itself:
// "go-hello -healthcheck" requests /healthz on the running server and exits
// 0 when it answers ok and 1 otherwise, which makes it usable as an
// exec-form container health check. "go-hello -get /" prints any page.
//
// The server listens on port 8080; the PORT variable overrides it.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sync/errgroup"
)

func main() {
	healthcheck := flag.Bool("healthcheck", false,
		"request /healthz on the local server; exit 0 when it answers ok, 1 otherwise")
	get := flag.String("get", "", "request `PATH` on the local server, print the answer and exit")
	flag.Parse()

	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}
	base := "http://127.0.0.1:" + port
	switch {
	case *healthcheck:
		os.Exit(probe(os.Stdout, base+"/healthz", "ok"))
	case *get != "":
		os.Exit(probe(os.Stdout, base+"/"+strings.TrimPrefix(*get, "/"), ""))
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := serve(ctx, ":"+port, newHandler()); err != nil {
		log.Fatal(err)
	}
}

// newHandler returns the routes of the service.
func newHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		name := r.URL.Query().Get("name")
		if name == "" {
			name = "world"
		}
		fmt.Fprintf(w, "hello, %s, from go-hello running as uid %d\n", name, os.Getuid())
	})
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "ok\n")
	})
	return mux
}

// serve runs the server on addr until ctx is done, then lets the requests
// in flight finish for up to five seconds.
func serve(ctx context.Context, addr string, h http.Handler) error {
	srv := &http.Server{Addr: addr, Handler: h, ReadHeaderTimeout: 5 * time.Second}
	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		log.Printf("go-hello listening on %s", addr)
		if err := srv.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	})
	g.Go(func() error {
		<-ctx.Done()
		shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return srv.Shutdown(shutdownCtx)
	})
	return g.Wait()
}

// probe requests url and prints the answer to w. It returns the exit code:
// 0 when the server answers 200 (and, when want is set, a body of want),
// 1 otherwise.
func probe(w io.Writer, url, want string) int {
	c := &http.Client{Timeout: 3 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		fmt.Fprintf(w, "unhealthy: %v\n", err)
		return 1
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		fmt.Fprintf(w, "unhealthy: reading %s: %v\n", url, err)
		return 1
	}
	text := strings.TrimSpace(string(body))
	if resp.StatusCode != http.StatusOK || (want != "" && text != want) {
		fmt.Fprintf(w, "unhealthy: %s answered %s: %q\n", url, resp.Status, text)
		return 1
	}
	fmt.Fprintln(w, text)
	return 0
}
