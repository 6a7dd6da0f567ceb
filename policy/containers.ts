// Every container: healthcheck, restart policy, limits, log rotation, not privileged, no host
// network, a pinned image.
import { TYPES } from "./facts";
import { known, UNKNOWN, type Props } from "./read";
import type { ResourceEntry } from "./types";

const CONTAINER = [TYPES.container] as const;
const SERVICE_CHECKLIST = "Every service: health check, restart `unless-stopped`, CPU and memory limits";

export const containerHealthcheck: ResourceEntry = {
  kind: "resource",
  name: "container-healthcheck",
  why: "Without a healthcheck Docker cannot tell a hung service from a healthy one and `pulumi up` cannot wait for it.",
  checklist: SERVICE_CHECKLIST,
  types: CONTAINER,
  validate(_ctx, { props }, report) {
    const tests = known(() => props.healthcheck?.tests as string[] | undefined);
    if (tests === UNKNOWN) return;
    if (!Array.isArray(tests) || tests.length === 0 || tests[0] === "NONE") {
      report("no healthcheck: set `healthcheck.tests` (ServiceContainerArgs.healthcheck)");
    }
  },
};

export const containerRestart: ResourceEntry = {
  kind: "resource",
  name: "container-restart-unless-stopped",
  why: "A service that crashes or a host that reboots must come back on its own.",
  checklist: "Restart policies configured: `unless-stopped`",
  types: CONTAINER,
  validate(_ctx, { props }, report) {
    const restart = known(() => props.restart);
    if (restart !== UNKNOWN && restart !== "unless-stopped") report(`restart is ${JSON.stringify(restart ?? null)}; expected "unless-stopped"`);
  },
};

const positive = (value: unknown) => {
  const n = typeof value === "string" ? Number(value) : value;
  return typeof n === "number" && Number.isFinite(n) && n > 0;
};

export const containerLimits: ResourceEntry = {
  kind: "resource",
  name: "container-limits",
  why: "One runaway service (an LLM, a worker) must not starve the others of memory or CPU.",
  checklist: "Resource limits configured: CPU limits per container; Memory limits per container",
  types: CONTAINER,
  validate(_ctx, { props }, report) {
    const memory = known(() => props.memory);
    const cpus = known(() => props.cpus);
    if (memory !== UNKNOWN && !positive(memory)) report(`no memory limit (memory is ${JSON.stringify(memory ?? null)}; MB, > 0)`);
    if (cpus !== UNKNOWN && !positive(cpus)) report(`no CPU limit (cpus is ${JSON.stringify(cpus ?? null)}; > 0)`);
  },
};

export const containerLogRotation: ResourceEntry = {
  kind: "resource",
  name: "container-log-rotation",
  why: "Docker's json-file driver keeps logs forever unless told to rotate; a chatty service fills the disk.",
  checklist: "Application logs sent to: Local files (for debugging); Log retention: >=7 days",
  types: CONTAINER,
  validate(_ctx, { props }, report) {
    const driver = known(() => props.logDriver as string | undefined);
    const opts = known(() => props.logOpts as Record<string, string> | undefined);
    if (driver === UNKNOWN || opts === UNKNOWN) return;
    // The `local` driver rotates by default (5 x 20 MB); json-file only with both options.
    if (driver === "local") return;
    if (driver !== "json-file") {
      report(`log driver is ${JSON.stringify(driver ?? "(daemon default)")}; expected json-file with max-size and max-file, or local`);
      return;
    }
    const missing = ["max-size", "max-file"].filter((key) => !opts?.[key]);
    if (missing.length) report(`json-file logs without ${missing.join(" and ")}: they are never rotated`);
  },
};

export const containerNotPrivileged: ResourceEntry = {
  kind: "resource",
  name: "container-not-privileged",
  why: "A privileged container is root on the Docker host: one compromised service owns every other.",
  checklist: "No security vulnerabilities found",
  types: CONTAINER,
  validate(_ctx, { props }, report) {
    if (known(() => props.privileged) === true) report("privileged: true; grant the one capability the service needs instead");
  },
};

export const containerNoHostNetwork: ResourceEntry = {
  kind: "resource",
  name: "container-no-host-network",
  why: "On the host network a service listens on every host address and skips the private network entirely.",
  checklist: "Internal: Services communicate on private network",
  types: CONTAINER,
  validate(_ctx, { props }, report) {
    if (known(() => props.networkMode) === "host") report('networkMode is "host"; use the private network (networksAdvanced)');
  },
};

/** Splits an image reference into its tag and digest (either may be missing). */
export function parseImageRef(ref: string): { tag?: string; digest?: string } {
  const [named, digest] = ref.split("@");
  const lastSegment = named.slice(named.lastIndexOf("/") + 1);
  const colon = lastSegment.indexOf(":");
  return { tag: colon < 0 ? undefined : lastSegment.slice(colon + 1), digest: /^sha256:[0-9a-f]{64}$/.test(digest ?? "") ? digest : undefined };
}

export const imagePinned: ResourceEntry = {
  kind: "resource",
  name: "image-pinned",
  why: "An unpinned image changes under a running stack; `latest` deploys whatever was pushed last. Production pins by digest: a tag can be moved, a digest cannot.",
  checklist: "Release: staging first, then production; rollback documented and tested",
  types: [TYPES.remoteImage, TYPES.container],
  validate(ctx, args, report) {
    const props: Props = args.props;
    const ref = known(() => (args.type === TYPES.remoteImage ? props.name : props.image) as string | undefined);
    // A container's image is usually the id of a RemoteImage (computed, unknown in preview),
    // which this policy checks on the RemoteImage itself.
    if (ref === UNKNOWN || typeof ref !== "string" || /^sha256:[0-9a-f]{64}$/.test(ref)) return;
    const { tag, digest } = parseImageRef(ref);
    if (!digest && (!tag || tag === "latest")) {
      report(`image "${ref}" is not pinned: use a version tag (never latest) or @sha256:<digest>`);
      return;
    }
    if (ctx.environment === "production" && !digest) report(`image "${ref}" is pinned by tag only; production pins by digest (<ref>@sha256:<digest>)`);
  },
};

export const CONTAINER_POLICIES = [
  containerHealthcheck,
  containerRestart,
  containerLimits,
  containerLogRotation,
  containerNotPrivileged,
  containerNoHostNetwork,
  imagePinned,
];
