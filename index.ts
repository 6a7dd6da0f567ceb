// Entry point: stack config -> Docker provider -> the platform -> stack outputs.
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { loadStackConfig } from "./config/fromEngine";
import { EnrichmentPlatform } from "./platform/platform";
import { platformValues } from "./platform/values";

// Validates everything before a single resource is registered.
const config = loadStackConfig();
const { settings } = config;

// Every container the stack deploys, by name, as registered: a transformation that only observes
// (it returns no change). `npm run verify` checks that each one exists, so one removed by hand is noticed.
const containerNames: string[] = [];
const recordContainerNames: pulumi.ResourceTransformation = (args) => {
  if (args.type === "docker:index/container:Container" && typeof args.props.name === "string") containerNames.push(args.props.name);
  return undefined;
};

// A Docker host, or a swarm's manager (enrichment:deployTarget).
const dockerProvider = new docker.Provider("docker-host", platformValues(config).provider);

const platform = new EnrichmentPlatform("enrichment", { config }, { providers: [dockerProvider], transformations: [recordContainerNames] });

export const environment = settings.environment;
export const release = settings.release.version;
export const endpoints = platform.endpoints;
export const networkName = platform.network.privateNetworkName;
export const egressNetworkName = platform.network.egressNetworkName;
export const caCertificate = platform.tls.caCertPem;
export const mongodbConnectionUri = platform.mongodb.connectionUri;
export const grafanaAdminPassword = platform.secrets.get("grafana-admin-password");
export const models = platform.ollama.models;
// Read by `npm run verify` (docs/verify.md, "Stack outputs"); the names are kept stable.
export const namePrefix = config.prefix;
export const containers = containerNames;
export const mongodbAdminUri = platform.mongodb.adminUri;
