// Where the e2e's own steps (backup, restore) reach a published port of the e2e stack: on the
// Docker host's loopback (the e2e runs on it). verify/reach.ts decides this for `npm run verify`.
import type { E2EContext } from "../../context";
import type { Settings } from "../../../../config/schema";
import { toLoopback } from "../../../../verify/http";

export { request } from "../../../../verify/http";

/**
 * `host:port` to reach a published service from the Docker host: the runner's `ctx.published`
 * when it names the service, else the stack's publish entry; a wildcard bind on 127.0.0.1.
 * Undefined when the service is not published.
 */
export function hostAddress(ctx: Pick<E2EContext, "published"> & { settings: Pick<Settings, "exposure"> }, service: string): string | undefined {
  const entry = ctx.settings.exposure.publish[service];
  const raw = ctx.published[service] ?? (entry ? `${entry.address ?? ctx.settings.exposure.bindAddress}:${entry.port}` : undefined);
  return raw ? toLoopback(raw) : undefined;
}
