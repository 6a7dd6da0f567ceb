// The fallback engine: it sits behind Pulumi's mock monitor, where the real engine would be.
// The program is evaluated exactly as the offline synth evaluates it (synth/evaluate.ts); each
// registration becomes a step (same, create, update, replace) against the state, and on `up` the
// step is applied to the local Docker engine before the registration is answered with the real
// outputs, so dependents wait for it as they would under `pulumi up`. Resources in the state that
// the program no longer registers are deleted afterwards, dependents first.
import type Docker from "dockerode";
import type * as pulumi from "@pulumi/pulumi";
import { evaluate, ResourceRecord, RawInputs, UNKNOWN_VALUE, type Evaluation } from "../../../synth/evaluate";
import {
  asSecret,
  realCertRequest,
  realLocallySignedCert,
  realPrivateKey,
  realRandomPassword,
  realSelfSignedCert,
  SECRET_OUTPUTS,
} from "../../../synth/mocks";
import * as dockerOps from "./docker";
import { StepError, type Props } from "./docker";
import { diffResource, NO_DIFF, type DiffResult } from "./diff";
import { getPath, StateStore, type StateResource } from "./state";

export type Operation = "preview" | "up";

export interface Step {
  op: "same" | "create" | "update" | "replace" | "delete";
  urn: string;
  type: string;
  name: string;
  diff: DiffResult;
  seconds?: number;
  secondsToHealthy?: number;
  error?: string;
  logs?: string;
}

export interface EngineOptions {
  operation: Operation;
  refresh: boolean;
  docker: Docker;
  store: StateStore;
  stack: string;
  project: string;
  log: (line: string) => void;
}

const COMPUTED: Record<string, string[]> = {
  "docker:index/remoteImage:RemoteImage": ["imageId", "repoDigest"],
  "docker:index/volume:Volume": ["mountpoint"],
  "docker:index/network:Network": ["scope"],
  "docker:index/container:Container": ["exitCode", "networkData"],
  "random:index/randomPassword:RandomPassword": ["result", "bcryptHash"],
  "tls:index/privateKey:PrivateKey": ["privateKeyPem", "privateKeyPemPkcs8", "privateKeyOpenssh", "publicKeyPem", "publicKeyOpenssh", "publicKeyFingerprintSha256", "publicKeyFingerprintMd5"],
  "tls:index/certRequest:CertRequest": ["certRequestPem", "keyAlgorithm"],
  "tls:index/selfSignedCert:SelfSignedCert": ["certPem", "validityStartTime", "validityEndTime", "readyForRenewal"],
  "tls:index/locallySignedCert:LocallySignedCert": ["certPem", "validityStartTime", "validityEndTime", "readyForRenewal"],
  "command:local:Command": ["stdout", "stderr"],
  "pulumi-nodejs:dynamic:Resource": ["createdIndexes", "adoptedIndexes"],
};

const DYNAMIC = "pulumi-nodejs:dynamic:Resource";
const SKIPPED = "skipped: an earlier step failed";

interface Pending {
  record: ResourceRecord;
  raw: RawInputs;
}

function stripInternal(inputs: Props): Props {
  const { __provider: _provider, ...rest } = inputs;
  return rest;
}

async function dynamicProvider(): Promise<pulumi.dynamic.ResourceProvider> {
  // The program has one dynamic provider (the index reconciler); the runner calls it directly.
  return (await import("../../../planes/data/mongoIndexes/provider")).mongoIndexesProvider as unknown as pulumi.dynamic.ResourceProvider;
}

export class RunnerEngine implements pulumi.runtime.Mocks {
  readonly steps: Step[] = [];
  readonly errors: { urn: string; message: string; logs?: string }[] = [];
  private readonly pending = new Map<string, Pending>();
  private readonly realUrns = new Map<string, string>();
  private readonly qualifiedTypes = new Map<string, string>();
  private readonly registered = new Set<string>();
  private failed = false;
  /** Steps being applied; when a step failed, the run ends once these have settled. */
  private active = 0;
  private settle?: () => void;
  private readonly settled = new Promise<void>((resolve) => (this.settle = resolve));

  constructor(private readonly options: EngineOptions) {}

  private get docker() {
    return this.options.docker;
  }

  private get store() {
    return this.options.store;
  }

  private get preview() {
    return this.options.operation === "preview";
  }

  // ------------------------------------------------------------------------------------------
  // Refresh: read every resource in the state back from Docker / MongoDB before the program runs.

  async refresh(): Promise<void> {
    for (const resource of Object.values(this.store.state.resources)) {
      if (!resource.custom) continue;
      const read = await this.read(resource);
      if (read === undefined) {
        this.options.log(`  refresh: ${resource.type} ${resource.name} is gone`);
        this.store.remove(resource.urn);
      } else if (read !== "unchanged") {
        this.store.put({ ...resource, outputs: read });
      }
    }
  }

  private async read(resource: StateResource): Promise<Props | undefined | "unchanged"> {
    const { docker } = this;
    switch (resource.type) {
      case "docker:index/container:Container":
        return dockerOps.readContainer(docker, resource.id, resource.outputs);
      case "docker:index/network:Network":
        return dockerOps.readNetwork(docker, resource.id, resource.outputs);
      case "docker:index/volume:Volume":
        return dockerOps.readVolume(docker, resource.id, resource.outputs);
      case "docker:index/remoteImage:RemoteImage": {
        const found = await dockerOps.inspectImage(docker, String(resource.outputs.imageId));
        return found ? "unchanged" : undefined;
      }
      case DYNAMIC: {
        const provider = await dynamicProvider();
        const result = await provider.read!(resource.id, resource.outputs);
        return result.props as Props;
      }
      default:
        return "unchanged";
    }
  }

  // ------------------------------------------------------------------------------------------
  // Evaluation

  async run(evaluateOptions: { configFile: string; overrides: Record<string, unknown>; secrets: Record<string, string> }): Promise<Evaluation | undefined> {
    let evaluation: Evaluation | undefined;
    // A failed step rejects outputs the program never awaits: the SDK's own handler is not
    // installed under mocks, so the rejection is recorded here and the run ends cleanly.
    const onRejection = (error: unknown) => {
      if (!this.failed) this.errors.push({ urn: "", message: `the program failed: ${(error as Error)?.message ?? String(error)}` });
      this.failed = true;
      if (this.active === 0) this.settle?.();
    };
    process.on("unhandledRejection", onRejection);
    try {
      const evaluating = evaluate({
        stack: this.options.stack,
        configFile: evaluateOptions.configFile,
        overrides: evaluateOptions.overrides,
        secrets: evaluateOptions.secrets,
        preview: this.preview,
        mocks: this,
        onRegister: (record, raw) => {
          const key = `${record.type}::${record.name}`;
          if (this.pending.has(key)) throw new Error(`two registrations of ${key}: the runner pairs them by type and name`);
          this.pending.set(key, { record, raw });
        },
      });
      evaluation = await Promise.race([evaluating, this.settled.then(() => undefined)]);
    } catch (error) {
      if (!this.failed) this.errors.push({ urn: "", message: `the program failed: ${(error as Error).message}` });
      return undefined;
    } finally {
      process.off("unhandledRejection", onRejection);
    }
    if (this.failed || !evaluation) return evaluation;
    await this.deleteUnregistered();
    if (!this.preview) this.store.state.outputs = evaluation.outputs;
    this.store.save();
    return evaluation;
  }

  private realUrn(record: ResourceRecord): string {
    const parentType = record.parent ? this.qualifiedTypes.get(record.parent) : undefined;
    const qualified = parentType ? `${parentType}$${record.type}` : record.type;
    this.qualifiedTypes.set(record.urn, qualified);
    const urn = `urn:pulumi:${this.options.stack}::${this.options.project}::${qualified}::${record.name}`;
    this.realUrns.set(record.urn, urn);
    return urn;
  }

  async newResource(args: pulumi.runtime.MockResourceArgs): Promise<{ id: string | undefined; state: Record<string, unknown> }> {
    const key = `${args.type}::${args.name}`;
    const pending = this.pending.get(key);
    if (!pending) throw new Error(`runner: no raw registration for ${key}`);
    this.pending.delete(key);
    const { record, raw } = pending;
    const urn = this.realUrn(record);
    this.registered.add(urn);
    const inputs = record.type === DYNAMIC ? raw.inputs : raw.inputs;
    const resource: StateResource = {
      urn,
      type: record.type,
      name: record.name,
      parent: record.parent ? (this.realUrns.get(record.parent) ?? null) : null,
      custom: record.custom,
      id: "",
      inputs,
      outputs: {},
      dependsOn: record.dependsOn.map((d) => this.realUrns.get(d) ?? d),
      protect: record.protect,
      retainOnDelete: record.retainOnDelete,
      deleteBeforeReplace: record.deleteBeforeReplace,
      secretInputPaths: raw.secretPaths,
      secretOutputPaths: [],
    };
    this.active++;
    try {
      const { id, outputs } = await this.step(resource, record);
      return { id, state: this.answer(resource, outputs) };
    } catch (error) {
      this.failed = true;
      const logs = error instanceof StepError ? error.logs : undefined;
      // Every step that failed on its own (steps in flight still finish); not the ones skipped.
      if ((error as Error).message !== SKIPPED) this.errors.push({ urn, message: (error as Error).message, logs });
      throw error;
    } finally {
      this.active--;
      if (this.failed && this.active === 0) this.settle?.();
    }
  }

  call(args: pulumi.runtime.MockCallArgs): Promise<Record<string, unknown>> | Record<string, unknown> {
    if (args.token === "docker:index/getNetwork:getNetwork") {
      return this.docker
        .getNetwork(String(args.inputs.name))
        .inspect()
        .then((info) => ({ id: info.Id, name: info.Name, driver: info.Driver, scope: info.Scope, internal: info.Internal, options: info.Options ?? {}, ipamConfigs: [] }))
        .catch((error: Error) => {
          throw new Error(`getNetwork ${String(args.inputs.name)}: ${error.message}`);
        });
    }
    throw new Error(`runner: the invoke ${args.token} is not implemented`);
  }

  /** The registration's answer: outputs with secrets marked as the engine marks them. */
  private answer(resource: StateResource, outputs: Props): Record<string, unknown> {
    const secretTop = new Set([...resource.secretInputPaths, ...resource.secretOutputPaths].map((p) => p.split(".")[0]!));
    const state: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(outputs)) state[k] = secretTop.has(k) && v !== UNKNOWN_VALUE ? asSecret(v) : v;
    return state;
  }

  private async step(resource: StateResource, record: ResourceRecord): Promise<{ id: string | undefined; outputs: Props }> {
    const old = this.store.get(resource.urn);
    if (!resource.custom) {
      this.record({ op: old ? "same" : "create", urn: resource.urn, type: resource.type, name: resource.name, diff: NO_DIFF });
      if (!this.preview) this.store.put({ ...resource, outputs: {} });
      return { id: undefined, outputs: {} };
    }
    if (this.failed && !this.preview) throw new Error(SKIPPED);

    let inputs = resource.inputs;
    if (resource.type === DYNAMIC) {
      const provider = await dynamicProvider();
      const checked = await provider.check!(old?.inputs ?? {}, stripInternal(inputs));
      if (checked.failures?.length) throw new StepError(`check failed: ${checked.failures.map((f) => `${f.property}: ${f.reason}`).join("; ")}`);
      inputs = checked.inputs as Props;
    }
    resource.inputs = inputs;
    resource.secretOutputPaths = [...(SECRET_OUTPUTS[resource.type] ?? []), ...record.additionalSecretOutputs, ...resource.secretInputPaths];

    let op: Step["op"];
    let diff: DiffResult = NO_DIFF;
    if (!old) op = "create";
    else {
      diff = await this.diff(resource, old, record.ignoreChanges);
      op = diff.replaceReasons.length ? "replace" : diff.changes ? "update" : "same";
    }
    if (old && (op === "replace") && old.protect) {
      throw new StepError(`unable to replace resource ${resource.urn} as it is currently marked for protection`);
    }

    const step: Step = { op, urn: resource.urn, type: resource.type, name: resource.name, diff };
    if (this.preview) {
      this.record(step);
      return this.planned(resource, old, op);
    }

    const started = Date.now();
    let result: { id: string; outputs: Props; secondsToHealthy?: number };
    try {
      if (op === "same") result = { id: old!.id, outputs: old!.outputs };
      else if (op === "update") result = { id: old!.id, outputs: await this.update(resource, old!) };
      else if (op === "create") result = await this.create(resource);
      else {
        if (resource.deleteBeforeReplace) {
          await this.destroyObject(old!);
          this.store.remove(old!.urn);
          result = await this.create(resource);
        } else {
          result = await this.create(resource);
          await this.destroyObject(old!);
        }
      }
    } catch (error) {
      step.seconds = (Date.now() - started) / 1000;
      step.error = (error as Error).message;
      step.logs = error instanceof StepError ? error.logs : undefined;
      this.record(step);
      throw error;
    }
    step.seconds = (Date.now() - started) / 1000;
    step.secondsToHealthy = result.secondsToHealthy;
    this.record(step);
    const saved: StateResource = { ...resource, id: result.id, outputs: result.outputs };
    this.store.put(saved);
    return { id: result.id, outputs: result.outputs };
  }

  private record(step: Step): void {
    this.steps.push(step);
    if (step.op === "same" && !step.error) return;
    const symbol = { same: " ", create: "+", update: "~", replace: "+-", delete: "-" }[step.op];
    const timing = step.seconds !== undefined ? ` (${step.seconds.toFixed(1)} s${step.secondsToHealthy !== undefined ? `, healthy after ${step.secondsToHealthy.toFixed(1)} s` : ""})` : "";
    const reasons = step.diff.diffReasons.length ? ` [${step.diff.diffReasons.join(", ")}]` : "";
    this.options.log(`  ${symbol.padEnd(2)} ${step.type} ${step.name} ${this.preview ? step.op : step.error ? "FAILED" : step.op}${reasons}${timing}`);
    if (step.error) this.options.log(`     error: ${step.error}`);
  }

  private async diff(resource: StateResource, old: StateResource, ignoreChanges: string[]): Promise<DiffResult> {
    if (resource.type === DYNAMIC) {
      const provider = await dynamicProvider();
      const result = (await provider.diff!(old.id, old.outputs, resource.inputs)) as pulumi.dynamic.DiffResult & { changedProperties?: string[] };
      if (!result.changes) return NO_DIFF;
      const reasons = [...new Set((result.changedProperties ?? []).map((p) => p.split(".")[0]!))];
      // The dynamic provider reports reasons only (no detailed diff), as the Node.js dynamic provider host does.
      return { changes: true, diffReasons: reasons.length ? reasons : (result.replaces ?? []), replaceReasons: result.replaces ?? [], detailedDiff: null };
    }
    return diffResource(resource.type, old.outputs, old.inputs, resource.inputs, ignoreChanges);
  }

  /** What a preview answers: old outputs for unchanged, inputs over old outputs for updates, unknowns for new values. */
  private planned(resource: StateResource, old: StateResource | undefined, op: Step["op"]): { id: string | undefined; outputs: Props } {
    if (op === "same") return { id: old!.id, outputs: old!.outputs };
    if (op === "update") return { id: old!.id, outputs: { ...old!.outputs, ...resource.inputs } };
    const outputs: Props = { ...stripInternal(resource.inputs) };
    for (const key of COMPUTED[resource.type] ?? []) outputs[key] = UNKNOWN_VALUE;
    return { id: undefined, outputs };
  }

  // ------------------------------------------------------------------------------------------
  // Applying steps

  private async create(resource: StateResource): Promise<{ id: string; outputs: Props; secondsToHealthy?: number }> {
    const { docker } = this;
    const inputs = resource.inputs;
    switch (resource.type) {
      case "pulumi:providers:docker":
        return { id: resource.name, outputs: inputs };
      case "docker:index/network:Network":
        return dockerOps.createNetwork(docker, inputs);
      case "docker:index/volume:Volume":
        return dockerOps.createVolume(docker, inputs);
      case "docker:index/remoteImage:RemoteImage": {
        const pulled = await dockerOps.pullImage(docker, String(inputs.name));
        return { id: `${pulled.imageId}${String(inputs.name)}`, outputs: { ...inputs, ...pulled } };
      }
      case "docker:index/container:Container": {
        try {
          return await dockerOps.createContainer(docker, inputs);
        } catch (error) {
          // Like a tainted resource: the container exists and the state must know it, so that
          // a destroy removes it.
          const leftover = await docker.getContainer(String(inputs.name)).inspect().catch(() => undefined);
          if (leftover) this.store.put({ ...resource, id: leftover.Id, outputs: inputs });
          throw error;
        }
      }
      case "command:local:Command": {
        const outputs = await this.runCommand(String(inputs.create ?? ""), inputs);
        return { id: `${resource.name}-${Date.now()}`, outputs: { ...inputs, ...outputs } };
      }
      case DYNAMIC: {
        const provider = await dynamicProvider();
        const created = await provider.create(inputs);
        return { id: created.id, outputs: { ...inputs, ...(created.outs as Props) } };
      }
      case "random:index/randomPassword:RandomPassword":
        return { id: "none", outputs: realRandomPassword(inputs) };
      case "tls:index/privateKey:PrivateKey": {
        const outputs = await realPrivateKey(inputs);
        return { id: String(outputs.id), outputs };
      }
      case "tls:index/certRequest:CertRequest":
        return { id: "csr", outputs: realCertRequest(inputs) };
      case "tls:index/selfSignedCert:SelfSignedCert":
        return { id: "ca", outputs: realSelfSignedCert(inputs) };
      case "tls:index/locallySignedCert:LocallySignedCert":
        return { id: "cert", outputs: realLocallySignedCert(inputs) };
      default:
        throw new StepError(`the runner has no handler for ${resource.type}`);
    }
  }

  private async update(resource: StateResource, old: StateResource): Promise<Props> {
    const inputs = resource.inputs;
    switch (resource.type) {
      case "docker:index/container:Container":
        return dockerOps.updateContainer(this.docker, old.id, old.outputs, inputs);
      case "command:local:Command": {
        const outputs = await this.runCommand(String(inputs.update ?? inputs.create ?? ""), inputs);
        return { ...inputs, ...outputs };
      }
      case DYNAMIC: {
        const provider = await dynamicProvider();
        const updated = await provider.update!(old.id, old.outputs, inputs);
        return { ...inputs, ...((updated.outs ?? {}) as Props) };
      }
      default:
        // In-place changes the runner's providers apply by recording them (provider config, tls renewal windows, keepLocally).
        return { ...old.outputs, ...inputs };
    }
  }

  /** Deletes the object behind a state entry (not the entry). */
  private async destroyObject(resource: StateResource): Promise<void> {
    const { docker } = this;
    switch (resource.type) {
      case "docker:index/container:Container":
        return dockerOps.deleteContainer(docker, resource.id);
      case "docker:index/network:Network":
        return dockerOps.deleteNetwork(docker, resource.id);
      case "docker:index/volume:Volume":
        return dockerOps.deleteVolume(docker, resource.id);
      case "docker:index/remoteImage:RemoteImage":
        return dockerOps.deleteImage(docker, resource.inputs, resource.outputs);
      case "command:local:Command":
        if (resource.inputs.delete) await this.runCommand(String(resource.inputs.delete), resource.inputs, resource.outputs);
        return;
      case DYNAMIC: {
        const provider = await dynamicProvider();
        await provider.delete!(resource.id, resource.outputs);
        return;
      }
      default:
        return;
    }
  }

  /** pulumi-command's local Command: `sh -c` with the resource's environment added to the runner's. */
  private async runCommand(command: string, inputs: Props, previous?: Props): Promise<Props> {
    const { spawn } = await import("node:child_process");
    const env: Record<string, string> = { ...(process.env as Record<string, string>), ...((inputs.environment as Record<string, string>) ?? {}) };
    if (previous) {
      env.PULUMI_COMMAND_STDOUT = String(previous.stdout ?? "");
      env.PULUMI_COMMAND_STDERR = String(previous.stderr ?? "");
    }
    const interpreter = (inputs.interpreter as string[] | undefined) ?? ["/bin/sh", "-c"];
    return new Promise((resolve, reject) => {
      const child = spawn(interpreter[0]!, [...interpreter.slice(1), command], { env, cwd: (inputs.dir as string) ?? process.cwd(), stdio: ["pipe", "pipe", "pipe"] });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
      child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
      if (inputs.stdin) child.stdin.write(String(inputs.stdin));
      child.stdin.end();
      child.on("error", reject);
      child.on("close", (code) => {
        if (code === 0) resolve({ stdout: stdout.trimEnd(), stderr: stderr.trimEnd() });
        else reject(new StepError(`command exited ${code}: ${command}`, `${stdout}\n${stderr}`.trim()));
      });
    });
  }

  // ------------------------------------------------------------------------------------------
  // Deletes

  /** Resources in the state the program no longer registers: deleted dependents first. */
  private async deleteUnregistered(): Promise<void> {
    const gone = Object.values(this.store.state.resources).filter((r) => !this.registered.has(r.urn));
    for (const resource of deletionOrder(gone)) {
      const step: Step = { op: "delete", urn: resource.urn, type: resource.type, name: resource.name, diff: NO_DIFF };
      if (this.preview) {
        this.record(step);
        continue;
      }
      await this.deleteOne(resource, step);
    }
  }

  /** `destroy`: every resource in the state, dependents first; protected ones refuse. */
  async destroy(): Promise<void> {
    const all = Object.values(this.store.state.resources);
    const kept = new Set<string>();
    for (const resource of deletionOrder(all)) {
      const step: Step = { op: "delete", urn: resource.urn, type: resource.type, name: resource.name, diff: NO_DIFF };
      const keptChild = all.some((r) => r.parent === resource.urn && kept.has(r.urn));
      if (keptChild) {
        kept.add(resource.urn);
        continue;
      }
      if (!(await this.deleteOne(resource, step))) kept.add(resource.urn);
    }
    this.store.save();
  }

  private async deleteOne(resource: StateResource, step: Step): Promise<boolean> {
    const started = Date.now();
    if (resource.protect) {
      step.error = `unable to delete resource "${resource.urn}" as it is currently marked for protection. To unprotect the resource, remove the \`protect\` flag from the resource in your Pulumi program and run \`pulumi up\``;
      this.errors.push({ urn: resource.urn, message: step.error });
      this.record(step);
      return false;
    }
    try {
      if (!resource.retainOnDelete && resource.custom) await this.destroyObject(resource);
      this.store.remove(resource.urn);
      step.seconds = (Date.now() - started) / 1000;
      this.record(step);
      return true;
    } catch (error) {
      step.error = (error as Error).message;
      step.logs = error instanceof StepError ? error.logs : undefined;
      this.errors.push({ urn: resource.urn, message: step.error, logs: step.logs });
      this.record(step);
      return false;
    }
  }
}

/** Dependents before what they depend on; children before parents. */
export function deletionOrder(resources: StateResource[]): StateResource[] {
  const byUrn = new Map(resources.map((r) => [r.urn, r]));
  const visited = new Set<string>();
  const order: StateResource[] = [];
  // Topological order of "depends on" (dependencies and parents first), then reversed.
  const visit = (resource: StateResource) => {
    if (visited.has(resource.urn)) return;
    visited.add(resource.urn);
    for (const dep of [...resource.dependsOn, ...(resource.parent ? [resource.parent] : [])]) {
      const found = byUrn.get(dep);
      if (found) visit(found);
    }
    order.push(resource);
  };
  for (const resource of resources) visit(resource);
  return order.reverse();
}

export { getPath };
