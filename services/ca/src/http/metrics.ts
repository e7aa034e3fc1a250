/**
 * A few Prometheus metrics in the text exposition format. Small enough to own; each
 * instance of the CA keeps its own counts (Prometheus sums them).
 */
export interface Metrics {
  count(name: CounterName, labels: Record<string, string>): void;
  observe(name: HistogramName, labels: Record<string, string>, seconds: number): void;
  render(): string;
}

type CounterName = 'access_ca_certificates_issued_total' | 'access_ca_certificates_denied_total' | 'access_ca_http_requests_total';
type HistogramName = 'access_ca_http_request_duration_seconds';

const HELP: Record<CounterName | HistogramName, string> = {
  access_ca_certificates_issued_total: 'Certificates signed, by certificate type.',
  access_ca_certificates_denied_total: 'Signing requests refused, by certificate type and error code.',
  access_ca_http_requests_total: 'HTTP requests answered, by route and status.',
  access_ca_http_request_duration_seconds: 'HTTP request duration, by route.',
};

const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

const labelText = (labels: Record<string, string>): string =>
  Object.keys(labels)
    .sort()
    .map((k) => `${k}="${labels[k]!.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`)
    .join(',');

export function createMetrics(): Metrics {
  const counters = new Map<CounterName, Map<string, number>>();
  const histograms = new Map<HistogramName, Map<string, { buckets: number[]; sum: number; count: number }>>();
  return {
    count(name, labels) {
      const series = counters.get(name) ?? new Map<string, number>();
      counters.set(name, series);
      const key = labelText(labels);
      series.set(key, (series.get(key) ?? 0) + 1);
    },
    observe(name, labels, seconds) {
      const series = histograms.get(name) ?? new Map();
      histograms.set(name, series);
      const key = labelText(labels);
      const h = series.get(key) ?? { buckets: BUCKETS.map(() => 0), sum: 0, count: 0 };
      series.set(key, h);
      BUCKETS.forEach((b, i) => {
        if (seconds <= b) h.buckets[i]! += 1;
      });
      h.sum += seconds;
      h.count += 1;
    },
    render() {
      const lines: string[] = [];
      for (const [name, series] of counters) {
        lines.push(`# HELP ${name} ${HELP[name]}`, `# TYPE ${name} counter`);
        for (const [labels, value] of series) lines.push(`${name}{${labels}} ${value}`);
      }
      for (const [name, series] of histograms) {
        lines.push(`# HELP ${name} ${HELP[name]}`, `# TYPE ${name} histogram`);
        for (const [labels, h] of series) {
          const sep = labels ? ',' : '';
          BUCKETS.forEach((b, i) => lines.push(`${name}_bucket{${labels}${sep}le="${b}"} ${h.buckets[i]}`));
          lines.push(`${name}_bucket{${labels}${sep}le="+Inf"} ${h.count}`, `${name}_sum{${labels}} ${h.sum}`, `${name}_count{${labels}} ${h.count}`);
        }
      }
      return lines.join('\n') + '\n';
    },
  };
}
