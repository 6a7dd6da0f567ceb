// The whole platform as one component: config in, one dependency graph out.
//   network + secrets + tls -> data plane (mongodb, nsq) -> model plane (ollama, pulls)
//   -> application plane (mcp + agents, coordinator + workers, edge) -> monitoring
import * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "../config/load";
import { MongoDatabase } from "./mongodb";
import { PlatformNetwork } from "./network";
import { Nsq } from "./nsq";
import { Ollama } from "./ollama";
import { PlatformSecrets } from "./secrets";
import type { PlatformContext } from "./serviceContainer";
import { PORTS } from "./services";
import { PrivateCertificateAuthority } from "./tls";

export interface EnrichmentPlatformArgs {
  config: StackConfig;
}

export class EnrichmentPlatform extends pulumi.ComponentResource {
  readonly context: PlatformContext;
  readonly network: PlatformNetwork;
  readonly secrets: PlatformSecrets;
  readonly tls: PrivateCertificateAuthority;
  readonly mongodb: MongoDatabase;
  readonly nsq: Nsq;
  readonly ollama: Ollama;
  /** Service name -> how to reach it (private network or published host port). */
  readonly endpoints: Record<string, pulumi.Input<string>> = {};

  constructor(name: string, args: EnrichmentPlatformArgs, opts?: pulumi.ComponentResourceOptions) {
    super("enrichment:platform:EnrichmentPlatform", name, {}, opts);
    const { settings, secrets: stackSecrets } = args.config;
    const parent = { parent: this };

    this.context = {
      stack: args.config.stack,
      environment: settings.environment,
      prefix: args.config.prefix,
      protectState: args.config.protectState,
      dockerHost: settings.docker.host,
    };
    const context = this.context;
    const published = (service: string) => {
      const entry = settings.exposure.publish[service];
      return entry ? { port: entry.port, address: entry.address ?? settings.exposure.bindAddress } : undefined;
    };

    // Foundation: networks, generated secrets, certificates.
    this.network = new PlatformNetwork(
      "network",
      { context, privateSubnet: settings.network.privateSubnet, externalNetwork: settings.network.externalNetwork },
      parent,
    );
    this.secrets = new PlatformSecrets("secrets", {}, parent);
    this.tls = new PrivateCertificateAuthority(
      "tls",
      {
        organization: settings.tls.organization,
        rsaBits: settings.tls.rsaBits,
        validityDays: settings.tls.validityDays,
        earlyRenewalDays: settings.tls.earlyRenewalDays,
        caValidityDays: settings.tls.caValidityDays,
        caEarlyRenewalDays: settings.tls.caEarlyRenewalDays,
        leaves: [{ name: "edge", commonName: settings.tls.dnsNames[0], dnsNames: settings.tls.dnsNames }],
      },
      parent,
    );

    // Data plane.
    this.mongodb = new MongoDatabase(
      "mongodb",
      {
        context,
        network: this.network,
        mode: settings.mongodb.mode,
        database: settings.mongodb.database,
        appUser: settings.mongodb.appUser,
        image: settings.images.mongodb,
        ...settings.resources.mongodb,
        waitTimeoutSeconds: settings.mongodb.waitTimeoutSeconds,
        rootPassword: this.secrets.get("mongodb-root-password"),
        appPassword: this.secrets.get("mongodb-app-password"),
        adminPublish: published("mongodb"),
        adminHost: settings.mongodb.adminHost,
        externalUri: stackSecrets.mongodbExternalUri,
      },
      parent,
    );
    this.nsq = new Nsq(
      "nsq",
      {
        context,
        network: this.network,
        image: settings.images.nsq,
        topic: settings.nsq.topic,
        sizes: { nsqlookupd: settings.resources.nsqlookupd, nsqd: settings.resources.nsqd, nsqadmin: settings.resources.nsqadmin },
        publish: { nsqlookupd: published("nsqlookupd"), nsqd: published("nsqd"), nsqadmin: published("nsqadmin") },
      },
      parent,
    );

    // Model plane.
    this.ollama = new Ollama(
      "ollama",
      {
        context,
        network: this.network,
        image: settings.images.ollama,
        ...settings.resources.ollama,
        gpus: settings.ollama.gpus,
        waitTimeoutSeconds: settings.ollama.waitTimeoutSeconds,
        pullTimeoutMinutes: settings.ollama.pullTimeoutMinutes,
        models: settings.release.models,
        publish: published("ollama"),
      },
      parent,
    );

    this.endpoints.mongodb = `mongodb:${PORTS.mongodb}`;
    this.endpoints.nsqd = this.nsq.nsqdTcpAddress;
    this.endpoints.nsqlookupd = this.nsq.lookupdHttpAddress;
    this.endpoints.nsqadmin = `http://nsqadmin:${PORTS.nsqadmin}`;
    this.endpoints.ollama = this.ollama.url;

    this.registerOutputs({ endpoints: this.endpoints });
  }
}
