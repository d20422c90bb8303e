import { z } from "zod";
import type { ParsedReceipt } from "../domain/receipts";

export const ALIBABA = "alibaba";

/** What Alibaba Cloud SMS expects back from a receipt push; anything else makes it push again. */
export const ALIBABA_ACK = { code: 0, msg: "接收成功" } as const;

/** One receipt of an SmsReport push (a JSON array of these). Dates are China time, with no zone. */
export const AlibabaReceipt = z.object({
  phone_number: z.string().optional(),
  send_time: z.string().optional(),
  report_time: z.string().optional(),
  success: z.boolean(),
  err_code: z.string().optional(),
  err_msg: z.string().optional(),
  sms_size: z.string().optional(),
  biz_id: z.string().min(1),
  out_id: z.string().optional(),
});
export type AlibabaReceipt = z.infer<typeof AlibabaReceipt>;

export function parseAlibabaReceipt(receipt: AlibabaReceipt): ParsedReceipt {
  const errorCode = receipt.success ? null : (receipt.err_code ? `alibaba_${receipt.err_code.toLowerCase()}` : "undelivered");
  return {
    carrierMessageId: receipt.biz_id,
    status: receipt.success ? "delivered" : "undelivered",
    errorCode,
    carrierStatus: receipt.err_code ?? (receipt.success ? "DELIVERED" : "FAILED"),
    carrierTime: receipt.report_time ?? null,
    // OutId, as given on SendSms: our client reference (message id and shard).
    reference: receipt.out_id || null,
  };
}
