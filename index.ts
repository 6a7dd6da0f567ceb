// Entry point: stack config -> Docker provider -> the platform -> stack outputs.
import * as docker from "@pulumi/docker";
import { loadStackConfig } from "./config/load";
import { EnrichmentPlatform } from "./platform/platform";

// Validates everything before a single resource is registered.
const config = loadStackConfig();
const { settings } = config;

const dockerProvider = new docker.Provider("docker-host", {
  host: settings.docker.host,
  sshOpts: settings.docker.sshOpts.length ? settings.docker.sshOpts : undefined,
});

const platform = new EnrichmentPlatform("enrichment", { config }, { providers: [dockerProvider] });

export const environment = settings.environment;
export const release = settings.release.version;
export const endpoints = platform.endpoints;
export const networkName = platform.network.privateNetworkName;
export const egressNetworkName = platform.network.egressNetworkName;
export const caCertificate = platform.tls.caCertPem;
export const mongodbConnectionUri = platform.mongodb.connectionUri;
export const grafanaAdminPassword = platform.secrets.get("grafana-admin-password");
export const models = platform.ollama.models;
