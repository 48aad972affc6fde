import { ValidationError } from '../../contracts/errors.js';

/** A flag's value as a positive integer, or the command-line error that names the flag. */
export function positiveInt(text: string, path: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 1)
    throw new ValidationError('command line', [{ path, message: 'a positive integer' }]);
  return value;
}
