// Ollama: the GPU reserved (unless the stack says gpus: none), a protected model volume, and one pull per configured model. Only what
// uses a model waits for its pull: depend on `server` for the API, on `pulls[model]` for a model.
import * as command from "@pulumi/command";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { IMAGES } from "../../facts/images";
import { dockerEnvironment } from "../../components/dockerCommand";
import type { PlatformNetwork } from "../../components/network";
import type { PlatformContext } from "../../components/context";
import { deployService, PlatformService, stateVolume } from "../../components/deploy";
import { PORTS } from "../../facts/services";

export interface OllamaArgs {
  context: PlatformContext;
  network: PlatformNetwork;
  image: string;
  memoryMb: number;
  cpus: number;
  /** `all`, `device=0`, ... or `none` for a CPU-only host. */
  gpus: string;
  waitTimeoutSeconds: number;
  pullTimeoutMinutes: number;
  /** Model name (as agents name it) -> Ollama tag to pull. */
  models: Record<string, string>;
  publish?: { address: string; port: number };
}

export class Ollama extends pulumi.ComponentResource {
  readonly server: PlatformService;
  readonly modelVolume: docker.Volume;
  readonly pulls: Record<string, command.local.Command> = {};
  /** Model name -> pulled tag. */
  readonly models: Record<string, string>;
  readonly url = `http://ollama:${PORTS.ollama}`;

  constructor(name: string, args: OllamaArgs, opts?: pulumi.ComponentResourceOptions) {
    super("enrichment:model:Ollama", name, {}, opts);
    const { context } = args;
    if (Object.keys(args.models).length === 0) throw new Error("Ollama: no models configured (enrichment:release.models)");
    this.models = { ...args.models };

    this.modelVolume = stateVolume("ollama-models", { context, protect: context.protectState, role: "gpu" }, { parent: this });

    this.server = deployService(
      "ollama",
      {
        context,
        network: args.network,
        service: "ollama",
        group: "model",
        image: args.image,
        imageKey: "ollama",
        env: { OLLAMA_HOST: `0.0.0.0:${PORTS.ollama}`, OLLAMA_KEEP_ALIVE: "24h" },
        // The image has no curl or wget (facts/images.ts); `ollama list` asks the local server.
        healthcheck: { test: ["CMD", "ollama", "list"], intervalSeconds: 15, timeoutSeconds: 10, retries: 5, startPeriodSeconds: 20 },
        waitTimeoutSeconds: args.waitTimeoutSeconds,
        memoryMb: args.memoryMb,
        cpus: args.cpus,
        // none: no gpus input at all, so a host without the NVIDIA runtime accepts the container.
        gpus: args.gpus === "none" ? undefined : args.gpus,
        // Pulling models needs the registry.
        egress: true,
        ports: args.publish ? [{ internal: PORTS.ollama, external: args.publish.port, address: args.publish.address }] : [],
        volumes: [{ volume: this.modelVolume, containerPath: IMAGES.ollama.paths.models.value }],
        // A swarm: the node with the GPU (and the model volume), reserving its generic resource.
        placement: "gpu",
        reservesGpu: true,
      },
      { parent: this },
    );

    const server = this.server;
    // On a swarm the pull runs as a task beside the server: the ollama CLI asks the server by name.
    const step = { env: { OLLAMA_HOST: `http://ollama:${PORTS.ollama}` }, timeoutSeconds: args.pullTimeoutMinutes * 60 };
    for (const [model, tag] of Object.entries(args.models)) {
      // `triggers` on the tag: a new tag replaces the pull (pull new, then remove old);
      // a pull of the same tag is not repeated on every `up`.
      this.pulls[model] = new command.local.Command(
        `pull-${model}`,
        {
          create: server.exec(() => ["ollama", "pull", tag], step),
          delete: server.whenPresent(server.exec(() => ["ollama", "rm", tag], step)),
          environment: dockerEnvironment(context.dockerHost),
          triggers: [tag],
        },
        { parent: this, dependsOn: [this.server], customTimeouts: { create: `${args.pullTimeoutMinutes}m` } },
      );
    }

    this.registerOutputs({ models: this.models });
  }

  /** The pulls an agent must wait for. */
  pullsFor(models: string[]): command.local.Command[] {
    return models.map((model) => {
      const pull = this.pulls[model];
      if (!pull) throw new Error(`Ollama: model "${model}" is not pulled by this stack (enrichment:release.models)`);
      return pull;
    });
  }
}
