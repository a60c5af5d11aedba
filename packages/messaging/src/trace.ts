import { randomBytes } from 'node:crypto';

/**
 * W3C Trace Context (https://www.w3.org/TR/trace-context/) `traceparent`:
 * `00-<32 hex trace id>-<16 hex parent span id>-<2 hex flags>`. Only the header is carried;
 * exporting spans is left to an OpenTelemetry SDK if one is installed.
 */
export interface TraceParent {
  readonly traceId: string;
  readonly spanId: string;
  readonly flags: string;
}

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/** Parses a traceparent header; undefined for a missing or invalid one (all-zero ids are invalid). */
export function parseTraceparent(value: string | undefined | null): TraceParent | undefined {
  if (!value) return undefined;
  const m = TRACEPARENT.exec(value.trim().toLowerCase());
  if (!m) return undefined;
  const [, traceId, spanId, flags] = m as unknown as [string, string, string, string];
  if (/^0+$/.test(traceId) || /^0+$/.test(spanId)) return undefined;
  return { traceId, spanId, flags };
}

export function formatTraceparent(t: TraceParent): string {
  return `00-${t.traceId}-${t.spanId}-${t.flags}`;
}

/** A new span: child of `parent` when given (same trace id), else the root of a new trace. */
export function childTraceparent(parent?: string | TraceParent): string {
  const p = typeof parent === 'string' ? parseTraceparent(parent) : parent;
  return formatTraceparent({
    traceId: p?.traceId ?? randomBytes(16).toString('hex'),
    spanId: randomBytes(8).toString('hex'),
    flags: p?.flags ?? '01',
  });
}
