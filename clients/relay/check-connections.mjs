// Every connection field of schema.graphql (a field whose type is named `...Connection` or has a
// `pageInfo` field) has a use in this fixture (src/*.js) with `@connection(key:)` that passes all
// of first/after/last/before, so that relay-compiler checks each connection both ways and a new
// connection cannot go unchecked. Lists them; exits 1 if one has no such use.
//
//   npm run connections        (`make relay` runs it before relay-compiler)
import { readFileSync, readdirSync } from "node:fs";

import {
  TypeInfo,
  buildSchema,
  getNamedType,
  isInterfaceType,
  isObjectType,
  parse,
  visit,
  visitWithTypeInfo,
} from "graphql";

const schema = buildSchema(readFileSync(new URL("../../schema.graphql", import.meta.url), "utf8"));

const isConnection = (type) =>
  (isObjectType(type) || isInterfaceType(type)) && (type.name.endsWith("Connection") || "pageInfo" in type.getFields());

const connectionFields = new Map(); // "Type.field" -> the connection type's name
for (const type of Object.values(schema.getTypeMap())) {
  if (type.name.startsWith("__") || !(isObjectType(type) || isInterfaceType(type))) continue;
  for (const field of Object.values(type.getFields())) {
    const target = getNamedType(field.type);
    if (isConnection(target)) connectionFields.set(`${type.name}.${field.name}`, target.name);
  }
}

// The graphql`...` documents of the fixture, as relay-compiler reads them.
const PAGING = ["first", "after", "last", "before"];
const SRC = new URL("./src/", import.meta.url);
const used = new Map(); // "Type.field" -> where
for (const file of readdirSync(SRC).filter((name) => name.endsWith(".js")).sort()) {
  const text = readFileSync(new URL(file, SRC), "utf8");
  for (const [, body] of text.matchAll(/graphql`([^`]*)`/g)) {
    const typeInfo = new TypeInfo(schema);
    visit(
      parse(body),
      visitWithTypeInfo(typeInfo, {
        Field(node) {
          if (!node.directives?.some((d) => d.name.value === "connection")) return;
          const parent = typeInfo.getParentType();
          const passed = new Set(node.arguments.map((argument) => argument.name.value));
          if (parent && PAGING.every((name) => passed.has(name))) used.set(`${parent.name}.${node.name.value}`, file);
        },
      }),
    );
  }
}

let missing = 0;
for (const [coordinate, type] of [...connectionFields].sort()) {
  const where = used.get(coordinate);
  console.log(`${where ? "ok  " : "FAIL"} ${coordinate}: ${type}${where ? ` (src/${where})` : " has no @connection use in src/ with first/after/last/before"}`);
  if (!where) missing += 1;
}
console.log(
  missing
    ? `${missing} connection field(s) without a fixture: add a @refetchable fragment with @connection(key:) in src/`
    : `all ${connectionFields.size} connection fields are paged both ways with @connection`,
);
process.exit(missing || connectionFields.size === 0 ? 1 : 0);
