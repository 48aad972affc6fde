import type { ControlPayload } from '../../contracts/events/control.js';
import type { Reducer } from './types.js';

export type BudgetEntry = ControlPayload<'CallBudgetLearned'> & { offset: number; at: number };

export interface BudgetsState {
  /** The latest stated limit per token hash, endpoint and window (`budgetKey`). */
  budgets: Readonly<Record<string, BudgetEntry>>;
}

export const budgetKey = (b: { tokenHash: string; apiName: string; window: string }): string =>
  `${b.tokenHash}|${b.apiName}|${b.window}`;

export const budgetsReducer: Reducer<BudgetsState> = {
  name: 'budgets',
  initial: () => ({ budgets: {} }),
  apply(state, event, meta) {
    if (event.type !== 'CallBudgetLearned') return state;
    const entry: BudgetEntry = { ...event.payload, offset: meta.offset, at: event.occurredAt };
    return { budgets: { ...state.budgets, [budgetKey(entry)]: entry } };
  },
};
