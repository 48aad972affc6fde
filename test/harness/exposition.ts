import parsePrometheusTextFormat from 'parse-prometheus-text-format';

export type MetricFamily = ReturnType<typeof parsePrometheusTextFormat>[number];
export type MetricSample = MetricFamily['metrics'][number];

/**
 * A `/metrics` answer read by a real Prometheus text-format parser (not ours), keyed by family
 * name. A malformed line throws here, which is part of what the tests check. The parser folds the
 * label sets of a histogram into one sample of buckets (and drops the labelled _sum and _count):
 * read a labelled histogram with a single label set, by its buckets (+Inf is the count).
 */
export function parseExposition(text: string): Map<string, MetricFamily> {
  return new Map(parsePrometheusTextFormat(text).map((family) => [family.name, family]));
}

/** The sample of `name` whose labels are exactly `labels`; undefined if there is none. */
export function sampleOf(
  families: ReadonlyMap<string, MetricFamily>,
  name: string,
  labels: Record<string, string> = {},
): MetricSample | undefined {
  const wanted = Object.entries(labels).sort();
  return families.get(name)?.metrics.find((sample) => {
    const have = Object.entries(sample.labels ?? {}).sort();
    return (
      have.length === wanted.length && have.every(([k, v], i) => wanted[i]?.[0] === k && wanted[i]?.[1] === v)
    );
  });
}

/** The value of a counter or gauge sample as a number; undefined if the sample is missing. */
export function numberOf(
  families: ReadonlyMap<string, MetricFamily>,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  const value = sampleOf(families, name, labels)?.value;
  return value === undefined ? undefined : Number(value);
}
