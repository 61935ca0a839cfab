// AttentionError: the one error type of the package. Python exceptions arrive
// with their `code` (errors.py sets it per class) and message; JS-side checks
// (input shapes, disposed objects, boot) use the same class.
import type { ErrorCode } from '../../ts-types/index.d.ts';

export const ERROR_CODES: readonly ErrorCode[] = [
  'DIMENSION_MISMATCH', 'EMPTY_INPUT', 'NUMERICAL_INSTABILITY', 'INVALID_CONFIG',
  'OUT_OF_BOUNDS', 'UNSUPPORTED', 'INTERNAL', 'DISPOSED', 'INIT_FAILED', 'NOT_INITIALIZED',
];

export class AttentionError extends Error {
  override readonly name = 'AttentionError' as const;
  readonly code: ErrorCode;
  readonly pythonType?: string;

  constructor(code: ErrorCode, message: string, pythonType?: string) {
    super(message);
    this.code = ERROR_CODES.includes(code) ? code : 'INTERNAL';
    if (pythonType) this.pythonType = pythonType;
  }
}

/** Plain-object form, for crossing the worker boundary (Error subclasses do not survive structured clone). */
export interface SerializedError { code: ErrorCode; message: string; pythonType?: string }

export function serializeError(err: unknown): SerializedError {
  if (err instanceof AttentionError) {
    return { code: err.code, message: err.message, ...(err.pythonType ? { pythonType: err.pythonType } : {}) };
  }
  const message = err instanceof Error ? err.message : String(err);
  return { code: 'INTERNAL', message };
}

export function deserializeError(e: SerializedError): AttentionError {
  return new AttentionError(e.code, e.message, e.pythonType);
}

export function disposedError(what: string): AttentionError {
  return new AttentionError('DISPOSED', `${what} has been disposed; create a new one`);
}
