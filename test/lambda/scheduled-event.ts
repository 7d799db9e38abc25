// The event EventBridge sends a function on a `schedule` (serverless.yml's kubelet sweep).
import type { ScheduledEvent } from "aws-lambda";

export function scheduledEvent(time = "2026-11-27T08:53:00Z"): ScheduledEvent {
  return {
    version: "0",
    id: "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
    "detail-type": "Scheduled Event",
    source: "aws.events",
    account: "111122223333",
    time,
    region: "eu-west-1",
    resources: ["arn:aws:events:eu-west-1:111122223333:rule/kubeca-dev-KubeletSweepEventsRuleSchedule1"],
    detail: {},
  };
}
