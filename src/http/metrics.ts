import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

/** Prometheus metrics of one service instance (its own registry: tests build several). */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const httpRequests = new Counter({
    name: "baocao_http_requests_total",
    help: "HTTP requests by route and status",
    labelNames: ["method", "route", "status"] as const,
    registers: [registry],
  });
  const httpDuration = new Histogram({
    name: "baocao_http_request_duration_seconds",
    help: "HTTP request latency by route",
    labelNames: ["method", "route"] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const inboundEvents = new Counter({
    name: "baocao_inbound_events_total",
    help: "Inbound platform events by channel and outcome (processed, duplicate)",
    labelNames: ["channel", "outcome"] as const,
    registers: [registry],
  });
  const deliveries = new Counter({
    name: "baocao_outbox_deliveries_total",
    help: "Outbox deliveries by channel and final status",
    labelNames: ["channel", "status"] as const,
    registers: [registry],
  });
  let queued: () => Promise<number> = async () => 0;
  new Gauge({
    name: "baocao_outbox_queued",
    help: "Messages waiting in the outbox",
    registers: [registry],
    async collect() {
      this.set(await queued().catch(() => 0));
    },
  });
  return {
    registry,
    httpRequests,
    httpDuration,
    inboundEvents,
    deliveries,
    /** The outbox is built after the metrics: it tells where its depth comes from. */
    measureOutboxWith(fn: () => Promise<number>) {
      queued = fn;
    },
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
