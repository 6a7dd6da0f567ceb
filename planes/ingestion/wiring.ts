// How the platform builds the ingestion plane from the stack config: the one place that maps the
// `ingestion` settings (and the stack's release, backups and published ports) to the plane's
// arguments. No `ingestion` block: no plane at all.
import type * as pulumi from "@pulumi/pulumi";
import { ingestionScratchDatabase } from "../../config/ingestion";
import type { StackConfig } from "../../config/load";
import type { PlatformNetwork } from "../../components/network";
import type { PlatformContext } from "../../components/serviceContainer";
import { INGESTION_PUBLISHABLE } from "../../facts/ingestion";
import { IngestionPlane } from "./plane";

export interface IngestionDeps {
  context: PlatformContext;
  network: PlatformNetwork;
}

export function createIngestion(config: StackConfig, deps: IngestionDeps, opts: pulumi.ComponentResourceOptions): IngestionPlane | undefined {
  const { settings, secrets } = config;
  const ingestion = settings.ingestion;
  if (!ingestion) return undefined;
  const { backup } = settings;
  const s3 = backup.s3;
  const offsite =
    s3 && s3.endpoint && s3.bucket && s3.region
      ? {
          endpoint: s3.endpoint,
          bucket: s3.bucket,
          region: s3.region,
          prefix: s3.prefix,
          intervalMinutes: s3.intervalMinutes,
          accessKeyId: secrets.backupS3AccessKeyId!,
          secretAccessKey: secrets.backupS3SecretAccessKey!,
        }
      : undefined;
  const publish: Record<string, { address: string; port: number }> = {};
  for (const service of INGESTION_PUBLISHABLE) {
    const entry = settings.exposure.publish[service];
    if (entry) publish[service] = { port: entry.port, address: entry.address ?? settings.exposure.bindAddress };
  }
  return new IngestionPlane(
    "ingestion",
    {
      context: deps.context,
      network: deps.network,
      settings: ingestion,
      backup: backup.enabled ? { settings: backup, offsite, images: { offsite: settings.images.backupOffsite, metrics: settings.images.nodeExporter } } : undefined,
      release: { version: settings.release.version, images: settings.release.images },
      openaiApiKey: secrets.ingestionOpenaiApiKey,
      llmApiKey: secrets.ingestionLlmApiKey,
      publish,
      scratchDatabase: ingestionScratchDatabase(ingestion),
    },
    opts,
  );
}
