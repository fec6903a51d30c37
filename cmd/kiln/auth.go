package main

import (
	"io"

	"github.com/docker/cli/cli/config"
	"github.com/moby/buildkit/session"
	"github.com/moby/buildkit/session/auth/authprovider"
)

// dockerAuth reads ~/.docker/config.json (or $DOCKER_CONFIG) and serves its
// credentials, including credential helpers, to the daemon.
func dockerAuth() session.Attachable {
	cfg := config.LoadDefaultConfigFile(io.Discard)
	return authprovider.NewDockerAuthProvider(authprovider.DockerAuthProviderConfig{
		AuthConfigProvider: authprovider.LoadAuthConfig(cfg),
	})
}
