// The policy pack's entry point (`pulumi preview --policy-pack policy`). Constructing a PolicyPack
// starts the policy server, so this file only assembles: the policies live in ./catalog and its
// modules, which the offline runner and the tests import instead.
import { PolicyPack } from "@pulumi/policy";
import { buildPolicies, PACK_NAME } from "./catalog";
import { packEnvironment } from "./environment";

const { environment, source } = packEnvironment();
// stderr: the CLI reads the server's port from stdout.
console.error(`${PACK_NAME}: applying ${environment} rules (${source})`);

new PolicyPack(PACK_NAME, { policies: buildPolicies(environment) });
