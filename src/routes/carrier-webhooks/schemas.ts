import { z } from "@hono/zod-openapi";
import { ALIBABA_ACK, AlibabaReceipt } from "../../carriers/alibaba";
import { KEYWORD_ACTIONS } from "../../domain/keywords";

export const ReceiptAck = z
  .object({
    queued: z.number().int().openapi({ description: "Receipts taken (verified and queued)." }),
    receipt_ids: z.array(z.string()).openapi({ description: "Their ids; each shows on the message event it causes." }),
  })
  .openapi("ReceiptAck", {
    description:
      "Verified and queued: applied within seconds. A receipt whose carrier id no submit has recorded yet is held and " +
      "applied when one does; duplicates and out-of-order receipts are stored and change nothing.",
  });

export const InboundReply = z
  .object({
    from: z.string().min(1).max(32).openapi({ example: "+14155550123" }),
    to: z.string().min(1).max(32).openapi({ example: "+14155550100", description: "The tenant's number that received it." }),
    text: z.string().max(1600),
    received_at: z.iso.datetime(),
  })
  .openapi("SimulatorInbound", { description: "A reply from a handset, in the simulator carrier's format." });

export const InboundAck = z
  .object({
    result: z.enum(["recorded", "duplicate", "unknown_destination"]),
    action: z.enum(KEYWORD_ACTIONS).nullable(),
  })
  .openapi("InboundAck", {
    description: "`duplicate`: a redelivery, already handled. `unknown_destination`: no tenant has that number; recorded and acknowledged.",
  });

export const SmppReceipt = z
  .object({
    short_message: z.string().min(1).max(1024).openapi({
      example: "id:1715004 sub:001 dlvrd:001 submit date:2611291030 done date:2611291031 stat:DELIVRD err:000 text:Your code",
    }),
    source_addr: z.string().max(32).optional(),
    destination_addr: z.string().max(32).optional(),
  })
  .openapi("SmppReceipt", { description: "A deliver_sm delivery receipt, as an SMPP-to-HTTP bridge forwards it." });

export const AlibabaReceipts = z.array(AlibabaReceipt.openapi("AlibabaReceipt")).min(1).max(1000).openapi("AlibabaReceipts");
export const AlibabaAck = z.object({ code: z.literal(ALIBABA_ACK.code), msg: z.string() }).openapi("AlibabaAck");

/** Twilio: an empty TwiML answer, so Twilio sends nothing back by itself (our auto-replies go through the API). */
export const EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>';
