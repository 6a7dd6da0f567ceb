// Package mapping maps the upstream Terraform Docker provider onto @pulumi/docker 5.2.0's tokens and
// property names: the same resource and data-source tokens, and the few field names that differ from
// the bridge's defaults, as @pulumi/docker's SDK sends them. tests/engine.docker-provider.test.ts
// compares the schema this mapping produces with the SDK's input types.
package mapping

import (
	"context"
	"unicode"

	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge"
	shimv2 "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfshim/sdk-v2"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
	"github.com/terraform-providers/terraform-provider-docker/internal/provider"
)

// Version is the @pulumi/docker SDK version this plugin answers for (set by build.sh from
// package-lock.json with -ldflags -X).
var Version = "5.2.0"

const (
	pkg = "docker"
	mod = "index"
)

func member(name string) tokens.ModuleMember {
	file := string(unicode.ToLower(rune(name[0]))) + name[1:]
	return tokens.ModuleMember(pkg + ":" + mod + "/" + file + ":" + name)
}

func resource(name string) tokens.Type { return tokens.Type(member(name)) }

// Provider is the bridge's description of the plugin.
func Provider() tfbridge.ProviderInfo {
	info := tfbridge.ProviderInfo{
		P:       shimv2.NewProvider(provider.New(Version)()),
		Name:    pkg,
		Version: Version,
		// The upstream's own documentation is not in the module zip; the plugin needs none.
		Description: "The upstream Terraform Docker provider (kreuzwerker), bridged for the e2e",
		GitHubOrg:   "kreuzwerker",
		Config: map[string]*tfbridge.SchemaInfo{
			"host": {
				Default: &tfbridge.DefaultInfo{
					EnvVars: []string{"DOCKER_HOST"},
					ComputeDefault: func(context.Context, tfbridge.ComputeDefaultOptions) (interface{}, error) {
						return "unix:///var/run/docker.sock", nil
					},
				},
			},
			"registry_auth": {Name: "registryAuth", MaxItemsOne: tfbridge.False()},
		},
		Resources: map[string]*tfbridge.ResourceInfo{
			"docker_config": {Tok: resource("ServiceConfig")},
			"docker_container": {
				Tok: resource("Container"),
				// A container has a fixed name: the old one must go before the new one can exist.
				DeleteBeforeReplace: true,
				Fields: map[string]*tfbridge.SchemaInfo{
					// One command line, not a list of commands: never pluralized.
					"command":           {Name: "command"},
					"networks_advanced": {Name: "networksAdvanced"},
				},
			},
			"docker_image": {
				Tok:    resource("RemoteImage"),
				Fields: map[string]*tfbridge.SchemaInfo{"name": {Name: "name"}},
			},
			"docker_network":        {Tok: resource("Network")},
			"docker_secret":         {Tok: resource("Secret")},
			"docker_service":        {Tok: resource("Service")},
			"docker_volume":         {Tok: resource("Volume")},
			"docker_registry_image": {Tok: resource("RegistryImage")},
			"docker_plugin":         {Tok: resource("Plugin")},
			"docker_tag":            {Tok: resource("Tag")},
			"docker_buildx_builder": {Tok: resource("BuildxBuilder")},
		},
		DataSources: map[string]*tfbridge.DataSourceInfo{
			"docker_network":                  {Tok: member("getNetwork")},
			"docker_registry_image":           {Tok: member("getRegistryImage")},
			"docker_registry_image_manifests": {Tok: member("getRegistryImageManifests")},
			"docker_plugin":                   {Tok: member("getPlugin")},
			"docker_image":                    {Tok: member("getRemoteImage")},
			"docker_logs":                     {Tok: member("getLogs")},
		},
	}
	// As @pulumi/docker: a resource whose `name` is left out gets the Pulumi name plus a suffix.
	info.SetAutonaming(255, "-")
	return info
}
