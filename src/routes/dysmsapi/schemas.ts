import { z } from "@hono/zod-openapi";
import { DYSMSAPI_VERSION } from "../../domain/compat/alibaba";

/** The actions this API answers (Alibaba's names), each with its parameters below. */
export const ACTIONS = ["SendSms", "SendBatchSms", "QuerySendDetails", "QuerySendStatistics", "AddSmsTemplate", "QuerySmsTemplate", "AddSmsSign", "QuerySmsSign"] as const;
export type Action = (typeof ACTIONS)[number];

const day = z.string().regex(/^\d{8}$/, "yyyyMMdd");
const integer = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

export const SendSmsParams = z.object({
  PhoneNumbers: z.string().min(1).max(20_000).openapi({ example: "13900001234", description: "Up to 1,000, comma-separated; Chinese mainland numbers as they are, others with 00 or + and the country code." }),
  SignName: z.string().min(1).max(32).openapi({ example: "阿里云", description: "One of your approved `signature` senders." }),
  TemplateCode: z.string().min(1).max(64).openapi({ example: "SMS_154950909", description: "One of your approved templates (`AddSmsTemplate` answers its code)." }),
  TemplateParam: z.string().max(10_000).optional().openapi({ example: '{"code":"1234"}', description: "JSON: the template's variables." }),
  OutId: z.string().max(128).optional().openapi({ description: "Your own id, echoed in details and reports." }),
  SmsUpExtendCode: z.string().max(16).optional(),
});

export const SendBatchSmsParams = z.object({
  PhoneNumberJson: z.string().min(2).max(20_000).openapi({ example: '["13900001234","13900005678"]' }),
  SignNameJson: z.string().min(2).max(20_000).openapi({ example: '["阿里云","阿里云"]' }),
  TemplateCode: z.string().min(1).max(64),
  TemplateParamJson: z.string().max(100_000).optional().openapi({ example: '[{"code":"1234"},{"code":"5678"}]' }),
  OutId: z.string().max(128).optional(),
  SmsUpExtendCodeJson: z.string().max(10_000).optional(),
});

export const QuerySendDetailsParams = z.object({
  PhoneNumber: z.string().min(1).max(32),
  SendDate: day.openapi({ example: "20261201", description: "The day sent, in China Standard Time, within the last 30 days." }),
  PageSize: integer(1, 50),
  CurrentPage: integer(1, 100_000),
  BizId: z.string().max(2048).optional().openapi({ description: "What SendSms or SendBatchSms answered." }),
});

export const QuerySendStatisticsParams = z.object({
  IsGlobe: integer(1, 2).openapi({ description: "1 Chinese mainland, 2 international (both are counted together here)." }),
  StartDate: day,
  EndDate: day,
  PageIndex: integer(1, 100_000),
  PageSize: integer(1, 50),
  TemplateType: integer(0, 7).optional(),
  SignName: z.string().max(32).optional(),
});

export const AddSmsTemplateParams = z.object({
  TemplateType: z.enum(["0", "1", "2", "3"]).openapi({ description: "0 verification code, 1 notification, 2 marketing, 3 international." }),
  TemplateName: z.string().min(1).max(100),
  TemplateContent: z.string().min(1).max(1000).openapi({ example: "您的验证码为：${code}，5分钟内有效。" }),
  Remark: z.string().max(500).optional(),
});

export const QuerySmsTemplateParams = z.object({ TemplateCode: z.string().min(1).max(64) });

export const AddSmsSignParams = z.object({
  SignName: z.string().min(1).max(32),
  SignSource: z.coerce.number().int().min(0).max(5).optional(),
  Remark: z.string().max(500).optional(),
});

export const QuerySmsSignParams = z.object({ SignName: z.string().min(1).max(32) });

const ok = { Code: z.string().openapi({ example: "OK" }), Message: z.string().openapi({ example: "OK" }), RequestId: z.string() };

export const SendResponse = z.object({ ...ok, BizId: z.string().openapi({ example: "msg_01JD4Z0Q7W3X5Y6Z7A8B9C0D1E" }) }).openapi("AlibabaSendSmsResponse");
export const DetailsResponse = z
  .object({
    ...ok,
    TotalCount: z.string(),
    SmsSendDetailDTOs: z.object({
      SmsSendDetailDTO: z.array(
        z.object({
          PhoneNum: z.string(),
          SendStatus: z.number().int().openapi({ description: "1 waiting for a receipt, 2 failed, 3 delivered." }),
          ErrCode: z.string(),
          TemplateCode: z.string().nullable(),
          Content: z.string(),
          SendDate: z.string().openapi({ example: "2026-12-01 17:30:00" }),
          ReceiveDate: z.string().nullable(),
          OutId: z.string().nullable(),
        }),
      ),
    }),
  })
  .openapi("AlibabaQuerySendDetailsResponse");
export const StatisticsResponse = z
  .object({
    ...ok,
    Data: z.object({
      TotalSize: z.number().int(),
      TargetList: z.array(
        z.object({ SendDate: z.string(), TotalCount: z.number().int(), RespondedSuccessCount: z.number().int(), RespondedFailCount: z.number().int(), NoRespondedCount: z.number().int() }),
      ),
    }),
  })
  .openapi("AlibabaQuerySendStatisticsResponse");
export const TemplateResponse = z
  .object({
    ...ok,
    TemplateCode: z.string(),
    TemplateStatus: z.number().int().optional().openapi({ description: "0 in review, 1 approved, 2 rejected." }),
    TemplateName: z.string().optional(),
    TemplateContent: z.string().optional(),
    TemplateType: z.number().int().optional(),
    CreateDate: z.string().optional(),
    Reason: z.string().optional(),
  })
  .openapi("AlibabaTemplateResponse");
export const SignResponse = z
  .object({ ...ok, SignName: z.string(), SignStatus: z.number().int().optional(), CreateDate: z.string().optional(), Reason: z.string().optional() })
  .openapi("AlibabaSignResponse");
export const AlibabaError = z
  .object({
    RequestId: z.string(),
    Code: z.string().openapi({ example: "isv.MOBILE_NUMBER_ILLEGAL" }),
    Message: z.string(),
    HostId: z.string().optional(),
  })
  .openapi("AlibabaError");

export const RpcQuery = z.object({
  Action: z.enum(ACTIONS).optional().openapi({ description: "The action (or the `x-acs-action` header, as the V3 signature sends it)." }),
  Version: z.literal(DYSMSAPI_VERSION).optional(),
});
