import { ConfluentCodec } from '../../../infra/codec/confluent-codec.js';
import { KafkaEventLog } from '../../../infra/log/kafka-event-log.js';
import { createSyntheticMarket } from '../../../producers/sandbox/synthetic/index.js';
import { services } from '../../harness/services.js';
import { fetchRunSuite } from './run-suite.js';

// Topics and registry subjects carry a fresh prefix per scenario: the broker and registry are shared.
fetchRunSuite(
  'kafka with the Confluent codec',
  async () => {
    const log = new KafkaEventLog({ brokers: services().kafkaBrokers, clientId: 'xasset-fetch-it' });
    return {
      log,
      codec: (schemas) => new ConfluentCodec(services().registryUrl, schemas),
      cleanup: () => log.close(),
    };
  },
  {
    market: () => createSyntheticMarket({ seed: 20_240_101, size: 'tiny' }),
    // Around China's National Day week: open days on both sides of a seven-day holiday.
    range: { from: '20240926', to: '20241011' },
    errorScenarios: false,
  },
);
