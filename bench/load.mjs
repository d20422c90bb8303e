// What every bench run shares: the bounded load (autocannon, in this Node process) and the operator calls.
import autocannon from "autocannon";

export const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 3000);
export const MAX_SECONDS = Number(process.env.BENCH_MAX_SECONDS ?? 20);

/** The bench measures the metering path, not its refusals: limits far above what the load can reach. */
export const BENCH_LIMITS = {
  messages_per_second: 10_000,
  message_burst: 100_000,
  requests_per_second: 10_000,
  request_burst: 100_000,
  daily_quota: 100_000_000,
  recipient_caps: { notification: { per_day: null } },
};

export async function post(base, path, token, body, method = "POST") {
  const response = await fetch(base + path, {
    method,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
  return response.json();
}

/** REQUESTS requests (or `amount`), at most `maxSeconds`, whichever ends first. */
export function load(name, options, maxSeconds = MAX_SECONDS) {
  return new Promise((resolve, reject) => {
    const instance = autocannon({ amount: REQUESTS, ...options, timeout: 10 }, (error, result) =>
      error ? reject(error) : resolve({ name, connections: options.connections, floor: options.floor, result }),
    );
    // The count bounds the run; this bounds its time.
    const timer = setTimeout(() => instance.stop(), maxSeconds * 1000);
    instance.on("done", () => clearTimeout(timer));
  });
}
