// The web-ingestion plane (planes/ingestion, seed 004's deployment steps): the migrations run
// before the MCP server starts, and the seed's unpinned reranker image (`latest`) never deploys
// (the image policy refuses `latest` everywhere already).
import { INGESTION, TYPES } from "./facts";
import { containersOf, waitsFor } from "./graph";
import { known, UNKNOWN } from "./read";
import type { StackEntry } from "./types";

export const migrationsBeforeServer: StackEntry = {
  kind: "stack",
  name: "ingestion-migrations-before-server",
  why: "A server that starts on a schema its release's migrations have not reached yet fails its queries or, worse, writes rows the new schema cannot read.",
  checklist: "Deployment Steps: 2. Run Migrations (`npm run migrate:up`), then 3. Start Services",
  validate(_ctx, args, report) {
    const { resources } = args;
    const servers = containersOf(resources, INGESTION.server);
    if (servers.length === 0) args.notApplicable("no ingestion MCP server in this stack");
    const migrations = resources.filter((r) => {
      if (r.type !== TYPES.command) return false;
      const create = known(() => r.props.create as string | undefined);
      return create !== UNKNOWN && typeof create === "string" && create.includes(`docker exec `) && create.includes(`-${INGESTION.migrationsContainer} `);
    });
    for (const server of servers) {
      const before = waitsFor(server, resources);
      if (!migrations.some((m) => before.has(m.urn))) {
        report(`${server.name} does not wait for the migrations (a command that runs \`docker exec <prefix>-${INGESTION.migrationsContainer} ...\`): it may start on an old schema`, server.urn);
      }
    }
  },
};

export const INGESTION_POLICIES = [migrationsBeforeServer];
