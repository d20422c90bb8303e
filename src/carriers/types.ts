/** What a carrier adapter needs to submit one message. */
export interface OutboundSms {
  messageId: string;
  to: string;
  from: string | null;
  body: string;
  segments: number;
}

export type SubmitResult =
  | { ok: true; carrierMessageId: string }
  /** `retryable`: a transient fault (timeout, throttling, outage) worth another try later. */
  | { ok: false; retryable: boolean; code: string; message: string };

export interface CarrierAdapter {
  readonly name: string;
  submit(sms: OutboundSms): Promise<SubmitResult>;
}
