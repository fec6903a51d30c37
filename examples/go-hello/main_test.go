package main

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"testing"
)

func TestRoutes(t *testing.T) {
	srv := httptest.NewServer(newHandler())
	defer srv.Close()
	uid := strconv.Itoa(os.Getuid())
	tests := []struct {
		path, want string
		status     int
	}{
		{"/", "hello, world, from go-hello running as uid " + uid + "\n", http.StatusOK},
		{"/?name=kiln", "hello, kiln, from go-hello running as uid " + uid + "\n",
			http.StatusOK},
		{"/healthz", "ok\n", http.StatusOK},
		{"/nope", "404 page not found\n", http.StatusNotFound},
	}
	for _, tt := range tests {
		resp, err := http.Get(srv.URL + tt.path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tt.status || string(body) != tt.want {
			t.Errorf("GET %s = %d %q, want %d %q", tt.path, resp.StatusCode, body,
				tt.status, tt.want)
		}
	}
}

func TestProbe(t *testing.T) {
	srv := httptest.NewServer(newHandler())
	defer srv.Close()
	var out bytes.Buffer
	if code := probe(&out, srv.URL+"/healthz", "ok"); code != 0 || out.String() != "ok\n" {
		t.Errorf("healthy probe = %d %q, want 0 \"ok\\n\"", code, out.String())
	}
	out.Reset()
	if code := probe(&out, srv.URL+"/missing", ""); code != 1 {
		t.Errorf("probe of a missing page = %d %q, want 1", code, out.String())
	}
	srv.Close()
	out.Reset()
	if code := probe(&out, srv.URL+"/healthz", "ok"); code != 1 {
		t.Errorf("probe of a stopped server = %d %q, want 1", code, out.String())
	}
}
