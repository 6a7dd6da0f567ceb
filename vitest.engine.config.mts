// `npm run test:engine`: the suites that run containers on a real Docker engine (and the host
// firewall), and those that start a real server of their own (backup.postgres, backup.real: a
// database; policy.engine: Pulumi's policy host), which `npm test` leaves out. They skip with one
// line when the engine, an e2e image or a database server is missing, and fail instead under
// CI=true / ENRICHMENT_REQUIRE_TOOLS=1 (tests/tools.ts).
import { configDefaults, defineConfig } from "vitest/config";
import base, { ENGINE_SUITES } from "./vitest.config.mjs";

// Each engine suite in its own process (they start containers and processes of their own).
const { projects: _projects, ...shared } = base.test ?? {};
export default defineConfig({ test: { ...shared, include: ENGINE_SUITES, exclude: configDefaults.exclude, isolate: true } });
