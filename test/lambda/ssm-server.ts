// A local server speaking enough of the AWS SSM JSON 1.1 protocol (GetParameter) for the real
// @aws-sdk/client-ssm: POST / with X-Amz-Target: AmazonSSM.GetParameter, errors as { __type, message }.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

export interface SsmServer {
  readonly url: string;
  /** Every GetParameter request body received. */
  readonly requests: { Name?: string; WithDecryption?: boolean }[];
  put(name: string, value: string): void;
  /** Answer the next `times` calls with this AWS error type (and HTTP status). */
  fail(type: string, status: number, times?: number): void;
  close(): Promise<void>;
}

export async function startSsmServer(): Promise<SsmServer> {
  const parameters = new Map<string, string>();
  const requests: SsmServer["requests"] = [];
  const faults: { type: string; status: number }[] = [];
  const server = createServer((req, res) => {
    let text = "";
    req.on("data", (c) => (text += String(c)));
    req.on("end", () => {
      const send = (status: number, payload: unknown) => {
        res.writeHead(status, { "content-type": "application/x-amz-json-1.1" });
        res.end(JSON.stringify(payload));
      };
      if (req.headers["x-amz-target"] !== "AmazonSSM.GetParameter") {
        return send(400, { __type: "UnknownOperationException", message: String(req.headers["x-amz-target"]) });
      }
      const body = JSON.parse(text) as { Name?: string; WithDecryption?: boolean };
      requests.push(body);
      const fault = faults.shift();
      if (fault) return send(fault.status, { __type: fault.type, message: `${fault.type} from the test server` });
      const value = parameters.get(body.Name ?? "");
      if (value === undefined) return send(400, { __type: "ParameterNotFound", message: "" });
      send(200, {
        Parameter: {
          Name: body.Name,
          Type: "SecureString",
          Value: value,
          Version: 1,
          ARN: `arn:aws:ssm:us-east-1:111122223333:parameter${body.Name}`,
          DataType: "text",
          LastModifiedDate: 1795769580,
        },
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    put: (name, value) => void parameters.set(name, value),
    fail: (type, status, times = 1) => {
      for (let i = 0; i < times; i++) faults.push({ type, status });
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
