import { describe, expect, it } from 'vitest';
import { FUTURES_EXCHANGE_SUFFIX, FUTURES_SESSIONS, futuresExchangeOf } from '../../contracts/sessions.js';

describe('futuresExchangeOf', () => {
  it('reads the exchange of a contract from its ts_code suffix, for every exchange with sessions', () => {
    expect(futuresExchangeOf('CU2401.SHF')).toBe('SHFE');
    expect(futuresExchangeOf('SR405.ZCE')).toBe('CZCE');
    expect(futuresExchangeOf('IF2403.CFX')).toBe('CFFEX');
    for (const exchange of Object.keys(FUTURES_SESSIONS))
      expect(futuresExchangeOf(`X2401.${FUTURES_EXCHANGE_SUFFIX[exchange]}`)).toBe(exchange);
  });

  it('knows no exchange for another suffix or a code without one', () => {
    expect(futuresExchangeOf('600000.SH')).toBeUndefined();
    expect(futuresExchangeOf('CU2401')).toBeUndefined();
  });
});
