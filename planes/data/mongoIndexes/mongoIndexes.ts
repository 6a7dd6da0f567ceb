// The platform's MongoDB indexes (spec: "MongoDB indexes") as declared resources: one
// CollectionIndexes per collection, reconciled through the official driver.
import * as pulumi from "@pulumi/pulumi";
import { INDEX_CATALOG, type IndexDefinition } from "../../../facts/indexes";
import { specsByCollection, validateDefinitions } from "./plan";
import { CollectionIndexes } from "./resource";

export interface MongoIndexesArgs {
  /** mongodb:// URI with credentials; always a Pulumi secret. */
  connectionUri: pulumi.Input<string>;
  database: pulumi.Input<string>;
  /** Defaults to INDEX_CATALOG. */
  indexes?: readonly IndexDefinition[];
}

export class MongoIndexesError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid MongoDB index declarations (${problems.length}); nothing was registered:\n${problems.map((p) => `  ${p}`).join("\n")}`);
    this.name = "MongoIndexesError";
  }
}

export class MongoIndexes extends pulumi.ComponentResource {
  /** One resource per collection, keyed by collection name. */
  readonly collections: Record<string, CollectionIndexes>;

  constructor(name: string, args: MongoIndexesArgs, opts?: pulumi.ComponentResourceOptions) {
    // Validated before registering anything, so a bad declaration leaves no half-built component.
    const definitions = args.indexes ?? INDEX_CATALOG;
    const problems = validateDefinitions(definitions);
    if (problems.length > 0) throw new MongoIndexesError(problems);
    super("enrichment:data:MongoIndexes", name, {}, opts);

    const connectionUri = pulumi.secret(args.connectionUri);
    const collections: Record<string, CollectionIndexes> = {};
    for (const [collection, indexes] of specsByCollection(definitions)) {
      collections[collection] = new CollectionIndexes(
        `${name}-${collection}`,
        { connectionUri, database: args.database, collection, indexes },
        // Passed on explicitly: the caller's dependsOn is how the indexes wait for a healthy MongoDB.
        { parent: this, dependsOn: opts?.dependsOn },
      );
    }
    this.collections = collections;
    this.registerOutputs({ collections: Object.fromEntries(Object.entries(collections).map(([c, r]) => [c, r.createdIndexes])) });
  }
}
