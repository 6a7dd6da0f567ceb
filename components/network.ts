// The platform's Docker networks: a private internal one that every service joins, an egress one
// (NAT) for the few services that must reach the outside, and a published one without NAT for
// services that publish a host port. What Docker gives (docs/network.md, measured): the internal
// network is not forwarded anywhere, but its containers still reach the host's own listeners; the
// published network has no NAT but is still forwarded. scripts/host-firewall.sh closes both.
// On a swarm the three are attachable overlays spanning the nodes (one-shot steps join them as
// tasks); a swarm task reaches out and publishes host-mode ports through the node's
// docker_gwbridge, so the published overlay is simply not internal (docs/swarm.md).
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { PlatformContext, targetOf } from "./context";

export interface PlatformNetworkArgs {
  context: PlatformContext;
  /** Subnet of the private network; Docker picks one when unset. */
  privateSubnet?: string;
  /** An existing network to attach services to; looked up, never created or deleted. */
  externalNetwork?: string;
}

export class PlatformNetwork extends pulumi.ComponentResource {
  readonly privateNetwork: docker.Network;
  readonly egressNetwork: docker.Network;
  readonly publishedNetwork: docker.Network;
  readonly privateNetworkName: pulumi.Output<string>;
  readonly egressNetworkName: pulumi.Output<string>;
  readonly publishedNetworkName: pulumi.Output<string>;
  /** The external network's name once it is known to exist, or undefined. */
  readonly externalNetworkName?: pulumi.Output<string>;
  /** The external network's id (a swarm service joins networks by id). */
  readonly externalNetworkId?: pulumi.Output<string>;

  constructor(name: string, args: PlatformNetworkArgs, opts?: pulumi.ComponentResourceOptions) {
    super("enrichment:platform:Network", name, {}, opts);
    const { prefix, stack } = args.context;
    const labels = [
      { label: "org.enrichment.stack", value: stack },
      { label: "org.enrichment.managed-by", value: "pulumi" },
    ];

    if (targetOf(args.context).kind === "swarm") {
      const overlay = (networkName: string, internal: boolean, subnet?: string) =>
        new docker.Network(
          networkName,
          {
            name: `${prefix}-${networkName}`,
            driver: "overlay",
            attachable: true,
            ...(internal ? { internal: true } : {}),
            ipamConfigs: subnet ? [{ subnet }] : undefined,
            labels,
          },
          { parent: this },
        );
      this.privateNetwork = overlay("private", true, args.privateSubnet);
      this.egressNetwork = overlay("egress", false);
      this.publishedNetwork = overlay("published", false);
    } else {
      this.privateNetwork = new docker.Network(
        "private",
        {
          name: `${prefix}-private`,
          driver: "bridge",
          internal: true,
          ipamConfigs: args.privateSubnet ? [{ subnet: args.privateSubnet }] : undefined,
          labels,
        },
        { parent: this },
      );
      this.egressNetwork = new docker.Network("egress", { name: `${prefix}-egress`, driver: "bridge", labels }, { parent: this });
      this.publishedNetwork = new docker.Network(
        "published",
        {
          name: `${prefix}-published`,
          driver: "bridge",
          options: { "com.docker.network.bridge.enable_ip_masquerade": "false" },
          labels,
        },
        { parent: this },
      );
    }

    this.privateNetworkName = this.privateNetwork.name;
    this.egressNetworkName = this.egressNetwork.name;
    this.publishedNetworkName = this.publishedNetwork.name;

    if (args.externalNetwork) {
      // A lookup, so a missing network fails the preview with Docker's own message.
      const existing = docker.getNetworkOutput({ name: args.externalNetwork }, { parent: this });
      this.externalNetworkName = existing.name;
      this.externalNetworkId = existing.id;
    }

    this.registerOutputs({
      privateNetworkName: this.privateNetworkName,
      egressNetworkName: this.egressNetworkName,
      publishedNetworkName: this.publishedNetworkName,
    });
  }
}
