// NSQ: nsqlookupd, nsqd and nsqadmin, and the enrichment topic created once nsqd is healthy.
// nsqd keeps its queue (messages beyond --mem-queue-size, and every topic and channel) in
// --data-path on a named volume, protected like the other state, so a replacement loses nothing.
import * as command from "@pulumi/command";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { IMAGES } from "../../facts/images";
import { dockerEnvironment } from "../../components/dockerCommand";
import type { PlatformNetwork } from "../../components/network";
import type { PlatformContext } from "../../components/context";
import { deployService, PlatformService, stateVolume } from "../../components/deploy";
import { PORTS } from "../../facts/services";

type Size = { memoryMb: number; cpus: number };

export interface NsqArgs {
  context: PlatformContext;
  network: PlatformNetwork;
  image: string;
  topic: string;
  sizes: { nsqlookupd: Size; nsqd: Size; nsqadmin: Size };
  /** Published host ports by service (loopback only; validated by the config schema). */
  publish: Partial<Record<"nsqlookupd" | "nsqd" | "nsqadmin", { address: string; port: number }>>;
}

/** The nsq image is alpine (busybox wget, no curl): facts/images.ts. */
const httpPing = (port: number) => ["CMD", "wget", "-q", "-O", "/dev/null", `http://127.0.0.1:${port}/ping`];

export class Nsq extends pulumi.ComponentResource {
  readonly lookupd: PlatformService;
  readonly nsqd: PlatformService;
  readonly admin: PlatformService;
  readonly topic: command.local.Command;
  /** nsqd's --data-path. */
  readonly dataVolume: docker.Volume;
  /** `nsqd:4150`, for producers. */
  readonly nsqdTcpAddress = `nsqd:${PORTS.nsqdTcp}`;
  /** `nsqlookupd:4161`, for consumers. */
  readonly lookupdHttpAddress = `nsqlookupd:${PORTS.nsqlookupdHttp}`;
  readonly topicName: string;

  constructor(name: string, args: NsqArgs, opts?: pulumi.ComponentResourceOptions) {
    super("enrichment:data:Nsq", name, {}, opts);
    const { context, network, image, sizes, publish } = args;
    if (!/^[.a-zA-Z0-9_-]{1,64}(#ephemeral)?$/.test(args.topic)) throw new Error(`Nsq: topic "${args.topic}" is not a valid NSQ topic name`);
    this.topicName = args.topic;
    const ports = (service: keyof NsqArgs["publish"], internal: number) =>
      publish[service] ? [{ internal, external: publish[service]!.port, address: publish[service]!.address }] : [];

    this.lookupd = deployService(
      "nsqlookupd",
      {
        context,
        network,
        service: "nsqlookupd",
        group: "data",
        image,
        imageKey: "nsq",
        command: [IMAGES.nsq.paths.nsqlookupd.value],
        healthcheck: { test: httpPing(PORTS.nsqlookupdHttp) },
        waitTimeoutSeconds: 60,
        ...sizes.nsqlookupd,
        ports: ports("nsqlookupd", PORTS.nsqlookupdHttp),
      },
      { parent: this },
    );

    this.dataVolume = stateVolume("nsqd-data", { context, protect: context.protectState, role: "data" }, { parent: this });

    this.nsqd = deployService(
      "nsqd",
      {
        context,
        network,
        service: "nsqd",
        group: "data",
        image,
        imageKey: "nsq",
        command: [
          IMAGES.nsq.paths.nsqd.value,
          `--lookupd-tcp-address=nsqlookupd:${PORTS.nsqlookupdTcp}`,
          "--broadcast-address=nsqd",
          `--data-path=${IMAGES.nsq.paths.data.value}`,
        ],
        healthcheck: { test: httpPing(PORTS.nsqdHttp) },
        waitTimeoutSeconds: 60,
        ...sizes.nsqd,
        ports: ports("nsqd", PORTS.nsqdHttp),
        volumes: [{ volume: this.dataVolume, containerPath: IMAGES.nsq.paths.data.value }],
        placement: "data",
        dependsOn: [this.lookupd],
      },
      { parent: this },
    );

    this.admin = deployService(
      "nsqadmin",
      {
        context,
        network,
        service: "nsqadmin",
        group: "data",
        image,
        imageKey: "nsq",
        command: [IMAGES.nsq.paths.nsqadmin.value, `--lookupd-http-address=nsqlookupd:${PORTS.nsqlookupdHttp}`],
        healthcheck: { test: httpPing(PORTS.nsqadmin) },
        waitTimeoutSeconds: 60,
        ...sizes.nsqadmin,
        ports: ports("nsqadmin", PORTS.nsqadmin),
        dependsOn: [this.lookupd],
      },
      { parent: this },
    );

    // Topic creation is idempotent in nsqd. Deleting the resource leaves the topic (and any
    // queued messages) in place: the program never deletes data. Inside nsqd on one host; on a
    // swarm a job beside it, which reaches it by name.
    this.topic = new command.local.Command(
      `topic-${args.topic}`,
      {
        create: this.nsqd.exec((nsqd) => [
          "wget", "-q", "-O", "/dev/null", "--post-data=", `http://${nsqd}:${PORTS.nsqdHttp}/topic/create?topic=${args.topic}`,
        ]),
        environment: dockerEnvironment(context.dockerHost),
        triggers: [args.topic],
      },
      { parent: this, dependsOn: [this.nsqd] },
    );

    this.registerOutputs({ topic: args.topic });
  }
}
