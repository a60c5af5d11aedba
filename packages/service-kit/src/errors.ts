/**
 * The few errors a use case throws to say "the caller is wrong" rather than "we broke". The
 * HTTP error handler maps them to 400 / 404 / 409; anything else becomes a 500 that hides its
 * detail.
 *
 * The guards check a `Symbol.for` brand, not `instanceof`: a process can load this package
 * twice (built `dist/` for one dependent, TypeScript sources for another), and `instanceof`
 * would then silently miss and turn a 404 into a 500.
 */

const VALIDATION = Symbol.for('orderflow.service-kit.ValidationError');
const NOT_FOUND = Symbol.for('orderflow.service-kit.NotFoundError');
const CONFLICT = Symbol.for('orderflow.service-kit.ConflictError');

/** One invalid field: `path` is dot-separated (`items.0.quantity`), `''` for the whole input. */
export interface ValidationIssue {
  readonly path: string;
  readonly message: string;
}

/** Options shared by the error classes. */
export interface KitErrorOptions {
  /** The underlying error, kept for logs; never sent to clients. */
  readonly cause?: unknown;
}

/** Options of {@link ValidationError}. */
export interface ValidationErrorOptions extends KitErrorOptions {
  /** The offending field, when there is one; becomes the single issue if `issues` is absent. */
  readonly field?: string;
  /** Every invalid field (takes precedence over `field`). */
  readonly issues?: readonly ValidationIssue[];
}

/** Input that is well-formed JSON but breaks a rule (HTTP 400, naming the field). */
export class ValidationError extends Error {
  override readonly name = 'ValidationError';
  readonly issues: readonly ValidationIssue[];

  constructor(message: string, options: ValidationErrorOptions = {}) {
    super(message, { cause: options.cause });
    this.issues = options.issues ?? (options.field === undefined ? [] : [{ path: options.field, message }]);
    brand(this, VALIDATION);
  }
}

/** The addressed thing does not exist (HTTP 404). */
export class NotFoundError extends Error {
  override readonly name = 'NotFoundError';

  constructor(message: string, options: KitErrorOptions = {}) {
    super(message, { cause: options.cause });
    brand(this, NOT_FOUND);
  }
}

/** The request contradicts the current state, e.g. cancelling a cancelled order, or an idempotency key reused with another body (HTTP 409). */
export class ConflictError extends Error {
  override readonly name = 'ConflictError';

  constructor(message: string, options: KitErrorOptions = {}) {
    super(message, { cause: options.cause });
    brand(this, CONFLICT);
  }
}

/** True for a {@link ValidationError} from any copy of this package. */
export function isValidationError(err: unknown): err is ValidationError {
  return hasBrand(err, VALIDATION);
}

/** True for a {@link NotFoundError} from any copy of this package. */
export function isNotFoundError(err: unknown): err is NotFoundError {
  return hasBrand(err, NOT_FOUND);
}

/** True for a {@link ConflictError} from any copy of this package. */
export function isConflictError(err: unknown): err is ConflictError {
  return hasBrand(err, CONFLICT);
}

function hasBrand(err: unknown, symbol: symbol): boolean {
  return typeof err === 'object' && err !== null && (err as Record<symbol, unknown>)[symbol] === true;
}

// Non-enumerable so the brand stays out of logged and serialized errors.
function brand(err: Error, symbol: symbol): void {
  Object.defineProperty(err, symbol, { value: true });
}
