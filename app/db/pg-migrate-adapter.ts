/**
 * Driver adapter factory for Prisma Migrate on PostgreSQL.
 *
 * Works around prisma/orm#27403 (open): the schema engine introspects catalog columns of type
 * `name` (OID 19) and @prisma/adapter-pg 6.19 has no mapping for it, so every migrate command
 * fails with "Column type 'name' could not be deserialized". `name` is a 63-byte identifier
 * string, so it is reported as `text` (OID 25). Used by prisma.config.ts only; the app's runtime
 * client never reads catalog tables.
 */
import { PrismaPg } from "@prisma/adapter-pg";

const PG_NAME_OID = 19;
const PG_TEXT_OID = 25;
const patched = new WeakSet<object>();

type PerformIO = (query: unknown) => Promise<{ fields: { dataTypeID: number }[] }>;

function patchQueryablePrototype(adapter: object): void {
  // PgQueryable.prototype is shared by the adapter and its transactions.
  let proto = Object.getPrototypeOf(adapter) as Record<string, unknown> | null;
  while (proto && !Object.prototype.hasOwnProperty.call(proto, "performIO")) {
    proto = Object.getPrototypeOf(proto) as Record<string, unknown> | null;
  }
  if (!proto || patched.has(proto)) return;
  const original = proto.performIO as PerformIO;
  proto.performIO = async function (this: unknown, query: unknown) {
    const result = await original.call(this, query);
    for (const field of result.fields) {
      if (field.dataTypeID === PG_NAME_OID) field.dataTypeID = PG_TEXT_OID;
    }
    return result;
  };
  patched.add(proto);
}

export function postgresMigrateAdapter(connectionString: string) {
  const factory = new PrismaPg({ connectionString });
  const connect = factory.connect.bind(factory);
  const connectToShadowDb = factory.connectToShadowDb.bind(factory);
  factory.connect = async () => {
    const adapter = await connect();
    patchQueryablePrototype(adapter);
    return adapter;
  };
  factory.connectToShadowDb = async () => {
    const adapter = await connectToShadowDb();
    patchQueryablePrototype(adapter);
    return adapter;
  };
  return factory;
}
