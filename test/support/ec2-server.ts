// A local server speaking enough of the EC2 Query protocol for the real @aws-sdk/client-ec2:
// POST / with a form body `Action=DescribeInstances&Version=2016-11-15&InstanceId.1=…`, answered
// with DescribeInstancesResponse XML (lists are <item> elements), errors as
// <Response><Errors><Error><Code>… with the status EC2 uses. SigV4 is not checked.
// Test hooks: set and remove instances, inject faults, count DescribeInstances calls per instance.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { randomUUID } from "node:crypto";

export type Ec2InstanceState = "pending" | "running" | "shutting-down" | "terminated" | "stopping" | "stopped";

/** One instance, as the test describes it; the server renders one network interface for it. */
export interface Ec2Instance {
  readonly instanceId: string;
  readonly availabilityZone: string;
  readonly state?: Ec2InstanceState;
  readonly privateIpAddress: string;
  readonly privateDnsName: string;
  /** More private IPv4 addresses on the primary interface (secondary IPs). */
  readonly secondaryPrivateIps?: readonly string[];
  readonly publicIpAddress?: string;
  readonly publicDnsName?: string;
  /** IPv6 addresses of the primary interface; EC2 reports them only there (and the first at the top). */
  readonly ipv6Addresses?: readonly string[];
}

/** An EC2 error code answered instead of the next calls, or "hang": never answer (until close). */
export type Ec2Fault = "hang" | "RequestLimitExceeded" | "Unavailable" | "InternalError" | "UnauthorizedOperation";

export interface Ec2Server {
  /** http://127.0.0.1:<port>, for the client's `endpoint`. */
  readonly url: string;
  /** Instance ids asked for, one array per DescribeInstances call (answered or refused; injected faults excluded). */
  readonly calls: readonly (readonly string[])[];
  /** DescribeInstances calls that named `instanceId` (faults injected before it are not counted). */
  callsFor(instanceId: string): number;
  setInstance(instance: Ec2Instance): void;
  removeInstance(instanceId: string): void;
  /** The next `times` calls get `fault`. */
  fail(fault: Ec2Fault, times?: number): void;
  close(): Promise<void>;
}

// The status EC2 answers each with; RequestLimitExceeded is how EC2 (not KMS) says "throttled".
const FAULT_STATUS: Record<Exclude<Ec2Fault, "hang">, number> = {
  RequestLimitExceeded: 503,
  Unavailable: 503,
  InternalError: 500,
  UnauthorizedOperation: 403,
};

const INSTANCE_ID = /^i-[0-9a-f]{8}([0-9a-f]{9})?$/;
const STATE_CODE: Record<Ec2InstanceState, number> = { pending: 0, running: 16, "shutting-down": 32, terminated: 48, stopping: 64, stopped: 80 };

class Ec2Error extends Error {
  constructor(readonly code: string, message: string, readonly status = 400) {
    super(message);
  }
}

function xml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

function el(name: string, value: string | number | undefined): string {
  return value === undefined ? "" : `<${name}>${xml(String(value))}</${name}>`;
}

function renderInstance(i: Ec2Instance): string {
  const state = i.state ?? "running";
  const association = i.publicIpAddress
    ? `<association>${el("publicIp", i.publicIpAddress)}${el("publicDnsName", i.publicDnsName ?? "")}<ipOwnerId>amazon</ipOwnerId></association>`
    : "";
  const privateIps = [i.privateIpAddress, ...(i.secondaryPrivateIps ?? [])]
    .map((ip, n) => `<item>${el("privateIpAddress", ip)}${el("privateDnsName", n === 0 ? i.privateDnsName : "")}${el("primary", n === 0 ? "true" : "false")}${n === 0 ? association : ""}</item>`)
    .join("");
  const ipv6 = (i.ipv6Addresses ?? []).map((a, n) => `<item>${el("ipv6Address", a)}${el("isPrimaryIpv6", n === 0 ? "true" : "false")}</item>`).join("");
  const eni =
    `<item><networkInterfaceId>eni-${i.instanceId.slice(2)}</networkInterfaceId>` +
    `<attachment><deviceIndex>0</deviceIndex><status>attached</status></attachment>` +
    el("privateIpAddress", i.privateIpAddress) +
    el("privateDnsName", i.privateDnsName) +
    association +
    `<privateIpAddressesSet>${privateIps}</privateIpAddressesSet>` +
    `<ipv6AddressesSet>${ipv6}</ipv6AddressesSet>` +
    `</item>`;
  // A stopped instance has no public address; EC2 still lists it, with empty DNS names.
  const running = state === "running" || state === "pending";
  return (
    `<item>${el("instanceId", i.instanceId)}<imageId>ami-0123456789abcdef0</imageId>` +
    `<instanceState>${el("code", STATE_CODE[state])}${el("name", state)}</instanceState>` +
    el("privateDnsName", i.privateDnsName) +
    el("dnsName", running ? (i.publicDnsName ?? "") : "") +
    el("privateIpAddress", i.privateIpAddress) +
    (running ? el("ipAddress", i.publicIpAddress) : "") +
    el("ipv6Address", i.ipv6Addresses?.[0]) +
    `<placement>${el("availabilityZone", i.availabilityZone)}<tenancy>default</tenancy></placement>` +
    `<networkInterfaceSet>${eni}</networkInterfaceSet>` +
    `</item>`
  );
}

function instanceIds(params: URLSearchParams): string[] {
  return [...params.entries()].filter(([k]) => /^InstanceId\.\d+$/.test(k)).map(([, v]) => v);
}

function describeInstances(ids: readonly string[], instances: Map<string, Ec2Instance>, requestId: string): string {
  for (const id of ids) {
    if (!INSTANCE_ID.test(id)) throw new Ec2Error("InvalidInstanceID.Malformed", `Invalid id: "${id}"`);
  }
  // Like EC2: naming an instance it does not know fails the whole call.
  const missing = ids.filter((id) => !instances.has(id));
  if (missing.length > 0) {
    throw new Ec2Error("InvalidInstanceID.NotFound", `The instance ID${missing.length > 1 ? "s" : ""} '${missing.join(", ")}' do${missing.length > 1 ? "" : "es"} not exist`);
  }
  const chosen = ids.length > 0 ? ids.map((id) => instances.get(id)!) : [...instances.values()];
  // One reservation per instance, as separate RunInstances calls would have made them.
  const reservations = chosen
    .map((i) => `<item><reservationId>r-${i.instanceId.slice(2)}</reservationId><ownerId>111122223333</ownerId><groupSet/><instancesSet>${renderInstance(i)}</instancesSet></item>`)
    .join("");
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n` +
    `<DescribeInstancesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">` +
    `<requestId>${requestId}</requestId><reservationSet>${reservations}</reservationSet>` +
    `</DescribeInstancesResponse>`
  );
}

function errorXml(e: Ec2Error, requestId: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error>${el("Code", e.code)}${el("Message", e.message)}</Error></Errors>${el("RequestID", requestId)}</Response>`;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

export async function startEc2Server(): Promise<Ec2Server> {
  const instances = new Map<string, Ec2Instance>();
  const calls: string[][] = [];
  const faults: Ec2Fault[] = [];
  const hanging = new Set<ServerResponse>();

  const server = createServer(async (req, res) => {
    const requestId = randomUUID();
    const send = (status: number, body: string) => {
      res.writeHead(status, { "content-type": "text/xml;charset=UTF-8", "x-amzn-requestid": requestId });
      res.end(body);
    };
    try {
      const params = new URLSearchParams(req.method === "POST" ? await readBody(req) : (req.url ?? "").replace(/^[^?]*\??/, ""));
      const fault = faults.shift();
      if (fault === "hang") {
        hanging.add(res);
        return;
      }
      if (fault) throw new Ec2Error(fault, `injected ${fault}`, FAULT_STATUS[fault]);
      if (params.get("Version") !== "2016-11-15") throw new Ec2Error("InvalidParameterValue", `unsupported Version ${params.get("Version")}`);
      const action = params.get("Action");
      if (action !== "DescribeInstances") throw new Ec2Error("InvalidAction", `The action ${action} is not valid for this web service.`);
      const ids = instanceIds(params);
      calls.push(ids);
      send(200, describeInstances(ids, instances, requestId));
    } catch (e) {
      const err = e instanceof Ec2Error ? e : new Ec2Error("InternalError", String(e), 500);
      send(err.status, errorXml(err, requestId));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    callsFor: (id) => calls.filter((ids) => ids.includes(id)).length,
    setInstance: (i) => void instances.set(i.instanceId, i),
    removeInstance: (id) => void instances.delete(id),
    fail(fault, times = 1) {
      for (let n = 0; n < times; n++) faults.push(fault);
    },
    async close() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
