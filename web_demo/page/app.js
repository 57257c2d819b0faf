// Classifies typed text in the browser with MediaPipe Tasks for Web (`@mediapipe/tasks-text`) and
// the bundle served under bundle/: model.tflite (MediaPipe metadata with vocab.txt and labels.txt
// inside) and bundle.json (only read for the model's name, quantization and size).
//
// Every URL is relative to the page, so any static server that lays the files out like
// web_demo/serve.py does (page/ at the root, the npm package under mediapipe/, the bundle under
// bundle/) serves a working demo, under any path.
import {FilesetResolver, TextClassifier} from "./mediapipe/text_bundle.mjs";

const BUNDLE_URL = new URL("bundle/", document.baseURI);
const MODEL_URL = new URL("model.tflite", BUNDLE_URL);
const MANIFEST_URL = new URL("bundle.json", BUNDLE_URL);
// No trailing slash: MediaPipe appends "/text_wasm_internal.js" and the rest itself.
const WASM_URL = new URL("mediapipe/wasm", document.baseURI).href;
const UNKNOWN = "unknown";

const element = (id) => document.getElementById(id);
let classifier = null;
let runs = 0;

function setStatus(state, message) {
  const status = element("status");
  status.dataset.state = state;
  status.textContent = message;
}

// A rejection can be an Error, a DOM Event (a <script> that failed to load) or a bare string.
function describe(error) {
  if (error instanceof Event) {
    const source = error.target && (error.target.src || error.target.href);
    return `could not load ${source || "a resource"} (${error.type})`;
  }
  const message = error instanceof Error ? error.message || String(error) : String(error);
  // MediaPipe appends a C++ source location trace to its status messages: not for the page.
  return message.split("\n=== Source Location Trace")[0].trim();
}

async function fetchBytes(url) {
  let response;
  try {
    response = await fetch(url, {cache: "no-cache"});
  } catch (error) {
    throw new Error(`could not fetch ${url}: ${describe(error)}`);
  }
  if (!response.ok) throw new Error(`could not fetch ${url}: HTTP ${response.status} ${response.statusText}`);
  return new Uint8Array(await response.arrayBuffer());
}

// bundle.json only feeds the display: a missing file or field shows as "unknown", never an error.
async function readManifest() {
  try {
    const response = await fetch(MANIFEST_URL, {cache: "no-cache"});
    if (!response.ok) return {manifest: {}, problem: `bundle.json: HTTP ${response.status}`};
    const manifest = await response.json();
    if (manifest === null || typeof manifest !== "object" || Array.isArray(manifest)) {
      return {manifest: {}, problem: "bundle.json is not a JSON object"};
    }
    return {manifest, problem: null};
  } catch (error) {
    return {manifest: {}, problem: `bundle.json: ${describe(error)}`};
  }
}

function manifestName(manifest) {
  return typeof manifest.name === "string" && manifest.name.trim() ? manifest.name : UNKNOWN;
}

// Bundle format 2: {"quantization": {"mode": "int8", ...}}; format 1 wrote the mode as a string.
function manifestQuantization(manifest) {
  const quantization = manifest.quantization;
  if (typeof quantization === "string" && quantization) return quantization;
  if (quantization && typeof quantization.mode === "string" && quantization.mode) return quantization.mode;
  return UNKNOWN;
}

function manifestModelFile(manifest) {
  const entry = manifest.files && manifest.files["model.tflite"];
  if (!entry || typeof entry !== "object") return {bytes: null, sha256: null};
  return {
    bytes: Number.isInteger(entry.bytes) && entry.bytes >= 0 ? entry.bytes : null,
    sha256: typeof entry.sha256 === "string" ? entry.sha256.toLowerCase() : null,
  };
}

function formatSize(bytes) {
  if (bytes === null) return UNKNOWN;
  const units = [["MB", 1e6], ["kB", 1e3]];
  const [unit, scale] = units.find(([, size]) => bytes >= size) || ["B", 1];
  const short = unit === "B" ? `${bytes} B` : `${(bytes / scale).toFixed(2)} ${unit}`;
  return `${short} (${bytes.toLocaleString("en-US")} bytes)`;
}

async function sha256Hex(bytes) {
  const digest = await crypto.subtle.digest("SHA-256", bytes);
  return Array.from(new Uint8Array(digest), (byte) => byte.toString(16).padStart(2, "0")).join("");
}

// What bundle.json says about model.tflite against the bytes served: a stale or mixed-up bundle.
async function modelWarnings(manifest, modelBytes) {
  const expected = manifestModelFile(manifest);
  const warnings = [];
  if (expected.bytes !== null && expected.bytes !== modelBytes.length) {
    warnings.push(`bundle.json says model.tflite has ${expected.bytes} bytes; the server sent ${modelBytes.length}.`);
  } else if (expected.sha256 && globalThis.crypto && crypto.subtle) {
    // crypto.subtle exists in secure contexts only (https, localhost), not on http://<LAN address>.
    if ((await sha256Hex(modelBytes)) !== expected.sha256) {
      warnings.push("model.tflite's SHA-256 differs from the one in bundle.json.");
    }
  }
  return warnings;
}

function showModel(manifest, modelBytes, problems) {
  element("model-name").textContent = manifestName(manifest);
  element("model-quantization").textContent = manifestQuantization(manifest);
  const bytes = modelBytes ? modelBytes.length : manifestModelFile(manifest).bytes;
  element("model-size").textContent = formatSize(bytes);
  const warning = element("model-warning");
  warning.textContent = problems.join(" ");
  warning.hidden = problems.length === 0;
}

async function load() {
  const {manifest, problem} = await readManifest();
  showModel(manifest, null, problem ? [problem] : []);
  let modelBytes = null;
  try {
    setStatus("loading", "Loading the model…");
    const [fileset, bytes] = await Promise.all([
      FilesetResolver.forTextTasks(WASM_URL),
      fetchBytes(MODEL_URL),
    ]);
    modelBytes = bytes;
    const problems = [...(problem ? [problem] : []), ...(await modelWarnings(manifest, modelBytes))];
    showModel(manifest, modelBytes, problems);
    // maxResults -1: every label, so the page can show the whole distribution.
    classifier = await TextClassifier.createFromOptions(fileset, {
      baseOptions: {modelAssetBuffer: modelBytes},
      maxResults: -1,
    });
    // One warm-up run: the first call allocates tensors, which is not what the timing shows.
    classifier.classify("warm up");
  } catch (error) {
    classifier = null;
    setStatus("error", `Could not load the model: ${describe(error)}`);
    return;
  }
  element("classify").disabled = false;
  setStatus("ready", "Ready.");
}

function showResult(categories, milliseconds) {
  const list = element("labels");
  list.replaceChildren();
  for (const category of categories) {
    const label = category.displayName || category.categoryName || `#${category.index}`;
    const item = document.createElement("li");
    // data-score keeps the full float for tests and copy-paste; the text shows 4 decimals.
    item.dataset.label = label;
    item.dataset.score = String(category.score);
    const name = document.createElement("span");
    name.className = "label";
    name.textContent = label;
    const score = document.createElement("span");
    score.className = "score";
    score.textContent = category.score.toFixed(4);
    const bar = document.createElement("span");
    bar.className = "bar";
    bar.style.width = `${Math.max(0, Math.min(1, category.score)) * 100}%`;
    item.append(name, score, bar);
    list.append(item);
  }
  element("inference-ms").textContent = milliseconds.toFixed(2);
  const result = element("result");
  result.dataset.run = String(++runs);
  result.hidden = false;
}

function classifyText(event) {
  event.preventDefault();
  if (!classifier) return;
  const text = element("text").value;
  if (!text.trim()) {
    setStatus("ready", "Type some text first.");
    return;
  }
  let result;
  let milliseconds;
  try {
    const start = performance.now();
    result = classifier.classify(text);
    milliseconds = performance.now() - start;
  } catch (error) {
    setStatus("error", `Classification failed: ${describe(error)}`);
    return;
  }
  const head = result.classifications[0];
  const categories = [...head.categories].sort((a, b) => b.score - a.score || a.index - b.index);
  showResult(categories, milliseconds);
  setStatus("ready", "Ready.");
}

element("classify-form").addEventListener("submit", classifyText);
element("text").addEventListener("keydown", (event) => {
  if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) element("classify-form").requestSubmit();
});
load();
