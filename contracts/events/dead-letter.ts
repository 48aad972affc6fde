import { z } from 'zod';

export const DLQ_TOPIC = 'xasset.dlq.v1';

/** The pipeline stage that gave up on a record; a poison record is never dropped silently. */
export const DeadLetterStage = z
  .enum(['decode', 'validate', 'normalize', 'sink'])
  .meta({ avroName: 'DeadLetterStage' });

export const DeadLetter = z
  .object({
    sourceTopic: z.string().min(1),
    sourcePartition: z.number().int().nonnegative(),
    sourceOffset: z.number().int().nonnegative(),
    key: z.string().nullable(),
    /** The record exactly as it was read, so it can be replayed once the cause is fixed. */
    payloadBase64: z.string(),
    stage: DeadLetterStage,
    errorCode: z.string().min(1),
    reason: z.string().min(1),
    failedAt: z.number().int().nonnegative().meta({ logicalType: 'timestamp-millis' }),
  })
  .meta({ avroName: 'DeadLetter' });

export type DeadLetter = z.infer<typeof DeadLetter>;
