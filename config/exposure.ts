// One host address and port, one service: two publish entries that would bind the same host
// port (the same address, or a wildcard 0.0.0.0 beside any address) are refused before any
// component runs, naming both key paths. Docker would otherwise fail the second container's
// start halfway through a `pulumi up`.

export interface PublishEntry {
  port: number;
  address?: string;
}

export interface PublishConflict {
  /** Key paths under `enrichment:` of the two entries, e.g. ["exposure","publish","edge"]. */
  first: string[];
  second: string[];
  message: string;
}

const WILDCARD = "0.0.0.0";

/** Whether two host addresses overlap for the kernel's bind(): equal, or either is the wildcard. */
export function addressesOverlap(a: string, b: string): boolean {
  return a === b || a === WILDCARD || b === WILDCARD;
}

export function publishConflicts(publish: Record<string, PublishEntry>, bindAddress: string): PublishConflict[] {
  const entries = Object.entries(publish).map(([service, entry]) => ({ service, port: entry.port, address: entry.address ?? bindAddress }));
  const conflicts: PublishConflict[] = [];
  for (let i = 0; i < entries.length; i++) {
    for (let j = i + 1; j < entries.length; j++) {
      const a = entries[i];
      const b = entries[j];
      if (a.port !== b.port || !addressesOverlap(a.address, b.address)) continue;
      const overlap = a.address === b.address ? `both bind ${a.address}:${a.port}` : `${a.address}:${a.port} and ${b.address}:${b.port} overlap (${WILDCARD} is every address)`;
      conflicts.push({
        first: ["exposure", "publish", a.service],
        second: ["exposure", "publish", b.service],
        message: `expected one service per host address and port: ${overlap}, also enrichment:exposure.publish.${a.service}; give one of them another port`,
      });
    }
  }
  return conflicts;
}
