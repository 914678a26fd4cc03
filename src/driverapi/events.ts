/** Table event kinds delivered to drivers through eventNotify (values as in libnetwork). */
export enum EventType {
  Create = 1,
  Update = 2,
  Delete = 3,
}
