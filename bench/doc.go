// Package bench measures kiln against the best hand-written Dockerfile for
// the same app (testdata/Dockerfile.go-hello), both on one buildkitd. It
// holds no code of its own: the benchmark is in bench_test.go and runs with
//
//	go test -run '^$' -bench . -benchtime 1x -timeout 30m ./bench/ [-rounds 3]
//
// or, starting the test environment when it is not running, with bench/run.
// It starts a private buildkitd with the environment's configuration and
// registry mirrors (-env-daemon uses the environment's own instead). Each
// round builds examples/go-hello three ways for both contenders: cold
// (after pruning the whole build cache, so base images are pulled again
// from the local registry), again with the same inputs, and after a
// one-line change to main.go. Both export an OCI layout. It reports the
// median seconds of each scenario and the ratio kiln/Dockerfile, and, for
// the median runs, the steps that were not cached, the time in which no
// step ran, and the gateway calls of kiln's in-process frontend, so that
// a gap can be traced to its cause.
package bench
