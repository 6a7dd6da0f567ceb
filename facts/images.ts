// What the program relies on about each third-party image, written once and cited: the user its
// process runs as (secret files are owned by it), the paths the program mounts or writes, the
// tools a healthcheck may call, and the VOLUMEs the image declares (each one needs a named volume
// or Docker leaks an anonymous one per replacement). Every fact names its source at the pinned
// tag. The program reads users and paths from here; tests/images.test.ts checks the containers
// against it and docs/images.md is generated from it (`npx tsx scripts/writeImagesDoc.ts`).
//
// This folder is the bottom layer: it imports nothing of the program.

/** A fact and where it was read. */
export interface Sourced<T> {
  value: T;
  /** The image's Dockerfile or entrypoint at the pinned tag (repository, path, ref, what it says). */
  source: string;
}

export interface RuntimeUser {
  uid: number;
  gid: number;
}

/** Executables present in the image that a healthcheck or wrapper may call. */
export type Tool = "sh" | "bash" | "wget" | "curl" | "grep" | "cat" | "mongosh" | "ollama" | "nginx" | "pg_isready" | "psql" | "pg_dump" | "pg_restore";

export interface ImageFacts {
  /** The `enrichment:images.<key>` (or, for the ingestion plane, `enrichment:ingestion.images.<key>`) this entry describes. */
  key: ImageKey;
  /** The setting that chooses the image, when it is not `images.<key>`. */
  setting?: string;
  /** The default reference (config/schema.ts) the facts were read at. */
  reference: string;
  /** What it runs. */
  role: string;
  /** uid:gid of the process that reads the secret files, as the program runs the image. */
  user: Sourced<RuntimeUser>;
  /**
   * The image's own `USER` line ("" when it has none): Docker's `Config.User` when the program sets
   * no `--user`. It decides how secret files can be delivered (components/secretDelivery.ts).
   */
  imageUser: Sourced<string>;
  /**
   * Set when the program overrides the image's user (`docker run --user`): the image's own user
   * is not a fixed number, or the program wants a narrower one.
   */
  userOverride?: string;
  /** Paths inside the image the program uses (data, config, binaries). */
  paths: Record<string, Sourced<string>>;
  /** VOLUMEs the image declares; each must get a named volume (or be mounted over). */
  volumes: Sourced<string[]>;
  /** Executables present (and, for wget, which one). */
  tools: Sourced<Tool[]>;
  /** The command a healthcheck runs, in words; the program builds the exact test. */
  health: Sourced<string>;
}

export const IMAGE_KEYS = [
  "mongodb",
  "nsq",
  "ollama",
  "edge",
  "prometheus",
  "alertmanager",
  "grafana",
  "mongodbExporter",
  "nsqExporter",
  "blackboxExporter",
  "cadvisor",
  "nodeExporter",
  "dcgmExporter",
  "backup",
  "backupOffsite",
  "postgres",
  "qdrant",
  "reranker",
  "postgresBackup",
] as const;
export type ImageKey = (typeof IMAGE_KEYS)[number];

const BUSYBOX_NOBODY = "prometheus/busybox (the base of every prom/* image): /etc/passwd has nobody:x:65534:65534";

export const IMAGES: Record<ImageKey, ImageFacts> = {
  mongodb: {
    key: "mongodb",
    reference: "mongo:7.0.14",
    role: "MongoDB server",
    user: {
      value: { uid: 999, gid: 999 },
      source:
        "docker-library/mongo 7.0/Dockerfile @c738ec82e (7.0.14): `groupadd --gid 999 --system mongodb; useradd --uid 999 ... mongodb`; " +
        "7.0/docker-entrypoint.sh: as root it runs `exec gosu mongodb \"$BASH_SOURCE\" \"$@\"` before `file_env MONGO_INITDB_ROOT_PASSWORD` and before the initdb.d scripts",
    },
    imageUser: { value: "", source: "docker-library/mongo 7.0/Dockerfile @c738ec82e: no USER line (the entrypoint starts as root and steps down with gosu)" },
    paths: {
      data: { value: "/data/db", source: "7.0/Dockerfile: `VOLUME /data/db /data/configdb`" },
      configdb: { value: "/data/configdb", source: "7.0/Dockerfile: `VOLUME /data/db /data/configdb`" },
      initdb: { value: "/docker-entrypoint-initdb.d", source: "7.0/docker-entrypoint.sh: `for f in /docker-entrypoint-initdb.d/*` (runs *.js with mongosh, as mongodb)" },
    },
    volumes: { value: ["/data/db", "/data/configdb"], source: "7.0/Dockerfile: `VOLUME /data/db /data/configdb`" },
    tools: {
      value: ["bash", "sh", "grep", "cat", "mongosh"],
      source: "7.0/Dockerfile: FROM ubuntu:jammy, installs mongodb-org-shell (mongosh), jq, numactl, procps; wget is installed for gosu and purged in the same layer (no wget, no curl)",
    },
    health: {
      value:
        "mongosh connects through the service's own name (the container's non-loopback address) and requires authorization to be enforced: " +
        "the entrypoint's temporary init mongod listens only on 127.0.0.1 and runs without --auth, and the final one starts only after the init scripts succeeded",
      source: "7.0/docker-entrypoint.sh: `_mongod_hack_ensure_no_arg --auth`, `_mongod_hack_ensure_arg_val --bind_ip 127.0.0.1`, `_mongod_hack_ensure_no_arg --bind_ip_all` for the init start",
    },
  },
  nsq: {
    key: "nsq",
    reference: "nsqio/nsq:v1.3.0",
    role: "nsqlookupd, nsqd, nsqadmin",
    user: { value: { uid: 0, gid: 0 }, source: "nsqio/nsq Dockerfile @v1.3.0: FROM alpine:latest, no USER line (root)" },
    imageUser: { value: "", source: "nsqio/nsq Dockerfile @v1.3.0: no USER line" },
    paths: {
      nsqd: { value: "/nsqd", source: "Dockerfile @v1.3.0: `RUN ln -s /usr/local/bin/*nsq* / && ln -s /usr/local/bin/*nsq* /bin/`" },
      nsqlookupd: { value: "/nsqlookupd", source: "Dockerfile @v1.3.0: `ln -s /usr/local/bin/*nsq* /`" },
      nsqadmin: { value: "/nsqadmin", source: "Dockerfile @v1.3.0: `ln -s /usr/local/bin/*nsq* /`" },
      data: { value: "/data", source: "Dockerfile @v1.3.0: `RUN mkdir -p /data`, `WORKDIR /data`; comment: /data used by nsqd for persistent storage (no VOLUME line)" },
    },
    volumes: { value: [], source: "Dockerfile @v1.3.0: no VOLUME line (\"Optional volumes (explicitly configure with docker run -v ...)\")" },
    tools: { value: ["sh", "wget", "grep", "cat"], source: "Dockerfile @v1.3.0: FROM alpine:latest (busybox sh, wget, grep)" },
    health: { value: "busybox wget of /ping on the service's HTTP port", source: "alpine busybox wget; nsqd/nsqlookupd/nsqadmin serve GET /ping" },
  },
  ollama: {
    key: "ollama",
    reference: "ollama/ollama:0.4.7",
    role: "Ollama model server",
    user: { value: { uid: 0, gid: 0 }, source: "ollama/ollama Dockerfile @v0.4.7: final stage FROM ubuntu:22.04, no USER line (root)" },
    imageUser: { value: "", source: "ollama/ollama Dockerfile @v0.4.7: no USER line" },
    paths: {
      models: { value: "/root/.ollama", source: "Dockerfile @v0.4.7: runs as root, HOME=/root; ollama keeps models under $HOME/.ollama" },
    },
    volumes: { value: [], source: "Dockerfile @v0.4.7: no VOLUME line" },
    tools: {
      value: ["bash", "sh", "grep", "cat", "ollama"],
      source: "Dockerfile @v0.4.7: FROM ubuntu:22.04, `apt-get install -y ca-certificates` only (no curl, no wget); ENTRYPOINT [\"/bin/ollama\"]",
    },
    health: { value: "`ollama list` (asks the local server; fails when it does not answer)", source: "Dockerfile @v0.4.7: ENTRYPOINT [\"/bin/ollama\"], no HTTP client in the image" },
  },
  edge: {
    key: "edge",
    reference: "nginx:1.27.3-alpine",
    role: "nginx HTTPS edge",
    user: {
      value: { uid: 0, gid: 0 },
      source:
        "nginxinc/docker-nginx mainline/alpine-slim/Dockerfile @d21b4f2 (1.27.3): no USER line; the master runs as root and reads the certificate key before " +
        "its workers drop to `nginx` (adduser -u 101 -G nginx, addgroup -g 101)",
    },
    imageUser: { value: "", source: "nginxinc/docker-nginx mainline/alpine-slim/Dockerfile @d21b4f2: no USER line (the master starts as root)" },
    paths: { config: { value: "/etc/nginx/nginx.conf", source: "mainline/alpine-slim/Dockerfile @d21b4f2: CMD [\"nginx\", \"-g\", \"daemon off;\"] (default config path)" } },
    volumes: { value: [], source: "mainline/alpine-slim/Dockerfile @d21b4f2: no VOLUME line" },
    tools: {
      value: ["sh", "wget", "curl", "grep", "cat", "nginx"],
      source: "mainline/alpine/Dockerfile @d21b4f2: FROM nginx:1.27.3-alpine-slim (alpine:3.20, busybox wget), `apk add --no-cache curl ca-certificates`",
    },
    health: { value: "busybox wget of the status listener's /healthz", source: "mainline/alpine-slim/Dockerfile @d21b4f2: FROM alpine:3.20 (busybox wget); planes/edge/edgeConfig.ts serves /healthz on the status listener" },
  },
  prometheus: {
    key: "prometheus",
    reference: "prom/prometheus:v2.55.1",
    role: "Prometheus",
    user: { value: { uid: 65534, gid: 65534 }, source: `prometheus/prometheus Dockerfile @v2.55.1: \`USER nobody\`; ${BUSYBOX_NOBODY}` },
    imageUser: { value: "nobody", source: "prometheus/prometheus Dockerfile @v2.55.1: `USER nobody`" },
    paths: {
      config: { value: "/etc/prometheus/prometheus.yml", source: "Dockerfile @v2.55.1: CMD --config.file=/etc/prometheus/prometheus.yml; `chown -R nobody:nobody /etc/prometheus /prometheus`" },
      data: { value: "/prometheus", source: "Dockerfile @v2.55.1: `VOLUME [ \"/prometheus\" ]`, CMD --storage.tsdb.path=/prometheus" },
    },
    volumes: { value: ["/prometheus"], source: "Dockerfile @v2.55.1: `VOLUME [ \"/prometheus\" ]`" },
    tools: { value: ["sh", "wget", "grep", "cat"], source: "Dockerfile @v2.55.1: FROM quay.io/prometheus/busybox (busybox sh, wget)" },
    health: { value: "busybox wget of /-/ready", source: "busybox wget; Prometheus serves /-/ready once the TSDB is loaded" },
  },
  alertmanager: {
    key: "alertmanager",
    reference: "prom/alertmanager:v0.27.0",
    role: "Alertmanager",
    user: { value: { uid: 65534, gid: 65534 }, source: `prometheus/alertmanager Dockerfile @v0.27.0: \`USER nobody\`; ${BUSYBOX_NOBODY}` },
    imageUser: { value: "nobody", source: "prometheus/alertmanager Dockerfile @v0.27.0: `USER nobody`" },
    paths: {
      config: { value: "/etc/alertmanager/alertmanager.yml", source: "Dockerfile @v0.27.0: CMD --config.file=/etc/alertmanager/alertmanager.yml" },
      data: {
        value: "/alertmanager",
        source: "Dockerfile @v0.27.0: `RUN mkdir -p /alertmanager && chown -R nobody:nobody etc/alertmanager /alertmanager`, `VOLUME [ \"/alertmanager\" ]`, CMD --storage.path=/alertmanager",
      },
    },
    volumes: { value: ["/alertmanager"], source: "Dockerfile @v0.27.0: `VOLUME [ \"/alertmanager\" ]`" },
    tools: { value: ["sh", "wget", "grep", "cat"], source: "Dockerfile @v0.27.0: FROM quay.io/prometheus/busybox (busybox sh, wget)" },
    health: { value: "busybox wget of /-/ready", source: "busybox wget; Alertmanager serves /-/ready" },
  },
  grafana: {
    key: "grafana",
    reference: "grafana/grafana:11.3.1",
    role: "Grafana",
    user: {
      value: { uid: 472, gid: 0 },
      source: "grafana/grafana Dockerfile (v11.3.1): `ARG GF_UID=\"472\"`, `ARG GF_GID=\"0\"`, `adduser -S -u $GF_UID -G \"$GF_GID_NAME\" grafana`, `USER \"$GF_UID\"`",
    },
    imageUser: { value: "472", source: "grafana/grafana Dockerfile (v11.3.1): `USER \"$GF_UID\"` with `ARG GF_UID=\"472\"`" },
    paths: {
      data: { value: "/var/lib/grafana", source: "Dockerfile (v11.3.1): `GF_PATHS_DATA=\"/var/lib/grafana\"`" },
      provisioning: { value: "/etc/grafana/provisioning", source: "Dockerfile (v11.3.1): `GF_PATHS_PROVISIONING=\"/etc/grafana/provisioning\"`" },
    },
    volumes: { value: [], source: "Dockerfile (v11.3.1): no VOLUME line" },
    tools: {
      value: ["sh", "bash", "wget", "grep", "cat"],
      source: "Dockerfile (v11.3.1): alpine base, `apk add --no-cache ca-certificates bash tzdata musl-utils` (busybox wget; curl only in the ubuntu variant)",
    },
    health: { value: "busybox wget of /api/health (answers 200 only when its database is usable)", source: "busybox wget; Grafana /api/health checks the database" },
  },
  mongodbExporter: {
    key: "mongodbExporter",
    // bitnami/containers#83267: from 2025-08-28 Bitnami's versioned tags live only in
    // docker.io/bitnamilegacy (no further updates); docker.io/bitnami keeps only `latest`.
    reference: "bitnamilegacy/mongodb-exporter:0.47.1-debian-12-r2",
    role: "MongoDB exporter (percona mongodb_exporter, packaged with a shell; bitnamilegacy gets no updates)",
    user: {
      value: { uid: 1001, gid: 0 },
      source: "bitnami/containers bitnami/mongodb-exporter/0/debian-12/Dockerfile @04296e73 (0.47.1, IMAGE_REVISION 2): `USER 1001` (no passwd entry: primary group 0)",
    },
    imageUser: { value: "1001", source: "bitnami/containers bitnami/mongodb-exporter/0/debian-12/Dockerfile @04296e73: `USER 1001`" },
    paths: {
      binary: {
        value: "/opt/bitnami/mongodb-exporter/bin/mongodb_exporter",
        source: "Dockerfile @04296e73: `ln -sf /opt/bitnami/mongodb-exporter/bin/mongodb_exporter /bin/mongodb_exporter`, ENTRYPOINT [ \"mongodb_exporter\" ]",
      },
    },
    volumes: { value: [], source: "Dockerfile @04296e73: no VOLUME line" },
    tools: {
      value: ["bash", "sh", "grep", "cat"],
      source:
        "Dockerfile @04296e73: FROM bitnami/minideb:bookworm, SHELL /bin/bash, `uninstall_packages curl` (no curl, no wget). Chosen over percona/mongodb_exporter " +
        "(Dockerfile @v0.42.0: FROM scratch, USER 65535:65535, no shell) because the exporter has no file option for its URI (MONGODB_PASSWORD_FILE exists only in an unmerged pull request, #1332): " +
        "a bash wrapper reads the URI file",
    },
    health: {
      value: "bash /dev/tcp GET /metrics, requires `mongodb_up{...} 1` (the exporter serves mongodb_up 0 when it cannot reach or authenticate to MongoDB)",
      source: "percona/mongodb_exporter exporter/exporter.go @v0.47.1: on a failed connection the handler registers only the general collector (mongodb_up 0)",
    },
  },
  nsqExporter: {
    key: "nsqExporter",
    reference: "telegraf:1.32.3-alpine",
    role: "NSQ exporter (telegraf inputs.nsq -> outputs.prometheus_client)",
    user: {
      value: { uid: 65534, gid: 65534 },
      source:
        "influxdata/influxdata-docker telegraf/1.32/alpine/Dockerfile @acb4613 (1.32.3): `adduser -S telegraf` assigns a build-time uid, and entrypoint.sh runs `su-exec telegraf` only when started as root; " +
        "the program runs it as nobody (alpine: nobody:x:65534:65534) so the uid is fixed; entrypoint.sh: `if [ \"$(id -u)\" -ne 0 ]; then exec \"$@\"`",
    },
    userOverride: "65534:65534",
    imageUser: { value: "", source: "influxdata/influxdata-docker telegraf/1.32/alpine/Dockerfile @acb4613: no USER line (entrypoint.sh steps down with su-exec when root)" },
    paths: {
      config: { value: "/etc/telegraf/telegraf.conf", source: "telegraf/1.32/alpine/Dockerfile @acb4613: `mv /usr/src/telegraf*/etc/telegraf/telegraf.conf /etc/telegraf/` (telegraf's default --config)" },
    },
    volumes: { value: [], source: "telegraf/1.32/alpine/Dockerfile @acb4613: no VOLUME line" },
    tools: { value: ["sh", "wget", "grep", "cat"], source: "telegraf/1.32/alpine/Dockerfile @acb4613: FROM alpine:3.20 (busybox sh, wget, grep)" },
    health: {
      value: "busybox wget of /metrics, requires an nsq_server_* series (telegraf's prometheus_client drops nsq series once the input fails to gather for longer than expiration_interval)",
      source: "influxdata/telegraf plugins/inputs/nsq (v1.32.3): one nsq_server metric per successful gather of /stats?format=json",
    },
  },
  blackboxExporter: {
    key: "blackboxExporter",
    reference: "prom/blackbox-exporter:v0.25.0",
    role: "blackbox exporter (HTTP probes)",
    user: { value: { uid: 0, gid: 0 }, source: "prometheus/blackbox_exporter Dockerfile @v0.25.0: FROM quay.io/prometheus/busybox, no USER line (root)" },
    imageUser: { value: "", source: "prometheus/blackbox_exporter Dockerfile @v0.25.0: no USER line" },
    paths: { config: { value: "/etc/blackbox_exporter/config.yml", source: "Dockerfile @v0.25.0: `COPY blackbox.yml /etc/blackbox_exporter/config.yml`" } },
    volumes: { value: [], source: "Dockerfile @v0.25.0: no VOLUME line" },
    tools: { value: ["sh", "wget", "grep", "cat"], source: "Dockerfile @v0.25.0: FROM quay.io/prometheus/busybox (busybox sh, wget)" },
    health: { value: "busybox wget of /-/healthy", source: "Dockerfile @v0.25.0: FROM quay.io/prometheus/busybox (busybox wget); blackbox_exporter serves /-/healthy" },
  },
  cadvisor: {
    key: "cadvisor",
    reference: "gcr.io/cadvisor/cadvisor:v0.49.1",
    role: "cAdvisor (container metrics)",
    user: { value: { uid: 0, gid: 0 }, source: "google/cadvisor deploy/Dockerfile @v0.49.1: FROM alpine:3.18, no USER line (root)" },
    imageUser: { value: "", source: "google/cadvisor deploy/Dockerfile @v0.49.1: no USER line" },
    paths: { binary: { value: "/usr/bin/cadvisor", source: "deploy/Dockerfile @v0.49.1: `COPY ... /usr/bin/cadvisor`, ENTRYPOINT [\"/usr/bin/cadvisor\", \"-logtostderr\"]" } },
    volumes: { value: [], source: "deploy/Dockerfile @v0.49.1: no VOLUME line" },
    tools: { value: ["sh", "wget", "grep", "cat"], source: "deploy/Dockerfile @v0.49.1: alpine:3.18 (busybox); its own HEALTHCHECK runs `wget --quiet --tries=1 --spider $CADVISOR_HEALTHCHECK_URL`" },
    health: { value: "busybox wget of /healthz", source: "deploy/Dockerfile @v0.49.1: HEALTHCHECK wget http://localhost:8080/healthz" },
  },
  nodeExporter: {
    key: "nodeExporter",
    reference: "prom/node-exporter:v1.8.2",
    role: "node exporter (host metrics)",
    user: { value: { uid: 65534, gid: 65534 }, source: `prometheus/node_exporter Dockerfile @v1.8.2: \`USER nobody\`; ${BUSYBOX_NOBODY}` },
    imageUser: { value: "nobody", source: "prometheus/node_exporter Dockerfile @v1.8.2: `USER nobody`" },
    paths: {
      rootfs: { value: "/host", source: "node_exporter README @v1.8.2: `-v \"/:/host:ro,rslave\" ... --path.rootfs=/host`" },
      udevData: {
        value: "/host/run/udev/data",
        source: "collector/paths.go @v1.8.2: `--path.udev.data` defaults to /run/udev/data and is NOT prefixed by --path.rootfs (filepath.Join(*udevDataPath, name)); the host's / is bind-mounted recursively at /host",
      },
    },
    volumes: { value: [], source: "Dockerfile @v1.8.2: no VOLUME line" },
    tools: { value: ["sh", "wget", "grep", "cat"], source: "Dockerfile @v1.8.2: FROM quay.io/prometheus/busybox (busybox sh, wget)" },
    health: { value: "busybox wget of /metrics", source: "Dockerfile @v1.8.2: FROM quay.io/prometheus/busybox (busybox wget); node_exporter serves /metrics" },
  },
  dcgmExporter: {
    key: "dcgmExporter",
    reference: "nvcr.io/nvidia/k8s/dcgm-exporter:3.3.8-3.6.0-ubuntu22.04",
    role: "NVIDIA DCGM exporter (GPU metrics)",
    user: { value: { uid: 0, gid: 0 }, source: "NVIDIA/dcgm-exporter docker/Dockerfile.ubuntu22.04: final stage FROM nvcr.io/nvidia/cuda:12.3.2-base-ubuntu22.04, no USER line (root)" },
    imageUser: { value: "", source: "NVIDIA/dcgm-exporter docker/Dockerfile.ubuntu22.04: no USER line" },
    paths: { binary: { value: "/usr/bin/dcgm-exporter", source: "docker/Dockerfile.ubuntu22.04: `COPY --from=builder .../dcgm-exporter /usr/bin/`" } },
    volumes: { value: [], source: "docker/Dockerfile.ubuntu22.04: no VOLUME line" },
    tools: { value: ["bash", "sh", "grep", "cat"], source: "docker/Dockerfile.ubuntu22.04: ubuntu base (bash); wget only in the builder stage (no wget, no curl)" },
    health: { value: "bash /dev/tcp GET /metrics, requires a DCGM_FI_DEV_ series (one per GPU it can read)", source: "dcgm-exporter serves DCGM_FI_DEV_* per GPU" },
  },
  // Added by the backups (planes/backup): the mongo image run for its tools, and rclone.
  backup: {
    key: "backup",
    reference: "mongo:7.0.14",
    role: "MongoDB backups: mongodump/mongorestore under the backup scripts (not mongod)",
    user: {
      value: { uid: 0, gid: 0 },
      source:
        "docker-library/mongo 7.0/Dockerfile: no USER line (root); the step-down to mongodb is in docker-entrypoint.sh and only for mongod, " +
        "and the backup container replaces the entrypoint with /bin/sh /backup/bin/scheduler.sh",
    },
    imageUser: { value: "", source: "docker-library/mongo 7.0/Dockerfile: no USER line" },
    paths: {
      archives: { value: "/data/db", source: "7.0/Dockerfile: `VOLUME /data/db /data/configdb`; the backup container mounts its archive volume over /data/db" },
      metrics: { value: "/data/configdb", source: "7.0/Dockerfile: `VOLUME /data/db /data/configdb`; the backup container mounts its metrics volume over /data/configdb" },
      mongodump: { value: "/usr/bin/mongodump", source: "7.0/Dockerfile: installs ${MONGO_PACKAGE}-tools=$MONGO_VERSION (mongodb-org-tools: mongodb-database-tools, mongodump and mongorestore in /usr/bin)" },
    },
    volumes: { value: ["/data/db", "/data/configdb"], source: "7.0/Dockerfile: `VOLUME /data/db /data/configdb`" },
    tools: {
      value: ["sh", "bash", "grep", "cat"],
      source: "7.0/Dockerfile: FROM ubuntu:jammy (dash as /bin/sh, gzip, mawk, coreutils timeout); mongodb-org-tools for mongodump/mongorestore; no wget, no curl",
    },
    health: { value: "sh /backup/bin/health.sh: the scheduler's heartbeat is recent, or a run holds the lock", source: "planes/backup/scripts/health.sh" },
  },
  backupOffsite: {
    key: "backupOffsite",
    reference: "rclone/rclone:1.68.2",
    role: "off-host copy of the backup archives to S3-compatible storage",
    user: {
      value: { uid: 0, gid: 0 },
      source: "rclone/rclone Dockerfile @v1.68.2: FROM alpine, `adduser -u 1009 ... rclone` but no USER line (root); ENTRYPOINT [\"rclone\"], replaced by /bin/sh /backup/bin/offsite.sh",
    },
    imageUser: { value: "", source: "rclone/rclone Dockerfile @v1.68.2: no USER line" },
    paths: { rclone: { value: "/usr/local/bin/rclone", source: "rclone Dockerfile @v1.68.2: `mv /tmp/rclone-*-linux-${TARGETARCH}/rclone /usr/local/bin/rclone`" } },
    volumes: { value: [], source: "rclone Dockerfile @v1.68.2: no VOLUME line (WORKDIR /data, ENV XDG_CONFIG_HOME=/config)" },
    tools: { value: ["sh", "wget", "grep", "cat"], source: "rclone Dockerfile @v1.68.2: FROM alpine (busybox sh, wget, grep); apk adds ca-certificates fuse3 tzdata" },
    health: { value: "sh /backup/bin/health.sh: the copier's heartbeat is within two intervals", source: "planes/backup/scripts/health.sh" },
  },
  // The web-ingestion plane (planes/ingestion, seed 004): enrichment:ingestion.images.<key>.
  postgres: {
    key: "postgres",
    setting: "ingestion.images.postgres",
    reference: "pgvector/pgvector:0.8.0-pg15",
    role: "PostgreSQL 15 with the pgvector extension (the ingestion plane's database)",
    imageUser: { value: "", source: "docker-library/postgres 15/bookworm/Dockerfile: no USER line (the entrypoint starts as root and steps down with gosu); pgvector/pgvector Dockerfile @v0.8.0 adds none" },
    user: {
      value: { uid: 999, gid: 999 },
      source:
        "pgvector/pgvector Dockerfile @v0.8.0: `FROM postgres:$PG_MAJOR` (15), adds only the extension; docker-library/postgres 15/bookworm/Dockerfile: " +
        "`groupadd -r postgres --gid=999`, `useradd -r -g postgres --uid=999 ... postgres`; 15/bookworm/docker-entrypoint.sh: `docker_setup_env` runs `file_env 'POSTGRES_PASSWORD'` " +
        "as root, then `exec gosu postgres \"$BASH_SOURCE\" \"$@\"` runs it again as postgres (the value is then exported, the _FILE variable unset)",
    },
    paths: {
      data: { value: "/var/lib/postgresql/data", source: "15/bookworm/Dockerfile: `ENV PGDATA /var/lib/postgresql/data`, `VOLUME /var/lib/postgresql/data`" },
      initdb: {
        value: "/docker-entrypoint-initdb.d",
        source: "15/bookworm/docker-entrypoint.sh: `docker_process_init_files /docker-entrypoint-initdb.d/*` on an empty PGDATA only (*.sh sourced as postgres, *.sql through psql as POSTGRES_USER into POSTGRES_DB)",
      },
    },
    volumes: { value: ["/var/lib/postgresql/data"], source: "15/bookworm/Dockerfile: `VOLUME /var/lib/postgresql/data`" },
    tools: {
      value: ["bash", "sh", "grep", "cat", "pg_isready", "psql", "pg_dump", "pg_restore"],
      source:
        "15/bookworm/Dockerfile: FROM debian:bookworm-slim (dash as /bin/sh, bash, gzip, mawk, coreutils), postgresql-15 with its client tools on PATH " +
        "(`ENV PATH $PATH:/usr/lib/postgresql/$PG_MAJOR/bin`); wget is installed for gosu and purged in the same layer (no wget, no curl)",
    },
    health: {
      value:
        "pg_isready over TCP to the service's own name: the entrypoint's temporary init server listens on no TCP address (listen_addresses=''), so the check passes only " +
        "for the final server, which starts after the init scripts succeeded (a bare `pg_isready` asks the Unix socket, which the init server answers)",
      source: "15/bookworm/docker-entrypoint.sh: `docker_temp_server_start` sets `-c listen_addresses=''`",
    },
  },
  qdrant: {
    key: "qdrant",
    setting: "ingestion.images.qdrant",
    reference: "qdrant/qdrant:v1.8.0",
    role: "Qdrant vector store (optional in the ingestion plane)",
    imageUser: { value: "0:0", source: "qdrant/qdrant Dockerfile @v1.8.0 (bdfc65f): `ARG USER_ID=0`, `USER \"$USER_ID:$USER_ID\"`" },
    user: { value: { uid: 0, gid: 0 }, source: "qdrant/qdrant Dockerfile @v1.8.0 (bdfc65f): `ARG USER_ID=0`, `USER \"$USER_ID:$USER_ID\"` (root unless built with another USER_ID)" },
    paths: {
      storage: { value: "/qdrant/storage", source: "Dockerfile @v1.8.0: `WORKDIR \"$APP\"` (/qdrant); config/config.yaml @v1.8.0: `storage_path: ./storage`" },
      snapshots: { value: "/qdrant/snapshots", source: "config/config.yaml @v1.8.0: `snapshots_path: ./snapshots`" },
    },
    volumes: { value: [], source: "Dockerfile @v1.8.0: no VOLUME line" },
    tools: {
      value: ["bash", "sh", "grep", "cat"],
      source: "Dockerfile @v1.8.0: FROM debian:12-slim, `apt-get install --no-install-recommends -y ca-certificates tzdata libunwind8` (no curl, no wget); tools/entrypoint.sh is `#!/usr/bin/env bash`",
    },
    health: {
      value: "bash /dev/tcp GET /readyz (200 once every shard is ready; 503 before)",
      source: "src/actix/api/service_api.rs @v1.8.0: `#[get(\"/readyz\")]` answers SERVICE_UNAVAILABLE \"some shards are not ready\"; `#[get(\"/metrics\")]` serves Prometheus text",
    },
  },
  reranker: {
    key: "reranker",
    setting: "ingestion.images.reranker",
    reference: "ghcr.io/huggingface/text-embeddings-inference:cpu-1.5",
    role: "Text Embeddings Inference (CPU build) serving the reranker model",
    imageUser: { value: "", source: "huggingface/text-embeddings-inference Dockerfile @v1.5.0 (661a77f): no USER line" },
    user: { value: { uid: 0, gid: 0 }, source: "huggingface/text-embeddings-inference Dockerfile @v1.5.0 (661a77f): final stage FROM base (debian:bookworm-slim), no USER line (root)" },
    paths: {
      models: { value: "/data", source: "Dockerfile @v1.5.0: `ENV HUGGINGFACE_HUB_CACHE=/data PORT=80`" },
      router: { value: "/usr/local/bin/text-embeddings-router", source: "Dockerfile @v1.5.0: `ENTRYPOINT [\"text-embeddings-router\"]`, `CMD [\"--json-output\"]`" },
    },
    volumes: { value: [], source: "Dockerfile @v1.5.0: no VOLUME line" },
    tools: {
      value: ["bash", "sh", "grep", "cat"],
      source: "Dockerfile @v1.5.0: base `apt-get install -y --no-install-recommends ca-certificates libssl-dev` on debian:bookworm-slim (no curl, no wget)",
    },
    health: {
      value: "bash /dev/tcp GET /health: the router listens only once the model is downloaded and loaded, and /health asks the backend",
      source: "router/src/http/server.rs @v1.5.0: `.route(\"/health\", get(health))`, `.route(\"/metrics\", get(metrics))` on the same port (PORT, 80)",
    },
  },
  postgresBackup: {
    key: "postgresBackup",
    setting: "ingestion.images.postgresBackup",
    reference: "pgvector/pgvector:0.8.0-pg15",
    role: "PostgreSQL backups: pg_dump/pg_restore/psql under the backup scripts (not postgres)",
    imageUser: { value: "", source: "docker-library/postgres 15/bookworm/Dockerfile: no USER line" },
    user: {
      value: { uid: 0, gid: 0 },
      source:
        "docker-library/postgres 15/bookworm/Dockerfile: no USER line (root); the step-down to postgres is in docker-entrypoint.sh and only for the server, " +
        "and the backup container replaces the entrypoint with /bin/sh /backup/bin/scheduler.sh",
    },
    paths: {
      archives: { value: "/var/lib/postgresql/data", source: "15/bookworm/Dockerfile: `VOLUME /var/lib/postgresql/data`; the backup container mounts its archive volume there" },
      pgDump: { value: "/usr/lib/postgresql/15/bin/pg_dump", source: "15/bookworm/Dockerfile: postgresql-15 (its client tools), `ENV PATH $PATH:/usr/lib/postgresql/$PG_MAJOR/bin`" },
    },
    volumes: { value: ["/var/lib/postgresql/data"], source: "15/bookworm/Dockerfile: `VOLUME /var/lib/postgresql/data`" },
    tools: {
      value: ["sh", "bash", "grep", "cat", "pg_dump", "pg_restore", "psql"],
      source: "15/bookworm/Dockerfile: FROM debian:bookworm-slim (dash as /bin/sh, gzip, mawk, coreutils timeout); postgresql-15's pg_dump, pg_restore, psql; no wget, no curl",
    },
    health: { value: "sh /backup/bin/health.sh: the scheduler's heartbeat is recent, or a run holds the lock", source: "planes/backup/scripts/health.sh" },
  },
};

/** `uid:gid` as Docker's `--user` and the upload owner/group take it. */
export const userSpec = (user: RuntimeUser): string => `${user.uid}:${user.gid}`;

/** Renders docs/images.md from the catalog (the doc is generated; a test compares them). */
export function renderImagesDoc(images: Record<ImageKey, ImageFacts> = IMAGES): string {
  const cell = (text: string) => text.replace(/\|/g, "\\|").replace(/\n/g, " ");
  const lines = [
    "# Third-party images: what the program relies on",
    "",
    "Generated from `facts/images.ts` by `npx tsx scripts/writeImagesDoc.ts`; `tests/images.test.ts` fails when the two differ.",
    "Each fact names where it was read, at the image tag the stack files pin. Secret files reach the runtime",
    "user below only: mode 0400 owned by it when the container has no user (no `--user`, no image USER), else",
    "0440 root:root read through group 0 (components/secretDelivery.ts says why); the application images'",
    "user is `enrichment:appRuntimeUser`.",
    "",
    "| image key | default reference | runtime uid:gid | image USER | tools | volumes the image declares |",
    "|---|---|---|---|---|---|",
  ];
  for (const key of IMAGE_KEYS) {
    const facts = images[key];
    lines.push(
      `| \`${facts.setting ?? key}\` | \`${facts.reference}\` | ${userSpec(facts.user.value)}${facts.userOverride ? " (set by the program)" : ""} | ${facts.imageUser.value ? `\`${facts.imageUser.value}\`` : "none"} | ${facts.tools.value.join(", ")} | ${facts.volumes.value.map((v) => `\`${v}\``).join(", ") || "none"} |`,
    );
  }
  for (const key of IMAGE_KEYS) {
    const facts = images[key];
    lines.push("", `## ${key}: ${facts.role}`, "", `Reference \`${facts.reference}\`.`, "");
    lines.push(`- **user** ${userSpec(facts.user.value)}: ${cell(facts.user.source)}`);
    lines.push(`- **image USER** ${facts.imageUser.value ? `\`${facts.imageUser.value}\`` : "none"}: ${cell(facts.imageUser.source)}`);
    if (facts.userOverride) lines.push(`- **runs with** \`--user ${facts.userOverride}\``);
    for (const [name, path] of Object.entries(facts.paths)) lines.push(`- **${name}** \`${path.value}\`: ${cell(path.source)}`);
    lines.push(`- **volumes** ${facts.volumes.value.map((v) => `\`${v}\``).join(", ") || "none"}: ${cell(facts.volumes.source)}`);
    lines.push(`- **tools** ${facts.tools.value.join(", ")}: ${cell(facts.tools.source)}`);
    lines.push(`- **health** ${cell(facts.health.value)}: ${cell(facts.health.source)}`);
    const floor = MEMORY_FLOORS[key];
    if (floor) lines.push(`- **memory floor** ${floor.value} MB (\`enrichment:resources\` refuses less): ${cell(floor.source)}`);
  }
  return `${lines.join("\n")}\n`;
}

/**
 * The least memory (MB, the unit of `enrichment:resources.*.memoryMb`) each service's process
 * needs to start and answer its healthcheck, with where the figure comes from. Measured figures
 * are the peak RSS (VmHWM) of the real binary at idle (tests/measure-memory-floors.sh), times 1.5
 * for the scrape and healthcheck load, rounded up to 16 MB. Images with no entry have no known
 * floor beyond the schema's 16 MB (Docker's own minimum is 6 MB).
 */
export const MEMORY_FLOORS: Partial<Record<ImageKey, Sourced<number>>> = {
  mongodb: {
    value: 512,
    source:
      "MongoDB manual (WiredTiger storage engine, since 3.4): the internal cache is the larger of 50% of (RAM - 1 GB) and 256 MB, and mongod takes the " +
      "container's memory limit as its RAM; 256 MB of cache plus the server itself and the healthcheck's mongosh (a Node.js process in the same cgroup)",
  },
  nsq: { value: 16, source: "measured here: nsqd, nsqlookupd, nsqadmin v1.3.0 peak RSS 8.8, 7.3, 9.3 MB at idle (tests/measure-memory-floors.sh)" },
  edge: { value: 16, source: "measured here: nginx 1.22.1 master and worker peak RSS 6.6 + 4.1 MB serving requests (tests/measure-memory-floors.sh)" },
  prometheus: { value: 80, source: "measured here: Prometheus 2.42.0 peak RSS 44.5 MB scraping itself every second (tests/measure-memory-floors.sh)" },
  alertmanager: { value: 64, source: "measured here: Alertmanager 0.27.0 peak RSS 37.0 MB at idle (tests/measure-memory-floors.sh)" },
  grafana: {
    value: 256,
    source: "Grafana documentation, Install Grafana, Hardware recommendations: minimum recommended memory 255 MB (v6 to v10; 512 MB from v11)",
  },
  nsqExporter: { value: 32, source: "measured here: telegraf 1.32.3 (nsq input, prometheus_client output) peak RSS 20.7 MB reading nsqd every second (tests/measure-memory-floors.sh)" },
};
