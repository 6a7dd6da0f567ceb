// NSQ backlog (telegraf's inputs.nsq, planes/monitoring/exporters.ts): messages waiting, channels without consumers, timeouts.
import { AlertArea, AlertContext, AlertRule, num } from "./types";

const channelDepth = "sum by (topic, channel) (nsq_channel_depth)";

export const queue: AlertArea = {
  area: "queue",
  title: "Queue backlog",
  rules: ({ thresholds }: AlertContext): AlertRule[] => [
    {
      alert: "QueueBacklogHigh",
      expr: `${channelDepth} > ${num(thresholds.queueBacklogMax)}`,
      for: "15m",
      severity: "warning",
      summary: "{{ $value }} messages wait on {{ $labels.topic }}/{{ $labels.channel }}.",
      description: `NSQ channel {{ $labels.topic }}/{{ $labels.channel }} holds {{ $value }} messages (warning above ${num(thresholds.queueBacklogMax)}). Workers do not keep up with the intake.`,
      runbook: "queue-backlog-high",
      labels: { service: "nsqd" },
    },
    {
      alert: "QueueBacklogHigh",
      expr: `${channelDepth} > ${num(thresholds.queueBacklogCritical)}`,
      for: "15m",
      severity: "critical",
      summary: "{{ $value }} messages wait on {{ $labels.topic }}/{{ $labels.channel }}.",
      description: `NSQ channel {{ $labels.topic }}/{{ $labels.channel }} holds {{ $value }} messages (critical above ${num(thresholds.queueBacklogCritical)}). Documents wait hours before enrichment.`,
      runbook: "queue-backlog-high",
      labels: { service: "nsqd" },
    },
    {
      alert: "QueueNoConsumers",
      expr: `sum by (topic, channel) (nsq_channel_client_count) == 0 and ${channelDepth} > 0`,
      for: "10m",
      severity: "critical",
      summary: "Nobody consumes {{ $labels.topic }}/{{ $labels.channel }}.",
      description: "NSQ channel {{ $labels.topic }}/{{ $labels.channel }} has messages but no connected consumer for 10 minutes. Workers are down or cannot reach nsqd.",
      runbook: "queue-no-consumers",
      labels: { service: "nsqd" },
    },
    {
      alert: "QueueMessageTimeouts",
      expr: `sum by (topic, channel) (delta(nsq_channel_timeout_count[15m])) > ${num(thresholds.queueTimeoutsMax)}`,
      for: "15m",
      severity: "warning",
      summary: "{{ $value | humanize }} messages timed out on {{ $labels.topic }}/{{ $labels.channel }} in 15 minutes.",
      description: `{{ $value | humanize }} messages on {{ $labels.topic }}/{{ $labels.channel }} were not finished in time by a worker in the last 15 minutes (allowed: ${num(thresholds.queueTimeoutsMax)}); NSQ re-delivers them, so documents are processed twice.`,
      runbook: "queue-message-timeouts",
      labels: { service: "nsqd" },
    },
  ],
  runbooks: {
    "queue-backlog-high": {
      title: "QueueBacklogHigh",
      meaning: "Messages pile up on an NSQ channel: the intake is faster than the workers.",
      check: [
        "Processing Throughput dashboard: documents per hour against jobs submitted; NSQ depth over 24 h.",
        "Are all workers consuming (nsqadmin: clients per channel; QueueNoConsumers)?",
        "Is a slow dependency bounding the workers (AgentLatencyHigh, OllamaSlowResponses)?",
      ],
      act: [
        "Workers are the bottleneck: raise `enrichment:workers.replicas` and run `pulumi up`.",
        "A dependency is slow: follow its runbook; more workers do not help.",
        "A one-off bulk submission: let it drain and tell its owner how long it takes.",
      ],
    },
    "queue-no-consumers": {
      title: "QueueNoConsumers",
      meaning: "An NSQ channel has messages and no consumer: nothing is processed.",
      check: [
        "`docker ps --filter name=<prefix>-enrichment-worker`: are the workers running?",
        "Worker logs: can they reach nsqlookupd (`nsqlookupd:4161`) and nsqd?",
        "nsqadmin: is the channel paused?",
      ],
      act: [
        "Start or restart the workers (`pulumi up` recreates missing ones).",
        "Unpause the channel in nsqadmin if someone paused it.",
      ],
    },
    "queue-message-timeouts": {
      title: "QueueMessageTimeouts",
      meaning: "Workers take longer than NSQ's message timeout, so NSQ re-delivers messages.",
      check: [
        "Agent latency and Ollama: a slow model makes documents take longer than the timeout.",
        "Worker logs for documents that are processed twice.",
      ],
      act: [
        "Fix the slowness first (AgentLatencyHigh).",
        "If documents are legitimately slow, have the workers touch messages while they work, or raise nsqd's `--msg-timeout`.",
      ],
    },
  },
};
