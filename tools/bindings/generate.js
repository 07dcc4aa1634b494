#!/usr/bin/env node
// Writes the Nethereum bindings of the four contracts (OpmlNode/Chain/Contracts/Generated/*.g.cs) from forge's
// artifacts (contracts/out/<Source>.sol/<Contract>.json: the ABI and the NatSpec of each member), so an ABI change is
// `forge build && node tools/bindings/generate.js`, never an edit. `--check` writes nothing and fails when a generated
// file differs from what the artifacts give (deploy/scripts/test.sh runs it after forge build).
//
// Naming: function f -> FFunction (outputs: FOutput when it returns a tuple or several values), event E -> EEvent,
// error X -> XError, struct S -> SInfo, constructor -> <Contract>Deployment; parameter p -> property P. The few names
// the ABI cannot give (a clash between two contracts, a public mapping's unnamed key) are in names.json; any other
// clash or unnamed parameter stops the generator with the name to add there.
"use strict";
const fs = require("fs");
const path = require("path");

const root = path.resolve(__dirname, "../..");
const outDir = path.join(root, "OpmlNode/Chain/Contracts/Generated");
const contracts = ["ModelRegistry", "OpmlTasks", "DisputeGame", "RiscvStep"];
const names = JSON.parse(fs.readFileSync(path.join(__dirname, "names.json"), "utf8"));
const check = process.argv.includes("--check");

// Members of Nethereum's base classes a generated property must not hide.
const reserved = new Set(["Gas", "GasPrice", "Nonce", "FromAddress", "AmountToSend", "MaxFeePerGas",
  "MaxPriorityFeePerGas", "TransactionType", "AccessList", "AuthorisationList", "ByteCode"]);

function fail(message) {
  console.error(`tools/bindings/generate.js: ${message}`);
  process.exit(1);
}

function artifact(contract) {
  const out = path.join(root, "contracts/out");
  if (!fs.existsSync(out)) fail("contracts/out is missing: run `forge build` in contracts/ first");
  const file = fs.readdirSync(out).map(d => path.join(out, d, `${contract}.json`)).find(f => fs.existsSync(f));
  if (!file) fail(`no artifact ${contract}.json under contracts/out (forge build)`);
  return JSON.parse(fs.readFileSync(file, "utf8"));
}

const pascal = s => s.replace(/^_+|_+$/g, "").replace(/^./, c => c.toUpperCase());
const xml = s => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
const canonical = p => p.type.startsWith("tuple") ? `(${p.components.map(canonical).join(",")})${p.type.slice(5)}` : p.type;
const display = p => p.type.startsWith("tuple") ? p.internalType.replace(/^struct /, "").split(".").pop() : p.type;
const signature = x => `${x.name}(${x.inputs.map(canonical).join(",")})`;
const structName = p => pascal(p.internalType.replace(/^struct /, "").replace(/\[\d*\]/g, "").split(".").pop()) + "Info";

const usedEnums = new Set();
const structs = new Map(); // name -> components (checked equal wherever the struct appears)

function csType(p) {
  const arrays = p.type.match(/(\[\d*\])+$/);
  if (arrays) {
    const inner = { ...p, type: p.type.slice(0, -arrays[0].length).concat(arrays[0].replace(/^\[\d*\]/, "")),
      internalType: (p.internalType || "").replace(/\[\d*\]$/, "") };
    return `List<${csType(inner)}>`;
  }
  if (p.type === "tuple") {
    const name = structName(p);
    const known = structs.get(name);
    if (known && JSON.stringify(known) !== JSON.stringify(p.components)) fail(`struct ${name} has two different shapes`);
    structs.set(name, p.components);
    return name;
  }
  if (p.type === "address" || p.type === "string") return "string";
  if (p.type === "bool") return "bool";
  if (p.type.startsWith("bytes")) return "byte[]";
  const m = p.type.match(/^(u?)int(\d+)$/);
  if (!m) fail(`no C# type for ABI type ${p.type}`);
  if (p.type === "uint8" && (p.internalType || "").startsWith("enum ")) {
    const name = p.internalType.slice(5).split(".").pop();
    usedEnums.add(name);
    return name;
  }
  const bits = Number(m[2]);
  if (m[1] === "u") return bits <= 8 ? "byte" : bits <= 16 ? "ushort" : bits <= 32 ? "uint" : bits <= 64 ? "ulong" : "BigInteger";
  return bits <= 8 ? "sbyte" : bits <= 16 ? "short" : bits <= 32 ? "int" : bits <= 64 ? "long" : "BigInteger";
}

const initializer = t => t === "string" ? ' = "";' : t === "byte[]" || t.startsWith("List<") ? " = [];" : /Info$/.test(t) ? " = new();" : "";

/** The property lines of one parameter list; names of unnamed parameters come from names.json under `key`. */
function properties(params, key, owner, indexed) {
  const given = names.parameters[key] || [];
  const seen = new Set();
  return params.map((p, i) => {
    const abiName = p.name || given[i];
    if (!abiName) fail(`${key}: parameter ${i} has no name in the ABI; give it one in tools/bindings/names.json "parameters"`);
    const prop = pascal(abiName);
    if (reserved.has(prop) || prop === owner || seen.has(prop)) fail(`${key}: property ${prop} clashes; rename it in Solidity or names.json`);
    seen.add(prop);
    const t = csType(p);
    const type = p.type.startsWith("tuple") ? p.type : p.type;
    const idx = indexed ? `, ${p.indexed ? "true" : "false"}` : "";
    return `    [Parameter("${type}", "${p.name}", ${i + 1}${idx})] public ${t} ${prop} { get; set; }${initializer(t)}`;
  });
}

function docs(summary, notice, details) {
  const lines = [`/// <summary><c>${xml(summary)}</c>${notice ? " " + xml(notice.replace(/\s+/g, " ").trim()) : ""}</summary>`];
  if (details) lines.push(`/// <remarks>${xml(details.replace(/\s+/g, " ").trim())}</remarks>`);
  return lines;
}

function typeName(contract, member, suffix) {
  return (names.types[`${contract}.${member}`] || pascal(member)) + suffix;
}

const header = [
  "// <auto-generated>",
  "// Written by tools/bindings/generate.js from forge's artifacts; do not edit (an ABI change is a forge build and a rerun).",
  "// </auto-generated>",
  "#nullable enable",
  "using System.Numerics;",
  "using Nethereum.ABI.FunctionEncoding.Attributes;",
  "using Nethereum.Contracts;",
  "",
  "namespace OpmlNode.Chain.Contracts;",
  "",
];

const files = new Map();
const errors = new Map(); // signature -> lines
const typesSeen = new Map(); // C# type name -> where

function claim(name, where) {
  if (typesSeen.has(name)) fail(`${where} and ${typesSeen.get(name)} both become ${name}; name one in tools/bindings/names.json "types"`);
  typesSeen.set(name, where);
}

for (const contract of contracts) {
  const a = artifact(contract);
  const user = a.metadata?.output?.userdoc ?? {}, dev = a.metadata?.output?.devdoc ?? {};
  const lines = [...header];
  const abi = a.abi;
  const ctor = abi.find(x => x.type === "constructor") || { inputs: [] };
  const deployment = `${contract}Deployment`;
  claim(deployment, `${contract} constructor`);
  lines.push(...docs(`constructor(${ctor.inputs.map(p => `${display(p)} ${p.name}`).join(", ")})`, null,
    "The bytecode comes from forge's artifact at run time (ContractArtifacts.LoadBytecode)."));
  lines.push(`[ContractAbi(ContractNames.${contract})]`, `public sealed class ${deployment} : ContractDeploymentMessage`, "{",
    `    public ${deployment}() : base("") { }`, `    public ${deployment}(string bytecode) : base(bytecode) { }`);
  const ctorProps = properties(ctor.inputs, `${contract}.constructor`, deployment, false);
  if (ctorProps.length) lines.push("", ...ctorProps);
  lines.push("}", "");

  const functions = abi.filter(x => x.type === "function").sort((x, y) => x.name.localeCompare(y.name));
  for (const f of functions) {
    const sig = signature(f);
    const cls = typeName(contract, f.name, "Function");
    claim(cls, `${contract}.${sig}`);
    const outs = f.outputs.map(o => `${display(o)}${o.name ? " " + o.name : ""}`).join(", ");
    lines.push(...docs(`${f.name}(${f.inputs.map(p => `${display(p)} ${p.name}`.trim()).join(", ")})${f.stateMutability === "payable" ? " payable" : ""}${outs ? ` returns (${outs})` : ""}`,
      user.methods?.[sig]?.notice, dev.methods?.[sig]?.details));
    const single = f.outputs.length === 1 && !f.outputs[0].type.startsWith("tuple");
    const output = f.outputs.length && !single ? typeName(contract, f.name, "Output") : null;
    const attr = !f.outputs.length ? `[Function("${f.name}")]`
      : single ? `[Function("${f.name}", "${f.outputs[0].type}")]` : `[Function("${f.name}", typeof(${output}))]`;
    const props = properties(f.inputs, `${contract}.${f.name}`, cls, false);
    lines.push(`[ContractAbi(ContractNames.${contract})]`, attr);
    if (props.length) lines.push(`public sealed class ${cls} : FunctionMessage`, "{", ...props, "}", "");
    else lines.push(`public sealed class ${cls} : FunctionMessage;`, "");
    if (output) {
      claim(output, `${contract}.${sig} outputs`);
      lines.push(`/// <summary>The outputs of <see cref="${cls}"/>.</summary>`, "[FunctionOutput]",
        `public sealed class ${output} : IFunctionOutputDTO`, "{",
        ...properties(f.outputs, `${contract}.${f.name}.outputs`, output, false), "}", "");
    }
  }

  const events = abi.filter(x => x.type === "event").sort((x, y) => x.name.localeCompare(y.name));
  for (const e of events) {
    const sig = signature(e);
    const cls = typeName(contract, e.name, "Event");
    claim(cls, `${contract} event ${sig}`);
    lines.push(...docs(`event ${e.name}(${e.inputs.map(p => `${display(p)}${p.indexed ? " indexed" : ""} ${p.name}`).join(", ")})`,
      user.events?.[sig]?.notice, dev.events?.[sig]?.details));
    lines.push(`[ContractAbi(ContractNames.${contract})]`, `[Event("${e.name}")]`, `public sealed class ${cls} : IEventDTO`, "{",
      ...properties(e.inputs, `${contract}.${e.name}`, cls, true), "}", "");
  }

  for (const x of abi.filter(x => x.type === "error")) {
    const sig = signature(x);
    if (errors.has(sig)) continue; // Errors.sol's errors are in every contract that can revert with them
    const cls = `${pascal(x.name)}Error`;
    claim(cls, `error ${sig}`);
    const props = properties(x.inputs, `error.${x.name}`, cls, false);
    const doc = docs(`${x.name}(${x.inputs.map(p => `${display(p)} ${p.name}`).join(", ")})`,
      user.errors?.[sig]?.[0]?.notice, dev.errors?.[sig]?.[0]?.details);
    errors.set(sig, [...doc, `[Error("${x.name}")]`,
      ...(props.length ? [`public sealed class ${cls} : IErrorDTO`, "{", ...props, "}"] : [`public sealed class ${cls} : IErrorDTO;`]), ""]);
  }
  files.set(`${contract}.g.cs`, lines);
}

const errorLines = [...header, "// Every custom error any of the four contracts can revert with (Errors.sol's, and RiscvStep's own).", ""];
for (const sig of [...errors.keys()].sort()) errorLines.push(...errors.get(sig));
files.set("Errors.g.cs", errorLines);

// The enums of Types.sol, read from the source (the ABI names an enum but not its members).
const typesSol = fs.readFileSync(path.join(root, "contracts/src/lib/Types.sol"), "utf8");
const enums = [...typesSol.matchAll(/^enum (\w+) \{([\s\S]*?)^\}/gm)].map(m => ({
  name: m[1],
  members: m[2].split("\n").map(l => l.match(/^\s*(\w+),?\s*(?:\/\/\s*(.*))?$/)).filter(Boolean).map(x => ({ name: x[1], doc: x[2] })),
}));
for (const e of usedEnums) if (!enums.some(x => x.name === e)) fail(`enum ${e} of the ABI is not in contracts/src/lib/Types.sol`);

const structLines = [...header, "// The enums and structs of contracts/src/lib/Types.sol (enums are uint8 on the wire); struct fields in declaration", "// order.", ""];
for (const e of enums) {
  structLines.push(`/// <summary><c>enum ${e.name}</c> (contracts/src/lib/Types.sol).</summary>`, `public enum ${e.name} : byte`, "{");
  for (const m of e.members) {
    if (m.doc) structLines.push(`    /// <summary>${xml(m.doc)}</summary>`);
    structLines.push(`    ${m.name},`);
  }
  structLines.push("}", "");
}
for (const name of [...structs.keys()].sort()) {
  claim(name, `struct ${name}`);
  structLines.push(`/// <summary><c>struct ${name.replace(/Info$/, "")}</c> (contracts/src/lib/Types.sol).</summary>`,
    `public sealed class ${name}`, "{", ...properties(structs.get(name), `struct.${name}`, name, false), "}", "");
}
files.set("Types.g.cs", structLines);

let stale = 0;
if (!check) fs.mkdirSync(outDir, { recursive: true });
const present = fs.existsSync(outDir) ? fs.readdirSync(outDir).filter(f => f.endsWith(".g.cs")) : [];
for (const f of present.filter(f => !files.has(f))) {
  if (check) { console.error(`stale generated file ${f}`); stale++; } else fs.rmSync(path.join(outDir, f));
}
for (const [file, lines] of files) {
  while (lines[lines.length - 1] === "") lines.pop();
  const text = lines.join("\n") + "\n";
  const target = path.join(outDir, file);
  const old = fs.existsSync(target) ? fs.readFileSync(target, "utf8") : null;
  if (old === text) continue;
  if (check) { console.error(`${path.relative(root, target)} differs from what forge's artifacts give (node tools/bindings/generate.js)`); stale++; }
  else { fs.writeFileSync(target, text); console.log(`wrote ${path.relative(root, target)}`); }
}
if (check) {
  if (stale) process.exit(1);
  console.log(`bindings: ${files.size} generated files match forge's artifacts`);
}
