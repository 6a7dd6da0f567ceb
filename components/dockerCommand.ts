// Commands that run the docker CLI on the Pulumi host against the stack's Docker host, for the
// few steps the Docker provider has no resource for (model pulls, NSQ topic creation).
import * as pulumi from "@pulumi/pulumi";

/** Quotes one shell word (POSIX sh). */
export function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** `docker exec <container> <args...>`, as one shell command line. */
export function dockerExec(container: string, args: string[]): string {
  return ["docker", "exec", container, ...args].map(shellQuote).join(" ");
}

/** Runs `then` only when the container exists, so a delete after the container is gone succeeds. */
export function ifContainerExists(container: string, then: string): string {
  return `if docker container inspect ${shellQuote(container)} >/dev/null 2>&1; then ${then}; fi`;
}

/** Environment of every docker CLI command: the stack's Docker host. */
export function dockerEnvironment(dockerHost: string): Record<string, pulumi.Input<string>> {
  return { DOCKER_HOST: dockerHost };
}
