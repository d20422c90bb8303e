// A client generated from docs/openapi.json (openapi-typescript) with openapi-fetch, as a tenant would write
// one. `npm run test:client` type-checks it: a document that gave a send two success bodies, or lost a
// field, fails here. It is never run; compiling is the test.
import createClient from "openapi-fetch";
import type { components, paths } from "./generated/api";

type Problem = components["schemas"]["Problem"];

export async function walkthrough(baseUrl: string, key: string) {
  const client = createClient<paths>({ baseUrl, headers: { authorization: `Bearer ${key}` } });

  const sent = await client.POST("/v1/messages", {
    body: { to: "+14155550123", body: "Your code is 493021", type: "otp" },
    headers: { "idempotency-key": "order-1234-otp" },
  });
  if (sent.error) {
    const problem: Problem = sent.error;
    throw new Error(`${problem.code}: ${problem.detail}`);
  }
  // The send's one success body: its id, without a cast or a type guard.
  const id: string = sent.data.id;
  const firstStatus: string = sent.data.events[0]!.status;

  const got = await client.GET("/v1/messages/{id}", { params: { path: { id } } });
  if (got.error) throw new Error(got.error.code);
  const status: string = got.data.status;
  const segments: number = got.data.segments;

  const page = await client.GET("/v1/messages", { params: { query: { limit: 10, status: "delivered" } } });
  if (page.error) throw new Error(page.error.code);
  const ids: string[] = page.data.data.map((message) => message.id);
  const next: string | null = page.data.next_cursor;

  const preview = await client.POST("/v1/messages/dry-run", { body: { to: "+14155550123", body: "hi" } });
  const wouldSend: boolean | undefined = preview.data?.would_send;

  return { id, firstStatus, status, segments, ids, next, wouldSend };
}
