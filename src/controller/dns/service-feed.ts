import type { NetworkRecord } from "../../controllerapi/index.js";
import { EventType } from "../../driverapi/index.js";
import { errorText } from "../../log/index.js";
import type { ControllerContext } from "../context.js";
import { decodeServiceRecord, SERVICE_TABLE } from "./service-table.js";

/**
 * Keeps a network's names in step with the other hosts' name records (the
 * gossip table Docker calls endpoint_table): a create or update adds the
 * endpoint's names, a delete (its leave, or its host failing) removes them.
 * Records of swarm services (a Docker node's) and records that do not decode
 * are skipped: they name nothing a cnm sandbox can reach by container name.
 */
export function followServiceTable(ctx: ControllerContext, net: NetworkRecord): void {
  const nid = net.id;
  ctx.agent.watchTable(nid, SERVICE_TABLE, (type, _nid, _table, key, value) => {
    if (type === EventType.Delete) {
      ctx.serviceRecords.delete(nid, key);
      return;
    }
    let record;
    try {
      record = decodeServiceRecord(value);
    } catch (err) {
      ctx.log.debug(`name record ${key} on network ${net.name} skipped: not an EndpointRecord (${errorText(err)})`);
      return;
    }
    if (record.serviceId !== "" || record.name === "" || record.endpointIp === "") return;
    ctx.serviceRecords.set(nid, key, { names: [record.name, ...record.taskAliases], ipv4: record.endpointIp });
  });
}
