import { ZodError } from 'zod';
import { isConflictError, isNotFoundError, isValidationError, type ValidationIssue } from './errors.js';

/** JSON body of every error response. `issues` only on 400 VALIDATION_FAILED. */
export interface ErrorBody {
  readonly error: string;
  readonly message: string;
  readonly issues?: readonly ValidationIssue[];
}

/** What the error handler sends, and whether the error deserves a log line of its own. */
export interface HttpErrorResponse {
  readonly statusCode: number;
  readonly body: ErrorBody;
  /** `error`: our fault, log with the stack; `warn`: the client's, log briefly. */
  readonly logLevel: 'warn' | 'error';
}

// The shape Fastify gives schema validation failures (from fastify-type-provider-zod's
// validator, or Ajv): instancePath like `/items/0/quantity`.
interface FastifyValidationFailure {
  readonly validation: readonly { readonly instancePath?: string; readonly message?: string }[];
  readonly validationContext?: string;
}

const CLIENT_ERROR_CODES: Readonly<Record<number, string>> = {
  400: 'BAD_REQUEST',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  406: 'NOT_ACCEPTABLE',
  408: 'REQUEST_TIMEOUT',
  409: 'CONFLICT',
  411: 'LENGTH_REQUIRED',
  413: 'PAYLOAD_TOO_LARGE',
  414: 'URI_TOO_LONG',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'TOO_MANY_REQUESTS',
  431: 'REQUEST_HEADER_FIELDS_TOO_LARGE',
};

/**
 * Maps anything a route can throw to a status and a JSON body. The only place HTTP status is
 * decided for errors:
 *
 * - schema validation (zod via Fastify), a thrown `ZodError`, `ValidationError` → 400
 *   `VALIDATION_FAILED` with `issues[].path` naming each field (`items.0.quantity`)
 * - Fastify's own client errors keep their status: invalid JSON → 400 `INVALID_JSON`, body over
 *   the limit → 413, unsupported content type → 415, ...
 * - `NotFoundError` → 404, `ConflictError` → 409
 * - anything else → 500 `INTERNAL` with a fixed message: internal detail (SQL, stack, hostnames)
 *   never reaches the client; it is logged in full instead.
 */
export function toHttpError(err: unknown): HttpErrorResponse {
  if (isFastifyValidationFailure(err)) {
    const context = err.validationContext ?? 'request';
    const issues = err.validation.map((v) => ({
      path: pointerToPath(v.instancePath ?? ''),
      message: v.message ?? 'invalid',
    }));
    return validationFailed(`invalid ${context}`, issues);
  }
  if (err instanceof ZodError) {
    return validationFailed(
      'invalid input',
      err.issues.map((issue) => ({ path: issue.path.map(String).join('.'), message: issue.message })),
    );
  }
  if (isValidationError(err)) return validationFailed(err.message, err.issues);
  if (isNotFoundError(err)) return { statusCode: 404, body: { error: 'NOT_FOUND', message: err.message }, logLevel: 'warn' };
  if (isConflictError(err)) return { statusCode: 409, body: { error: 'CONFLICT', message: err.message }, logLevel: 'warn' };

  const fastifyClientError = asFastifyClientError(err);
  if (fastifyClientError !== undefined) return fastifyClientError;

  return { statusCode: 500, body: { error: 'INTERNAL', message: 'internal error' }, logLevel: 'error' };
}

function validationFailed(prefix: string, issues: readonly ValidationIssue[]): HttpErrorResponse {
  const first = issues[0];
  const detail =
    first === undefined
      ? ''
      : `: ${first.path === '' ? '' : `${first.path}: `}${first.message}${issues.length > 1 ? ` (and ${issues.length - 1} more)` : ''}`;
  return {
    statusCode: 400,
    body: { error: 'VALIDATION_FAILED', message: `${prefix}${detail}`, issues },
    logLevel: 'warn',
  };
}

/** `/items/0/quantity` → `items.0.quantity` (JSON pointer escapes `~1` and `~0` undone). */
function pointerToPath(pointer: string): string {
  return pointer
    .split('/')
    .filter((segment) => segment !== '')
    .map((segment) => segment.replaceAll('~1', '/').replaceAll('~0', '~'))
    .join('.');
}

function isFastifyValidationFailure(err: unknown): err is FastifyValidationFailure {
  return typeof err === 'object' && err !== null && Array.isArray((err as { validation?: unknown }).validation);
}

/**
 * Fastify's built-in errors (code `FST_ERR_*`) with a 4xx status are about the request, and
 * their messages are fixed strings, safe to show. 4xx errors from elsewhere (e.g. a plugin's
 * http-errors) keep their status too, but get a generic message.
 */
function asFastifyClientError(err: unknown): HttpErrorResponse | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const { statusCode, code, message } = err as { statusCode?: unknown; code?: unknown; message?: unknown };
  if (typeof statusCode !== 'number' || statusCode < 400 || statusCode > 499) return undefined;
  const isFastify = typeof code === 'string' && code.startsWith('FST_');
  const error =
    code === 'FST_ERR_CTP_INVALID_JSON_BODY' || code === 'FST_ERR_CTP_EMPTY_JSON_BODY'
      ? 'INVALID_JSON'
      : (CLIENT_ERROR_CODES[statusCode] ?? 'BAD_REQUEST');
  return {
    statusCode,
    body: { error, message: isFastify && typeof message === 'string' ? message : error.toLowerCase().replaceAll('_', ' ') },
    logLevel: 'warn',
  };
}
