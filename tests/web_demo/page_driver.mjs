// Drives the web demo in headless Chromium through its UI, with playwright-core (no browser download:
// Debian's Chromium at the path given). Reads JSON on stdin:
//   {"chromium": "/usr/bin/chromium", "playwright": ".../playwright-core/package.json",
//    "visits": [{"url": "http://127.0.0.1:PORT/", "texts": ["...", ...]}, ...]}
// and prints one JSON line: per visit, what the page showed after loading (status, model fields) and,
// per text, the labels and scores it listed (top first) and the inference time, plus every URL the
// page requested and every console error or uncaught exception.
import {createRequire} from "node:module";

const LOAD_TIMEOUT_MS = 60_000;
const CLASSIFY_TIMEOUT_MS = 10_000;
// Launch flags for this closed network (and root): without the background-networking ones Chromium's
// own connection attempts are refused many at a time. Playwright adds --headless, --no-sandbox (its
// chromiumSandbox option is false) and a fresh --user-data-dir itself.
const CHROMIUM_ARGS = [
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return JSON.parse(Buffer.concat(chunks).toString("utf8"));
}

async function visit(browser, {url, texts, keyboard = 0}) {
  const page = await browser.newPage();
  const requests = [];
  const errors = [];
  page.on("request", (request) => requests.push(request.url()));
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(`console: ${message.text()}`);
  });
  page.on("pageerror", (error) => errors.push(`pageerror: ${error.message}`));
  try {
    await page.goto(url);
    const status = page.locator("#status");
    await page.waitForSelector('#status:not([data-state="loading"])', {timeout: LOAD_TIMEOUT_MS});
    const loaded = {
      state: await status.getAttribute("data-state"),
      message: await status.textContent(),
      name: await page.locator("#model-name").textContent(),
      quantization: await page.locator("#model-quantization").textContent(),
      size: await page.locator("#model-size").textContent(),
      warning: (await page.locator("#model-warning").isVisible())
        ? await page.locator("#model-warning").textContent()
        : null,
      buttonEnabled: await page.locator("#classify").isEnabled(),
    };
    const results = [];
    if (loaded.state === "ready") {
      const textarea = page.locator("#text");
      for (const [index, text] of texts.entries()) {
        // The first `keyboard` texts are typed key by key and sent with Ctrl+Enter; the rest are
        // filled (one input event) and sent with the button.
        if (index < keyboard) {
          await textarea.fill("");
          await textarea.pressSequentially(text);
          await textarea.press("Control+Enter");
        } else {
          await textarea.fill(text);
          await page.locator("#classify").click();
        }
        await page.waitForSelector(`#result[data-run="${index + 1}"]`, {timeout: CLASSIFY_TIMEOUT_MS});
        const items = await page.locator("#labels li").evaluateAll((nodes) =>
          nodes.map((node) => ({
            label: node.dataset.label,
            score: Number(node.dataset.score),
            shown: node.querySelector(".score").textContent,
          })),
        );
        results.push({
          labels: items.map((item) => item.label),
          scores: items.map((item) => item.score),
          shown: items.map((item) => item.shown),
          milliseconds: Number(await page.locator("#inference-ms").textContent()),
          status: await status.getAttribute("data-state"),
        });
      }
    }
    return {url, loaded, results, requests, errors};
  } finally {
    await page.close();
  }
}

const input = await readStdin();
const {chromium} = createRequire(input.playwright)("playwright-core");
const browser = await chromium.launch({executablePath: input.chromium, headless: true, args: CHROMIUM_ARGS});
try {
  const answers = [];
  for (const item of input.visits) answers.push(await visit(browser, item));
  process.stdout.write(JSON.stringify(answers) + "\n");
} finally {
  await browser.close();
}
