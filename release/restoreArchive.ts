// Reads a mongodump archive (`--archive`, gzip or not) as a stream and summarizes it: per
// collection, the documents it holds and the indexes its metadata declares. The format is
// mongo-tools' common/archive: a magic number (0x8199e26d, little-endian), a prelude block (the
// header document, one CollectionMetadata document per collection, a terminator), then blocks of
// one namespace header ({db, collection, EOF, CRC}), its body documents, and a terminator
// (0xFFFFFFFF). Body documents are counted by their length prefix, never decoded.
import * as zlib from "node:zlib";
// bson is the library the mongodb driver decodes with, without the driver (this module reads files, not a server).
import { BSON } from "bson";

const MAGIC = 0x8199e26d;
const TERMINATOR = 0xffffffff;
const MAX_BSON = 16 * 1024 * 1024 + 16 * 1024;

export interface IndexSpec {
  name: string;
  /** The key pattern as canonical JSON, e.g. {"status":1,"created_at":-1}. */
  key: string;
}

export interface CollectionSummary {
  documents: number;
  indexes: IndexSpec[];
  /** "collection", "view", "timeseries" (from the metadata). */
  type: string;
}

export interface ArchiveSummary {
  serverVersion?: string;
  toolVersion?: string;
  /** By collection name (the archive's database is `database`). */
  collections: Record<string, CollectionSummary>;
  database?: string;
}

export class ArchiveFormatError extends Error {}

/** Pulls exact byte counts out of a chunk stream. */
class ChunkReader {
  private buffered: Buffer = Buffer.alloc(0);
  private done = false;
  constructor(private readonly source: AsyncIterator<Buffer>) {}

  private async fill(n: number): Promise<boolean> {
    while (this.buffered.length < n && !this.done) {
      const next = await this.source.next();
      if (next.done) this.done = true;
      else this.buffered = this.buffered.length ? Buffer.concat([this.buffered, next.value]) : next.value;
    }
    return this.buffered.length >= n;
  }

  /** Exactly n bytes, or undefined at a clean end of stream (nothing buffered). */
  async read(n: number): Promise<Buffer | undefined> {
    if (!(await this.fill(n))) {
      if (this.buffered.length === 0) return undefined;
      throw new ArchiveFormatError(`archive ends in the middle of a record (${this.buffered.length} of ${n} bytes)`);
    }
    const out = this.buffered.subarray(0, n);
    this.buffered = this.buffered.subarray(n);
    return out;
  }

  async skip(n: number): Promise<void> {
    let left = n;
    while (left > 0) {
      if (this.buffered.length === 0 && !(await this.fill(1))) throw new ArchiveFormatError("archive ends inside a document");
      const take = Math.min(left, this.buffered.length);
      this.buffered = this.buffered.subarray(take);
      left -= take;
    }
  }
}

type Record_ = { terminator: true } | { terminator: false; size: number };

async function lengthOrTerminator(reader: ChunkReader): Promise<Record_ | undefined> {
  const head = await reader.read(4);
  if (!head) return undefined;
  const value = head.readUInt32LE(0);
  if (value === TERMINATOR) return { terminator: true };
  if (value < 5 || value > MAX_BSON) throw new ArchiveFormatError(`${value} is neither a BSON length nor a terminator`);
  return { terminator: false, size: value };
}

async function document(reader: ChunkReader, size: number): Promise<Record<string, unknown>> {
  const rest = await reader.read(size - 4);
  if (!rest) throw new ArchiveFormatError("archive ends before a document");
  const bytes = Buffer.alloc(size);
  bytes.writeUInt32LE(size, 0);
  rest.copy(bytes, 4);
  return BSON.deserialize(bytes, { promoteLongs: true, promoteValues: true }) as Record<string, unknown>;
}

/** Canonical JSON of an index key pattern (numbers as numbers, in key order). */
function keyPattern(key: unknown): string {
  const plain = JSON.parse(BSON.EJSON.stringify(key ?? {}, { relaxed: true })) as Record<string, unknown>;
  return JSON.stringify(plain);
}

function indexesOf(metadataJson: string): IndexSpec[] {
  if (!metadataJson) return [];
  const metadata = BSON.EJSON.parse(metadataJson, { relaxed: true }) as { indexes?: { name?: string; key?: unknown }[] };
  return (metadata.indexes ?? []).map((index) => ({ name: String(index.name), key: keyPattern(index.key) })).sort((a, b) => a.name.localeCompare(b.name));
}

/** Summarizes an archive from its bytes (gzip is detected). */
export async function summarizeArchive(source: AsyncIterable<Buffer> | Buffer): Promise<ArchiveSummary> {
  const iterable: AsyncIterable<Buffer> = Buffer.isBuffer(source) ? (async function* () { yield source; })() : source;
  const iterator = iterable[Symbol.asyncIterator]();
  // Peek at the first chunk for the gzip magic (1f 8b).
  const first = await iterator.next();
  if (first.done) throw new ArchiveFormatError("empty archive");
  const rest: AsyncIterable<Buffer> = {
    [Symbol.asyncIterator]: () => {
      let sentFirst = false;
      return { next: async () => (sentFirst ? iterator.next() : ((sentFirst = true), { done: false, value: first.value })) };
    },
  };
  const gzip = first.value[0] === 0x1f && first.value[1] === 0x8b;
  const bytes: AsyncIterable<Buffer> = gzip ? gunzip(rest) : rest;
  return parse(new ChunkReader(bytes[Symbol.asyncIterator]()));
}

async function* gunzip(source: AsyncIterable<Buffer>): AsyncIterable<Buffer> {
  const inflate = zlib.createGunzip();
  const feeding = (async () => {
    try {
      for await (const chunk of source) if (!inflate.write(chunk)) await new Promise((resolve) => inflate.once("drain", resolve));
      inflate.end();
    } catch (error) {
      inflate.destroy(error as Error);
    }
  })();
  for await (const chunk of inflate) yield chunk as Buffer;
  await feeding;
}

async function parse(reader: ChunkReader): Promise<ArchiveSummary> {
  const magic = await reader.read(4);
  if (!magic || magic.readUInt32LE(0) !== MAGIC) throw new ArchiveFormatError("not a mongodump archive (no magic number)");
  const summary: ArchiveSummary = { collections: {} };

  // Prelude: header, collection metadata..., terminator.
  const headerLength = await lengthOrTerminator(reader);
  if (!headerLength || headerLength.terminator) throw new ArchiveFormatError("archive has no prelude header");
  const header = await document(reader, headerLength.size);
  summary.serverVersion = header.server_version as string | undefined;
  summary.toolVersion = header.tool_version as string | undefined;
  const databases = new Set<string>();
  for (;;) {
    const next = await lengthOrTerminator(reader);
    if (!next) throw new ArchiveFormatError("archive ends inside the prelude");
    if (next.terminator) break;
    const meta = await document(reader, next.size);
    databases.add(String(meta.db));
    summary.collections[String(meta.collection)] = { documents: 0, indexes: indexesOf(String(meta.metadata ?? "")), type: String(meta.type || "collection") };
  }
  if (databases.size > 1) throw new ArchiveFormatError(`archive holds several databases (${[...databases].join(", ")}); expected the dump of one`);
  summary.database = [...databases][0];

  // Blocks: namespace header, body documents, terminator.
  for (;;) {
    const next = await lengthOrTerminator(reader);
    if (!next) break;
    if (next.terminator) throw new ArchiveFormatError("consecutive terminators");
    const ns = await document(reader, next.size);
    const name = String(ns.collection);
    const entry = (summary.collections[name] ??= { documents: 0, indexes: [], type: "collection" });
    for (;;) {
      const body = await lengthOrTerminator(reader);
      if (!body) throw new ArchiveFormatError(`archive ends inside a block of ${name}`);
      if (body.terminator) break;
      await reader.skip(body.size - 4);
      if (!ns.EOF) entry.documents++;
    }
  }
  return summary;
}

export interface ComparisonRow {
  collection: string;
  archive: number | undefined;
  scratch: number | undefined;
  indexesArchive: string[];
  indexesScratch: string[];
  problems: string[];
}

export interface Comparison {
  rows: ComparisonRow[];
  ok: boolean;
  /** Collections in scratch only (left from an earlier restore test): reported, not a failure. */
  extra: string[];
}

const indexLabel = (index: IndexSpec) => `${index.name} ${index.key}`;

/** Archive against what a restore produced: same collections, counts and index definitions. */
export function compareSummaries(archive: ArchiveSummary, scratch: ArchiveSummary): Comparison {
  const rows: ComparisonRow[] = [];
  for (const [collection, want] of Object.entries(archive.collections).sort(([a], [b]) => a.localeCompare(b))) {
    const got = scratch.collections[collection];
    const problems: string[] = [];
    if (!got) problems.push("not in the scratch database");
    else {
      if (got.documents !== want.documents) problems.push(`${got.documents} documents restored, the archive holds ${want.documents}`);
      const wantIdx = want.indexes.map(indexLabel);
      const gotIdx = got.indexes.map(indexLabel);
      const missing = wantIdx.filter((i) => !gotIdx.includes(i));
      const unexpected = gotIdx.filter((i) => !wantIdx.includes(i));
      if (missing.length) problems.push(`indexes missing: ${missing.join(", ")}`);
      if (unexpected.length) problems.push(`indexes not in the archive: ${unexpected.join(", ")}`);
    }
    rows.push({
      collection,
      archive: want.documents,
      scratch: got?.documents,
      indexesArchive: want.indexes.map((i) => i.name),
      indexesScratch: got?.indexes.map((i) => i.name) ?? [],
      problems,
    });
  }
  const extra = Object.keys(scratch.collections).filter((c) => !(c in archive.collections)).sort();
  return { rows, ok: rows.every((row) => row.problems.length === 0), extra };
}

/** The comparison as a fixed-width table. */
export function renderComparison(comparison: Comparison): string {
  const header = ["collection", "archive docs", "scratch docs", "indexes (archive/scratch)", "result"];
  const body = comparison.rows.map((row) => [
    row.collection,
    String(row.archive ?? "-"),
    String(row.scratch ?? "-"),
    `${row.indexesArchive.length}/${row.indexesScratch.length}`,
    row.problems.length ? `DIFFERS: ${row.problems.join("; ")}` : "ok",
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
  const lines = [line(header), line(widths.map((w) => "-".repeat(w))), ...body.map(line)];
  if (comparison.extra.length) lines.push("", `In the scratch database only (left from an earlier restore, not compared): ${comparison.extra.join(", ")}`);
  return lines.join("\n");
}
