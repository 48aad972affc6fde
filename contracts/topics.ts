import { ENDPOINTS } from './catalog/endpoints.js';
import { rawTopic } from './catalog/index.js';
import { CONTROL_TOPIC } from './events/control.js';
import { DLQ_TOPIC } from './events/dead-letter.js';
import { MINUTE_ASSETS, minuteTopic, REALTIME_ASSETS, realtimeTopic } from './normalized/intraday.js';
import { MARKET_ASSETS, marketTopic } from './normalized/market.js';

export interface TopicDefinition {
  name: string;
  partitions: number;
  configs: Record<string, string>;
}

/** Raw topics are keyed by instrument, so more partitions spread processing without reordering a key. */
export const RAW_PARTITIONS = 6;

/**
 * Every topic this project writes, with the configs that carry its guarantees. The control topic
 * has one partition (a total order, so replays are deterministic) and keeps events forever: it is
 * the system of record for flags, cursors and runs.
 */
export function topicDefinitions(): TopicDefinition[] {
  return [
    {
      name: CONTROL_TOPIC,
      partitions: 1,
      configs: { 'retention.ms': '-1', 'retention.bytes': '-1', 'cleanup.policy': 'delete' },
    },
    { name: DLQ_TOPIC, partitions: 1, configs: { 'retention.ms': '-1' } },
    ...ENDPOINTS.map((endpoint) => ({
      name: rawTopic(endpoint.apiName),
      partitions: RAW_PARTITIONS,
      configs: { 'cleanup.policy': 'delete', 'retention.ms': String(30 * 24 * 3600 * 1000) },
    })),
    // Normalized rows keyed `<asset>|<ts_code>|<trade_date>`: compaction keeps the latest row per key.
    ...[
      ...MARKET_ASSETS.map(marketTopic),
      ...MINUTE_ASSETS.map(minuteTopic),
      ...REALTIME_ASSETS.map(realtimeTopic),
    ].map((name) => ({ name, partitions: RAW_PARTITIONS, configs: { 'cleanup.policy': 'compact' } })),
  ];
}
