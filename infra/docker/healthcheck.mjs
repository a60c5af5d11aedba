// Docker HEALTHCHECK of a service image: GET /health/ready (200 once NATS and the database answer).
// Plain node + fetch, so the image needs no curl. PORT as the service reads it, else its default.
const defaults = { order: 3000, inventory: 3001, payment: 3002, shipping: 3003, notification: 3004 };
const port = process.env.PORT || defaults[process.env.SERVICE] || 3000;
try {
  const res = await fetch(`http://127.0.0.1:${port}/health/ready`, { signal: AbortSignal.timeout(2500) });
  process.exit(res.ok ? 0 : 1);
} catch {
  process.exit(1);
}
