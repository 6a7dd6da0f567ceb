// One collection's declared indexes as a Pulumi resource, reconciled by the dynamic provider.
import * as pulumi from "@pulumi/pulumi";
import type { IndexSpecs } from "./plan";
import { mongoIndexesProvider, type ConnectionTimeouts } from "./provider";

export interface CollectionIndexesArgs {
  /** mongodb:// URI with credentials; wrapped as a secret here whatever the caller passes. */
  connectionUri: pulumi.Input<string>;
  database: pulumi.Input<string>;
  collection: pulumi.Input<string>;
  /** Declared indexes keyed by name (see `specsByCollection`). */
  indexes: pulumi.Input<IndexSpecs>;
  timeouts?: pulumi.Input<ConnectionTimeouts>;
}

export class CollectionIndexes extends pulumi.dynamic.Resource {
  // `declare`: the base constructor sets these; a class field would overwrite them with undefined.
  declare readonly connectionUri: pulumi.Output<string>;
  declare readonly database: pulumi.Output<string>;
  declare readonly collection: pulumi.Output<string>;
  /** What the database holds for each declared name (after a refresh: the real thing). */
  declare readonly indexes: pulumi.Output<IndexSpecs>;
  /** Names this resource built; the only ones its deletion drops. */
  declare readonly createdIndexes: pulumi.Output<string[]>;
  /** Names that existed already and were adopted; never dropped by this resource. */
  declare readonly adoptedIndexes: pulumi.Output<string[]>;

  constructor(name: string, args: CollectionIndexesArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      mongoIndexesProvider,
      name,
      {
        connectionUri: pulumi.secret(args.connectionUri),
        database: args.database,
        collection: args.collection,
        indexes: args.indexes,
        timeouts: args.timeouts,
        createdIndexes: undefined,
        adoptedIndexes: undefined,
      },
      // The engine marks the stored URI secret; a dynamic provider cannot return secrets itself.
      pulumi.mergeOptions(opts, { additionalSecretOutputs: ["connectionUri"] }),
    );
  }
}
