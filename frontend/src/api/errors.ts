/**
 * Every backend error has the body {"error": {"code", "message", "fields"?}}.
 * ApiError carries it to the UI; `fields` is normalised to lists of messages.
 */
export type FieldErrors = Record<string, string[]>;

interface ErrorDetailLike {
  code?: unknown;
  message?: unknown;
  fields?: unknown;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function toMessages(value: unknown): string[] {
  if (value === null || value === undefined) return [];
  if (Array.isArray(value)) return value.flatMap(toMessages);
  if (isRecord(value)) return Object.values(value).flatMap(toMessages);
  return [String(value)];
}

export function normaliseFields(raw: unknown): FieldErrors {
  if (!isRecord(raw)) return {};
  const fields: FieldErrors = {};
  for (const [name, value] of Object.entries(raw)) {
    const messages = toMessages(value);
    if (messages.length > 0) fields[name] = messages;
  }
  return fields;
}

const STATUS_CODES: Record<number, string> = {
  400: 'invalid',
  401: 'not_authenticated',
  403: 'permission_denied',
  404: 'not_found',
  409: 'conflict',
  413: 'too_large',
  429: 'throttled',
  503: 'unavailable',
};

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly fields: FieldErrors;

  constructor(status: number, code: string, message: string, fields: FieldErrors = {}) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.fields = fields;
  }

  /** Builds an ApiError from any response body; tolerates non-conforming bodies. */
  static fromBody(status: number, body: unknown, statusText = ''): ApiError {
    const fallbackCode = STATUS_CODES[status] ?? (status >= 500 ? 'server_error' : `http_${status}`);
    const fallbackMessage = statusText || (status >= 500 ? 'The server had a problem. Try again.' : `Request failed (${status}).`);

    if (isRecord(body) && isRecord(body.error)) {
      const detail = body.error as ErrorDetailLike;
      return new ApiError(
        status,
        typeof detail.code === 'string' && detail.code ? detail.code : fallbackCode,
        typeof detail.message === 'string' && detail.message ? detail.message : fallbackMessage,
        normaliseFields(detail.fields),
      );
    }
    // Plain DRF shape ({"detail": "..."}), e.g. from a proxy or an unconverted view.
    if (isRecord(body) && typeof body.detail === 'string') {
      return new ApiError(status, fallbackCode, body.detail);
    }
    if (typeof body === 'string' && body.trim() && body.length < 300 && !body.trimStart().startsWith('<')) {
      return new ApiError(status, fallbackCode, body.trim());
    }
    return new ApiError(status, fallbackCode, fallbackMessage);
  }

  /** First message for a field, or undefined. */
  fieldError(name: string): string | undefined {
    return this.fields[name]?.join(' ');
  }

  get isUnauthenticated(): boolean {
    return this.status === 401 || this.status === 403;
  }
}

export function isApiError(error: unknown): error is ApiError {
  return error instanceof ApiError;
}

/** A short human message for any thrown value. */
export function errorMessage(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  if (error instanceof TypeError) return 'Could not reach the server. Check your connection.';
  if (error instanceof Error) return error.message;
  return 'Something went wrong.';
}
