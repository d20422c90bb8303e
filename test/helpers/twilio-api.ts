import { call } from "./api";

/** A call to the Twilio-compatible API with a credential's Basic auth (a form body for POST), as Twilio's SDK sends it. */
export function twilio(cred: { id: string; secret: string }, method: string, path: string, form?: Record<string, string>, headers: Record<string, string> = {}) {
  return call(`/2010-04-01/Accounts/${cred.id}${path}`, {
    method,
    headers: { authorization: `Basic ${btoa(`${cred.id}:${cred.secret}`)}`, ...(form && { "content-type": "application/x-www-form-urlencoded" }), ...headers },
    body: form && new URLSearchParams(form).toString(),
  });
}
