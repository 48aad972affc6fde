import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../contracts/errors.js';
import { assertStorableInput, INPUT_TEXT_LIMITS, unstorable } from '../../../projections/api/input-text.js';

describe('request text the store can take', () => {
  it('accepts well-formed text within the bound, and refuses it with a NUL or past the bound', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 100 }), (text) => {
        const clean = text.replaceAll('\u0000', '');
        expect(unstorable(clean, 100)).toBeNull();
        expect(unstorable(`${clean}\u0000`, 200)).toMatch(/NUL/);
        expect(unstorable(`${clean}x`.repeat(101), 100)).toMatch(/longer than 100/);
      }),
    );
  });

  it('refuses an unpaired surrogate and keeps a pair', () => {
    expect(unstorable('\ud800', 10)).toMatch(/unpaired surrogate/);
    expect(unstorable('a\udc00', 10)).toMatch(/unpaired surrogate/);
    expect(unstorable('😀', 10)).toBeNull();
  });

  it('checks path parameters, query keys and values, and every string of a body, naming where', () => {
    const issues = (input: Parameters<typeof assertStorableInput>[0]) => {
      try {
        assertStorableInput(input);
        return [];
      } catch (err) {
        expect(err).toBeInstanceOf(ValidationError);
        return (err as ValidationError).issues.map((i) => i.path);
      }
    };
    expect(issues({ params: { id: 'run-a' }, query: { limit: '5' }, body: { reason: 'ok' } })).toEqual([]);
    expect(issues({ params: { id: '\u0000' } })).toEqual(['id']);
    expect(issues({ params: { id: 'x'.repeat(INPUT_TEXT_LIMITS.param + 1) } })).toEqual(['id']);
    expect(issues({ query: { target: ['universe', 'a\u0000'] } })).toEqual(['target.1']);
    expect(issues({ query: { 'k\u0000': 'v' } })).toHaveLength(1);
    expect(issues({ body: { reason: 'why\u0000', nested: [{ deep: '\ud800' }] } })).toEqual([
      'reason',
      'nested.0.deep',
    ]);
    const many = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`k${i}`, 'v']));
    expect(issues({ query: many })).toEqual(['']);
    let deep: unknown = 'x';
    for (let i = 0; i < 40; i++) deep = [deep];
    expect(issues({ body: deep })).toHaveLength(1);
  });
});
