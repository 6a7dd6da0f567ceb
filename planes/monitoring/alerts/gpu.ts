// GPU metrics from NVIDIA's DCGM exporter (only on stacks where Ollama has a GPU).
import { AlertArea, AlertContext, AlertRule, num, pct } from "./types";

export const gpu: AlertArea = {
  area: "gpu",
  title: "GPU",
  enabled: ({ gpu }) => gpu,
  rules: ({ thresholds }: AlertContext): AlertRule[] => [
    {
      alert: "GpuMemoryHigh",
      expr: `DCGM_FI_DEV_FB_USED / (DCGM_FI_DEV_FB_USED + DCGM_FI_DEV_FB_FREE) > ${num(thresholds.gpuMemoryUsageMax)}`,
      for: "15m",
      severity: "warning",
      summary: "GPU {{ $labels.gpu }} memory is {{ $value | humanizePercentage }} used.",
      description: `GPU {{ $labels.gpu }} ({{ $labels.modelName }}) has used {{ $value | humanizePercentage }} of its memory for 15 minutes (warning above ${pct(thresholds.gpuMemoryUsageMax)}). Ollama will unload models or fail to load them.`,
      runbook: "gpu-memory-high",
      labels: { service: "ollama" },
    },
    {
      alert: "GpuTemperatureHigh",
      expr: `DCGM_FI_DEV_GPU_TEMP > ${num(thresholds.gpuTemperatureMaxCelsius)}`,
      for: "10m",
      severity: "warning",
      summary: "GPU {{ $labels.gpu }} is at {{ $value }} °C.",
      description: `GPU {{ $labels.gpu }} has been above ${num(thresholds.gpuTemperatureMaxCelsius)} °C for 10 minutes; it will throttle.`,
      runbook: "gpu-temperature-high",
      labels: { service: "ollama" },
    },
    {
      alert: "GpuXidErrors",
      expr: "DCGM_FI_DEV_XID_ERRORS > 0",
      for: "5m",
      severity: "warning",
      summary: "GPU {{ $labels.gpu }} reported XID error {{ $value }}.",
      description: "The NVIDIA driver reported XID error {{ $value }} on GPU {{ $labels.gpu }}. Some XIDs mean a crashed application, others failing hardware.",
      runbook: "gpu-xid-errors",
      labels: { service: "ollama" },
    },
    {
      alert: "GpuMetricsMissing",
      expr: "absent(DCGM_FI_DEV_GPU_UTIL)",
      for: "15m",
      severity: "warning",
      summary: "No GPU metrics although this stack runs Ollama on a GPU.",
      description: "The DCGM exporter reports no GPU. The exporter is down or the GPU is not visible to containers, so Ollama probably runs on the CPU.",
      runbook: "gpu-metrics-missing",
      labels: { service: "dcgm-exporter" },
    },
  ],
  runbooks: {
    "gpu-memory-high": {
      title: "GpuMemoryHigh",
      meaning: "GPU frame-buffer memory is nearly full.",
      check: [
        "`nvidia-smi` on the host: which processes hold memory? Only Ollama should.",
        "Which models are loaded (`docker exec <prefix>-ollama ollama ps`)? llama3.2 and mixtral together may not fit.",
      ],
      act: [
        "Unload the model that is not needed (`ollama stop <model>`), or move agents off the alternative model.",
        "Lower `OLLAMA_KEEP_ALIVE` so idle models leave the GPU sooner.",
      ],
    },
    "gpu-temperature-high": {
      title: "GpuTemperatureHigh",
      meaning: "The GPU runs hot and will throttle, slowing every model.",
      check: ["Host fans and airflow; data-centre temperature.", "`nvidia-smi -q -d TEMPERATURE,PERFORMANCE`: is it throttling?"],
      act: ["Ask the host operator to check cooling.", "Reduce load (fewer workers) until the temperature is back to normal."],
    },
    "gpu-xid-errors": {
      title: "GpuXidErrors",
      meaning: "The NVIDIA driver reported an XID error on a GPU.",
      check: [
        "The host kernel log: `dmesg | grep -i xid` gives the XID number and time.",
        "Look the XID number up in NVIDIA's XID catalogue: 13/31/43 are usually application faults, 48/63/64/74/79 hardware.",
      ],
      act: [
        "Application fault: restart Ollama (`docker restart <prefix>-ollama`).",
        "Hardware XID: drain the host (stop the workers), open a ticket with the host provider.",
      ],
    },
    "gpu-metrics-missing": {
      title: "GpuMetricsMissing",
      meaning: "The stack runs Ollama with a GPU but no GPU metrics arrive.",
      check: [
        "Is the dcgm-exporter container running (`docker ps --filter name=<prefix>-dcgm-exporter`)?",
        "Does `docker run --rm --gpus all nvidia/cuda:12.4.1-base-ubuntu22.04 nvidia-smi` see the GPU on the host (NVIDIA container toolkit)?",
      ],
      act: [
        "Exporter down: `pulumi up` recreates it.",
        "GPU not visible: reinstall or reconfigure the NVIDIA container toolkit, then recreate Ollama and the exporter.",
        "A stack without a GPU: set `enrichment:monitoring.gpuMetrics: false`.",
      ],
    },
  },
};
