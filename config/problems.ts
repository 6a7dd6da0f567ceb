// The shape every area's cross-field check returns: the key path under `enrichment:`, what is
// expected (the message starts with "expected"), and the value that was there. config/schema.ts
// turns each into one issue; config/load.ts prints it as `enrichment:<path>: <message>, got <input>`.
export interface ConfigProblem {
  path: (string | number)[];
  message: string;
  input: unknown;
  /** Other keys the rule read: when one of them is already refused, this problem is not reported. */
  reads?: (string | number)[][];
}
